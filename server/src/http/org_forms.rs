//! The forms of an organization's page: invitations, members' roles and
//! removal, subscriptions, API clients; and accepting an invitation. Each post checks its
//! CSRF token, parses its fields once and asks the control plane, which
//! checks the caller's role; the answer follows [`super::answers`].

use app::{
    api::{INVITATION_TOKEN_COOKIE, PENDING_INVITATION},
    i18n::locale_from_headers,
    routes::{self, pattern},
};
use axum::{
    extract::Path,
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use control::{
    domain::{
        DeviceChange, DeviceCommand, DeviceName, FieldProblem, NewApiClient, NewInvitation, Refusal, Role,
    },
    tenancy::modules::ModuleChange,
};
use serde::Deserialize;

use super::{
    answers::{self, done_at, id_in_path, parsed, FormVersion, NoFields, Post},
    AppState,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(pattern::INVITE, post(invite))
        .route(pattern::REVOKE_INVITATION, post(revoke_invitation))
        .route(pattern::MEMBER_ROLE, post(change_role))
        .route(pattern::REMOVE_MEMBER, post(remove_member))
        .route(pattern::SUBSCRIBE, post(subscribe))
        .route(pattern::CHANGE_PLAN, post(change_plan))
        .route(pattern::CANCEL_SUBSCRIPTION, post(cancel))
        .route(pattern::DEVICES, post(register_device))
        .route(pattern::REMOVE_DEVICE, post(remove_device))
        .route(pattern::DEVICE_CHANGE, post(change_device))
        .route(pattern::DEVICE_COMMAND, post(send_command))
        .route(pattern::CHANGE_MODULE, post(change_module))
        .route(pattern::ADD_DOMAIN, post(add_domain))
        .route(pattern::DOMAIN_ACTION, post(domain_action))
        .route(pattern::ACCEPT_INVITATION, post(accept_invitation))
        .route(pattern::API_CLIENTS, post(create_api_client))
        .route(pattern::REVOKE_API_CLIENT, post(revoke_api_client))
}

// One struct per form, with the fields it posts beside its CSRF token (see
// [`Post`]). A missing field is empty (`default`): the operation refuses it
// beside its field, as a wrong one. Revoke, remove and accept post only the
// token ([`NoFields`]).

#[derive(Deserialize, Default)]
#[serde(default)]
struct InvitationPost {
    email: String,
    role: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RolePost {
    role: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SubscribePost {
    plan: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanChangePost {
    plan: String,
    version: FormVersion,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CancelPost {
    version: FormVersion,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DevicePost {
    name: String,
}

// Each handler parses what its form and path carry and asks for its
// operation; `Post::submit` checks the caller and the token and answers.

async fn invite(Path(slug): Path<String>, post: Post<InvitationPost>) -> Response {
    let fields = &post.fields;
    let form = post.form(&routes::members(&slug)).echo(vec![
        ("email", fields.email.clone()),
        ("role", fields.role.clone()),
    ]);
    post.submit(form, async |caller| {
        let new = parsed!(NewInvitation::parse(&fields.email, &fields.role).map_err(Refusal::Fields));
        let locale = locale_from_headers(&post.parts.headers);
        let sent = post
            .state
            .control
            .invite_member(&caller, &slug, &new, locale)
            .await;
        done_at(sent, &format!("{}?invited=1", routes::members(&slug)))
    })
    .await
}

async fn revoke_invitation(Path((slug, id)): Path<(String, String)>, post: Post<NoFields>) -> Response {
    let back = routes::members(&slug);
    post.submit(post.form(&back), async |caller| {
        let id = parsed!(id_in_path(&id));
        done_at(
            post.state.control.revoke_invitation(&caller, &slug, id).await,
            &back,
        )
    })
    .await
}

async fn change_role(Path((slug, id)): Path<(String, String)>, post: Post<RolePost>) -> Response {
    let back = routes::members(&slug);
    post.submit(post.form(&back), async |caller| {
        let member = parsed!(id_in_path(&id));
        let Some(role) = Role::parse(&post.fields.role) else {
            return Ok(Err(Refusal::field("role", FieldProblem::Unknown)));
        };
        let changed = post
            .state
            .control
            .change_member_role(&caller, &slug, member, role);
        done_at(changed.await, &back)
    })
    .await
}

async fn remove_member(Path((slug, id)): Path<(String, String)>, post: Post<NoFields>) -> Response {
    let back = routes::members(&slug);
    post.submit(post.form(&back), async |caller| {
        let member = parsed!(id_in_path(&id));
        // Who leaves no longer sees the organization: back to their list.
        let done = if caller.identity_id == id {
            routes::ORGANIZATIONS
        } else {
            back.as_str()
        };
        done_at(
            post.state.control.remove_member(&caller, &slug, member).await,
            done,
        )
    })
    .await
}

async fn subscribe(Path(slug): Path<String>, post: Post<SubscribePost>) -> Response {
    post.submit(post.form(&routes::services(&slug)), async |caller| {
        let plan = post.fields.plan.trim();
        done_at(
            post.state.control.subscribe(&caller, &slug, plan).await,
            &routes::subscriptions(&slug),
        )
    })
    .await
}

async fn change_plan(Path((slug, id)): Path<(String, String)>, post: Post<PlanChangePost>) -> Response {
    let back = routes::subscriptions(&slug);
    post.submit(post.form(&back), async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let (plan, version) = (post.fields.plan.trim(), post.fields.version.get32());
        let changed = post
            .state
            .control
            .change_plan(&caller, &slug, subscription, plan, version);
        done_at(changed.await, &back)
    })
    .await
}

async fn cancel(Path((slug, id)): Path<(String, String)>, post: Post<CancelPost>) -> Response {
    let back = routes::subscriptions(&slug);
    post.submit(post.form(&back), async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let version = post.fields.version.get32();
        let cancelled = post
            .state
            .control
            .cancel_subscription(&caller, &slug, subscription, version);
        done_at(cancelled.await, &back)
    })
    .await
}

async fn register_device(Path((slug, id)): Path<(String, String)>, post: Post<DevicePost>) -> Response {
    let back = routes::subscriptions(&slug);
    let form = post.form(&back).echo(vec![("device", post.fields.name.clone())]);
    post.submit(form, async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let name = DeviceName::parse(&post.fields.name).map_err(|problem| Refusal::field("name", problem));
        let name = parsed!(name);
        let registered = post
            .state
            .control
            .register_device(&caller, &slug, subscription, &name);
        done_at(registered.await, &back)
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CommandPost {
    command: String,
}

/// Sends a device a command; back on its page, which tells what the
/// broker answered (`?sent=<result>`).
async fn send_command(
    Path((slug, id, device)): Path<(String, String, String)>,
    post: Post<CommandPost>,
) -> Response {
    let back = routes::device(&slug, &id, &device);
    let form = post
        .form(&back)
        .echo(vec![("command", post.fields.command.clone())]);
    post.submit(form, async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let device_id = parsed!(id_in_path(&device));
        let command =
            DeviceCommand::parse(&post.fields.command).map_err(|problem| Refusal::field("command", problem));
        let command = parsed!(command);
        let sent = post
            .state
            .control
            .send_device_command(&caller, &slug, subscription, device_id, &command)
            .await?;
        Ok(sent.map(|result| format!("{back}?sent={}", result.code())))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApiClientPost {
    name: String,
    role: String,
    lifetime_days: String,
    /// One checkbox per scope, named `scope:<scope>`.
    #[serde(flatten)]
    checked: std::collections::BTreeMap<String, String>,
}

/// Makes an API client and answers with the page showing its secret (the
/// page rendered with it, never a redirect that would have to carry it).
async fn create_api_client(Path(slug): Path<String>, post: Post<ApiClientPost>) -> Response {
    let back = routes::api_clients(&slug);
    let form = post.form(&back).echo(vec![("name", post.fields.name.clone())]);
    let caller = match answers::form_caller(&post.parts, &form) {
        Ok(caller) => caller,
        Err(redirect) => return redirect.into_response(),
    };
    let scopes: Vec<String> = post
        .fields
        .checked
        .keys()
        .filter_map(|key| key.strip_prefix("scope:"))
        .map(str::to_owned)
        .collect();
    let fields = &post.fields;
    let outcome = match NewApiClient::parse(&fields.name, &fields.role, &scopes, &fields.lifetime_days) {
        Ok(new) => post.state.control.create_api_client(&caller, &slug, &new).await,
        Err(problems) => Ok(Err(Refusal::Fields(problems))),
    };
    match outcome {
        Ok(Ok(created)) => {
            answers::page_as_get(&post.state.pages, &post.parts, &back, |extensions| {
                extensions.insert(app::api::CreatedApiClientShown(created));
            })
            .await
        }
        other => {
            let echo = [("name", post.fields.name.clone())];
            answers::answer(
                &post.state.pages,
                &post.parts,
                other.map(|o| o.map(|_| back.clone())),
                &back,
                &echo,
            )
            .await
        }
    }
}

async fn revoke_api_client(Path((slug, id)): Path<(String, String)>, post: Post<NoFields>) -> Response {
    let back = routes::api_clients(&slug);
    post.submit(post.form(&back), async |caller| {
        let id = parsed!(id_in_path(&id));
        done_at(
            post.state.control.revoke_api_client(&caller, &slug, id).await,
            &back,
        )
    })
    .await
}

/// Rotates, turns off or on a device, back on its page; or shows its
/// password, on this answer only (the page rendered with it, never a
/// redirect that would have to carry it).
async fn change_device(
    Path((slug, id, device, change)): Path<(String, String, String, String)>,
    post: Post<NoFields>,
) -> Response {
    let back = routes::device(&slug, &id, &device);
    let ids = match (id_in_path(&id), id_in_path(&device)) {
        (Ok(subscription), Ok(device)) => Some((subscription, device)),
        _ => None,
    };
    if change == "reveal" {
        let form = post.form(&back);
        let caller = match answers::form_caller(&post.parts, &form) {
            Ok(caller) => caller,
            Err(redirect) => return redirect.into_response(),
        };
        let outcome = match ids {
            Some((subscription, device)) => {
                post.state
                    .control
                    .device_credentials(&caller, &slug, subscription, device)
                    .await
            }
            None => Ok(Err(Refusal::NotFound)),
        };
        return match outcome {
            Ok(Ok(credentials)) => {
                let page = routes::device_password(&slug, &id, &device);
                answers::page_as_get(&post.state.pages, &post.parts, &page, |extensions| {
                    extensions.insert(app::api::RevealedDevice(credentials));
                })
                .await
            }
            other => {
                answers::answer(
                    &post.state.pages,
                    &post.parts,
                    other.map(|o| o.map(|_| back.clone())),
                    &back,
                    &[],
                )
                .await
            }
        };
    }
    post.submit(post.form(&back), async |caller| {
        let (Some((subscription, device)), Some(change)) = (ids, DeviceChange::parse(&change)) else {
            return Ok(Err(Refusal::NotFound));
        };
        let changed = post
            .state
            .control
            .change_device(&caller, &slug, subscription, device, change);
        done_at(changed.await, &back)
    })
    .await
}

async fn remove_device(
    Path((slug, id, device)): Path<(String, String, String)>,
    post: Post<NoFields>,
) -> Response {
    let back = routes::subscriptions(&slug);
    post.submit(post.form(&back), async |caller| {
        let (subscription, device) = match (id_in_path(&id), id_in_path(&device)) {
            (Ok(subscription), Ok(device)) => (subscription, device),
            _ => return Ok(Err(Refusal::NotFound)),
        };
        let removed = post
            .state
            .control
            .remove_device(&caller, &slug, subscription, device);
        done_at(removed.await, &back)
    })
    .await
}

async fn change_module(
    Path((slug, id, module, change)): Path<(String, String, String, String)>,
    post: Post<NoFields>,
) -> Response {
    let back = routes::modules(&slug);
    post.submit(post.form(&back), async |caller| {
        let (Ok(subscription), Ok(change)) = (id_in_path(&id), change.parse::<ModuleChange>()) else {
            return Ok(Err(Refusal::NotFound));
        };
        let changed = post
            .state
            .control
            .change_module(&caller, &slug, subscription, &module, change);
        done_at(changed.await, &back)
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DomainPost {
    domain: String,
}

async fn add_domain(Path((slug, id)): Path<(String, String)>, post: Post<DomainPost>) -> Response {
    let back = routes::services(&slug);
    let form = post
        .form(&back)
        .echo(vec![("domain", post.fields.domain.clone())]);
    post.submit(form, async |caller| {
        let subscription = parsed!(id_in_path(&id));
        let added = post
            .state
            .control
            .add_domain(&caller, &slug, subscription, &post.fields.domain);
        done_at(added.await, &back)
    })
    .await
}

async fn domain_action(
    Path((slug, id, action)): Path<(String, String, String)>,
    post: Post<NoFields>,
) -> Response {
    let back = routes::services(&slug);
    post.submit(post.form(&back), async |caller| {
        let Ok(subscription) = id_in_path(&id) else {
            return Ok(Err(Refusal::NotFound));
        };
        let control = &post.state.control;
        match action.as_str() {
            // The page shows what the check found.
            "check" => {
                let checked = control.check_domain(&caller, &slug, subscription).await;
                done_at(checked.map(|outcome| outcome.map(|_| ())), &back)
            }
            "remove" => done_at(control.remove_domain(&caller, &slug, subscription).await, &back),
            _ => Ok(Err(Refusal::NotFound)),
        }
    })
    .await
}

async fn accept_invitation(Path(token): Path<String>, post: Post<NoFields>) -> Response {
    let form = post.form(&routes::invitation(&token));
    let token = if token == PENDING_INVITATION {
        app::cookie_value(&post.parts.headers, INVITATION_TOKEN_COOKIE).unwrap_or_default()
    } else {
        token
    };
    post.submit(form, async |caller| {
        let joined = post.state.control.accept_invitation(&caller, &token).await?;
        Ok(joined.map(|slug| format!("{}?joined=1", routes::organization(&slug))))
    })
    .await
}

#[cfg(test)]
mod tests {
    /// The app's page routes are literals (Leptos' `path!`): each page
    /// pattern of `app::routes` must be one of them, so the links the
    /// builders write lead somewhere.
    #[tokio::test]
    async fn the_page_patterns_are_the_apps_routes() {
        let routed: Vec<String> = super::super::route_list()
            .iter()
            .map(|route| route.path().to_owned())
            .collect();
        for pattern in app::routes::pattern::PAGES {
            assert!(
                routed.iter().any(|path| path == pattern),
                "{pattern} is not a page route of the app: {routed:?}"
            );
        }
    }
}
