//! An organization's API clients (ApiBibind): made by its owners and admins,
//! each an OAuth2 client of Hydra with the client-credentials grant. Hydra
//! keeps the secret (hashed) and issues the tokens; Bibind keeps which
//! organization the client acts in, with which role and scopes, until when.
//!
//! A client acts in its own organization only ([`crate::ClientGrant`],
//! checked by `tenancy::access`). Revoking deletes its Hydra client (its
//! tokens go with it) and marks the row, whose change every replica hears
//! (`identity::api_tokens`): its next request is refused, wherever it lands.

use serde_json::json;
use time::Duration;
use uuid::Uuid;

use crate::{
    audit::AuditEvent,
    domain::{
        ApiClientState, ApiClientView, AuditAction, CreatedApiClient, NewApiClient, Permission, Refusal,
        Role, Scopes,
    },
    identity::{api_tokens::CLIENT_ID_PREFIX, ClientRegistration},
    infra::format::rfc3339,
    or_refuse,
    tenancy::{
        access::{self, Need},
        limits,
        members::new_token,
    },
    Caller, Control, Outcome,
};

impl Control {
    /// Creates an API client of `slug`; its secret is in the answer, and
    /// nowhere else. Owners and admins only; a token cannot make clients.
    pub async fn create_api_client(
        &self,
        caller: &Caller,
        slug: &str,
        new: &NewApiClient,
    ) -> Outcome<CreatedApiClient> {
        // A client does not make clients: a leaked secret must not breed.
        if caller.client().is_some() {
            return Ok(Err(Refusal::Forbidden));
        }
        // Its tokens act with a verified address: its maker's.
        or_refuse!(limits::verified_address(caller));
        let hydra = self.hydra()?;
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::ManageMembers).await?);
        let id = Uuid::new_v4();
        let client_id = format!("{CLIENT_ID_PREFIX}{}", id.simple());
        let secret = new_token()?;
        let expires_at = new
            .lifetime_days
            .map(|days| now + Duration::days(i64::from(days)));
        let scopes = new.scopes.names();
        sqlx::query!(
            "INSERT INTO api_clients
               (id, organization_id, client_id, name, role, scopes, created_by, created_by_email, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            id,
            org.id,
            client_id,
            new.name,
            new.role.as_str(),
            &scopes,
            org.caller_id,
            caller.email,
            now,
            expires_at,
        )
        .execute(&mut *tx)
        .await?;
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::ApiClientCreate,
            format!("api_client:{id}"),
        )
        .after(json!({
            "name": new.name,
            "role": new.role.as_str(),
            "scopes": scopes,
            "expires_at": expires_at.map(rfc3339),
        }));
        let registration =
            ClientRegistration::api_client(&client_id, &secret, &new.name, &new.scopes, org.id);
        // Registered before the commit: a client Hydra does not know is not kept.
        hydra.register_client(&registration).await?;
        if let Err(error) = self.commit_change(tx, caller, now, event).await {
            // Nothing kept here: neither in Hydra (its tokens would be
            // refused anyway, having no row).
            if let Err(cleanup) = hydra.delete_client(&client_id).await {
                tracing::warn!(%cleanup, client_id, "cannot delete the Hydra client of an API client not kept");
            }
            return Err(error);
        }
        let client = ApiClientView {
            id: id.to_string(),
            client_id,
            name: new.name.clone(),
            role: new.role,
            scopes,
            state: ApiClientState::Active,
            created_by: caller.email.clone(),
            created_at: rfc3339(now),
            expires_at: expires_at.map(rfc3339),
            last_used_at: None,
        };
        Ok(Ok(CreatedApiClient {
            client,
            client_secret: secret,
        }))
    }

    /// `slug`'s API clients, newest first, revoked ones included.
    pub async fn api_clients(&self, caller: &Caller, slug: &str) -> Outcome<Vec<ApiClientView>> {
        let now = self.clock.now();
        let mut conn = self.db.pool().acquire().await?;
        let org =
            or_refuse!(access::check(&mut conn, caller, slug, Need::read(Permission::ManageMembers)).await?);
        let rows = sqlx::query!(
            r#"SELECT id, client_id, name, role AS "role: Role", scopes, created_by_email, created_at,
                      expires_at, last_used_at, revoked_at
                 FROM api_clients WHERE organization_id = $1 ORDER BY created_at DESC, id"#,
            org.id,
        )
        .fetch_all(&mut *conn)
        .await?;
        Ok(Ok(rows
            .into_iter()
            .map(|row| ApiClientView {
                id: row.id.to_string(),
                client_id: row.client_id,
                name: row.name,
                role: row.role,
                scopes: Scopes::from_oauth(&row.scopes.join(" ")).names(),
                state: if row.revoked_at.is_some() {
                    ApiClientState::Revoked
                } else if row.expires_at.is_some_and(|at| at <= now) {
                    ApiClientState::Expired
                } else {
                    ApiClientState::Active
                },
                created_by: row.created_by_email,
                created_at: rfc3339(row.created_at),
                expires_at: row.expires_at.map(rfc3339),
                last_used_at: row.last_used_at.map(rfc3339),
            })
            .collect()))
    }

    /// Revokes an API client: its tokens are refused from now on, on every
    /// replica. Revoking a revoked one is refused as unknown.
    pub async fn revoke_api_client(&self, caller: &Caller, slug: &str, id: Uuid) -> Outcome<()> {
        let hydra = self.hydra()?;
        let now = self.clock.now();
        let (mut tx, org) = or_refuse!(self.begin_change(caller, slug, Permission::ManageMembers).await?);
        let Some(revoked) = sqlx::query!(
            "UPDATE api_clients SET revoked_at = $3
              WHERE id = $1 AND organization_id = $2 AND revoked_at IS NULL
              RETURNING client_id, name",
            id,
            org.id,
            now,
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(Err(Refusal::NotFound));
        };
        // Deleted in Hydra before the commit: its tokens die with it, and a
        // Hydra that does not answer leaves the client as it was.
        hydra.delete_client(&revoked.client_id).await?;
        let event = AuditEvent::new(
            Some(org.id),
            AuditAction::ApiClientRevoke,
            format!("api_client:{id}"),
        )
        .before(json!({ "name": revoked.name }));
        self.commit_with(tx, caller, now, event).await?;
        self.api_tokens.forget_client(&revoked.client_id);
        Ok(Ok(()))
    }
}
