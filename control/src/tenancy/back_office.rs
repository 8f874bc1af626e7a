//! A service's back office (its Odoo) reached from the portal: the live
//! site's address on the organization's page, and "Open back office", which
//! starts the sign-in exactly as Odoo's own sign-in page would link it
//! (OCA auth_oidc: Hydra's authorization endpoint, the Odoo's client, PKCE
//! with the challenge of the provider's verifier, the JSON `state` Odoo's
//! callback reads), so the person lands in the back office signed in with
//! no password page. Hydra then asks the portal, its login provider, which
//! refuses anyone who is not a member of the organization.

use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    backends::odoo::OdooSignIn,
    domain::{
        instance_name, odoo_client_id, OfferKind, OrganizationOverview, Permission, Refusal,
        SubscriptionState, ODOO_SIGN_IN_SCOPE,
    },
    or_refuse,
    tenancy::custom_domains::cname_record,
    Caller, Control, Error, Outcome, Result,
};

impl Control {
    /// Puts the live sites' addresses on the page, and whether the viewer
    /// may open their back office.
    pub(crate) fn link_sites(&self, overview: &mut OrganizationOverview) {
        let Some(sites) = &self.sites else {
            return;
        };
        let slug = &overview.organization.slug;
        let may_open = overview.organization.role.allows(Permission::OpenBackOffice);
        for subscription in &mut overview.subscriptions {
            if subscription.offer.runs_odoo() && subscription.state == SubscriptionState::Active {
                subscription.site_url = Some(sites.url(slug, subscription.offer));
                subscription.back_office = may_open;
                if let Some(domain) = &mut subscription.custom_domain {
                    let host = sites.host(slug, subscription.offer);
                    domain.records.insert(0, cname_record(&domain.domain, &host));
                }
            }
        }
    }

    /// Where "Open back office" sends the caller: the sign-in into the
    /// organization's `offer` service, through Hydra. Owners and admins
    /// only; the service must be active and its sign-in set up.
    pub async fn back_office_sign_in(
        &self,
        caller: &Caller,
        slug: &str,
        offer: OfferKind,
    ) -> Outcome<String> {
        let viewer = super::pages::Viewer::of(caller)?;
        let Some(record) = self.organization_page_record(slug).await? else {
            return Ok(Err(Refusal::NotFound));
        };
        let overview = or_refuse!(record
            .overview(slug, &viewer, self.clock.now())
            .ok_or(Refusal::NotFound));
        if !overview.organization.role.allows(Permission::OpenBackOffice) {
            return Ok(Err(Refusal::Forbidden));
        }
        let Some(subscription) = overview
            .subscriptions
            .iter()
            .find(|subscription| subscription.offer == offer && offer.runs_odoo())
        else {
            return Ok(Err(Refusal::NotFound));
        };
        if subscription.state != SubscriptionState::Active {
            return Ok(Err(Refusal::WrongState));
        }
        let sites = self.sites.as_ref().ok_or(Error::NotConfigured("provisioning"))?;
        let id = Uuid::parse_str(&subscription.id).map_err(|_| Error::InvalidStoredData {
            table: "subscriptions",
            detail: format!("subscription id {:?}", subscription.id),
        })?;
        let site = sites.url(slug, offer);
        Ok(self
            .odoo_sign_in_url(slug, offer, id, &format!("{site}/web"))
            .await?
            .ok_or(Refusal::WrongState))
    }

    /// The sign-in into the `offer` service of `slug` (its `subscription`),
    /// landing on `land` once signed in, as Odoo's own sign-in page would
    /// link it; `None` while its single sign-on is not set up (the engine
    /// will). Who may sign in is Hydra's login provider's (the portal's)
    /// decision, at the sign-in.
    pub(crate) async fn odoo_sign_in_url(
        &self,
        slug: &str,
        offer: OfferKind,
        subscription: Uuid,
        land: &str,
    ) -> Result<Option<String>> {
        let sites = self.sites.as_ref().ok_or(Error::NotConfigured("provisioning"))?;
        let entry = sqlx::query!(
            "SELECT provider_id, code_challenge FROM odoo_sign_ins WHERE subscription_id = $1",
            subscription,
        )
        .fetch_optional(self.db.pool())
        .await?;
        let Some(entry) = entry else {
            return Ok(None);
        };
        // Odoo's `state`, as `json.dumps` writes it; `r` quoted as
        // werkzeug's `url_quote_plus`.
        let land: String = url::form_urlencoded::byte_serialize(land.as_bytes()).collect();
        let state = format!(
            "{{\"d\": {}, \"p\": {}, \"r\": {}}}",
            json!(instance_name(slug, offer)),
            entry.provider_id,
            json!(land)
        );
        let nonce = Uuid::new_v4().simple().to_string();
        let client_id = odoo_client_id(slug, offer);
        let callback = sites.odoo_callback(slug, offer);
        let url = url::Url::parse_with_params(
            &format!("{}/oauth2/auth", sites.hydra_public_url),
            [
                ("response_type", "code"),
                ("client_id", client_id.as_str()),
                ("redirect_uri", callback.as_str()),
                ("scope", ODOO_SIGN_IN_SCOPE),
                ("state", state.as_str()),
                ("nonce", nonce.as_str()),
                ("code_challenge", entry.code_challenge.as_str()),
                ("code_challenge_method", "S256"),
            ],
        )
        .map_err(|error| Error::Backend {
            backend: "hydra",
            detail: format!("public URL {:?}: {error}", sites.hydra_public_url),
        })?;
        Ok(Some(url.into()))
    }

    /// Records which members the subscription's Odoo users were made
    /// from (the engine's users step): the dispatcher queues a new sync
    /// when the members differ.
    pub(crate) async fn record_members_applied(&self, subscription: Uuid, fingerprint: &str) -> Result<()> {
        sqlx::query!(
            "UPDATE subscriptions SET members_applied = $2 WHERE id = $1",
            subscription,
            fingerprint,
        )
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Keeps how sign-ins into a subscription's Odoo start (the engine's
    /// single sign-on step).
    pub(crate) async fn record_odoo_sign_in(&self, subscription: Uuid, sign_in: &OdooSignIn) -> Result<()> {
        let now: OffsetDateTime = self.clock.now();
        sqlx::query!(
            "INSERT INTO odoo_sign_ins (subscription_id, provider_id, code_challenge, recorded_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (subscription_id) DO UPDATE
                SET provider_id = EXCLUDED.provider_id, code_challenge = EXCLUDED.code_challenge,
                    recorded_at = EXCLUDED.recorded_at",
            subscription,
            sign_in.provider_id,
            sign_in.code_challenge,
            now,
        )
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}
