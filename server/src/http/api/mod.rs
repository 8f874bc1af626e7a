//! ApiBibind: the versioned REST API under `/api/v1`, for scripts and CI
//! pipelines, with the portal's powers. Each handler reads its request,
//! calls the control-plane operation the portal's form calls (which decides
//! who may do what) and writes its answer; no rule lives here.
//!
//! The OpenAPI 3.1 document is generated from the handlers (`utoipa`) and
//! served at `/api/v1/openapi.json`; `/api/v1/reference` renders it as a
//! page (no script, nothing from elsewhere). Errors are problem details
//! (RFC 9457, [`problem`]); lists are paged by cursor ([`pages`]); a token
//! is a Hydra access token ([`auth`]).

mod admin;
mod admin_plans;
mod api_clients;
mod audit;
mod auth;
mod backups;
mod body;
mod devices;
mod gate;
mod members;
mod organizations;
mod pages;
mod problem;
mod progress;
mod reference;
mod reference_fr;
mod services;
mod subscriptions;
mod texts;
mod training;
mod versions;

use std::sync::Arc;
use texts::ApiMsg;

use axum::{
    extract::State,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use http::{header, HeaderValue};
use utoipa::{
    openapi::{
        security::{AuthorizationCode, ClientCredentials, Flow, OAuth2, Scopes as DocScopes, SecurityScheme},
        OpenApi as Document, Server,
    },
    OpenApi,
};
use utoipa_axum::router::OpenApiRouter;

use control::domain::Locale;

use super::AppState;
pub(crate) use problem::Problem;

/// Where the API lives.
pub(crate) const BASE: &str = "/api/v1";

/// A handler's answer: its response, or a problem detail.
type Answer<T> = Result<T, Problem>;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ApiBibind",
        version = "1",
        description = "Bibind's REST API: organizations, members, subscriptions, devices and more, \
                       with the portal's powers. Authenticate with an OAuth2 access token from Bibind's \
                       identity provider (an organization's API client, client credentials), sent as \
                       `Authorization: Bearer …`. Errors are `application/problem+json` (RFC 9457); lists \
                       are paged with `Link: <…>; rel=\"next\"`. A POST sent with `Idempotency-Key` is done \
                       once: the same key and request get the same answer for 24 hours, another request \
                       with the key 422. Every answer carries `RateLimit-Policy` and `RateLimit`; past the \
                       quota, 429 with `Retry-After`.",
        license(name = "Proprietary")
    ),
    tags(
        (name = "organizations", description = "The organizations the caller belongs to"),
        (name = "members", description = "An organization's members and invitations"),
        (name = "subscriptions", description = "An organization's subscriptions: subscribe, change plan, cancel"),
        (name = "devices", description = "An IoT subscription's devices: registered, their credentials, telemetry and commands"),
        (name = "backups", description = "A subscription's backups (owners and admins): listed, taken, restored, downloaded, scheduled"),
        (name = "training", description = "An organization's training space: courses, learners, learners' files"),
        (name = "api-clients", description = "An organization's API clients (owners and admins)"),
        (name = "audit", description = "An organization's audit log (owners and admins)"),
        (name = "admin", description = "Platform administration: a platform admin's token with the admin scope, signed in with a second factor"),
    ),
    components(schemas(problem::ProblemDetail, problem::FieldProblemDetail))
)]
struct ApiDoc;

/// The API's routes (relative to [`BASE`]) and its document.
fn routes(token_url: &str, authorization_url: &str) -> (Router<AppState>, Document) {
    let (router, mut document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(organizations::routes())
        .merge(members::routes())
        .merge(subscriptions::routes())
        .merge(progress::routes())
        .merge(devices::routes())
        .merge(services::routes())
        .merge(backups::routes())
        .merge(training::routes())
        .merge(api_clients::routes())
        .merge(audit::routes())
        .merge(admin::routes())
        .merge(admin_plans::routes())
        .split_for_parts();
    document.servers = Some(vec![Server::new(BASE)]);
    answered_anywhere(&mut document);
    let scopes = DocScopes::from_iter(
        control::domain::Scope::all()
            .into_iter()
            .map(|scope| (scope.to_string(), scope_description(scope))),
    );
    let flows = [
        Flow::ClientCredentials(ClientCredentials::new(token_url, scopes.clone())),
        Flow::AuthorizationCode(AuthorizationCode::new(authorization_url, token_url, scopes)),
    ];
    if let Some(components) = document.components.as_mut() {
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                flows,
                "An organization's API client (client credentials), made by its owners and admins in the portal; \
                 or a person, through the `bibind` command line (authorization code with PKCE, public client \
                 `bibind-cli`), with their own roles. The `admin` scope, on a platform admin's token only, opens \
                 `/admin`.",
            )),
        );
    }
    (router, document)
}

/// What any operation may answer, whatever it does: 429 past the client's
/// rate, 503 while the identity provider cannot check the token.
fn answered_anywhere(document: &mut Document) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ProblemDetail")))
                        .build(),
                )
                .build(),
        )
    };
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            if operation.security.is_none() {
                continue;
            }
            let responses = &mut operation.responses.responses;
            responses
                .entry("429".to_owned())
                .or_insert_with(|| problem("Past the client's rate: `Retry-After` says when to try again"));
            responses.entry("503".to_owned()).or_insert_with(|| {
                problem("The token cannot be checked now: `Retry-After` says when to try again")
            });
        }
    }
}

fn scope_description(scope: control::domain::Scope) -> String {
    use control::domain::{Access, Scope};
    match scope {
        Scope::Resource(family, Access::Read) => format!("Read {}", family.as_str()),
        Scope::Resource(family, Access::Write) => format!("Read and change {}", family.as_str()),
        Scope::Admin => "Platform administration (a platform admin's token)".to_owned(),
    }
}

/// The API, its document and its reference page, to nest under [`BASE`].
pub(super) fn router(state: &AppState) -> Router<AppState> {
    let (routes, document) = routes(
        state.control.api_token_url(),
        state.control.api_authorization_url(),
    );
    let gate = gate::Gate {
        state: state.clone(),
        rates: Arc::new(gate::RateCounter::new(state.api_rate_quota)),
    };
    let json = Arc::new(document.to_pretty_json().unwrap_or_else(|error| {
        tracing::error!(%error, "cannot write the OpenAPI document");
        "{}".to_owned()
    }));
    let pages = Arc::new([Locale::En, Locale::Fr].map(|locale| (locale, reference::page(&document, locale))));
    routes
        .route(
            "/openapi.json",
            get(move || {
                let json = json.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                        json.as_str().to_owned(),
                    )
                        .into_response()
                }
            }),
        )
        .route("/reference.css", get(|| async { reference::style() }))
        .route(
            "/reference",
            get(move |headers: http::HeaderMap| {
                let pages = pages.clone();
                async move {
                    let locale = app::i18n::locale_from_headers(&headers);
                    let page = pages
                        .iter()
                        .find(|(written_in, _)| *written_in == locale)
                        .map_or("", |(_, page)| page.as_str());
                    reference::answer(page)
                }
            }),
        )
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(gate, gate::gate))
}

/// Any other path under the API: a problem, not the portal's 404 page.
async fn not_found(State(_): State<AppState>, request: axum::extract::Request) -> Response {
    let locale = auth::locale_of(&request.into_parts().0);
    Problem::new(problem::ProblemKind::NotFound, ApiMsg::NoSuchPath.text(locale)).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_is_said_in_french_on_the_reference_page() {
        let (_, document) = super::routes("https://hydra/oauth2/token", "https://hydra/oauth2/auth");
        let mut missing = Vec::new();
        for item in document.paths.paths.values() {
            let operations = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
            for operation in operations.into_iter().flatten() {
                let id = operation.operation_id.clone().unwrap_or_default();
                if super::reference_fr::summary(&id).is_none() {
                    missing.push(id);
                }
            }
        }
        assert!(
            missing.is_empty(),
            "no French sentence for {missing:?} (reference_fr.rs)"
        );
    }
}
