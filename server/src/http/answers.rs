//! How the portal's form posts answer: a redirect where the work is done, the
//! form's page again with the refusal in its query (shown beside the field,
//! in the visitor's language), or a full 403/404 page rendered by the app.

use std::{future::Future, pin::Pin, sync::Arc};

use axum::{
    body::Body,
    extract::{rejection::FormRejection, FromRequest},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use control::{domain::Refusal, Caller};

use super::AppState;
use http::{request::Parts, Request};

/// Renders the app for a request; the router's fallback, kept to render the
/// status pages of refused posts.
pub(crate) type PageRenderer =
    Arc<dyn Fn(Request<Body>) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync>;

/// The app's path whose page explains a 403; any unknown path renders the 404 page.
pub(crate) const FORBIDDEN_PAGE: &str = "/denied";
const NOT_FOUND_PAGE: &str = "/denied/not-found";

/// A status page as a GET of `path` with the visitor's headers (their
/// language, their session for the navigation bar).
async fn status_page(render: &PageRenderer, parts: &Parts, path: &str) -> Response {
    page_as_get(render, parts, path, |_| {}).await
}

/// The app's page at `path`, rendered as a GET with the visitor's headers
/// and session, and whatever `extend` adds to the request for the page's
/// server functions (what a post shows on its answer only, never stored).
pub(crate) async fn page_as_get(
    render: &PageRenderer,
    parts: &Parts,
    path: &str,
    extend: impl FnOnce(&mut http::Extensions),
) -> Response {
    let mut request = Request::builder().method(http::Method::GET).uri(path);
    for (name, value) in &parts.headers {
        request = request.header(name, value);
    }
    let mut request = match request.body(Body::empty()) {
        Ok(request) => request,
        Err(_) => return http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    *request.extensions_mut() = parts.extensions.clone();
    extend(request.extensions_mut());
    render(request).await
}

/// The 403 page, for a post refused before any handler saw it.
pub(crate) async fn forbidden_page(render: &PageRenderer, parts: &Parts) -> Response {
    status_page(render, parts, FORBIDDEN_PAGE).await
}

/// The 404 page, for a link that leads nowhere (or nowhere any more).
pub(crate) async fn not_found_page(render: &PageRenderer, parts: &Parts) -> Response {
    status_page(render, parts, NOT_FOUND_PAGE).await
}

/// The signed-in caller of a form whose token is their session's; else the
/// answer: sign in first, or the form again, filled, saying it had expired.
pub(crate) fn form_caller(parts: &Parts, form: &PostedForm<'_>) -> Result<Caller, Redirect> {
    let Some(caller) = app::api::caller_of(parts) else {
        let page = form.back.split('#').next().unwrap_or(&form.back);
        return Err(Redirect::to(&app::routes::sign_in_then(page)));
    };
    if !app::csrf::verify(&parts.extensions, form.token) {
        let path = super::security::loggable_path(&form.back);
        tracing::warn!(form = %path, "a form post with a missing or wrong CSRF token");
        return Err(back_with(&form.back, &Refusal::FormExpired, &form.echo));
    }
    Ok(caller)
}

/// The form's page again, its query carrying `refusal` and what was typed.
pub(crate) fn back_with(back: &str, refusal: &Refusal, echo: &[(&'static str, String)]) -> Redirect {
    let mut pairs = refusal.to_query();
    pairs.extend(echo.iter().cloned());
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let (path, anchor) = back.split_once('#').unwrap_or((back, ""));
    let anchor = if anchor.is_empty() {
        String::new()
    } else {
        format!("#{anchor}")
    };
    Redirect::to(&format!("{path}?{query}{anchor}"))
}

/// Where to go once an operation with nothing to return is done.
pub(crate) fn done_at(
    outcome: control::Result<Result<(), Refusal>>,
    page: &str,
) -> control::Result<Result<String, Refusal>> {
    outcome.map(|done| done.map(|()| page.to_owned()))
}

/// The answer to a post whose operation returned `outcome`: `done` where it
/// worked, `back` with the refusal (and `echo`, what was typed) otherwise.
pub(crate) async fn answer(
    render: &PageRenderer,
    parts: &Parts,
    outcome: control::Result<Result<String, Refusal>>,
    back: &str,
    echo: &[(&'static str, String)],
) -> Response {
    match outcome {
        Ok(Ok(done)) => Redirect::to(&done).into_response(),
        Ok(Err(Refusal::NotFound)) => status_page(render, parts, NOT_FOUND_PAGE).await,
        Ok(Err(Refusal::Forbidden)) => status_page(render, parts, FORBIDDEN_PAGE).await,
        Ok(Err(refusal)) => back_with(back, &refusal, echo).into_response(),
        Err(error) => {
            tracing::error!(%error, "a form's operation failed");
            Redirect::to(&app::routes::auth_error(app::routes::AuthFailure::Unavailable)).into_response()
        }
    }
}

/// A posted form: its CSRF token, the page it came from, and what was typed
/// (to fill it again on a refusal).
pub(crate) struct PostedForm<'a> {
    token: &'a str,
    pub back: String,
    echo: Vec<(&'static str, String)>,
}

impl<'a> PostedForm<'a> {
    pub fn new(token: &'a str, back: String) -> Self {
        Self {
            token,
            back,
            echo: Vec::new(),
        }
    }

    /// Fields to send back with a refusal, so the form comes back filled.
    pub fn echo(mut self, fields: Vec<(&'static str, String)>) -> Self {
        self.echo = fields;
        self
    }
}

/// Runs `operation` for the signed-in caller of a form whose CSRF token
/// matches, and answers what it returns (see [`answer`]).
pub(crate) async fn submit(
    state: &AppState,
    parts: &Parts,
    form: PostedForm<'_>,
    operation: impl AsyncFnOnce(Caller) -> control::Result<Result<String, Refusal>>,
) -> Response {
    let caller = match form_caller(parts, &form) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let outcome = operation(caller).await;
    answer(&state.pages, parts, outcome, &form.back, &form.echo).await
}

/// A form post as its handler reads it: the portal's state, the request's
/// parts (the session, the CSRF secret, the headers) and the posted fields,
/// their CSRF token apart. It reads the body, so it is the handler's last
/// argument; a body that is not a form is refused as `Form` refuses it.
pub(crate) struct Post<F> {
    pub state: AppState,
    pub parts: Parts,
    token: String,
    pub fields: F,
}

/// What a form posts: its CSRF token beside its own fields.
#[derive(serde::Deserialize)]
struct WithToken<F> {
    #[serde(default)]
    csrf_token: String,
    #[serde(flatten)]
    fields: F,
}

/// The fields of a form that posts nothing but its token.
#[derive(serde::Deserialize, Default)]
pub(crate) struct NoFields {}

impl<F: serde::de::DeserializeOwned + Send> FromRequest<AppState> for Post<F> {
    type Rejection = FormRejection;

    async fn from_request(request: Request<Body>, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let request = Request::from_parts(parts.clone(), body);
        let Form(posted) = Form::<WithToken<F>>::from_request(request, state).await?;
        Ok(Self {
            state: state.clone(),
            parts,
            token: posted.csrf_token,
            fields: posted.fields,
        })
    }
}

impl<F> Post<F> {
    /// This post, as a form drawn on the page `back`.
    pub fn form(&self, back: &str) -> PostedForm<'_> {
        PostedForm::new(&self.token, back.to_owned())
    }

    /// [`submit`] for this post.
    pub async fn submit(
        &self,
        form: PostedForm<'_>,
        operation: impl AsyncFnOnce(Caller) -> control::Result<Result<String, Refusal>>,
    ) -> Response {
        submit(&self.state, &self.parts, form, operation).await
    }
}

/// Unwraps what a form's field or path parsed into, or returns its refusal
/// from the operation.
macro_rules! parsed {
    ($value:expr) => {
        match $value {
            Ok(value) => value,
            Err(refusal) => return Ok(Err(refusal)),
        }
    };
}
pub(crate) use parsed;

/// The version of the record a form was drawn from, as posted.
#[derive(serde::Deserialize, Default)]
#[serde(transparent)]
pub(crate) struct FormVersion(String);

impl FormVersion {
    /// One that does not parse is as stale as an old one.
    pub fn get(&self) -> i64 {
        self.0.trim().parse().unwrap_or(-1)
    }

    pub fn get32(&self) -> i32 {
        i32::try_from(self.get()).unwrap_or(-1)
    }
}

/// An id in a form's URL; one that does not parse names nothing (404).
pub(crate) fn id_in_path(raw: &str) -> Result<uuid::Uuid, Refusal> {
    uuid::Uuid::parse_str(raw).map_err(|_| Refusal::NotFound)
}
