//! What a page shows someone it does not let in: a redirect to sign in (or
//! to the second factor), or a 403/404 page.

use control::domain::{AdminAccess, MemberView};
use leptos::prelude::*;

use crate::{components::status::StatusPage, i18n::Msg};

/// Sends the browser elsewhere: a 303 from the page being rendered.
pub(crate) fn go_to(url: &str) {
    #[cfg(feature = "ssr")]
    {
        leptos_axum::redirect(url);
        // leptos_axum only sets a redirect status when the request accepts HTML;
        // a page request is always a navigation.
        crate::components::status::set_http_status(303);
    }
    // Pages render only on the server (islands do not redirect).
    #[cfg(not(feature = "ssr"))]
    let _ = url;
}

/// Sends signed-out visitors to sign in and back to `here`.
pub(crate) fn sign_in_then(here: &str) -> AnyView {
    go_to(&crate::routes::sign_in_then(here));
    ().into_any()
}

#[component]
pub fn OrganizationNotFound() -> impl IntoView {
    view! { <StatusPage code=404 title=Msg::OrgNotFoundTitle body=Msg::OrgNotFoundBody action=Msg::BackHome href=crate::routes::ORGANIZATIONS /> }
}

/// What a 403 answers: the page exists for them, their role does not open it.
#[component]
pub fn Denied() -> impl IntoView {
    view! { <StatusPage code=403 title=Msg::DeniedTitle body=Msg::DeniedBody action=Msg::BackHome href=crate::routes::ORGANIZATIONS /> }
}

/// An organization page for someone it does not open: not found, not for
/// their role, or not signed in (sent to sign in, back to `here`).
pub fn member_refused<T>(view: MemberView<T>, here: &str) -> AnyView {
    match view {
        MemberView::NotFound => view! { <OrganizationNotFound /> }.into_any(),
        MemberView::Forbidden => view! { <Denied /> }.into_any(),
        MemberView::Ready(_) | MemberView::SignInRequired => sign_in_then(here),
    }
}

/// What the admin area shows someone it does not let in: sign in, the
/// second factor, or a 403 page.
pub fn admin_refused<T>(access: AdminAccess<T>, here: &str) -> AnyView {
    match access {
        AdminAccess::Granted(_) | AdminAccess::SignInRequired => sign_in_then(here),
        AdminAccess::SecondFactorRequired {
            enrolled: true,
            upgrade_url,
        } => {
            go_to(&upgrade_url);
            ().into_any()
        }
        AdminAccess::SecondFactorRequired { enrolled: false, .. } => view! {
            <StatusPage code=403 title=Msg::AdminSecondFactorTitle body=Msg::AdminSecondFactorBody
                action=Msg::AdminSecondFactorAction href=crate::routes::SETTINGS />
        }
        .into_any(),
        AdminAccess::Forbidden => view! {
            <StatusPage code=403 title=Msg::AdminForbiddenTitle body=Msg::AdminForbiddenBody
                action=Msg::BackHome href="/" />
        }
        .into_any(),
    }
}
