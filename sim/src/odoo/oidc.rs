//! Signing in through OpenID Connect as Odoo 17 with OCA `auth_oidc` does
//! it (auth_oidc's `list_providers`, `res.users.auth_oauth`,
//! `_parse_id_token`; core auth_oauth's `/auth_oauth/signin`):
//!
//! - the sign-in page links each enabled provider's authorization URL,
//!   with a JSON `state` (`d` database, `p` provider, `r` where to land)
//!   and, for the code flow, PKCE (S256) from the provider's one
//!   `code_verifier`;
//! - `/auth_oauth/signin` exchanges the code at the token endpoint (HTTP
//!   Basic with the client secret, the verifier, the redirect URI), checks
//!   the ID token's RS256 signature against the JWKS, its audience, expiry
//!   and `at_hash` (not its issuer nor nonce, as auth_oidc), maps its
//!   claims (`token_map`, `sub` as `user_id`), and signs in the active
//!   user whose `oauth_uid` and provider match, with the access token as
//!   their password; their other sessions end.
//!
//! Failures land on `/web/login?oauth_error=N`, as Odoo sends them: 3 when
//! the user is refused (unknown, archived, no token), 2 for anything else
//! (the token endpoint's error, a bad signature, an expired token).

use std::collections::HashMap;

use axum::{
    extract::{Query, State},
    http::HeaderMap,
    response::{Html, IntoResponse, Response},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use http::StatusCode;
use jsonwebtoken::{jwk::Jwk, Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{
    database::{at, truthy, Database},
    session::{self, Current},
    web, werkzeug_error, werkzeug_redirect, Simulator,
};

/// A provider's link on the sign-in page.
pub struct AuthLink {
    pub label: String,
    pub css_class: String,
    pub url: String,
}

/// The enabled providers' links (`OAuthLogin.list_providers`, with
/// auth_oidc's changes for its flows), in the providers' order.
pub fn auth_links(
    database: &Database,
    db: &str,
    url_root: &str,
    params: &HashMap<String, String>,
) -> Vec<AuthLink> {
    if !database.is_installed("auth_oauth") {
        return Vec::new();
    }
    let mut providers: Vec<(i64, &serde_json::Map<String, Value>)> = database
        .table("auth.oauth.provider")
        .filter(|(_, provider)| truthy(at(provider, "enabled")))
        .map(|(id, provider)| (*id, provider))
        .collect();
    providers.sort_by_key(|(id, provider)| {
        (
            at(provider, "sequence").as_i64().unwrap_or(10),
            text(provider, "name"),
            *id,
        )
    });
    providers
        .into_iter()
        .map(|(id, provider)| AuthLink {
            label: text(provider, "body"),
            css_class: text(provider, "css_class"),
            url: auth_link(id, provider, db, url_root, params),
        })
        .collect()
}

fn text(record: &serde_json::Map<String, Value>, field: &str) -> String {
    at(record, field).as_str().unwrap_or_default().to_owned()
}

fn auth_link(
    id: i64,
    provider: &serde_json::Map<String, Value>,
    db: &str,
    url_root: &str,
    params: &HashMap<String, String>,
) -> String {
    // `get_state`: where to land, absolute, quoted with `+` for spaces.
    let redirect = params
        .get("redirect")
        .filter(|redirect| !redirect.is_empty())
        .map_or("web", String::as_str);
    let redirect = if redirect.starts_with("//")
        || redirect.starts_with("http://")
        || redirect.starts_with("https://")
    {
        redirect.to_owned()
    } else {
        format!("{url_root}{}", redirect.strip_prefix('/').unwrap_or(redirect))
    };
    let quoted: String = url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect();
    // `json.dumps` spacing.
    let mut state = format!("{{\"d\": {}, \"p\": {id}, \"r\": {}", json!(db), json!(quoted));
    if let Some(token) = params.get("token").filter(|token| !token.is_empty()) {
        state.push_str(&format!(", \"t\": {}", json!(token)));
    }
    state.push('}');
    let flow = text(provider, "flow");
    let response_type = match flow.as_str() {
        "id_token_code" => "code",
        "id_token" => "id_token token",
        _ => "token",
    };
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", response_type)
        .append_pair("client_id", &text(provider, "client_id"))
        .append_pair("redirect_uri", &format!("{url_root}auth_oauth/signin"))
        .append_pair("scope", &text(provider, "scope"))
        .append_pair("state", &state);
    if matches!(flow.as_str(), "id_token_code" | "id_token") {
        query.append_pair("nonce", &uuid::Uuid::new_v4().simple().to_string());
        query
            .append_pair(
                "code_challenge",
                &code_challenge(&text(provider, "code_verifier")),
            )
            .append_pair("code_challenge_method", "S256");
    }
    format!("{}?{}", text(provider, "auth_endpoint"), query.finish())
}

/// PKCE S256: base64url(sha256(verifier)) without padding.
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// What the sign-in needs of the provider record, read before the calls to
/// the provider (the server's lock is not held across them).
struct Provider {
    flow: String,
    client_id: String,
    client_secret: String,
    code_verifier: String,
    token_endpoint: String,
    jwks_uri: String,
    token_map: String,
}

/// Why a sign-in failed, as the `oauth_error` Odoo answers it with.
enum Refused {
    /// `AccessDenied`: 3.
    AccessDenied(String),
    /// Any other exception: 2.
    Exception(String),
}

/// `GET /auth_oauth/signin`.
pub async fn signin(
    State(simulator): State<Simulator>,
    headers: HeaderMap,
    Query(mut params): Query<HashMap<String, String>>,
) -> Response {
    params.remove("debug");
    if params.is_empty() {
        // `fragment_to_query_string`: the implicit flow's answer is in the
        // fragment, which only the browser sees.
        return Html(FRAGMENT_TO_QUERY_STRING).into_response();
    }
    let Some(state) = params
        .get("state")
        .and_then(|state| serde_json::from_str::<Value>(state).ok())
    else {
        return werkzeug_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.",
        );
    };
    let db = state["d"].as_str().unwrap_or_default().to_owned();
    let provider_id = state["p"].as_i64().unwrap_or_default();
    let (provider, url_root) = {
        let server = simulator.lock();
        let host = session::host(server.proxy_mode, &headers);
        if !server.reaches(&host, &db) {
            return werkzeug_error(
                StatusCode::BAD_REQUEST,
                "The browser (or proxy) sent a request that this server could not understand.",
            );
        }
        let provider = server
            .databases
            .get(&db)
            .and_then(|database| database.get("auth.oauth.provider", provider_id))
            .map(|record| Provider {
                flow: text(record, "flow"),
                client_id: text(record, "client_id"),
                client_secret: text(record, "client_secret"),
                code_verifier: text(record, "code_verifier"),
                token_endpoint: text(record, "token_endpoint"),
                jwks_uri: text(record, "jwks_uri"),
                token_map: text(record, "token_map"),
            });
        (provider, session::url_root(server.proxy_mode, &headers))
    };
    let verified = match provider {
        Some(provider) => verify(&simulator, &provider, &params, &url_root).await,
        None => Err(Refused::Exception(format!(
            "Record does not exist or has been deleted. (Record: auth.oauth.provider({provider_id},))"
        ))),
    };
    let mut server = simulator.lock();
    let mut current = Current::find(&mut server, &headers);
    let outcome = verified.and_then(|(user_id, access_token)| {
        let database = server
            .databases
            .get_mut(&db)
            .ok_or_else(|| Refused::Exception(format!("database {db} does not exist")))?;
        // `_auth_oauth_signin`: archived users are not found, and signing
        // up uninvited is refused (`b2b`): both are access denied.
        let uid = database
            .table("res.users")
            .find(|(_, user)| {
                at(user, "oauth_uid").as_str() == Some(user_id.as_str())
                    && at(user, "oauth_provider_id").as_i64() == Some(provider_id)
                    && at(user, "active") == true
            })
            .map(|(id, _)| *id)
            .ok_or_else(|| Refused::AccessDenied(format!("no active user with oauth_uid {user_id}")))?;
        if let Some(user) = database.get_mut("res.users", uid) {
            user.insert("oauth_access_token".to_owned(), Value::from(access_token));
        }
        Ok(uid)
    });
    let uid = match outcome {
        Ok(uid) => uid,
        Err(refused) => {
            let (code, reason) = match refused {
                Refused::AccessDenied(reason) => (3, reason),
                Refused::Exception(reason) => (2, reason),
            };
            tracing::info!(%reason, code, "OAuth2: sign-in refused");
            return current.answer(werkzeug_redirect(&format!("/web/login?oauth_error={code}")));
        }
    };
    current.sign_in(&mut server, &db, uid, &url_root);
    let target = state["r"]
        .as_str()
        .filter(|redirect| !redirect.is_empty())
        .map(|redirect| {
            url::form_urlencoded::parse(format!("r={redirect}").as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default()
        })
        .map_or_else(|| "/web".to_owned(), |redirect| web::local(&redirect));
    // `/web` is for internal users: anyone else lands on the home page.
    let internal = server
        .databases
        .get(&db)
        .is_some_and(|database| web::is_internal(database, uid));
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let target = if path == "/web" && !internal {
        "/".to_owned()
    } else {
        target
    };
    current.answer(werkzeug_redirect(&target))
}

/// The user id the provider vouches for, and the access token.
async fn verify(
    simulator: &Simulator,
    provider: &Provider,
    params: &HashMap<String, String>,
    url_root: &str,
) -> Result<(String, String), Refused> {
    let (access_token, id_token) = match provider.flow.as_str() {
        "id_token" => (
            params.get("access_token").cloned(),
            params.get("id_token").cloned(),
        ),
        "id_token_code" => exchange(simulator, provider, params, url_root).await?,
        other => {
            return Err(Refused::Exception(format!(
                "the simulator signs in through OpenID Connect only (flow {other:?})"
            )))
        }
    };
    let access_token =
        access_token.ok_or_else(|| Refused::AccessDenied("No access_token in response.".into()))?;
    let id_token = id_token.ok_or_else(|| Refused::AccessDenied("No id_token in response.".into()))?;
    let mut claims = decode_id_token(simulator, provider, &id_token, &access_token).await?;
    map_token_values(&mut claims, &provider.token_map);
    if claims.get("user_id").is_none() {
        if let Some(subject) = claims.get("sub").cloned() {
            claims.insert("user_id".to_owned(), subject);
        }
    }
    let user_id = match claims.get("user_id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(Value::Number(id)) => id.to_string(),
        _ => {
            return Err(Refused::AccessDenied(
                "user_id claim not found in id_token (after mapping).".into(),
            ))
        }
    };
    Ok((user_id, access_token))
}

/// The code flow's token request.
async fn exchange(
    simulator: &Simulator,
    provider: &Provider,
    params: &HashMap<String, String>,
    url_root: &str,
) -> Result<(Option<String>, Option<String>), Refused> {
    let redirect_uri = format!("{url_root}auth_oauth/signin");
    let form = [
        ("client_id", provider.client_id.as_str()),
        ("grant_type", "authorization_code"),
        ("code", params.get("code").map_or("", String::as_str)),
        ("code_verifier", provider.code_verifier.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
    ];
    let mut request = simulator.http.post(&provider.token_endpoint).form(&form);
    if !provider.client_secret.is_empty() {
        request = request.basic_auth(&provider.client_id, Some(&provider.client_secret));
    }
    let failed = |error: reqwest::Error| Refused::Exception(format!("token endpoint: {error}"));
    let response = request.send().await.map_err(failed)?;
    let response = response.error_for_status().map_err(failed)?;
    let tokens: Value = response.json().await.map_err(failed)?;
    let field = |name: &str| tokens[name].as_str().map(str::to_owned);
    Ok((field("access_token"), field("id_token")))
}

/// `_parse_id_token`: the keys of the token's `kid` (or all) from the JWKS,
/// the first that verifies wins.
async fn decode_id_token(
    simulator: &Simulator,
    provider: &Provider,
    id_token: &str,
    access_token: &str,
) -> Result<serde_json::Map<String, Value>, Refused> {
    let header = jsonwebtoken::decode_header(id_token)
        .map_err(|error| Refused::Exception(format!("JWTError: {error}")))?;
    let keys = simulator
        .jwks(&provider.jwks_uri)
        .await
        .map_err(Refused::Exception)?;
    let keys: Vec<&Value> = keys
        .iter()
        .filter(|key| header.kid.is_none() || key["kid"].as_str() == header.kid.as_deref())
        .collect();
    if keys.len() > 1 && header.kid.is_none() {
        return Err(Refused::Exception(
            "OpenID Connect requires kid to be set if there is more than one key in the JWKS".into(),
        ));
    }
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[&provider.client_id]);
    validation.required_spec_claims.clear();
    let mut last_error = "no key in the JWKS".to_owned();
    for key in keys {
        let decoded = serde_json::from_value::<Jwk>(key.clone())
            .map_err(|error| error.to_string())
            .and_then(|jwk| DecodingKey::from_jwk(&jwk).map_err(|error| error.to_string()))
            .and_then(|key| {
                jsonwebtoken::decode::<serde_json::Map<String, Value>>(id_token, &key, &validation)
                    .map_err(|error| error.to_string())
            });
        match decoded {
            Ok(token) => {
                check_at_hash(&token.claims, access_token)?;
                return Ok(token.claims);
            }
            Err(error) => last_error = error,
        }
    }
    Err(Refused::Exception(format!("JWTError: {last_error}")))
}

/// python-jose's `at_hash` check: the left half of the access token's
/// SHA-256, base64url.
fn check_at_hash(claims: &serde_json::Map<String, Value>, access_token: &str) -> Result<(), Refused> {
    let Some(expected) = claims.get("at_hash").and_then(Value::as_str) else {
        return Ok(());
    };
    let digest = Sha256::digest(access_token.as_bytes());
    if URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]) == expected {
        Ok(())
    } else {
        Err(Refused::Exception(
            "JWTClaimsError: Invalid access_token hash".into(),
        ))
    }
}

/// `_map_token_values`: `from:to` pairs, a key already present kept.
fn map_token_values(claims: &mut serde_json::Map<String, Value>, token_map: &str) {
    for pair in token_map.split_whitespace() {
        if let Some((from, to)) = pair.split_once(':') {
            if !claims.contains_key(to) {
                let value = claims.get(from).cloned().unwrap_or_else(|| Value::from(""));
                claims.insert(to.to_owned(), value);
            }
        }
    }
}

const FRAGMENT_TO_QUERY_STRING: &str = "<html><head><script>
                var l = window.location;
                var q = l.hash.substring(1);
                var r = l.pathname + l.search;
                if(q.length !== 0) {
                    var s = l.search ? (l.search === '?' ? '' : '&') : '?';
                    r = l.pathname + l.search + s + q;
                }
                if (r == l.pathname) {
                    r = '/';
                }
                window.location = r;
            </script></head><body></body></html>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_token_map_adds_what_is_missing_only() {
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), json!("s"));
        claims.insert("upn".into(), json!("u"));
        claims.insert("email".into(), json!("e"));
        map_token_values(&mut claims, "upn:user_id upn:email");
        assert_eq!(claims["user_id"], "u");
        assert_eq!(claims["email"], "e");
    }
}
