//! `/orgs/<slug>/api-clients`: the organization's API clients, for its
//! owners and admins: make one (its secret shown once, on the answer to the
//! post), see each one's scopes, expiry and last use, revoke one. Plain
//! forms: no script needed.

use control::domain::{ApiClientState, ApiClientView, CreatedApiClient, MemberView, Refusal, Role, Scope};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{api_clients_page, ApiClientsPageData},
    components::{
        access::member_refused,
        button::{SMALL_DANGER, SMALL_PRIMARY},
        classes::PAGE_TITLE,
        form::{csrf_field, FieldProblemText, INPUT, LABEL, SELECT},
        loaded::Loaded,
        local_time::LocalTime,
        navigation::{organization_tabs, OrganizationTab},
        notice::{refusal_in_query, RefusalNotice},
        table::FramedTable,
    },
    i18n::{translator, Msg},
    pages::labels::role_label,
};

/// How long a new client lives unless the form says otherwise (days).
const DEFAULT_LIFETIME_DAYS: &str = "90";

#[component]
pub fn ApiClientsPage() -> impl IntoView {
    let slug = use_params_map().read_untracked().get("slug").unwrap_or_default();
    let page = api_clients_page(slug.clone());
    view! {
        <Loaded data=page let:view>
            {match view {
                MemberView::Ready(data) => view! { <ApiClients slug=slug.clone() data /> }.into_any(),
                refused => member_refused(refused, &crate::routes::api_clients(&slug)),
            }}
        </Loaded>
    }
}

#[component]
fn ApiClients(slug: String, data: ApiClientsPageData) -> impl IntoView {
    let t = translator();
    let ApiClientsPageData {
        clients,
        csrf_token,
        token_url,
        created,
    } = data;
    let refusal = refusal_in_query();
    view! {
        <Title text=t(Msg::ApiClientsTitle) />
        <section class="mx-auto max-w-6xl" aria-labelledby="api-clients-title">
            <h1 id="api-clients-title" class=PAGE_TITLE>{t(Msg::ApiClientsTitle)}</h1>
            {organization_tabs(&slug, OrganizationTab::ApiClients, Role::Admin)}
            <p class="mt-4 max-w-3xl text-sm text-slate-700">
                {t(Msg::ApiClientsLead)}" "
                <a href=crate::routes::API_REFERENCE class="font-medium text-indigo-700 underline">{t(Msg::ApiClientsReference)}</a>
            </p>
            {created.map(|created| view! { <Created created token_url=token_url.clone() /> })}
            <RefusalNotice refusal=refusal.clone() />
            <NewClientForm slug=slug.clone() token=csrf_token.clone() refusal />
            <ClientList slug clients token=csrf_token />
        </section>
    }
}

/// The client just made, with its secret: shown on this answer only.
#[component]
fn Created(created: CreatedApiClient, token_url: String) -> impl IntoView {
    let t = translator();
    let CreatedApiClient {
        client,
        client_secret,
    } = created;
    let scope = client.scopes.join(" ");
    let example = format!(
        "curl -u '{}:{}' -d grant_type=client_credentials -d 'scope={scope}' {token_url}",
        client.client_id, client_secret
    );
    view! {
        <div class="mt-6 rounded-xl border border-emerald-300 bg-emerald-50 p-6" role="status" data-created-client>
            <h2 class="text-lg font-semibold text-emerald-900">{t(Msg::ApiClientCreated).replace("{name}", &client.name)}</h2>
            <p class="mt-1 text-sm font-medium text-emerald-900">{t(Msg::ApiClientSecretOnce)}</p>
            <dl class="mt-4 grid gap-2 text-sm sm:grid-cols-[12rem_1fr]">
                <dt class="font-medium">{t(Msg::ApiClientId)}</dt>
                <dd class="min-w-0"><code class="wrap-anywhere" data-client-id>{client.client_id.clone()}</code></dd>
                <dt class="font-medium">{t(Msg::ApiClientSecret)}</dt>
                <dd class="min-w-0"><code class="wrap-anywhere" data-client-secret>{client_secret.clone()}</code></dd>
                <dt class="font-medium">{t(Msg::ApiClientTokenUrl)}</dt>
                <dd class="min-w-0"><code class="wrap-anywhere">{token_url.clone()}</code></dd>
            </dl>
            <p class="mt-4 text-sm">{t(Msg::ApiClientExample)}</p>
            <pre class="mt-2 whitespace-pre-wrap wrap-anywhere rounded-lg bg-slate-900 p-3 text-xs text-slate-100"><code>{example}</code></pre>
        </div>
    }
}

#[component]
fn NewClientForm(slug: String, token: String, refusal: Option<Refusal>) -> impl IntoView {
    let t = translator();
    let problem = |field: &str| refusal.as_ref().and_then(|refusal| refusal.problem_of(field));
    let roles = [Role::Member, Role::Admin]
        .into_iter()
        .map(|role| view! { <option value=role.as_str()>{t(role_label(role))}</option> })
        .collect_view();
    let scopes = Scope::all()
        .into_iter()
        .filter(|scope| *scope != Scope::Admin)
        .map(|scope| {
            let name = scope.to_string();
            let id = format!("scope-{}", name.replace(':', "-"));
            let label_for = id.clone();
            view! {
                <label for=label_for class="flex items-center gap-2 text-sm">
                    <input id=id type="checkbox" name=format!("scope:{name}") value="on" />
                    <code>{name}</code>
                </label>
            }
        })
        .collect_view();
    view! {
        <form method="post" action=crate::routes::api_clients(&slug) class="card mt-6" data-new-api-client>
            <h2 class="text-lg font-semibold">{t(Msg::ApiClientNew)}</h2>
            {csrf_field(&token)}
            <div class="mt-4 grid gap-4 md:grid-cols-3">
                <div>
                    <label for="client-name" class=LABEL>{t(Msg::ApiClientName)}</label>
                    <input id="client-name" name="name" required=true maxlength="64" class=INPUT
                        aria-invalid=problem("name").is_some().then_some("true") aria-describedby="client-name-problem" />
                    <FieldProblemText id="client-name-problem".to_owned() problem=problem("name") />
                </div>
                <div>
                    <label for="client-role" class=LABEL>{t(Msg::OrgFieldRole)}</label>
                    <select id="client-role" name="role" class=SELECT aria-describedby="client-role-problem">{roles}</select>
                    <FieldProblemText id="client-role-problem".to_owned() problem=problem("role") />
                </div>
                <div>
                    <label for="client-lifetime" class=LABEL>{t(Msg::ApiClientLifetime)}</label>
                    <input id="client-lifetime" name="lifetime_days" inputmode="numeric" value=DEFAULT_LIFETIME_DAYS class=INPUT
                        aria-invalid=problem("lifetime_days").is_some().then_some("true") aria-describedby="client-lifetime-hint" />
                    <p id="client-lifetime-hint" class="mt-1 text-sm text-slate-600">{t(Msg::ApiClientLifetimeHint)}</p>
                    <FieldProblemText id="client-lifetime-problem".to_owned() problem=problem("lifetime_days") />
                </div>
            </div>
            <fieldset class="mt-4">
                <legend class=LABEL>{t(Msg::ApiClientScopes)}</legend>
                <div class="mt-2 grid gap-2 sm:grid-cols-3">{scopes}</div>
                <FieldProblemText id="client-scopes-problem".to_owned() problem=problem("scopes") />
            </fieldset>
            <button type="submit" class=format!("mt-4 {SMALL_PRIMARY}")>{t(Msg::ApiClientCreate)}</button>
        </form>
    }
}

#[component]
fn ClientList(slug: String, clients: Vec<ApiClientView>, token: String) -> impl IntoView {
    let t = translator();
    if clients.is_empty() {
        return view! { <p class="mt-6 text-sm text-slate-600" data-no-api-clients>{t(Msg::ApiClientsNone)}</p> }.into_any();
    }
    let rows = clients
        .into_iter()
        .map(|client| {
            let state = match client.state {
                ApiClientState::Active => Msg::ApiClientActive,
                ApiClientState::Expired => Msg::ApiClientExpired,
                ApiClientState::Revoked => Msg::ApiClientRevoked,
            };
            let revoke = (client.state == ApiClientState::Active).then(|| {
                view! {
                    <form method="post" action=crate::routes::revoke_api_client(&slug, &client.id)>
                        {csrf_field(&token)}
                        <button type="submit" class=SMALL_DANGER>{t(Msg::ApiClientRevoke)}</button>
                    </form>
                }
            });
            let expires = match client.expires_at {
                Some(at) => view! { <LocalTime at /> }.into_any(),
                None => t(Msg::ApiClientNoExpiry).into_any(),
            };
            let used = match client.last_used_at {
                Some(at) => view! { <LocalTime at /> }.into_any(),
                None => t(Msg::ApiClientNeverUsed).into_any(),
            };
            let marker = client.name.clone();
            view! {
                <tr class="align-top" data-api-client=marker>
                    <td class="px-3 py-2 font-medium">{client.name}<br /><code class="wrap-anywhere text-xs text-slate-600">{client.client_id}</code></td>
                    <td class="px-3 py-2">{t(role_label(client.role))}</td>
                    <td class="px-3 py-2"><code class="wrap-anywhere text-xs">{client.scopes.join(" ")}</code></td>
                    <td class="px-3 py-2" data-state=format!("{:?}", client.state).to_lowercase()>{t(state)}</td>
                    <td class="px-3 py-2">{client.created_by}<br /><LocalTime at=client.created_at /></td>
                    <td class="px-3 py-2">{expires}</td>
                    <td class="px-3 py-2">{used}</td>
                    <td class="px-3 py-2">{revoke}</td>
                </tr>
            }
        })
        .collect_view();
    let columns = vec![
        t(Msg::ApiClientName),
        t(Msg::OrgFieldRole),
        t(Msg::ApiClientScopes),
        t(Msg::ApiClientState),
        t(Msg::ApiClientMadeBy),
        t(Msg::ApiClientExpires),
        t(Msg::ApiClientLastUsed),
        t(Msg::ApiClientRevoke),
    ];
    view! { <FramedTable margin="mt-6" columns>{rows}</FramedTable> }.into_any()
}
