//! CSRF tokens for the portal's own forms, bound to the portal session: one
//! random token per session, kept in the session (server side) and posted
//! back in a hidden field. No cookie carries it, so a sibling subdomain that
//! can plant cookies for the portal's domain cannot plant a matching token,
//! and a token read from one person's page is worth nothing in another's
//! session. One token per session (not per render) keeps every open tab's
//! forms working. Kratos' forms carry Kratos' own token.
//!
//! The server puts a [`SessionFormToken`] into every portal request's
//! extensions; a page rendered for a browser without a session mints one,
//! which the server stores in a new session once the page is rendered (the
//! pre-session token of signed-out forms such as the consent question).

use std::sync::{Arc, OnceLock};

/// The form token of the request's portal session.
#[derive(Debug, Clone, Default)]
pub struct SessionFormToken {
    /// What the session holds, if it holds one.
    current: Option<String>,
    /// A token minted while rendering for a session that had none.
    minted: Arc<OnceLock<String>>,
}

impl SessionFormToken {
    pub fn new(current: Option<String>) -> Self {
        Self {
            current: current.filter(|token| is_token(token)),
            minted: Arc::default(),
        }
    }

    /// The token the request's forms carry.
    pub fn issue(&self) -> String {
        match &self.current {
            Some(token) => token.clone(),
            None => self.minted.get_or_init(new_token).clone(),
        }
    }

    /// A token minted for this request, for the server to keep in the session.
    pub fn newly_minted(&self) -> Option<&str> {
        match self.current {
            Some(_) => None,
            None => self.minted.get().map(String::as_str),
        }
    }

    /// Whether `posted` is this session's token.
    pub fn matches(&self, posted: &str) -> bool {
        self.current
            .as_deref()
            .is_some_and(|token| !posted.is_empty() && equal_in_constant_time(token, posted))
    }
}

/// The token for the forms of the page being rendered (empty outside a
/// portal request: such a form would come back as expired).
pub fn issue() -> String {
    crate::with_request(|parts| {
        parts
            .extensions
            .get::<SessionFormToken>()
            .map(SessionFormToken::issue)
    })
    .flatten()
    .unwrap_or_default()
}

/// Whether the posted token is the one of the request's portal session.
pub fn verify(extensions: &http::Extensions, posted: &str) -> bool {
    extensions
        .get::<SessionFormToken>()
        .is_some_and(|token| token.matches(posted))
}

/// A new token: 32 lowercase hex digits from the system's random source.
pub fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// What `new_token` hands out (anything else in a session is ignored).
fn is_token(value: &str) -> bool {
    value.len() == 32
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn equal_in_constant_time(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_of_another_session_does_not_match() {
        let mine = SessionFormToken::new(Some(new_token()));
        let theirs = SessionFormToken::new(Some(new_token()));
        assert!(mine.matches(&mine.issue()));
        assert!(!mine.matches(&theirs.issue()));
        assert!(!mine.matches(""));
    }

    #[test]
    fn a_session_without_a_token_mints_one_and_matches_nothing_yet() {
        let fresh = SessionFormToken::new(None);
        assert!(fresh.newly_minted().is_none());
        let minted = fresh.issue();
        assert_eq!(
            fresh.issue(),
            minted,
            "every form of a page carries the same token"
        );
        assert_eq!(fresh.newly_minted(), Some(minted.as_str()));
        assert!(!fresh.matches(&minted), "only a stored token is checked against");
        let stored = SessionFormToken::new(Some(minted.clone()));
        assert!(stored.matches(&minted));
        assert!(stored.newly_minted().is_none());
    }

    #[test]
    fn a_malformed_stored_token_is_replaced() {
        let odd = SessionFormToken::new(Some("x".into()));
        assert!(!odd.matches("x"));
        assert!(is_token(&odd.issue()));
    }
}
