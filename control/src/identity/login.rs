//! The portal as Hydra's login provider. A login challenge is accepted from
//! the browser's Kratos session; without one (or with one too old for what
//! the application asked, or lacking its second factor) the browser signs in
//! at Kratos first and comes back with the same challenge.
//!
//! Kratos' own `login_challenge` integration is not used: it forces the
//! password again whenever Hydra has no remembered login, which would defeat
//! single sign-on between the portal and the applications.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    domain::{FlowKind, OfferKind, OrganizationState, Role, TenantRefusal},
    identity::{AcceptedLogin, ChallengeOutcome, KratosSession, LoginRequest, OAuthClient, SessionCheck},
    Control, Result,
};

/// The next step of a login challenge.
#[derive(Debug, Clone, PartialEq)]
pub enum LoginStep {
    /// Send the browser here (Hydra, or Kratos to sign in first).
    Redirect(String),
    /// Unknown, expired or already answered.
    Gone,
    /// A tenant's application, and the person is not a member of its
    /// organization: the challenge is refused (`access_denied`), the portal
    /// says why before the browser goes back to the application.
    NotAMember(TenantRefusal),
}

/// Where a person stands in the organization a tenant's application
/// belongs to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TenantStanding {
    pub organization_name: String,
    pub organization_slug: String,
    pub offer: Option<OfferKind>,
    /// `None`: not a member (or the organization is closed).
    pub role: Option<Role>,
}

/// Why the challenges of a suspended client are refused (Hydra shows it to
/// the client as `error_description`).
pub(crate) const SUSPENDED_CLIENT: &str = "This application is suspended.";

/// Why a tenant application's challenge is refused to a non-member (Hydra
/// shows it to the client as `error_description`).
pub(crate) const NOT_A_MEMBER: &str =
    "The user is not a member of the organization this application belongs to.";

/// Who answers a login challenge: the login page, which can say why a
/// person is refused, or the portal before (or instead of) that page,
/// which leaves refusals to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answering {
    OnThePage,
    WithoutPage,
}

/// How recent a sign-in must be when the application asks for `prompt=login`.
const FRESH_SIGN_IN: Duration = Duration::minutes(1);

impl Control {
    /// The portal page that answers `challenge`: Kratos sends the browser
    /// back there once signed in.
    pub fn login_return_url(&self, challenge: &str) -> String {
        format!(
            "{}/auth/login?login_challenge={}",
            self.public_url(),
            crate::identity::encode_query_value(challenge)
        )
    }

    /// The application a sign-in page is shown for, by name: Hydra's login
    /// challenge travels in the flow's `return_to` (the address Kratos goes
    /// back to). None for the portal's own sign-in (it comes back to the
    /// portal's callback), for a challenge Hydra no longer knows, or a
    /// nameless client. Remembered when this replica sent the browser to
    /// sign in; otherwise Hydra is asked.
    pub async fn asking_application(&self, return_to: &str) -> Result<Option<String>> {
        let Some(challenge) = query_value(return_to, "login_challenge") else {
            return Ok(None);
        };
        if let Some(remembered) = self.asking_applications.take(&challenge) {
            return Ok(remembered);
        }
        Ok(match self.hydra()?.login_request(&challenge).await? {
            ChallengeOutcome::Pending(request) => self.application_named(&request),
            ChallengeOutcome::Gone => None,
        })
    }

    /// The name the sign-in page shows for `request`'s application: none
    /// for the portal's own sign-in, or a nameless client.
    fn application_named(&self, request: &LoginRequest) -> Option<String> {
        let portal_callback = format!("{}/auth/callback", self.public_url());
        let for_the_portal = query_value(&request.request_url, "redirect_uri")
            .is_some_and(|redirect| redirect == portal_callback);
        let name = &request.client.client_name;
        (!for_the_portal && !name.trim().is_empty()).then(|| name.clone())
    }

    /// Answers Hydra's login challenge for the browser whose cookies these are.
    pub async fn login_step(&self, challenge: &str, cookie: Option<&str>) -> Result<LoginStep> {
        Ok(self
            .answer_login(challenge, cookie, Answering::OnThePage)
            .await?
            // The login page can say why: it is never left to another.
            .unwrap_or(LoginStep::Gone))
    }

    /// Where the browser goes next for `challenge` when that needs no page
    /// (nearly always: signing in to the portal only redirects), answered
    /// before any page renders. `None`: the login page answers (a challenge
    /// gone, or a refusal to explain), as [`Self::login_step`].
    pub async fn login_without_page(&self, challenge: &str, cookie: Option<&str>) -> Result<Option<String>> {
        Ok(
            match self
                .answer_login(challenge, cookie, Answering::WithoutPage)
                .await?
            {
                Some(LoginStep::Redirect(next)) => Some(next),
                Some(LoginStep::Gone | LoginStep::NotAMember(_)) | None => None,
            },
        )
    }

    /// Where the browser goes after Kratos signed it in, when Kratos sends
    /// it back to the portal's login page (`location`): the challenge is
    /// answered on the way ([`Self::login_without_page`]), sparing the
    /// browser one trip. `cookie` is the browser's as Kratos has just set
    /// it. `None`: to `location`, as Kratos says.
    pub async fn login_after_sign_in(&self, location: &str, cookie: &str) -> Result<Option<String>> {
        match self.returning_login_challenge(location) {
            Some(challenge) => self.login_without_page(&challenge, Some(cookie)).await,
            None => Ok(None),
        }
    }

    /// The challenge of a [`Self::login_return_url`], and nothing else.
    fn returning_login_challenge(&self, location: &str) -> Option<String> {
        let query = location
            .strip_prefix(self.public_url())?
            .strip_prefix("/auth/login?")?;
        sole_query_value(query, "login_challenge")
    }

    /// The step for `challenge`; `None` only [`Answering::WithoutPage`],
    /// when the login page must answer (to say why a person is refused).
    async fn answer_login(
        &self,
        challenge: &str,
        cookie: Option<&str>,
        answering: Answering,
    ) -> Result<Option<LoginStep>> {
        let hydra = self.hydra()?;
        let kratos = self.kratos()?;
        // Asked together: neither answer changes the other question, and
        // whoami is wasted only on a challenge gone or a client suspended.
        let (request, session) = tokio::join!(hydra.login_request(challenge), kratos.session(cookie));
        let request = match request? {
            ChallengeOutcome::Pending(request) => request,
            ChallengeOutcome::Gone => return Ok(Some(LoginStep::Gone)),
        };
        if request.client.is_suspended() {
            // Hydra has no disabled clients: refusing here is what stops a
            // suspended tenant's application from signing anyone in.
            return Ok(Some(LoginStep::Redirect(
                hydra.reject_login(challenge, SUSPENDED_CLIENT).await?,
            )));
        }
        let come_back = self.login_return_url(challenge);
        let sign_in_at_kratos = |params: &[(&str, &str)]| {
            // The sign-in page will name the application without asking Hydra.
            self.asking_applications
                .remember(challenge, self.application_named(&request));
            let mut all = vec![("return_to", come_back.as_str())];
            all.extend_from_slice(params);
            LoginStep::Redirect(kratos.browser_start_url_with(FlowKind::Login, &all))
        };
        let session = match session? {
            SessionCheck::Active(session) => session,
            SessionCheck::SecondFactorRequired => return Ok(Some(sign_in_at_kratos(&[("aal", "aal2")]))),
            SessionCheck::SignedOut => {
                if request.skip {
                    // Hydra still remembers a login that Kratos has ended.
                    hydra.forget_logins(&request.subject).await?;
                }
                return Ok(Some(sign_in_at_kratos(&[])));
            }
        };
        if request.skip && request.subject != session.user.identity_id {
            // Hydra remembers someone else: forget them and let the
            // application's request start over for this person.
            hydra.forget_logins(&request.subject).await?;
            return Ok(Some(LoginStep::Redirect(request.request_url.clone())));
        }
        if request.client.is_tenant_client() {
            // The portal decides who may sign in to a tenant's application:
            // a non-member gets no code, no token, and Hydra no profile.
            let standing = self
                .tenant_standing(&request.client, &session.user.identity_id)
                .await?;
            if standing.as_ref().and_then(|standing| standing.role).is_none() {
                if answering == Answering::WithoutPage && !forbids_interaction(&request) {
                    // Refused before Hydra is told: the page says why.
                    return Ok(None);
                }
                let continue_to = hydra.reject_login(challenge, NOT_A_MEMBER).await?;
                if forbids_interaction(&request) {
                    // `prompt=none`: the application gets its error without a page.
                    return Ok(Some(LoginStep::Redirect(continue_to)));
                }
                return Ok(Some(LoginStep::NotAMember(TenantRefusal {
                    organization: standing.as_ref().map_or_else(
                        || client_label(&request.client),
                        |standing| standing.organization_name.clone(),
                    ),
                    offer: standing.and_then(|standing| standing.offer),
                    continue_to,
                })));
            }
        }
        if asks_second_factor(&request) && session.user.assurance_level != "aal2" {
            // `acr_values=aal2` (the command line's `login --admin`): the
            // person proves their second factor before Hydra gets the login.
            return Ok(Some(sign_in_at_kratos(&[("aal", "aal2")])));
        }
        let now = self.clock.now();
        if let Some(max_age) = required_freshness(&request) {
            let fresh = session.authenticated_at.is_some_and(|at| now - at <= max_age);
            if !fresh {
                return Ok(Some(sign_in_at_kratos(&[("refresh", "true")])));
            }
        }
        let accepted = accepted_login(&session, now);
        Ok(Some(LoginStep::Redirect(
            hydra.accept_login(challenge, &accepted).await?,
        )))
    }
}

impl Control {
    /// Where `identity_id` stands in the organization that owns the tenant
    /// client `client` (from its metadata); `None` when the client names no
    /// subscription Bibind knows, which refuses everyone.
    pub(crate) async fn tenant_standing(
        &self,
        client: &OAuthClient,
        identity_id: &str,
    ) -> Result<Option<TenantStanding>> {
        let Some(subscription) = client
            .metadata
            .bibind_subscription_id
            .as_deref()
            .and_then(|id| Uuid::parse_str(id).ok())
        else {
            return Ok(None);
        };
        // An identity id that is not a UUID is nobody's membership.
        let identity = Uuid::parse_str(identity_id).unwrap_or(Uuid::nil());
        let row = sqlx::query!(
            r#"SELECT o.id, o.name, o.slug, o.state AS "state: OrganizationState",
                      s.offer_kind AS "offer: OfferKind", m.role AS "role?: Role"
                 FROM subscriptions s
                 JOIN organizations o ON o.id = s.organization_id
                 LEFT JOIN memberships m ON m.organization_id = o.id AND m.identity_id = $2
                WHERE s.id = $1"#,
            subscription,
            identity,
        )
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let organization_id = row.id;
        // Metadata naming another organization than the subscription's is
        // not trusted either way.
        if client
            .metadata
            .bibind_organization_id
            .as_deref()
            .is_some_and(|named| Uuid::parse_str(named).ok() != Some(organization_id))
        {
            return Ok(None);
        }
        let role = row.role.filter(|_| row.state != OrganizationState::Closed);
        Ok(Some(TenantStanding {
            organization_name: row.name,
            organization_slug: row.slug,
            offer: Some(row.offer),
            role,
        }))
    }
}

/// How a client is named when its organization is unknown.
fn client_label(client: &OAuthClient) -> String {
    if client.client_name.is_empty() {
        client.client_id.clone()
    } else {
        client.client_name.clone()
    }
}

fn accepted_login(session: &KratosSession, now: OffsetDateTime) -> AcceptedLogin {
    // Hydra remembers the login as long as the Kratos session lasts.
    let remaining = session
        .expires_at
        .map(|end| end - now)
        .filter(|left| left.is_positive())
        .unwrap_or(Duration::hours(1));
    AcceptedLogin {
        subject: session.user.identity_id.clone(),
        identity_provider_session_id: session.id.clone(),
        assurance_level: session.user.assurance_level.clone(),
        methods: session.methods.clone(),
        remember_for: std::time::Duration::from_secs(remaining.whole_seconds().unsigned_abs()),
    }
}

/// How recent the sign-in must be: `max_age` from the authorization request,
/// or [`FRESH_SIGN_IN`] for `prompt=login`.
/// The value of `name` when it is all `query` holds (decoded, not empty):
/// a challenge's address, with nothing else that would ask for a page.
pub fn sole_query_value(query: &str, name: &str) -> Option<String> {
    let mut pairs = url::form_urlencoded::parse(query.as_bytes());
    match (pairs.next(), pairs.next()) {
        (Some((key, value)), None) if key == name && !value.is_empty() => Some(value.into_owned()),
        _ => None,
    }
}

/// The value of the query parameter `name` of `address`, decoded.
fn query_value(address: &str, name: &str) -> Option<String> {
    url::Url::parse(address)
        .ok()?
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn required_freshness(request: &LoginRequest) -> Option<Duration> {
    let query = request.request_url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let mut freshness = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("max_age", value)) => {
                if let Ok(seconds) = value.parse::<i64>() {
                    freshness = Some(Duration::seconds(seconds.max(0)).max(Duration::seconds(1)));
                }
            }
            Some(("prompt", value)) if value.split("%20").chain(value.split('+')).any(|p| p == "login") => {
                freshness = freshness.or(Some(FRESH_SIGN_IN));
            }
            _ => {}
        }
    }
    freshness
}

/// The application asked for no page at all (`prompt=none`).
/// Whether the application asks for a second factor (`acr_values=aal2`).
fn asks_second_factor(request: &LoginRequest) -> bool {
    let query = request.request_url.split_once('?').map(|(_, q)| q).unwrap_or("");
    query.split('&').any(|pair| {
        pair.split_once('=').is_some_and(|(name, value)| {
            name == "acr_values"
                && value
                    .split("%20")
                    .chain(value.split('+'))
                    .any(|acr| acr == "aal2")
        })
    })
}

fn forbids_interaction(request: &LoginRequest) -> bool {
    let query = request.request_url.split_once('?').map(|(_, q)| q).unwrap_or("");
    query.split('&').any(|pair| {
        pair.split_once('=').is_some_and(|(name, value)| {
            name == "prompt" && value.split("%20").chain(value.split('+')).any(|p| p == "none")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sole_query_value_is_the_only_parameter_and_not_empty() {
        assert_eq!(
            sole_query_value("login_challenge=a%26b", "login_challenge").as_deref(),
            Some("a&b")
        );
        assert_eq!(
            sole_query_value("login_challenge=a&flow=f", "login_challenge"),
            None
        );
        assert_eq!(sole_query_value("flow=f", "login_challenge"), None);
        assert_eq!(sole_query_value("login_challenge=", "login_challenge"), None);
    }

    #[test]
    fn prompt_none_forbids_a_page() {
        assert!(forbids_interaction(&request(
            "http://h/oauth2/auth?prompt=none&client_id=a"
        )));
        assert!(!forbids_interaction(&request(
            "http://h/oauth2/auth?prompt=login"
        )));
        assert!(!forbids_interaction(&request(
            "http://h/oauth2/auth?client_id=none"
        )));
    }

    fn request(url: &str) -> LoginRequest {
        LoginRequest {
            challenge: "c".into(),
            skip: false,
            subject: String::new(),
            request_url: url.into(),
            client: crate::identity::OAuthClient {
                client_id: "app".into(),
                client_name: String::new(),
                skip_consent: false,
                skip_logout_consent: false,
                metadata: Default::default(),
            },
        }
    }

    #[test]
    fn prompt_login_and_max_age_ask_for_a_recent_sign_in() {
        assert_eq!(
            required_freshness(&request("http://h/oauth2/auth?client_id=a")),
            None
        );
        assert_eq!(
            required_freshness(&request("http://h/oauth2/auth?prompt=login&client_id=a")),
            Some(FRESH_SIGN_IN)
        );
        assert_eq!(
            required_freshness(&request("http://h/oauth2/auth?prompt=consent+login")),
            Some(FRESH_SIGN_IN)
        );
        assert_eq!(
            required_freshness(&request("http://h/oauth2/auth?max_age=300")),
            Some(Duration::minutes(5))
        );
        assert_eq!(
            required_freshness(&request("http://h/oauth2/auth?max_age=0")),
            Some(Duration::seconds(1))
        );
    }
}
