//! Hydra's consent screen, for applications that are not Bibind's own:
//! what the application asks for, allow or deny, remember the choice.

use control::domain::{ConsentPrompt, ConsentView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::consent_challenge,
    components::{
        access::go_to,
        button,
        classes::{FORM_CARD, PAGE_TITLE},
        form::csrf_field,
        loaded::Loaded,
        notice::{refusal_in_query, RefusalNotice},
        status::StatusPage,
    },
    i18n::{t, Msg},
};

#[component]
pub fn ConsentPage() -> impl IntoView {
    let query = use_query_map();
    let view_of = consent_challenge(
        query
            .read_untracked()
            .get("consent_challenge")
            .unwrap_or_default(),
    );
    view! {
        <Loaded data=view_of let:step>
            {match step {
                ConsentView::Ask(prompt) => view! { <ConsentForm prompt /> }.into_any(),
                ConsentView::Redirect(url) => {
                    go_to(&url);
                    ().into_any()
                }
                ConsentView::Gone => view! {
                    <StatusPage code=410 title=Msg::AuthErrorTitle body=Msg::AuthErrorBody action=Msg::BackHome href="/" />
                }
                .into_any(),
            }}
        </Loaded>
    }
}

fn scope_msg(scope: &str) -> Option<Msg> {
    match scope {
        "openid" => Some(Msg::ScopeOpenid),
        "email" => Some(Msg::ScopeEmail),
        "profile" => Some(Msg::ScopeProfile),
        "offline_access" | "offline" => Some(Msg::ScopeOffline),
        _ => None,
    }
}

#[component]
fn ConsentForm(prompt: ConsentPrompt) -> impl IntoView {
    view! {
        <Title text=t(Msg::ConsentTitle) />
        <section class="mx-auto max-w-md" aria-labelledby="consent-title">
            <h1 id="consent-title" class=PAGE_TITLE>{t(Msg::ConsentTitle)}</h1>
            <p class="mt-4 text-slate-700">
                <strong data-client-name>{prompt.client_name}</strong>" "{t(Msg::ConsentAsks)}
            </p>
            <RefusalNotice refusal=refusal_in_query() />
            <ul class="mt-4 list-disc space-y-1 pl-6 text-slate-700">
                {prompt.scopes.into_iter().map(|scope| {
                    let text = scope_msg(&scope).map(|m| t(m).to_owned()).unwrap_or_else(|| scope.clone());
                    view! { <li data-scope=scope>{text}</li> }
                }).collect_view()}
            </ul>
            <form method="post" action=crate::routes::CONSENT_DECISION class=format!("mt-6 {FORM_CARD}")>
                <input type="hidden" name="consent_challenge" value=prompt.challenge />
                {csrf_field(&prompt.csrf_token)}
                <label class="flex items-center gap-2 text-sm text-slate-800">
                    <input type="checkbox" name="remember" value="true" checked class="h-4 w-4 rounded border-slate-300" />
                    {t(Msg::ConsentRemember)}
                </label>
                <div class="flex gap-3">
                    <button type="submit" name="decision" value="allow" class=format!("flex-1 {}", button::PRIMARY)>
                        {t(Msg::ConsentAllow)}
                    </button>
                    <button type="submit" name="decision" value="deny" class=format!("flex-1 {}", button::SECONDARY)>
                        {t(Msg::ConsentDeny)}
                    </button>
                </div>
            </form>
        </section>
    }
}
