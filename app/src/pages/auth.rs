//! The portal as Kratos' UI: each self-service flow is fetched on the server
//! and its nodes rendered as plain HTML forms that post to Kratos through the
//! portal's rate limiter (`/auth/submit/<flow>`).
//! No JavaScript is needed; messages are translated by Kratos message id.

use control::domain::{
    Flow, FlowKind, FlowOutcome, OfferKind, TenantRefusal, UiContainer, UiNode, UiNodeAttributes, UiText,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::auth_flow,
    components::{
        access::go_to,
        button,
        classes::{FORM_CARD, PAGE_TITLE},
        form::{INPUT, LABEL, SELECT},
        loaded::Loaded,
        status::{set_http_status, StatusPage},
    },
    i18n::{field_msg, format_count, kratos_text, t, use_locale, Locale, Msg},
    routes::AuthFailure,
};

/// Kratos sends the browser here (`?id=`) when a flow fails beyond repair;
/// the portal does (`?reason=`) when a sign-in comes back expired, tampered
/// with or refused, or the provider is down.
#[component]
pub fn AuthErrorPage() -> impl IntoView {
    let query = use_query_map();
    let reason = query.read_untracked().get("reason");
    match reason.as_deref().and_then(AuthFailure::parse) {
        Some(AuthFailure::Denied) => view! {
            <StatusPage code=403 title=Msg::SignInDeniedTitle body=Msg::SignInDeniedBody action=Msg::StartAgain href=crate::routes::SIGN_IN />
        }
        .into_any(),
        Some(AuthFailure::Uncounted) => view! {
            <StatusPage code=503 title=Msg::AttemptUncountedTitle body=Msg::AttemptUncountedBody action=Msg::StartAgain href=crate::routes::SIGN_IN role="alert" />
        }
        .into_any(),
        Some(AuthFailure::Unavailable) => view! {
            <StatusPage code=503 title=Msg::SignInUnavailableTitle body=Msg::SignInUnavailableBody action=Msg::StartAgain href=crate::routes::SIGN_IN role="alert" />
        }
        .into_any(),
        Some(AuthFailure::Expired) | None => view! {
            <StatusPage code=400 title=Msg::AuthErrorTitle body=Msg::AuthErrorBody action=Msg::StartAgain href=crate::routes::SIGN_IN />
        }
        .into_any(),
    }
}

fn title(kind: FlowKind) -> Msg {
    match kind {
        FlowKind::Login => Msg::LoginTitle,
        FlowKind::Registration => Msg::RegistrationTitle,
        FlowKind::Recovery => Msg::RecoveryTitle,
        FlowKind::Verification => Msg::VerificationTitle,
        FlowKind::Settings => Msg::SettingsTitle,
    }
}

/// The page of one self-service flow (`/auth/<kind>?flow=<id>`).
#[component]
pub fn AuthFlowPage(kind: FlowKind) -> impl IntoView {
    let query = use_query_map();
    let flow = {
        let q = query.read_untracked();
        auth_flow(kind, q.get("flow"), q.get("return_to"), q.get("login_challenge"))
    };
    let wide = kind == FlowKind::Settings;
    // Set by the rate limiter when it sent the browser back here.
    let retry_after = query
        .read_untracked()
        .get("retry_after")
        .and_then(|seconds| seconds.parse::<u64>().ok());
    view! {
        <Title text=t(title(kind)) />
        <section class=if wide { "mx-auto max-w-3xl" } else { "mx-auto max-w-md" } aria-labelledby="auth-title">
            <h1 id="auth-title" class=PAGE_TITLE>{t(title(kind))}</h1>
            {(kind == FlowKind::Recovery).then(|| view! { <p class="mt-2 text-slate-600">{t(Msg::RecoveryLead)}</p> })}
            {retry_after.map(|seconds| view! { <RateLimited seconds /> })}
            <Loaded data=flow let:outcome>
                {match outcome {
                    FlowOutcome::Ready(flow) => {
                        let return_to = flow.return_to.clone();
                        let asked_by = flow.asked_by.clone().map(|name| view! {
                            <p class="mt-2 text-slate-700" data-asked-by=name.clone()>{t(Msg::SignInFor).replace("{application}", &name)}</p>
                        });
                        view! { {asked_by} <FlowForms flow kind /> <AuthLinks kind return_to /> }.into_any()
                    }
                    FlowOutcome::Restart(url) => {
                        go_to(&url);
                        ().into_any()
                    }
                    FlowOutcome::NotAMember(refusal) => view! { <NotAMember refusal /> }.into_any(),
                }}
            </Loaded>
        </section>
    }
}

/// A tenant's application asked to sign in someone who is not a member of
/// its organization. Hydra's challenge is already refused; the link goes on
/// to Hydra, which sends the browser back to the application with
/// `error=access_denied`.
#[component]
fn NotAMember(refusal: TenantRefusal) -> impl IntoView {
    set_http_status(403);
    let message = match refusal.offer {
        Some(OfferKind::Ecommerce) => Msg::NotAMemberShop,
        Some(OfferKind::Training) => Msg::NotAMemberTraining,
        Some(OfferKind::Iot) => Msg::NotAMemberIot,
        None => Msg::NotAMemberApplication,
    };
    let text = t(message)
        .replace("{organization}", &refusal.organization)
        .replace("{de_organization}", &french_of(&refusal.organization));
    view! {
        <div role="alert" data-not-a-member class="mt-6 rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-amber-900">
            <h2 class="font-semibold">{t(Msg::NotAMemberTitle)}</h2>
            <p class="mt-2">{text}</p>
            <p class="mt-2 text-sm">{t(Msg::NotAMemberHint)}</p>
        </div>
        <a href=refusal.continue_to rel="external" data-back-to-application class=format!("mt-6 inline-block {}", button::PRIMARY)>
            {t(Msg::BackToApplication)}
        </a>
    }
}

/// "de ACME" elided as French writes it: "d'ACME", "de Globex".
fn french_of(name: &str) -> String {
    let elides = name
        .chars()
        .next()
        .is_some_and(|first| "aeiouyàâäéèêëîïôöùûüAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜ".contains(first));
    if elides {
        format!("d'{name}")
    } else {
        format!("de {name}")
    }
}

/// The rate limiter's answer: how long until the form may be tried again.
#[component]
fn RateLimited(seconds: u64) -> impl IntoView {
    let locale = use_locale();
    let minutes = seconds.div_ceil(60).max(1);
    view! {
        <p role="alert" data-rate-limited=seconds
            class="mt-6 rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900">
            {t(Msg::TooManyAttempts)}" "{format_count(locale, minutes, Msg::MinuteOne, Msg::MinuteOther)}"."
        </p>
    }
}

/// The way from signing in to signing up and back. Each keeps where the
/// flow was going (`return_to`: an application's login challenge, or the
/// page that asked), so that switching loses neither.
#[component]
fn AuthLinks(kind: FlowKind, return_to: Option<String>) -> impl IntoView {
    let link = "font-semibold text-indigo-700 hover:text-indigo-900";
    let keeping = |page: &str| match &return_to {
        Some(to) => format!("{page}?return_to={}", crate::routes::query_value(to)),
        None => page.to_owned(),
    };
    match kind {
        FlowKind::Login => view! {
            <div class="mt-6 space-y-2 text-sm text-slate-700">
                <p><a href=crate::routes::RECOVERY rel="external" class=link>{t(Msg::ForgotPassword)}</a></p>
                <p>{t(Msg::NoAccountYet)}" "<a href=keeping(crate::routes::REGISTRATION) rel="external" data-sign-up-instead class=link>{t(Msg::SignUp)}</a></p>
            </div>
        }
        .into_any(),
        FlowKind::Registration => {
            let sign_in = match &return_to {
                Some(_) => keeping(crate::routes::LOGIN),
                None => crate::routes::SIGN_IN.to_owned(),
            };
            view! {
                <p class="mt-6 text-sm text-slate-700">
                    {t(Msg::AlreadyHaveAccount)}" "<a href=sign_in rel="external" data-sign-in-instead class=link>{t(Msg::SignIn)}</a>
                </p>
            }
            .into_any()
        }
        _ => ().into_any(),
    }
}

/// Settings get one form per method group (profile, password, totp, …), each
/// carrying the shared `default` nodes (the CSRF token); the other flows are
/// one form whose buttons choose the method (two-step registration keeps the
/// profile traits as hidden fields beside the password).
#[component]
fn FlowForms(flow: Flow, kind: FlowKind) -> impl IntoView {
    let locale = use_locale();
    let ui = flow.ui;
    // Every flow posts through the portal, which counts attempts before
    // relaying them to Kratos (Kratos' own submit endpoints are not
    // reachable from outside in production).
    let action = crate::routes::flow_submit(kind, &flow.id);
    // Kratos' WebAuthn script is loaded once for the page, outside the forms.
    let (scripts, nodes): (Vec<UiNode>, Vec<UiNode>) = ui
        .nodes
        .into_iter()
        .partition(|node| matches!(node.attributes, UiNodeAttributes::Script { .. }));
    let ui = UiContainer { nodes, ..ui };
    let mut groups: Vec<String> = Vec::new();
    if kind == FlowKind::Settings {
        for node in &ui.nodes {
            if node.group != "default" && !groups.contains(&node.group) {
                groups.push(node.group.clone());
            }
        }
    }
    if groups.is_empty() {
        groups.push("all".to_owned());
    }
    let shared: Vec<UiNode> = ui
        .nodes
        .iter()
        .filter(|n| n.group == "default")
        .cloned()
        .collect();
    let forms = groups
        .into_iter()
        .map(|group| {
            let nodes: Vec<UiNode> = if group == "all" {
                ui.nodes.clone()
            } else {
                let mut nodes = shared.clone();
                nodes.extend(ui.nodes.iter().filter(|n| n.group == group).cloned());
                nodes
            };
            let heading = (kind == FlowKind::Settings).then(|| group_title(&group)).flatten();
            view! {
                <form action=action.clone() method=ui.method.clone() class=format!("mt-6 {FORM_CARD}") data-group=group.clone()>
                    {heading.map(|msg| view! { <h2 class="text-lg font-semibold">{t(msg)}</h2> })}
                    {nodes.into_iter().map(|node| { let group = node.group.clone(); view! { <Node node group /> } }).collect_view()}
                </form>
            }
        })
        .collect_view();
    let passkeys = !scripts.is_empty();
    view! {
        <Messages messages=ui.messages locale />
        {forms}
        {scripts.into_iter().map(|node| view! { <KratosScript node /> }).collect_view()}
        {passkeys.then(|| view! { <script src="/passkeys.js" defer></script> })}
    }
}

/// Kratos' `webauthn.js`, which defines the functions passkey buttons call.
/// It carries this response's CSP nonce, not the one Kratos suggests.
#[component]
fn KratosScript(node: UiNode) -> impl IntoView {
    let UiNodeAttributes::Script {
        id,
        src,
        integrity,
        crossorigin,
        referrerpolicy,
    } = node.attributes
    else {
        return ().into_any();
    };
    let nonce = leptos::nonce::use_nonce();
    view! {
        <script id=id src=src integrity=integrity crossorigin=crossorigin referrerpolicy=referrerpolicy
            nonce=nonce async></script>
    }
    .into_any()
}

fn group_title(group: &str) -> Option<Msg> {
    match group {
        "profile" => Some(Msg::SettingsProfile),
        "password" => Some(Msg::SettingsPassword),
        "totp" => Some(Msg::SettingsTotp),
        "lookup_secret" => Some(Msg::SettingsLookup),
        "passkey" => Some(Msg::SettingsPasskey),
        _ => None,
    }
}

#[component]
fn Messages(messages: Vec<UiText>, locale: Locale) -> impl IntoView {
    messages
        .into_iter()
        .map(|message| {
            let error = message.is_error();
            view! {
                <p
                    role=if error { "alert" } else { "status" }
                    class=if error {
                        "mt-6 rounded-md border border-rose-200 bg-rose-50 px-4 py-3 text-sm text-rose-800"
                    } else {
                        "mt-6 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900"
                    }
                    data-message-id=message.id
                >
                    {kratos_text(locale, &message)}
                </p>
            }
        })
        .collect_view()
}

fn value_text(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Kratos' id for registration's "Back" button.
const KRATOS_BACK: u64 = 1040008;

#[component]
fn Node(node: UiNode, group: String) -> impl IntoView {
    let locale = use_locale();
    let label_text = |name: &str, label: Option<&UiText>| match field_msg(name) {
        Some(msg) => msg.text(locale).to_owned(),
        None => label
            .map(|l| kratos_text(locale, l))
            .unwrap_or_else(|| name.to_owned()),
    };
    match node.attributes {
        UiNodeAttributes::Input {
            name,
            input_type,
            value,
            required,
            disabled,
            autocomplete,
            pattern,
            maxlength,
            label,
            onclick_trigger,
        } => {
            let value = value_text(value.as_ref());
            let label = node.meta.label.as_ref().or(label.as_ref());
            // Registration's "Back" (to the first step) is the other choice, not the main one.
            let back = label.is_some_and(|label| label.id == KRATOS_BACK);
            let label = label_text(&name, label);
            if let Some(trigger) = onclick_trigger {
                // A passkey ceremony needs JavaScript: /passkeys.js shows the
                // button where the browser supports WebAuthn and wires it.
                return view! {
                    <button type="button" name=name data-ory-trigger=trigger disabled=disabled
                        class="passkey-trigger w-full rounded-lg border border-indigo-700 bg-white px-4 py-2.5 text-sm font-semibold text-indigo-800 hover:bg-indigo-50">
                        {label}
                    </button>
                }
                .into_any();
            }
            match input_type.as_str() {
                "hidden" => view! { <input type="hidden" name=name value=value /> }.into_any(),
                "submit" | "button" => view! {
                    <button type="submit" name=name value=value disabled=disabled
                        class=format!("w-full {}", if back { button::SECONDARY } else { button::PRIMARY })>
                        {label}
                    </button>
                }
                .into_any(),
                _ => {
                    let id = format!("{group}-{}", name.replace(['.', '_'], "-"));
                    let error_id = format!("{id}-messages");
                    let has_errors = node.messages.iter().any(UiText::is_error);
                    let described_by = (!node.messages.is_empty()).then(|| error_id.clone());
                    let field = if name == "traits.locale" {
                        let current = if value.is_empty() { locale.tag().to_owned() } else { value };
                        view! {
                            <select id=id.clone() name=name required=required disabled=disabled aria-describedby=described_by class=SELECT>
                                {Locale::ALL.into_iter().map(|option| view! {
                                    <option value=option.tag() selected=option.tag() == current>
                                        {match option { Locale::En => Msg::SwitchToEnglish, Locale::Fr => Msg::SwitchToFrench }.text(locale)}
                                    </option>
                                }).collect_view()}
                            </select>
                        }
                        .into_any()
                    } else if input_type == "checkbox" {
                        view! {
                            <input id=id.clone() type="checkbox" name=name value="true" checked=value == "true"
                                disabled=disabled aria-describedby=described_by class="h-4 w-4 rounded border-slate-300" />
                        }
                        .into_any()
                    } else {
                        view! {
                            <input id=id.clone() type=input_type name=name value=value required=required disabled=disabled
                                autocomplete=autocomplete pattern=pattern maxlength=maxlength
                                aria-invalid=has_errors.then_some("true") aria-describedby=described_by class=INPUT />
                        }
                        .into_any()
                    };
                    view! {
                        <div>
                            <label for=id class=LABEL>{label}</label>
                            {field}
                            <div id=error_id>
                                {node.messages.into_iter().map(|m| view! {
                                    <p class=if m.is_error() { "mt-1 text-sm text-rose-700" } else { "mt-1 text-sm text-slate-600" }
                                        data-message-id=m.id>{kratos_text(locale, &m)}</p>
                                }).collect_view()}
                            </div>
                        </div>
                    }
                    .into_any()
                }
            }
        }
        UiNodeAttributes::Img {
            src, width, height, ..
        } => view! {
            <img src=src width=width height=height alt=t(Msg::TotpQrAlt) class="mx-auto" />
        }
        .into_any(),
        UiNodeAttributes::Text { id, text } => {
            let codes: Vec<String> = text
                .context
                .as_ref()
                .and_then(|c| c.get("secrets"))
                .and_then(|s| s.as_array())
                .map(|secrets| {
                    secrets
                        .iter()
                        .filter_map(|s| s.get("text")?.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if codes.is_empty() {
                // What the text is (the TOTP secret: for an app that cannot scan the code).
                let caption = node.meta.label.as_ref().map(|label| {
                    view! { <p class="text-sm text-slate-600">{kratos_text(locale, label)}</p> }
                });
                view! {
                    {caption}
                    <p id=id class="break-all font-mono text-sm text-slate-800">{kratos_text(locale, &text)}</p>
                }
                .into_any()
            } else {
                view! {
                    <ul id=id class="grid grid-cols-2 gap-2 font-mono text-sm">
                        {codes.into_iter().map(|code| view! { <li class="rounded bg-slate-100 px-2 py-1">{code}</li> }).collect_view()}
                    </ul>
                }
                .into_any()
            }
        }
        // Kratos' links ("Continue" after a verification) lead out of the
        // app's routes (to /auth/signin, or an application): the browser
        // follows them, never a client-side router.
        UiNodeAttributes::A { id, href, title } => view! {
            <a id=id href=href rel="external" data-kratos-link class="text-sm font-semibold text-indigo-700">{kratos_text(locale, &title)}</a>
        }
        .into_any(),
        // Loaded once per page by `FlowForms`.
        UiNodeAttributes::Script { .. } => ().into_any(),
    }
}
