//! A client of Hydra's admin API for the portal's role as login, consent and
//! logout provider. Challenges are opaque strings: passed through, never parsed.

use std::time::Duration;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::kratos::encode_query_value;
use super::Failure;
use crate::Result;

const FAIL: Failure = Failure("hydra");

#[derive(Clone, Debug)]
pub struct Hydra {
    http: reqwest::Client,
    admin_url: String,
}

/// A consent request, as the consent page needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentRequest {
    pub challenge: String,
    /// A remembered consent already covers the scopes.
    pub skip: bool,
    /// The Kratos identity id.
    pub subject: String,
    pub client: OAuthClient,
    pub requested_scope: Vec<String>,
    pub requested_access_token_audience: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuthClient {
    pub client_id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub client_name: String,
    /// First-party clients (the portal itself, Bibind's provisioned
    /// applications) skip the consent screen.
    #[serde(default, deserialize_with = "null_as_default")]
    pub skip_consent: bool,
    /// Hydra v2.3.0 sends `null` when unset.
    #[serde(default, deserialize_with = "null_as_default")]
    pub skip_logout_consent: bool,
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct RawConsentRequest {
    challenge: String,
    #[serde(default, deserialize_with = "null_as_default")]
    skip: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    subject: String,
    client: OAuthClient,
    #[serde(default)]
    requested_scope: Option<Vec<String>>,
    #[serde(default)]
    requested_access_token_audience: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RedirectTo {
    redirect_to: String,
}

/// Claims added to the ID token (and `/userinfo`) when consent is given.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IdTokenClaims {
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub locale: Option<String>,
}

/// What came of a consent or logout challenge.
#[derive(Debug, Clone, PartialEq)]
pub enum ChallengeOutcome<T> {
    Pending(T),
    /// Unknown, expired or already answered: nothing to do but start again.
    Gone,
}

impl Hydra {
    pub fn new(admin_url: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| FAIL.because(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            admin_url: admin_url.trim_end_matches('/').to_owned(),
        })
    }

    fn url(&self, path: &str, challenge_name: &str, challenge: &str) -> String {
        format!(
            "{}/admin/oauth2/auth/requests/{path}?{challenge_name}={}",
            self.admin_url,
            encode_query_value(challenge)
        )
    }

    pub async fn consent_request(&self, challenge: &str) -> Result<ChallengeOutcome<ConsentRequest>> {
        let response = self
            .http
            .get(self.url("consent", "consent_challenge", challenge))
            .send()
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        match response.status() {
            StatusCode::OK => {
                let body = response.text().await.map_err(|e| FAIL.malformed(e))?;
                let raw: RawConsentRequest = serde_json::from_str(&body)
                    .map_err(|e| FAIL.because(format!("unexpected consent request: {e}")))?;
                Ok(ChallengeOutcome::Pending(ConsentRequest {
                    challenge: raw.challenge,
                    skip: raw.skip,
                    subject: raw.subject,
                    client: raw.client,
                    requested_scope: raw.requested_scope.unwrap_or_default(),
                    requested_access_token_audience: raw.requested_access_token_audience.unwrap_or_default(),
                }))
            }
            StatusCode::NOT_FOUND | StatusCode::GONE | StatusCode::BAD_REQUEST => Ok(ChallengeOutcome::Gone),
            status => Err(FAIL.because(format!("consent request answered {status}"))),
        }
    }

    /// Grants the requested scopes; returns where to send the browser.
    pub async fn accept_consent(
        &self,
        request: &ConsentRequest,
        remember: bool,
        claims: &IdTokenClaims,
    ) -> Result<String> {
        let body = json!({
            "grant_scope": request.requested_scope,
            "grant_access_token_audience": request.requested_access_token_audience,
            "remember": remember,
            "remember_for": 0,
            "session": { "id_token": claims },
        });
        self.put_for_redirect(
            self.url("consent/accept", "consent_challenge", &request.challenge),
            body,
        )
        .await
    }

    pub async fn reject_consent(&self, challenge: &str) -> Result<String> {
        let body = json!({
            "error": "access_denied",
            "error_description": "The user refused to share their account with this application.",
        });
        self.put_for_redirect(self.url("consent/reject", "consent_challenge", challenge), body)
            .await
    }

    /// Accepts a logout request (Hydra then ends the Kratos session too, when
    /// its identity provider URL is configured).
    pub async fn accept_logout(&self, challenge: &str) -> Result<ChallengeOutcome<String>> {
        let response = self
            .http
            .put(self.url("logout/accept", "logout_challenge", challenge))
            .send()
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        match response.status() {
            StatusCode::OK => Ok(ChallengeOutcome::Pending(
                response
                    .json::<RedirectTo>()
                    .await
                    .map_err(|e| FAIL.malformed(e))?
                    .redirect_to,
            )),
            StatusCode::NOT_FOUND | StatusCode::GONE | StatusCode::BAD_REQUEST => Ok(ChallengeOutcome::Gone),
            status => Err(FAIL.because(format!("accepting a logout answered {status}"))),
        }
    }

    async fn put_for_redirect(&self, url: String, body: serde_json::Value) -> Result<String> {
        let response = self
            .http
            .put(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| FAIL.unreachable(e))?;
        if !response.status().is_success() {
            return Err(FAIL.because(format!("answered {}", response.status())));
        }
        Ok(response
            .json::<RedirectTo>()
            .await
            .map_err(|e| FAIL.malformed(e))?
            .redirect_to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hydra_consent_requests_with_null_fields() {
        let raw: RawConsentRequest = serde_json::from_str(
            r#"{"challenge":"c","skip":false,"subject":"s","requested_scope":["openid","email"],
                "requested_access_token_audience":null,
                "client":{"client_id":"id","client_name":null,"skip_consent":true,"skip_logout_consent":null}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(raw.client.skip_consent);
        assert!(!raw.client.skip_logout_consent);
        assert_eq!(raw.client.client_name, "");
        assert_eq!(
            raw.requested_scope,
            Some(vec!["openid".to_owned(), "email".to_owned()])
        );
        assert_eq!(raw.requested_access_token_audience, None);
    }
}
