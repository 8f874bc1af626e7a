//! Who an API request's bearer token speaks for. Hydra says what the token
//! is (introspection, RFC 7662); Bibind says what its client may do.
//!
//! Introspection answers are kept for [`INTROSPECTION_KEPT`] at most (never
//! past the token's expiry), keyed by the token's SHA-256: an API call then
//! costs no round trip to Hydra. That is safe because what can end a token
//! early is checked on every request from the API client's row, kept in
//! memory only until a change to it is announced (migration 29's trigger):
//! a revoked client's next request is refused on every replica.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex, PoisonError},
};

use hashlink::LruCache;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    domain::{Role, Scopes},
    identity::Introspection,
    infra::change_cache::ChangeCache,
    Caller, ClientGrant, Control, Result, TokenGrant,
};

/// Hydra's ids of API clients start so: the token check knows them at once.
pub(crate) const CLIENT_ID_PREFIX: &str = "bibind-api-";

/// The command-line client's id in Hydra: people's tokens come from it
/// (`bibind login`), and speak for the person who signed in.
pub const COMMAND_LINE_CLIENT_ID: &str = "bibind-cli";

/// How long an introspection answer is trusted (ARCHITECTURE.md, "API").
pub const INTROSPECTION_KEPT: Duration = Duration::seconds(30);
/// Introspection answers kept at most.
const TOKENS_KEPT: usize = 10_000;
/// API clients kept at most.
const CLIENTS_KEPT: usize = 10_000;
/// How often a client's "last used" is written at most.
const LAST_USE_EVERY: Duration = Duration::minutes(1);
/// Where migration 29's trigger announces a changed API client.
pub(crate) const CHANNEL: &str = "api_client_changed";

/// What the token check keeps between requests.
#[derive(Clone)]
pub(crate) struct ApiTokens {
    introspected: Arc<Mutex<LruCache<[u8; 32], Kept>>>,
    pub(crate) clients: ChangeCache<String, Arc<ClientRow>>,
    last_use: Arc<Mutex<LruCache<Uuid, OffsetDateTime>>>,
}

impl std::fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiTokens").finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Kept {
    introspection: Introspection,
    until: OffsetDateTime,
}

/// An API client as its tokens need it.
#[derive(Debug)]
pub(crate) struct ClientRow {
    id: Uuid,
    organization_id: Uuid,
    name: String,
    role: Role,
    scopes: Scopes,
    expires_at: Option<OffsetDateTime>,
    revoked: bool,
}

impl ApiTokens {
    pub(crate) fn new() -> Self {
        let size = |n: usize| NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN);
        Self {
            introspected: Arc::new(Mutex::new(LruCache::new(size(TOKENS_KEPT).get()))),
            clients: ChangeCache::new(CLIENTS_KEPT),
            last_use: Arc::new(Mutex::new(LruCache::new(size(CLIENTS_KEPT).get()))),
        }
    }

    /// Forgets a client this replica changed, without waiting for the
    /// announcement to come back.
    pub(crate) fn forget_client(&self, client_id: &str) {
        self.clients.forget(&client_id.to_owned());
    }

    fn kept(&self, hash: &[u8; 32], now: OffsetDateTime) -> Option<Introspection> {
        let mut kept = self.introspected.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.get(hash) {
            Some(entry) if entry.until > now => Some(entry.introspection.clone()),
            Some(_) => {
                kept.remove(hash);
                None
            }
            None => None,
        }
    }

    fn keep(&self, hash: [u8; 32], introspection: &Introspection, now: OffsetDateTime) {
        let expiry = OffsetDateTime::from_unix_timestamp(introspection.expires_at).unwrap_or(now);
        let until = (now + INTROSPECTION_KEPT).min(expiry);
        self.introspected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                hash,
                Kept {
                    introspection: introspection.clone(),
                    until,
                },
            );
    }

    /// Whether the client's last use should be written now.
    fn due_for_last_use(&self, client: Uuid, now: OffsetDateTime) -> bool {
        let mut last = self.last_use.lock().unwrap_or_else(PoisonError::into_inner);
        match last.get(&client) {
            Some(at) if now - *at < LAST_USE_EVERY => false,
            _ => {
                last.insert(client, now);
                true
            }
        }
    }
}

/// Where an API request comes from, for its audit events.
#[derive(Debug, Clone, Default)]
pub struct RequestOrigin {
    pub request_id: Option<String>,
    pub ip: Option<std::net::IpAddr>,
}

impl Control {
    /// The caller `token` speaks for; `None` when it is not an active access
    /// token of a client that may still use the API.
    pub async fn api_caller(&self, token: &str, origin: RequestOrigin) -> Result<Option<Caller>> {
        let now = self.clock.now();
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let tokens = &self.api_tokens;
        let introspection = match tokens.kept(&hash, now) {
            Some(kept) => kept,
            None => {
                let Some(fresh) = self.hydra()?.introspect(token).await? else {
                    return Ok(None);
                };
                tokens.keep(hash, &fresh, now);
                fresh
            }
        };
        if introspection.expires_at <= now.unix_timestamp() {
            return Ok(None);
        }
        let granted = Scopes::from_oauth(&introspection.scope);
        if introspection.client_id == COMMAND_LINE_CLIENT_ID {
            return Ok(person_caller(introspection, granted, origin));
        }
        if !introspection.client_id.starts_with(CLIENT_ID_PREFIX) {
            // Another client's token (the portal's, a tenant's application).
            return Ok(None);
        }
        let Some(client) = self.api_client_row(&introspection.client_id).await? else {
            return Ok(None);
        };
        if client.revoked || client.expires_at.is_some_and(|at| at <= now) {
            return Ok(None);
        }
        if tokens.due_for_last_use(client.id, now) {
            sqlx::query!(
                "UPDATE api_clients SET last_used_at = $2 WHERE id = $1",
                client.id,
                now
            )
            .execute(self.db.pool())
            .await?;
        }
        // What the token was granted, within what the client may still ask.
        let scopes = Scopes::from_list(granted.iter().filter(|scope| client.scopes.contains(*scope)));
        Ok(Some(Caller {
            identity_id: client.id.to_string(),
            // Its maker proved an address to make it (the audit trail names
            // the client by its id and name).
            email: format!("api-client:{}", client.name),
            email_verified: true,
            request_id: origin.request_id,
            ip: origin.ip,
            token: Some(TokenGrant {
                scopes,
                second_factor: false,
                client: Some(ClientGrant {
                    id: client.id,
                    organization_id: client.organization_id,
                    role: client.role,
                }),
            }),
        }))
    }

    /// The API client Hydra knows as `client_id`, from memory when kept.
    async fn api_client_row(&self, client_id: &str) -> Result<Option<Arc<ClientRow>>> {
        let clients = &self.api_tokens.clients;
        if let Some(row) = clients.get(client_id) {
            return Ok(Some(row));
        }
        let reading = clients.reading();
        let found = sqlx::query!(
            r#"SELECT id, organization_id, name, role AS "role: Role", scopes, expires_at,
                      revoked_at IS NOT NULL AS "revoked!"
                 FROM api_clients WHERE client_id = $1"#,
            client_id,
        )
        .fetch_optional(self.db.pool())
        .await?;
        let Some(found) = found else {
            return Ok(None);
        };
        let row = Arc::new(ClientRow {
            id: found.id,
            organization_id: found.organization_id,
            name: found.name,
            role: found.role,
            scopes: Scopes::from_oauth(&found.scopes.join(" ")),
            expires_at: found.expires_at,
            revoked: found.revoked,
        });
        clients.keep(reading, client_id.to_owned(), row.clone());
        Ok(Some(row))
    }
}

/// A person's token (from the command line): it speaks for them, with
/// their memberships and roles as in the portal, within its scopes.
fn person_caller(introspection: Introspection, scopes: Scopes, origin: RequestOrigin) -> Option<Caller> {
    if introspection.subject.is_empty() {
        return None;
    }
    Some(Caller {
        identity_id: introspection.subject,
        email: introspection.email.unwrap_or_default(),
        email_verified: introspection.email_verified,
        request_id: origin.request_id,
        ip: origin.ip,
        token: Some(TokenGrant {
            scopes,
            client: None,
            second_factor: introspection.assurance_level.as_deref() == Some("aal2"),
        }),
    })
}
