//! The new-organization form's post. Refused fields go back to the form in
//! the query (values and `errors=field:problem,…`), where the page shows
//! each problem beside its field; nothing is written then.

use app::{csrf, routes};
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
    routing::post,
    Form, Router,
};
use control::domain::{NewOrganization, Refusal};
use http::request::Parts;
use serde::Deserialize;

use super::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(routes::pattern::NEW_ORGANIZATION, post(create))
}

#[derive(Deserialize)]
struct NewOrganizationPost {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    billing_email: String,
}

async fn create(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<NewOrganizationPost>,
) -> Response {
    let Some(caller) = app::api::caller_of(&parts) else {
        return Redirect::to(&routes::sign_in_then(routes::NEW_ORGANIZATION)).into_response();
    };
    if !csrf::verify(&parts.extensions, &form.csrf_token) {
        tracing::warn!("new organization with a missing or wrong CSRF token");
        return refused(&form, &Refusal::FormExpired).into_response();
    }
    let parsed = NewOrganization::parse(&form.name, &form.slug, &form.country, &form.billing_email);
    let outcome = match parsed {
        Ok(new) => match state.control.create_organization(&caller, &new).await {
            Ok(outcome) => outcome.map(|org| org.slug),
            Err(error) => {
                tracing::error!(%error, "cannot create an organization");
                return Redirect::to(&routes::auth_error(routes::AuthFailure::Unavailable)).into_response();
            }
        },
        Err(errors) => Err(Refusal::Fields(errors)),
    };
    match outcome {
        Ok(slug) => Redirect::to(&routes::organization(&slug)).into_response(),
        Err(refusal) => refused(&form, &refusal).into_response(),
    }
}

/// The form's address again, with what was typed and what was wrong.
fn refused(form: &NewOrganizationPost, refusal: &Refusal) -> Redirect {
    let typed = [
        ("name", form.name.clone()),
        ("slug", form.slug.clone()),
        ("country", form.country.clone()),
        ("billing_email", form.billing_email.clone()),
    ];
    super::answers::back_with(routes::NEW_ORGANIZATION, refusal, &typed)
}
