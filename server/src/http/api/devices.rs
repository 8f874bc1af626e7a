//! `/api/v1/organizations/{slug}/subscriptions/{id}/devices`: an IoT
//! subscription's devices, as its pages have them: listed (by name, with
//! how much each talks), registered, removed, rotated, disabled and enabled,
//! their credentials shown once, their telemetry read, commands sent.

use axum::{
    extract::{OriginalUri, Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use control::domain::{
    DeviceActivity, DeviceChange, DeviceCommand, DeviceName, ListedDevice, Refusal, SentCommand,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    auth::ApiCaller,
    body::{ApiJson, ApiQuery},
    gate::KeepInstead,
    pages::Listed,
    problem::ProblemDetail,
    Answer, BASE,
};
use crate::http::AppState;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_devices, register_device))
        .routes(routes!(get_device, remove_device))
        .routes(routes!(change_device))
        .routes(routes!(device_credentials))
        .routes(routes!(device_telemetry))
        .routes(routes!(list_commands, send_command))
}

/// A device and how much it talks.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Device {
    id: String,
    #[schema(example = "sensor-01")]
    name: String,
    /// `YYYY-MM-DD`.
    registered_on: String,
    /// `setting_up`, `rotating`, `active` or `disabled`.
    status: String,
    /// Its current password was shown (it is shown once).
    password_shown: bool,
    activity: Activity,
}

/// How much a device talks.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Activity {
    /// When it was last heard (RFC 3339).
    last_seen: Option<String>,
    online: bool,
    per_minute: u32,
    dropped_last_hour: u32,
}

impl From<DeviceActivity> for Activity {
    fn from(activity: DeviceActivity) -> Self {
        Self {
            last_seen: activity.last_seen,
            online: activity.online,
            per_minute: activity.per_minute,
            dropped_last_hour: activity.dropped_last_hour,
        }
    }
}

impl From<ListedDevice> for Device {
    fn from(listed: ListedDevice) -> Self {
        let device = listed.device;
        Self {
            id: device.id,
            name: device.name,
            registered_on: device.registered_on,
            status: device.status.code().to_owned(),
            password_shown: device.password_shown,
            activity: listed.activity.into(),
        }
    }
}

/// Which devices.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DeviceQuery {
    /// The names' beginning.
    search: Option<String>,
    /// The page, from 1 (`Link: rel="next"` names the next).
    #[param(minimum = 1)]
    page: Option<u32>,
}

fn ids(api: &ApiCaller, subscription: &str, device: Option<&str>) -> Answer<(Uuid, Uuid)> {
    let parse = |id: &str| Uuid::parse_str(id).map_err(|_| api.refused(&Refusal::NotFound));
    Ok((
        parse(subscription)?,
        device.map(parse).transpose()?.unwrap_or_default(),
    ))
}

/// The subscription's devices, by name, a page at a time.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/subscriptions/{id}/devices",
    tag = "devices",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The IoT subscription's id"),
        DeviceQuery,
    ),
    responses(
        (status = 200, description = "A page of devices; `Link: <…>; rel=\"next\"` names the next", body = Vec<Device>),
        (status = 400, description = "A query that cannot be read", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope, or a role that does not use the services", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["devices:read"]))
)]
async fn list_devices(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<DeviceQuery>,
) -> Answer<Response> {
    let (subscription, _) = ids(&api, &id, None)?;
    let search = query.search.unwrap_or_default();
    let page = query.page.unwrap_or(1).max(1);
    let list = api.settle(
        state
            .control
            .device_list(&api.caller, &slug, subscription, page, &search)
            .await,
    )?;
    let next = (list.page < list.pages).then(|| {
        let mut next = vec![("page", (list.page + 1).to_string())];
        if !search.is_empty() {
            next.push(("search", search.clone()));
        }
        next
    });
    let devices: Vec<Device> = list.devices.into_iter().map(Device::from).collect();
    Ok(Listed::keyset(devices, uri.path(), next).into_response())
}

/// A device to register.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct NewDeviceBody {
    /// 2 to 64 of `a-z`, `0-9`, `.`, `_`, `-`, starting with a letter or digit.
    #[schema(example = "sensor-01", pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")]
    name: String,
}

/// Registers a device: the broker gets its client, then its password can
/// be shown once (`POST …/credentials`).
#[utoipa::path(
    post,
    path = "/organizations/{slug}/subscriptions/{id}/devices",
    tag = "devices",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The IoT subscription's id"),
    ),
    request_body = NewDeviceBody,
    responses(
        (status = 201, description = "Registered; `Location` names it", body = Device),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope, or a role that does not use the services", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "The plan's device quota is reached, or the subscription is not running", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "A name refused (or taken)", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["devices:write"]))
)]
async fn register_device(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<NewDeviceBody>,
) -> Answer<Response> {
    let (subscription, _) = ids(&api, &id, None)?;
    let name =
        DeviceName::parse(&body.name).map_err(|problem| api.refused(&Refusal::field("name", problem)))?;
    api.settle(
        state
            .control
            .register_device(&api.caller, &slug, subscription, &name)
            .await,
    )?;
    let list = api.settle(
        state
            .control
            .device_list(&api.caller, &slug, subscription, 1, name.as_str())
            .await,
    )?;
    let device = list
        .devices
        .into_iter()
        .find(|listed| listed.device.name == name.as_str())
        .map(Device::from)
        .ok_or_else(|| api.refused(&Refusal::NotFound))?;
    let location = format!(
        "{BASE}/organizations/{slug}/subscriptions/{id}/devices/{}",
        device.id
    );
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(device)).into_response())
}

/// A device, and how it connects (never its password).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct DeviceDetail {
    id: String,
    name: String,
    registered_on: String,
    status: String,
    password_shown: bool,
    /// The broker, as devices reach it.
    host: String,
    port: u16,
    tls: bool,
    username: String,
    /// Where it publishes (anything under it).
    topic: String,
    /// What it subscribes to for commands.
    commands_topic: String,
}

/// One device and how it connects.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/subscriptions/{id}/devices/{device}",
    tag = "devices",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The IoT subscription's id"),
        ("device" = String, Path, description = "The device's id"),
    ),
    responses(
        (status = 200, description = "The device", body = DeviceDetail),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope, or a role that does not use the services", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["devices:read"]))
)]
async fn get_device(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id, device)): Path<(String, String, String)>,
) -> Answer<Json<DeviceDetail>> {
    let (subscription, device) = ids(&api, &id, Some(&device))?;
    let details = api.settle(
        state
            .control
            .device_details(&api.caller, &slug, subscription, device)
            .await,
    )?;
    Ok(Json(DeviceDetail {
        id: details.device.id,
        name: details.device.name,
        registered_on: details.device.registered_on,
        status: details.device.status.code().to_owned(),
        password_shown: details.device.password_shown,
        host: details.host,
        port: details.port,
        tls: details.tls,
        username: details.username,
        topic: details.topic,
        commands_topic: details.commands_topic,
    }))
}

/// Removes a device: the broker refuses it from then on.
#[utoipa::path(
    delete,
    path = "/organizations/{slug}/subscriptions/{id}/devices/{device}",
    tag = "devices",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The IoT subscription's id"),
        ("device" = String, Path, description = "The device's id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope, or a role that does not use the services", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["devices:write"]))
)]
async fn remove_device(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id, device)): Path<(String, String, String)>,
) -> Answer<StatusCode> {
    let (subscription, device) = ids(&api, &id, Some(&device))?;
    api.settle(
        state
            .control
            .remove_device(&api.caller, &slug, subscription, device)
            .await,
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotates a device's password, or disables or enables it.
#[utoipa::path(
    post,
    path = "/organizations/{slug}/subscriptions/{id}/devices/{device}/{change}",
    tag = "devices",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The IoT subscription's id"),
        ("device" = String, Path, description = "The device's id"),
        ("change" = String, Path, description = "`rotate`, `disable` or `enable`"),
    ),
    responses(
        (status = 204, description = "Done; the broker follows (a rotation's password is shown once, by `POST …/credentials`)"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope, or a role that does not use the services", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Already so, or the subscription is not running", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["devices:write"]))
)]
async fn change_device(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id, device, change)): Path<(String, String, String, String)>,
) -> Answer<StatusCode> {
    let (subscription, device) = ids(&api, &id, Some(&device))?;
    let change = DeviceChange::parse(&change).ok_or_else(|| api.refused(&Refusal::NotFound))?;
    api.settle(
        state
            .control
            .change_device(&api.caller, &slug, subscription, device, change)
            .await,
    )?;
    Ok(StatusCode::NO_CONTENT)
}

/// How a device connects, with its password.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Credentials {
    host: String,
    port: u16,
    tls: bool,
    username: String,
    /// Shown this once (absent when the answer is replayed for the same
    /// `Idempotency-Key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    topic: String,
    commands_topic: String,
}

/// Shows a device's password, once: the first time after the broker has
/// it; after that, only a rotation gives a new one to show.
#[utoipa::path(
    post,
    path = "/organizations/{slug}/subscriptions/{id}/devices/{device}/credentials",
    tag = "devices",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The IoT subscription's id"),
        ("device" = String, Path, description = "The device's id"),
    ),
    responses(
        (status = 200, description = "Its credentials, password included", body = Credentials),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope, or a role that does not use the services", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "Shown already, or not on the broker yet", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["devices:write"]))
)]
async fn device_credentials(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id, device)): Path<(String, String, String)>,
) -> Answer<Response> {
    let (subscription, device) = ids(&api, &id, Some(&device))?;
    let shown = api.settle(
        state
            .control
            .device_credentials(&api.caller, &slug, subscription, device)
            .await,
    )?;
    let mut credentials = Credentials {
        host: shown.host,
        port: shown.port,
        tls: shown.tls,
        username: shown.username,
        password: None,
        topic: shown.topic,
        commands_topic: shown.commands_topic,
    };
    // A replay of this answer (same Idempotency-Key) carries no password.
    let without_password = serde_json::to_vec(&credentials).unwrap_or_default();
    credentials.password = Some(shown.password);
    let mut response = Json(credentials).into_response();
    response.extensions_mut().insert(KeepInstead(without_password));
    Ok(response)
}

/// A device's telemetry over the last hour.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Telemetry {
    activity: Activity,
    /// The plan's messages a minute for one device.
    limit_per_minute: Option<u32>,
    /// The latest messages, newest first.
    recent: Vec<Message>,
}

/// A message a device sent.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Message {
    /// When it was stored (UTC, `HH:MM:SS`).
    at: String,
    /// The topic below the device's.
    topic: String,
    payload: String,
    /// Whether the payload is JSON.
    json: bool,
}

/// A device's activity and latest messages.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/subscriptions/{id}/devices/{device}/telemetry",
    tag = "devices",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The IoT subscription's id"),
        ("device" = String, Path, description = "The device's id"),
    ),
    responses(
        (status = 200, description = "Its telemetry", body = Telemetry),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope, or a role that does not use the services", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["devices:read"]))
)]
async fn device_telemetry(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id, device)): Path<(String, String, String)>,
) -> Answer<Json<Telemetry>> {
    let (subscription, device) = ids(&api, &id, Some(&device))?;
    let telemetry = api.settle(
        state
            .control
            .device_telemetry(&api.caller, &slug, subscription, device)
            .await,
    )?;
    Ok(Json(Telemetry {
        activity: telemetry.activity.into(),
        limit_per_minute: telemetry.limit_per_minute,
        recent: telemetry
            .recent
            .into_iter()
            .map(|message| Message {
                at: message.at,
                topic: message.topic,
                payload: message.payload,
                json: message.json,
            })
            .collect(),
    }))
}

/// A command sent to a device, and what the broker answered.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Command {
    /// UTC, `YYYY-MM-DD HH:MM:SS` (absent for the one just sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<String>,
    /// The command's JSON, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<String>,
    /// `delivered`, `no_listener`, `refused` or `unreachable`.
    result: String,
}

impl From<SentCommand> for Command {
    fn from(sent: SentCommand) -> Self {
        Self {
            at: Some(sent.at),
            payload: Some(sent.payload),
            result: sent.result.code().to_owned(),
        }
    }
}

/// The commands last sent to a device, newest first.
#[utoipa::path(
    get,
    path = "/organizations/{slug}/subscriptions/{id}/devices/{device}/commands",
    tag = "devices",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The IoT subscription's id"),
        ("device" = String, Path, description = "The device's id"),
    ),
    responses(
        (status = 200, description = "Its latest commands", body = Vec<Command>),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope, or a role that does not use the services", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["devices:read"]))
)]
async fn list_commands(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id, device)): Path<(String, String, String)>,
) -> Answer<Json<Vec<Command>>> {
    let (subscription, device) = ids(&api, &id, Some(&device))?;
    let sent = api.settle(
        state
            .control
            .device_commands(&api.caller, &slug, subscription, device)
            .await,
    )?;
    Ok(Json(sent.into_iter().map(Command::from).collect()))
}

/// A command for a device.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct CommandBody {
    /// Any JSON value, 4 KiB at most once written.
    #[schema(value_type = Object, example = json!({"led": "on"}))]
    command: serde_json::Value,
}

/// Publishes a command on the device's commands topic.
#[utoipa::path(
    post,
    path = "/organizations/{slug}/subscriptions/{id}/devices/{device}/commands",
    tag = "devices",
    params(
        ("slug" = String, Path, description = "The organization's slug"),
        ("id" = String, Path, description = "The IoT subscription's id"),
        ("device" = String, Path, description = "The device's id"),
    ),
    request_body = CommandBody,
    responses(
        (status = 200, description = "What the broker answered", body = Command),
        (status = 400, description = "The body is not the JSON described", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 403, description = "Not the token's scope, or a role that does not use the services", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or not the caller's", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 409, description = "The device is disabled, or not on the broker yet", body = ProblemDetail, content_type = "application/problem+json"),
        (status = 422, description = "A command too long", body = ProblemDetail, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["devices:write"]))
)]
async fn send_command(
    State(state): State<AppState>,
    api: ApiCaller,
    Path((slug, id, device)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<CommandBody>,
) -> Answer<Json<Command>> {
    let (subscription, device) = ids(&api, &id, Some(&device))?;
    let command = DeviceCommand::parse(&body.command.to_string())
        .map_err(|problem| api.refused(&Refusal::field("command", problem)))?;
    let result = api.settle(
        state
            .control
            .send_device_command(&api.caller, &slug, subscription, device, &command)
            .await,
    )?;
    Ok(Json(Command {
        at: None,
        payload: None,
        result: result.code().to_owned(),
    }))
}
