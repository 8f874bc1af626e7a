//! The admin portal's server functions: platform admins at AAL2 only (the
//! control plane's gate answers everyone else), each page with the CSRF
//! token its forms post.

use control::domain::{
    AdminAccess, AuditPage, FieldError, OrganizationDetail, OrganizationSearchPage, PlanRecord,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::{control_plane, internal_error, signed_in_user};

/// An admin page's content and the token its forms post.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WithToken<T> {
    pub content: T,
    pub csrf_token: String,
}

#[cfg(feature = "ssr")]
fn with_token<T>(access: AdminAccess<T>) -> AdminAccess<WithToken<T>> {
    match answered(access).granted() {
        Ok(content) => AdminAccess::Granted(WithToken {
            content,
            csrf_token: crate::csrf::issue(),
        }),
        Err(refused) => refused,
    }
}

/// The admin gate's answer with its HTTP status: 403 for someone who is
/// not an admin. Signed out or owing a second factor stays 200 with no
/// content: the hydrated page must read that answer to send the person to
/// sign in (a 4xx makes the server-function client fail instead).
#[cfg(feature = "ssr")]
pub(super) fn answered<T>(access: AdminAccess<T>) -> AdminAccess<T> {
    if matches!(access, AdminAccess::Forbidden) {
        crate::components::status::set_http_status(403);
    }
    access
}

#[server(endpoint = "admin/tenants", input = server_fn::codec::GetUrl)]
pub async fn admin_tenants(
    text: Option<String>,
    state: Option<String>,
    offer: Option<String>,
    plan: Option<String>,
    country: Option<String>,
    sort: Option<String>,
    page: Option<u32>,
) -> Result<AdminAccess<OrganizationSearchPage>, ServerFnError> {
    use control::domain::{OfferKind, OrganizationSearch, OrganizationSort};
    let query = OrganizationSearch {
        text,
        state,
        offer: offer.as_deref().and_then(OfferKind::from_code),
        plan,
        country,
        sort: sort
            .as_deref()
            .and_then(OrganizationSort::parse)
            .unwrap_or_default(),
        page: page.unwrap_or(1),
    };
    let access = control_plane()?
        .search_organizations(signed_in_user().as_ref(), &query)
        .await
        .map_err(internal_error)?;
    Ok(answered(access))
}

#[server(endpoint = "admin/tenant", input = server_fn::codec::GetUrl)]
pub async fn admin_tenant(
    slug: String,
) -> Result<AdminAccess<WithToken<Option<OrganizationDetail>>>, ServerFnError> {
    let access = control_plane()?
        .organization_detail(signed_in_user().as_ref(), &slug)
        .await
        .map_err(internal_error)?;
    if matches!(access, AdminAccess::Granted(None)) {
        crate::components::status::set_http_status(404);
    }
    Ok(with_token(access))
}

/// Running services' backups across tenants (`all`: every one, else those
/// that need an admin).
#[server(endpoint = "admin/backups", input = server_fn::codec::GetUrl)]
pub async fn admin_backups(
    all: bool,
) -> Result<AdminAccess<Vec<control::domain::ServiceBackups>>, ServerFnError> {
    let access = control_plane()?
        .admin_backups(signed_in_user().as_ref(), !all)
        .await
        .map_err(internal_error)?;
    Ok(answered(access))
}

#[server(endpoint = "admin/plans", input = server_fn::codec::GetUrl)]
pub async fn admin_plan_list() -> Result<AdminAccess<WithToken<Vec<PlanRecord>>>, ServerFnError> {
    let access = control_plane()?
        .admin_plans(signed_in_user().as_ref())
        .await
        .map_err(internal_error)?;
    Ok(with_token(access))
}

#[server(endpoint = "admin/audit", input = server_fn::codec::GetUrl)]
pub async fn admin_audit(
    organization: Option<String>,
    action: Option<String>,
    actor: Option<String>,
    since: Option<String>,
    until: Option<String>,
    before: Option<i64>,
) -> Result<AdminAccess<Result<AuditPage, Vec<FieldError>>>, ServerFnError> {
    let filter = control::domain::AuditFilter {
        action,
        actor,
        organization,
        since,
        until,
        before,
    }
    .normalized();
    let access = control_plane()?
        .platform_audit(signed_in_user().as_ref(), &filter)
        .await
        .map_err(internal_error)?;
    Ok(answered(access))
}
