// The pages' view types nest deeper than rustc's default of 128 once they
// await their data in a bare `Suspend` (see `components::loaded`).
#![recursion_limit = "256"]
//! The Bibind portal's user interface. Pages render on the server (`ssr`)
//! as plain HTML that works without JavaScript; the few interactive parts are
//! islands (`#[island]`: the billing switch and prices, the live provisioning
//! progress), the only code compiled for the browser (`hydrate`).
//!
//! Pages ask server functions ([`api`]) for data; server functions are thin:
//! they take the [`control::Control`] from context, call it and map its error.

pub mod api;
mod components;
#[cfg(feature = "ssr")]
pub mod csrf;
#[cfg(feature = "ssr")]
pub mod cut;
pub mod i18n;
#[cfg(feature = "ssr")]
pub mod kept;
mod pages;
pub mod routes;
#[cfg(feature = "ssr")]
mod shell;

use leptos::prelude::*;
use leptos_meta::provide_meta_context;
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

#[cfg(feature = "ssr")]
pub use components::telemetry::telemetry_html;
use control::domain::FlowKind;
pub use control::domain::Locale;
/// The words of the control plane's refusals and field problems, for the API's problem details.
pub use pages::labels::{problem_text, refusal_text_in};
#[cfg(feature = "ssr")]
pub use shell::{shell, shell_varies_at, AssetVersion, ShellOptions};

use crate::{
    api::OrganizationSection,
    components::{access::Denied, layout::Layout},
    pages::{
        admin::{
            audit::AdminAuditPage,
            backups::AdminBackupsPage,
            plans::{AdminPlanPage, AdminPlansPage},
            tenant::AdminTenantPage,
            tenants::AdminTenantsPage,
            AdminHomePage,
        },
        api_clients::ApiClientsPage,
        auth::{AuthErrorPage, AuthFlowPage},
        backups::BackupsPage,
        consent::ConsentPage,
        courses::CoursesPage,
        device::{DevicePage, DevicePasswordPage},
        devices::DevicesPage,
        invitation::InvitationPage,
        landing::LandingPage,
        learner_import::LearnerImportPage,
        learning::LearningPage,
        not_found::NotFoundPage,
        org_audit::OrganizationAuditPage,
        organization::OrganizationPage,
        organizations::{NewOrganizationPage, OrganizationsPage},
        plan_review::PlanReviewPage,
        sessions::SessionsPage,
        sign_out::SignOutPage,
    },
};

/// The root component, rendered inside `<body>` on the server (never in the
/// browser: links and forms are plain navigations).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    i18n::provide_locale();
    view! {
        <Router>
            <Layout>
                <Routes fallback=NotFoundPage>
                    // Async: the whole page waits for its data, so it is complete without JavaScript.
                    <Route path=path!("") view=LandingPage ssr=SsrMode::Async />
                    <Route path=path!("/auth/login") view=|| view! { <AuthFlowPage kind=FlowKind::Login /> } ssr=SsrMode::Async />
                    <Route path=path!("/auth/registration") view=|| view! { <AuthFlowPage kind=FlowKind::Registration /> } ssr=SsrMode::Async />
                    <Route path=path!("/auth/recovery") view=|| view! { <AuthFlowPage kind=FlowKind::Recovery /> } ssr=SsrMode::Async />
                    <Route path=path!("/auth/verification") view=|| view! { <AuthFlowPage kind=FlowKind::Verification /> } ssr=SsrMode::Async />
                    <Route path=path!("/auth/settings") view=|| view! { <AuthFlowPage kind=FlowKind::Settings /> } ssr=SsrMode::Async />
                    <Route path=path!("/auth/error") view=AuthErrorPage />
                    <Route path=path!("/auth/consent") view=ConsentPage ssr=SsrMode::Async />
                    <Route path=path!("/auth/logout") view=SignOutPage ssr=SsrMode::Async />
                    <Route path=path!("/account/sessions") view=SessionsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminHomePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/tenants") view=AdminTenantsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/tenants/:slug") view=AdminTenantPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/plans") view=AdminPlansPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/plans/:code") view=AdminPlanPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=AdminAuditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/backups") view=AdminBackupsPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs") view=OrganizationsPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/new") view=NewOrganizationPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug") view=|| view! { <OrganizationPage section=OrganizationSection::Overview /> } ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/members") view=|| view! { <OrganizationPage section=OrganizationSection::Members /> } ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/services") view=|| view! { <OrganizationPage section=OrganizationSection::Services /> } ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/modules") view=|| view! { <OrganizationPage section=OrganizationSection::Modules /> } ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/courses") view=CoursesPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/subscriptions/:id/devices") view=DevicesPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/subscriptions/:id/backups") view=BackupsPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/subscriptions/:id/devices/:device") view=DevicePage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/subscriptions/:id/devices/:device/password") view=DevicePasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/learners/imports/:id") view=LearnerImportPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/audit") view=OrganizationAuditPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/api-clients") view=ApiClientsPage ssr=SsrMode::Async />
                    <Route path=path!("/learning") view=LearningPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:slug/plans/:code") view=PlanReviewPage ssr=SsrMode::Async />
                    <Route path=path!("/invitations/:token") view=InvitationPage ssr=SsrMode::Async />
                    // What a refused post renders (403); `/denied/…` is the 404 page.
                    <Route path=path!("/denied") view=Denied />
                </Routes>
            </Layout>
        </Router>
    }
}

/// Reads the request being rendered in place: `use_context` would clone its
/// headers and extensions on every call.
#[cfg(feature = "ssr")]
pub fn with_request<R>(read: impl FnOnce(&http::request::Parts) -> R) -> Option<R> {
    leptos::prelude::with_context::<http::request::Parts, R>(read)
}

/// A request's `Cookie` headers as one (HTTP/2 may send several), as
/// forwarded to Kratos.
#[cfg(feature = "ssr")]
pub fn cookie_header(headers: &http::HeaderMap) -> Option<String> {
    let cookies: Vec<&str> = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    (!cookies.is_empty()).then(|| cookies.join("; "))
}

/// The value of cookie `name` in a request's `Cookie` headers.
#[cfg(feature = "ssr")]
pub fn cookie_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Sets an HttpOnly cookie on the page being rendered.
#[cfg(feature = "ssr")]
pub fn set_cookie(name: &str, value: &str, path: &str, max_age_seconds: u32) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        let cookie =
            format!("{name}={value}; Path={path}; Max-Age={max_age_seconds}; HttpOnly; SameSite=Lax");
        if let Ok(value) = http::HeaderValue::from_str(&cookie) {
            response.append_header(http::header::SET_COOKIE, value);
        }
    }
}
