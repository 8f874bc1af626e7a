//! Which application a sign-in page is for, remembered from the moment the
//! portal sends a browser to sign in (it has just read Hydra's login
//! request) until that page is first shown, so that the page need not ask
//! Hydra for the same request again. A page this replica did not send, or
//! one shown again, asks Hydra.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex, PoisonError},
};

use hashlink::LruCache;
use sha2::{Digest, Sha256};

/// Sign-ins sent and not yet shown; abandoned ones make room, least
/// recently sent first.
const KEPT: usize = 10_000;

/// The application each login challenge was sent to sign in for, by the
/// SHA-256 of the challenge (Hydra's challenges run to hundreds of bytes).
#[derive(Clone)]
pub(crate) struct AskingApplications(Arc<Mutex<LruCache<[u8; 32], Option<String>>>>);

impl Default for AskingApplications {
    fn default() -> Self {
        Self::with_capacity(KEPT)
    }
}

impl AskingApplications {
    fn with_capacity(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self(Arc::new(Mutex::new(LruCache::new(capacity.get()))))
    }

    /// The browser is sent to sign in for `challenge`, asked by
    /// `application` (`None`: the portal itself, or a client with no name).
    pub(crate) fn remember(&self, challenge: &str, application: Option<String>) {
        self.kept().insert(key(challenge), application);
    }

    /// What was remembered for `challenge`, forgotten as it is read;
    /// `None` when nothing is remembered (Hydra is to be asked).
    pub(crate) fn take(&self, challenge: &str) -> Option<Option<String>> {
        self.kept().remove(&key(challenge))
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, LruCache<[u8; 32], Option<String>>> {
        // A panic elsewhere cannot leave an entry half-written: keep going.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn key(challenge: &str) -> [u8; 32] {
    Sha256::digest(challenge.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_is_answered_once_then_left_to_hydra() {
        let asking = AskingApplications::default();
        asking.remember("challenge-a", Some("Atelier Formation".to_owned()));
        asking.remember("challenge-b", None);
        assert_eq!(
            asking.take("challenge-a"),
            Some(Some("Atelier Formation".to_owned()))
        );
        assert_eq!(asking.take("challenge-a"), None);
        assert_eq!(asking.take("challenge-b"), Some(None));
        assert_eq!(asking.take("never-sent"), None);
    }

    #[test]
    fn abandoned_sign_ins_make_room_least_recently_sent_first() {
        let asking = AskingApplications::with_capacity(2);
        asking.remember("first", Some("A".to_owned()));
        asking.remember("second", Some("B".to_owned()));
        asking.remember("third", Some("C".to_owned()));
        assert_eq!(asking.take("first"), None);
        assert_eq!(asking.take("second"), Some(Some("B".to_owned())));
        assert_eq!(asking.take("third"), Some(Some("C".to_owned())));
    }
}
