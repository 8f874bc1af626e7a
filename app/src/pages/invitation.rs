//! `/invitations/<token>`: what the e-mailed link opens. A signed-in person
//! with the invited address joins with one button; anyone else is offered
//! to sign in or sign up and comes back here.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{invitation_details, InvitationView, PENDING_INVITATION},
    components::{
        button,
        form::csrf_field,
        loaded::Loaded,
        notice::{refusal_in_query, RefusalNotice},
        status::StatusPage,
    },
    i18n::{t, Msg},
    pages::labels::role_label,
};

#[component]
pub fn InvitationPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let details = invitation_details(untrack(token));
    view! {
        <Loaded data=details let:view>
            {
                let token = token();
                match view {
                    InvitationView::Open { preview, csrf_token, sign_up_url } => {
                        view! { <OpenInvitation preview csrf_token token sign_up_url /> }.into_any()
                    }
                    InvitationView::Gone => view! {
                        <StatusPage code=404 title=Msg::InvitationGoneTitle body=Msg::RefusedInvitationGone action=Msg::BackHome href="/" />
                    }
                    .into_any(),
                }
            }
        </Loaded>
    }
}

#[component]
fn OpenInvitation(
    preview: control::domain::InvitationPreview,
    csrf_token: String,
    token: String,
    sign_up_url: String,
) -> impl IntoView {
    let for_viewer = preview
        .signed_in_as
        .as_ref()
        .map(|email| email.eq_ignore_ascii_case(&preview.email));
    let next_step = match for_viewer {
        Some(true) => view! {
            <form method="post" action=crate::routes::accept_invitation(&token) class="mt-6">
                {csrf_field(&csrf_token)}
                <button type="submit" data-accept class=format!("w-full {}", button::PRIMARY)>
                    {t(Msg::InvitationAccept)}
                </button>
            </form>
        }
        .into_any(),
        Some(false) => view! {
            <p class="mt-6 rounded-lg border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" data-other-account>{t(Msg::InvitationOtherAccount)}</p>
            <a href=crate::routes::SIGN_OUT rel="external" class="mt-4 inline-block text-sm font-medium text-indigo-800">{t(Msg::SignOut)}</a>
        }
        .into_any(),
        None => view! {
            <p class="mt-6 text-sm text-slate-700">{t(Msg::InvitationSignInFirst)}</p>
            <div class="mt-4 flex gap-3">
                <a href=crate::routes::sign_in_then(&crate::routes::invitation(PENDING_INVITATION)) rel="external" data-sign-in class=button::PRIMARY>{t(Msg::SignIn)}</a>
                <a href=sign_up_url rel="external" data-sign-up class=button::SECONDARY>{t(Msg::SignUp)}</a>
            </div>
        }
        .into_any(),
    };
    view! {
        <Title text=t(Msg::InvitationTitle) />
        <section class="mx-auto max-w-lg rounded-xl border border-slate-200 bg-white p-6 shadow-sm wrap-anywhere" aria-labelledby="invitation-title" data-invitation-for=preview.organization_slug.clone()>
            <h1 id="invitation-title" class="text-2xl font-bold tracking-tight">{t(Msg::InvitationTitle)}</h1>
            <RefusalNotice refusal=refusal_in_query() />
            <dl class="mt-4 space-y-2 text-sm">
                <div><dt class="text-slate-600">{t(Msg::InvitationOrganization)}</dt><dd class="font-semibold">{preview.organization_name}</dd></div>
                <div><dt class="text-slate-600">{t(Msg::OrgFieldRole)}</dt><dd class="font-medium">{t(role_label(preview.role))}</dd></div>
                <div><dt class="text-slate-600">{t(Msg::InvitationInvitedBy)}</dt><dd>{preview.invited_by}</dd></div>
                <div><dt class="text-slate-600">{t(Msg::InvitationFor)}</dt><dd>{preview.email}</dd></div>
            </dl>
            {next_step}
        </section>
    }
}
