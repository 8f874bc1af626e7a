//! The new-organization form's post, and a plan card's way to an
//! organization. Refused fields go back to the form in the query (values
//! and `errors=field:problem,…`), where the page shows each problem beside
//! its field; nothing is written then.

use app::{csrf, routes};
use axum::{
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use control::domain::{NewOrganization, OfferKind, Permission, PlanCode, Refusal};
use http::request::Parts;
use serde::Deserialize;

use super::{
    answers::{answer, back_with},
    AppState,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(routes::pattern::NEW_ORGANIZATION, post(create))
        .route(routes::pattern::CHOOSE_PLAN, get(choose_plan))
        .route(routes::pattern::BACK_OFFICE, get(back_office))
}

/// "Open back office": straight into the service's Odoo sign-in through
/// Hydra (no password page). Signed out: sign in and come back here. Not a
/// member: 404; a member without the right: 403; a service not live (yet):
/// back to the organization's services, saying why.
async fn back_office(
    State(state): State<AppState>,
    parts: Parts,
    Path((slug, offer)): Path<(String, String)>,
) -> Response {
    let Some(offer) = OfferKind::from_code(&offer) else {
        return back_with(&routes::subscriptions(&slug), &Refusal::NotFound, &[]).into_response();
    };
    let Some(caller) = app::api::caller_of(&parts) else {
        return Redirect::to(&routes::sign_in_then(&routes::back_office(&slug, offer))).into_response();
    };
    let outcome = state.control.back_office_sign_in(&caller, &slug, offer).await;
    answer(&state.pages, &parts, outcome, &routes::subscriptions(&slug), &[]).await
}

/// A plan card's link. Signed out: sign in (or up) and come back here.
/// Then the organization: the one the person may subscribe for, a choice
/// among several, or a new one; and the plan's review.
async fn choose_plan(State(state): State<AppState>, parts: Parts, Path(code): Path<String>) -> Response {
    let Some(plan) = PlanCode::parse(&code) else {
        return Redirect::to("/#offers").into_response();
    };
    let Some(caller) = app::api::caller_of(&parts) else {
        return Redirect::to(&routes::sign_in_then(&routes::choose_plan(plan.as_str()))).into_response();
    };
    let mine = match state.control.my_organizations(&caller).await {
        Ok(mine) => mine,
        Err(error) => {
            tracing::error!(%error, "cannot list a person's organizations");
            return Redirect::to(&routes::auth_error(routes::AuthFailure::Unavailable)).into_response();
        }
    };
    let mut manageable = mine
        .into_iter()
        .filter(|org| org.role.allows(Permission::ManageSubscriptions));
    let to = match (manageable.next(), manageable.next()) {
        (None, _) => routes::new_organization_for(plan.as_str()),
        (Some(only), None) => routes::plan_review(&only.slug, plan.as_str()),
        (Some(_), Some(_)) => routes::organizations_for(plan.as_str()),
    };
    Redirect::to(&to).into_response()
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
    /// The plan chosen on the way here: its review follows the creation.
    #[serde(default)]
    plan: String,
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
        Ok(slug) => Redirect::to(&match PlanCode::parse(&form.plan) {
            Some(plan) => routes::plan_review(&slug, plan.as_str()),
            None => routes::organization(&slug),
        })
        .into_response(),
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
        ("plan", form.plan.clone()),
    ];
    super::answers::back_with(routes::NEW_ORGANIZATION, refusal, &typed)
}
