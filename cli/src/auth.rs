//! Getting and renewing tokens from Bibind's identity provider (Hydra):
//! a person signs in through the browser (authorization code with PKCE on a
//! loopback redirect, RFC 8252/7636) and gets a refresh token; a script
//! uses an API client's id and secret (client credentials).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use crate::{config::Tokens, texts::Lang, Failure};

/// The public client people's command lines are (registered by the portal).
pub const CLIENT_ID: &str = "bibind-cli";

/// Every scope of an organization's resources; Bibind grants what the
/// person may have.
pub const ALL_SCOPES: &str = "organizations:write members:write subscriptions:write devices:write audit:read";

/// The platform admins' scope (`login --admin`), asked with a second factor.
pub const ADMIN_SCOPE: &str = "admin";

/// How long `bibind login` waits for the browser.
const SIGN_IN_WAIT: Duration = Duration::from_secs(300);

/// A token is renewed this close to its end.
const RENEW_BEFORE_SECONDS: i64 = 30;

/// Where tokens come from, as the API's document says.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub authorization_url: String,
    pub token_url: String,
}

/// Reads the OAuth2 endpoints from the portal's OpenAPI document.
pub async fn discover(http: &reqwest::Client, portal: &str) -> Result<Endpoints, Failure> {
    let url = format!("{}/api/v1/openapi.json", portal.trim_end_matches('/'));
    let response = http
        .get(&url)
        .send()
        .await
        .map_err(|e| Failure::Http(format!("{url}: {e}")))?;
    if !response.status().is_success() {
        return Err(Failure::Http(format!("{url}: {}", response.status())));
    }
    let document: serde_json::Value = response
        .json()
        .await
        .map_err(|e| Failure::Http(format!("{url}: {e}")))?;
    let flows = &document["components"]["securitySchemes"]["oauth2"]["flows"];
    let text = |value: &serde_json::Value| value.as_str().map(str::to_owned);
    match (
        text(&flows["authorizationCode"]["authorizationUrl"]),
        text(&flows["authorizationCode"]["tokenUrl"])
            .or_else(|| text(&flows["clientCredentials"]["tokenUrl"])),
    ) {
        (Some(authorization_url), Some(token_url)) => Ok(Endpoints {
            authorization_url,
            token_url,
        }),
        _ => Err(Failure::Http(format!(
            "{url}: no OAuth2 endpoints in the document"
        ))),
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}

fn random_text(bytes: usize) -> Result<String, Failure> {
    let mut buffer = vec![0u8; bytes];
    getrandom::getrandom(&mut buffer).map_err(|e| Failure::Io(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

/// A new random `Idempotency-Key`.
pub fn idempotency_key() -> Result<String, Failure> {
    random_text(18)
}

/// The PKCE pair: the verifier kept here, its S256 challenge sent.
fn pkce() -> Result<(String, String), Failure> {
    let verifier = random_text(32)?;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Ok((verifier, challenge))
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
    scope: Option<String>,
}

#[derive(Deserialize)]
struct TokenError {
    error: String,
    error_description: Option<String>,
}

async fn token_request(
    http: &reqwest::Client,
    token_url: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Result<TokenAnswer, Failure> {
    let mut request = http.post(token_url).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request
        .send()
        .await
        .map_err(|e| Failure::Http(format!("{token_url}: {e}")))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| Failure::Http(format!("{token_url}: {e}")))?;
    if !status.is_success() {
        let reason = serde_json::from_str::<TokenError>(&body)
            .map(|error| match error.error_description {
                Some(description) => format!("{}: {description}", error.error),
                None => error.error,
            })
            .unwrap_or_else(|_| status.to_string());
        return Err(Failure::SignIn(reason));
    }
    serde_json::from_str(&body).map_err(|e| Failure::Http(format!("{token_url}: {e}")))
}

fn tokens_from(
    answer: TokenAnswer,
    token_url: &str,
    client_id: &str,
    secret: Option<String>,
    asked: &str,
) -> Tokens {
    Tokens {
        access_token: answer.access_token,
        refresh_token: answer.refresh_token,
        expires_at: now() + answer.expires_in.unwrap_or(300),
        token_url: token_url.to_owned(),
        client_id: client_id.to_owned(),
        client_secret: secret,
        scope: answer.scope.unwrap_or_else(|| asked.to_owned()),
    }
}

/// An API client's token (client credentials).
pub async fn client_credentials(
    http: &reqwest::Client,
    token_url: &str,
    client_id: &str,
    secret: &str,
    scope: &str,
) -> Result<Tokens, Failure> {
    let mut form = vec![("grant_type", "client_credentials")];
    if !scope.is_empty() {
        form.push(("scope", scope));
    }
    let answer = token_request(http, token_url, &form, Some((client_id, secret))).await?;
    Ok(tokens_from(
        answer,
        token_url,
        client_id,
        Some(secret.to_owned()),
        scope,
    ))
}

/// How the person is told where to sign in.
pub struct Prompt {
    pub lang: Lang,
    /// Try the desktop's browser too.
    pub open_browser: bool,
    /// Ask the person to sign in with their second factor (`acr_values=aal2`).
    pub second_factor: bool,
}

/// Signs a person in through their browser: prints the address (and opens
/// it when asked), waits on 127.0.0.1 for Hydra's redirect, checks its
/// `state` and exchanges the code with the PKCE verifier.
pub async fn sign_in(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    scope: &str,
    prompt: &Prompt,
) -> Result<Tokens, Failure> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| Failure::Io(format!("127.0.0.1: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| Failure::Io(e.to_string()))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let (verifier, challenge) = pkce()?;
    let state = random_text(16)?;
    let mut url = reqwest::Url::parse(&endpoints.authorization_url)
        .map_err(|e| Failure::Http(format!("{}: {e}", endpoints.authorization_url)))?;
    url.query_pairs_mut()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if prompt.second_factor {
        url.query_pairs_mut().append_pair("acr_values", "aal2");
    }
    let lang = prompt.lang;
    eprintln!(
        "{}\n{url}",
        lang.pick("Sign in at this address:", "Connectez-vous à cette adresse :")
    );
    if prompt.open_browser {
        open_in_browser(url.as_str());
    }
    let code = tokio::time::timeout(SIGN_IN_WAIT, redirected_code(&listener, &state, lang))
        .await
        .map_err(|_| {
            Failure::SignIn(
                lang.pick("no sign-in within 5 minutes", "aucune connexion en 5 minutes")
                    .to_owned(),
            )
        })??;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("client_id", CLIENT_ID),
        ("code_verifier", verifier.as_str()),
    ];
    let answer = token_request(http, &endpoints.token_url, &form, None).await?;
    Ok(tokens_from(answer, &endpoints.token_url, CLIENT_ID, None, scope))
}

/// Best effort: the desktop's opener, quietly.
fn open_in_browser(url: &str) {
    for opener in ["xdg-open", "open"] {
        let spawned = std::process::Command::new(opener)
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if spawned.is_ok() {
            return;
        }
    }
}

/// Waits for the browser's `GET /callback?code=…&state=…`, answers it with
/// a short page, and returns the code (or why there is none).
async fn redirected_code(listener: &TcpListener, state: &str, lang: Lang) -> Result<String, Failure> {
    loop {
        let (mut socket, _) = listener.accept().await.map_err(|e| Failure::Io(e.to_string()))?;
        let mut buffer = vec![0u8; 16 * 1024];
        let read = socket
            .read(&mut buffer)
            .await
            .map_err(|e| Failure::Io(e.to_string()))?;
        let request = String::from_utf8_lossy(&buffer[..read]);
        let target = request
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("GET "))
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or("");
        let Some(query) = target.strip_prefix("/callback?") else {
            // A favicon, a probe: not the redirect.
            let _ = socket
                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
            continue;
        };
        let pairs: Vec<(String, String)> = reqwest::Url::parse(&format!("http://127.0.0.1/?{query}"))
            .map(|url| {
                url.query_pairs()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let value = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let outcome = if value("state").as_deref() != Some(state) {
            Err(Failure::SignIn(
                lang.pick(
                    "the answer's state does not match",
                    "l'état de la réponse ne correspond pas",
                )
                .to_owned(),
            ))
        } else if let Some(code) = value("code") {
            Ok(code)
        } else {
            let error = value("error").unwrap_or_default();
            let description = value("error_description").unwrap_or_default();
            Err(Failure::SignIn(
                format!("{error} {description}").trim().to_owned(),
            ))
        };
        let (title, text) = match &outcome {
            Ok(_) => (
                lang.pick("Signed in", "Connecté"),
                lang.pick(
                    "You are signed in to the Bibind command line. You may close this tab.",
                    "Vous êtes connecté à la ligne de commande Bibind. Vous pouvez fermer cet onglet.",
                ),
            ),
            Err(_) => (
                lang.pick("Not signed in", "Non connecté"),
                lang.pick(
                    "The sign-in did not succeed; the command line says why.",
                    "La connexion n'a pas abouti ; la ligne de commande dit pourquoi.",
                ),
            ),
        };
        let page = format!(
            "<!doctype html><html lang=\"{}\"><meta charset=\"utf-8\"><title>{title}</title><h1>{title}</h1><p>{text}</p></html>",
            lang.accept_language()
        );
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = socket.write_all(answer.as_bytes()).await;
        let _ = socket.shutdown().await;
        return outcome;
    }
}

/// `tokens`, renewed first when they are (nearly) out: with the refresh
/// token (a person's) or the client's secret (an API client's). `None`
/// when they can't be, and the person must sign in again.
pub async fn fresh(http: &reqwest::Client, tokens: &Tokens) -> Result<Option<Tokens>, Failure> {
    if tokens.expires_at - RENEW_BEFORE_SECONDS > now() {
        return Ok(Some(tokens.clone()));
    }
    if let Some(refresh) = &tokens.refresh_token {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", tokens.client_id.as_str()),
        ];
        return match token_request(http, &tokens.token_url, &form, None).await {
            Ok(answer) => {
                let mut renewed =
                    tokens_from(answer, &tokens.token_url, &tokens.client_id, None, &tokens.scope);
                // Hydra rotates refresh tokens; keep the old one only if none came.
                renewed.refresh_token = renewed.refresh_token.or_else(|| tokens.refresh_token.clone());
                Ok(Some(renewed))
            }
            Err(Failure::SignIn(_)) => Ok(None),
            Err(other) => Err(other),
        };
    }
    if let Some(secret) = &tokens.client_secret {
        return client_credentials(http, &tokens.token_url, &tokens.client_id, secret, &tokens.scope)
            .await
            .map(Some);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_challenge_is_the_verifiers_s256() {
        let (verifier, challenge) = pkce().unwrap();
        assert!(verifier.len() >= 43, "RFC 7636: 43 to 128 characters");
        assert_eq!(
            challenge,
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        );
        assert_ne!(pkce().unwrap().0, verifier);
    }
}
