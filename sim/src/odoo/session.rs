//! The web client's JSON routes the external clients use, and the
//! `session_id` cookie they sign in with (addons/web/controllers:
//! `webclient.version_info`, `session.authenticate`, `get_session_info`,
//! `destroy`, `logout`, `dataset.call_kw`, `database.list`).
//!
//! A request's database is its session's, or the only database the server
//! has (Odoo's "monodb"); a route for signed-in users (`auth="user"`)
//! without a database is a 404, without a user a `SessionExpiredException`
//! (JSON-RPC error code 100).

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue},
    response::Response,
    routing::{get, post},
    Router,
};
use serde_json::{json, Value};

use super::{
    database::{at, GROUP_SYSTEM, GROUP_USER, PUBLIC_USER},
    error::{OdooError, OdooResult},
    jsonrpc::{respond, JsonRequest},
    orm::{self, Call},
    service::{self, Server},
    Failure, Simulator,
};

/// `SESSION_LIFETIME`: the cookie's `Max-Age`.
const SESSION_LIFETIME_SECONDS: i64 = 7 * 24 * 60 * 60;

/// What a signed-in session holds.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub db: Option<String>,
    pub uid: Option<i64>,
    /// The user's session token when it signed in: a change of login,
    /// password or active flag ends the session.
    pub token: Option<String>,
}

/// The sessions saved on the server, by `session_id`.
#[derive(Default)]
pub struct Sessions {
    pub(super) saved: HashMap<String, Session>,
}

/// The session a request carries and its database, as odoo.http
/// `_get_session_and_dbname` finds them.
pub(super) struct Current {
    pub(super) sid: String,
    /// The cookie to send back: a new session, or a rotated one.
    set_cookie: bool,
    pub(super) session: Session,
    pub(super) db: Option<String>,
}

impl Current {
    pub(super) fn find(server: &mut Server, headers: &HeaderMap) -> Self {
        let cookie = session_cookie(headers);
        let (sid, set_cookie) = match cookie {
            Some(sid) => (sid, false),
            None => (new_session_id(), true),
        };
        let mut session = server.sessions.saved.get(&sid).cloned().unwrap_or_default();
        // The session's database if this host may reach it, else the
        // only one it may reach.
        let reachable = server.databases_for(&host(server.proxy_mode, headers));
        let own_db = session.db.clone().filter(|name| reachable.contains(name));
        let db = own_db.or_else(|| match reachable.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        });
        if session.db != db {
            session = Session {
                db: db.clone(),
                ..Session::default()
            };
        }
        Self {
            sid,
            set_cookie,
            session,
            db,
        }
    }

    /// Ends the session and starts a new one (`session.logout()` rotates it).
    pub(super) fn logout(&mut self, server: &mut Server, keep_db: bool) {
        server.sessions.saved.remove(&self.sid);
        self.sid = new_session_id();
        self.set_cookie = true;
        self.session = Session {
            db: if keep_db { self.db.clone() } else { None },
            ..Session::default()
        };
    }

    /// Signs `uid` in under a new session id (`session.authenticate`
    /// rotates it). An administrator's sign-in sets `web.base.url` to the
    /// URL they came through (`base_location`, `url_root` without its `/`).
    pub(super) fn sign_in(&mut self, server: &mut Server, db: &str, uid: i64, url_root: &str) {
        if let Some(database) = server.databases.get_mut(db) {
            if database.groups_of(uid).contains(&GROUP_SYSTEM) {
                database.set_web_base_url(url_root.trim_end_matches('/'));
            }
        }
        let token = server
            .databases
            .get(db)
            .and_then(|database| database.session_token(uid));
        self.logout(server, false);
        self.db = Some(db.to_owned());
        self.session = Session {
            db: Some(db.to_owned()),
            uid: Some(uid),
            token,
        };
        server
            .sessions
            .saved
            .insert(self.sid.clone(), self.session.clone());
    }

    /// What an `auth="user"` route needs: a database and a valid signed-in user.
    pub(super) fn user(&mut self, server: &mut Server) -> Result<(String, i64), Denial> {
        let db = self.db.clone().ok_or(Denial::NotFound)?;
        let uid = self.session.uid.ok_or(Denial::Expired)?;
        let token = server
            .databases
            .get(&db)
            .and_then(|database| database.session_token(uid));
        if token.is_none() || token != self.session.token {
            self.logout(server, true);
            return Err(Denial::Expired);
        }
        Ok((db, uid))
    }

    /// Sends the cookie back when it changed, with the answer.
    pub(super) fn answer(&self, response: Response) -> Response {
        let mut response = response;
        if self.set_cookie {
            if let Ok(cookie) = HeaderValue::from_str(&session_cookie_header(&self.sid)) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
        }
        response
    }
}

/// Why an `auth="user"` route is refused.
pub(super) enum Denial {
    /// No database: the route does not exist without one.
    NotFound,
    /// No user signed in, or the session is no longer valid.
    Expired,
}

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/web/webclient/version_info", post(version_info))
        .route("/web/session/authenticate", post(authenticate))
        .route("/web/session/get_session_info", post(get_session_info))
        .route("/web/session/destroy", post(destroy))
        .route("/web/session/logout", get(logout).post(logout))
        .route("/web/dataset/call_kw", post(call_kw))
        .route("/web/dataset/call_kw/{*path}", post(call_kw))
        .route("/web/database/list", post(database_list))
}

async fn version_info(State(simulator): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    let request = match JsonRequest::read("/web/webclient/version_info", &headers, &body) {
        Ok(request) => request,
        Err(refused) => return *refused,
    };
    let outcome = simulator
        .injected("common.version")
        .await
        .map(|()| service::version());
    let current = Current::find(&mut simulator.lock(), &headers);
    current.answer(respond(&request.id, outcome))
}

async fn database_list(State(simulator): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    let request = match JsonRequest::read("/web/database/list", &headers, &body) {
        Ok(request) => request,
        Err(refused) => return *refused,
    };
    let outcome = match simulator.injected("db.list").await {
        Ok(()) => simulator.lock().list_databases().map_err(Failure::Odoo),
        Err(failure) => Err(failure),
    };
    let current = Current::find(&mut simulator.lock(), &headers);
    current.answer(respond(&request.id, outcome))
}

/// `{db, login, password}` → the session info, and a new `session_id`.
async fn authenticate(State(simulator): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    let request = match JsonRequest::read("/web/session/authenticate", &headers, &body) {
        Ok(request) => request,
        Err(refused) => return *refused,
    };
    if let Err(failure) = simulator.injected("common.authenticate").await {
        return respond(&request.id, Err(failure));
    }
    let mut server = simulator.lock();
    let mut current = Current::find(&mut server, &headers);
    let host = host(server.proxy_mode, &headers);
    let url_root = url_root(server.proxy_mode, &headers);
    let outcome = sign_in(&mut server, &mut current, &request, (&host, &url_root));
    current.answer(respond(&request.id, outcome.map_err(Failure::Odoo)))
}

/// `(host, url_root)` of the request.
fn sign_in(
    server: &mut Server,
    current: &mut Current,
    request: &JsonRequest,
    (host, url_root): (&str, &str),
) -> OdooResult<Value> {
    let function = "Session.authenticate";
    let db = request.text(function, "db")?;
    let login = request.text(function, "login")?;
    let password = request.text(function, "password")?;
    let database = server.database(db)?;
    let uid = database
        .authenticate(login, password)
        .ok_or_else(OdooError::access_denied)?;
    current.sign_in(server, db, uid, url_root);
    session_info(server, db, uid, host)
}

async fn get_session_info(State(simulator): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    let request = match JsonRequest::read("/web/session/get_session_info", &headers, &body) {
        Ok(request) => request,
        Err(refused) => return *refused,
    };
    let mut server = simulator.lock();
    let mut current = Current::find(&mut server, &headers);
    let outcome = match current.user(&mut server) {
        Ok((db, uid)) => {
            session_info(&server, &db, uid, &host(server.proxy_mode, &headers)).map_err(Failure::Odoo)
        }
        Err(Denial::NotFound) => return current.answer(super::not_found_page()),
        Err(Denial::Expired) => Err(Failure::Odoo(OdooError::session_expired())),
    };
    current.answer(respond(&request.id, outcome))
}

/// Signs the session out; the answer has no `result` (the route returns `None`).
async fn destroy(State(simulator): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    let request = match JsonRequest::read("/web/session/destroy", &headers, &body) {
        Ok(request) => request,
        Err(refused) => return *refused,
    };
    let mut server = simulator.lock();
    let mut current = Current::find(&mut server, &headers);
    let outcome = match current.user(&mut server) {
        Ok(_) => {
            current.logout(&mut server, false);
            Ok(Value::Null)
        }
        Err(Denial::NotFound) => return current.answer(super::not_found_page()),
        Err(Denial::Expired) => Err(Failure::Odoo(OdooError::session_expired())),
    };
    current.answer(respond(&request.id, outcome))
}

/// `GET /web/session/logout[?redirect=…]`: signs out, 303 to `/web`.
async fn logout(
    State(simulator): State<Simulator>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut server = simulator.lock();
    let mut current = Current::find(&mut server, &headers);
    current.logout(&mut server, true);
    let target = query.get("redirect").map_or("/web", String::as_str);
    current.answer(super::werkzeug_redirect(target))
}

/// `{model, method, args, kwargs}` as the signed-in user.
async fn call_kw(State(simulator): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    let request = match JsonRequest::read("/web/dataset/call_kw", &headers, &body) {
        Ok(request) => request,
        Err(refused) => return *refused,
    };
    let model = request
        .params
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let method = request
        .params
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if let Err(failure) = simulator.injected(&format!("object.{model}.{method}")).await {
        return respond(&request.id, Err(failure));
    }
    let mut server = simulator.lock();
    let mut current = Current::find(&mut server, &headers);
    let outcome = match current.user(&mut server) {
        Ok((db, uid)) => call_as(&mut server, &db, uid, &request).map_err(Failure::Odoo),
        Err(Denial::NotFound) => return current.answer(super::not_found_page()),
        Err(Denial::Expired) => Err(Failure::Odoo(OdooError::session_expired())),
    };
    current.answer(respond(&request.id, outcome))
}

fn call_as(server: &mut Server, db: &str, uid: i64, request: &JsonRequest) -> OdooResult<Value> {
    let function = "DataSet.call_kw";
    let model = request.text(function, "model")?;
    let method = request.text(function, "method")?;
    let args = request.param(function, "args")?;
    let kwargs = request.param(function, "kwargs")?;
    orm::check_method_name(method)?;
    let database = server
        .databases
        .get_mut(db)
        .ok_or_else(|| OdooError::no_database(db))?;
    // `request.env[model]`: an unknown model is a `KeyError`.
    let model = database.model(model).ok_or_else(|| OdooError::key_error(model))?;
    let empty = serde_json::Map::new();
    orm::call_kw(
        database,
        &Call {
            uid,
            model,
            method,
            args: args.as_array().map_or(&[][..], Vec::as_slice),
            kwargs: kwargs.as_object().unwrap_or(&empty),
        },
    )
}

/// `ir.http.session_info()` for a signed-in user: what clients read after
/// `/web/session/authenticate` (uid, user_context, db, username, ...).
pub(super) fn session_info(server: &Server, db: &str, uid: i64, host: &str) -> OdooResult<Value> {
    let database = server.database(db)?;
    let user = database
        .get("res.users", uid)
        .ok_or_else(OdooError::session_expired)?;
    let user_context = orm::context_get(database, uid);
    let groups = database.groups_of(uid);
    let (is_system, is_internal) = (groups.contains(&GROUP_SYSTEM), groups.contains(&GROUP_USER));
    let partner = at(user, "partner_id").as_i64();
    let partner_name = partner
        .and_then(|partner| database.get("res.partner", partner))
        .map_or(Value::Bool(false), |partner| at(partner, "name").clone());
    let version = service::version();
    let mut info = json!({
        "uid": uid,
        "is_system": is_system,
        "is_admin": is_system,
        "is_public": uid == PUBLIC_USER,
        "is_internal_user": is_internal,
        "user_context": user_context,
        "db": db,
        "server_version": version["server_version"],
        "server_version_info": version["server_version_info"],
        "support_url": "https://www.odoo.com/buy",
        "name": at(user, "name"),
        "username": at(user, "login"),
        "partner_display_name": partner_name,
        "partner_id": partner,
        "web.base.url": format!("http://{host}"),
        "active_ids_limit": 20000,
        "profile_session": null,
        "profile_collectors": null,
        "profile_params": null,
        "max_file_upload_size": 134_217_728,
        "home_action_id": false,
        "bundle_params": {"lang": user_context["lang"]},
        "test_mode": false,
    });
    if is_internal {
        info["show_effect"] = json!(true);
    }
    Ok(info)
}

/// The request's host: the one the reverse proxy forwards in proxy mode.
pub(super) fn host(proxy_mode: bool, headers: &HeaderMap) -> String {
    let forwarded = proxy_mode
        .then(|| forwarded(headers, "x-forwarded-host"))
        .flatten();
    forwarded
        .or_else(|| headers.get(header::HOST).and_then(|value| value.to_str().ok()))
        .unwrap_or("localhost:8069")
        .to_owned()
}

/// `request.httprequest.url_root`: `scheme://host/`.
pub(super) fn url_root(proxy_mode: bool, headers: &HeaderMap) -> String {
    let scheme = proxy_mode
        .then(|| forwarded(headers, "x-forwarded-proto"))
        .flatten()
        .unwrap_or("http");
    format!("{scheme}://{}/", host(proxy_mode, headers))
}

/// The first value of a forwarded header (werkzeug's `ProxyFix`, one proxy).
fn forwarded<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

/// The `session_id` cookie of the request, if any.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, value)| *name == "session_id" && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// An opaque 84-character key, as Odoo 17's session store makes them.
fn new_session_id() -> String {
    let mut key: String = (0..3)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    key.truncate(84);
    key
}

/// `Set-Cookie` as werkzeug writes Odoo's session cookie.
fn session_cookie_header(sid: &str) -> String {
    let expires = time::OffsetDateTime::now_utc() + time::Duration::days(365);
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    match expires.format(format) {
        Ok(expires) => format!(
            "session_id={sid}; Expires={expires}; Max-Age={SESSION_LIFETIME_SECONDS}; HttpOnly; Path=/"
        ),
        Err(_) => format!("session_id={sid}; Max-Age={SESSION_LIFETIME_SECONDS}; HttpOnly; Path=/"),
    }
}
