//! Odoo 17's database manager (addons/web/controllers/database.py): the
//! page (`/web/database/manager`, `/web/database/selector`), and the
//! backup and restore it posts (`type='http'`, `auth="none"`,
//! `csrf=False`).
//!
//! `POST /web/database/backup` (`master_pwd`, `name`, `backup_format`,
//! urlencoded or multipart) streams `dump_db`'s output as an attachment
//! named `<name>_<UTC timestamp>.<format>`; `POST /web/database/restore`
//! (multipart: `master_pwd`, the `backup_file` upload, `name`, `copy`,
//! `neutralize_database`) restores it and redirects to the manager. Both
//! check the master password first (an "insecure" server, whose password
//! is still `admin`, takes the one given as its new password), and any
//! error is the manager page again, HTTP 200, with "Database backup error:
//! …" / "Database restore error: …" in its alert, as `_render_template`
//! answers it. A missing form field is Python's `TypeError`: werkzeug's
//! 500.
//!
//! Fault operations: `web.database.backup`, `web.database.restore`.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State},
    http::{header, HeaderMap, HeaderValue},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
    Router,
};
use http::StatusCode;

use super::{
    database::truthy,
    error::OdooError,
    service::Server,
    session::{self, Current},
    werkzeug_error, werkzeug_redirect, Simulator,
};
use crate::escape_html as escape;

/// odoo/http.py `DEFAULT_MAX_CONTENT_LENGTH`: 128 MiB for any request but
/// the restore (`max_content_length=None`).
pub const DEFAULT_MAX_CONTENT_LENGTH: usize = 128 * 1024 * 1024;

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/web/database/manager", get(manager).post(manager))
        .route("/web/database/selector", get(selector).post(selector))
        .route("/web/database/backup", post(backup).fallback(method_not_allowed))
        .route(
            "/web/database/restore",
            post(restore)
                .fallback(method_not_allowed)
                .layer(DefaultBodyLimit::disable()),
        )
}

/// werkzeug's 405 for a `methods=['POST']` route.
async fn method_not_allowed() -> Response {
    let mut response = werkzeug_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "The method is not allowed for the requested URL.",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST, OPTIONS"));
    response
}

async fn manager(State(simulator): State<Simulator>, headers: HeaderMap) -> Response {
    let mut server = simulator.lock();
    let current = Current::find(&mut server, &headers);
    current.answer(page(&server, &headers, &current, true, None))
}

async fn selector(State(simulator): State<Simulator>, headers: HeaderMap) -> Response {
    let mut server = simulator.lock();
    let current = Current::find(&mut server, &headers);
    current.answer(page(&server, &headers, &current, false, None))
}

/// `request.get_http_params()`: the query string's, the form's and the
/// uploaded files' parameters, each source over the one before.
#[derive(Default)]
struct Params {
    fields: HashMap<String, String>,
    files: HashMap<String, Vec<u8>>,
}

impl Params {
    async fn read(request: Request) -> Result<Self, Response> {
        let mut params = Self::default();
        let mut query = HashMap::new();
        for (key, value) in url::form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
        {
            query
                .entry(key.into_owned())
                .or_insert_with(|| value.into_owned());
        }
        params.fields.extend(query);
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/form-data")
            });
        let too_large = || {
            werkzeug_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The data value transmitted exceeds the capacity limit.",
            )
        };
        if multipart {
            let mut form = Multipart::from_request(request, &()).await.map_err(|_| {
                werkzeug_error(
                    StatusCode::BAD_REQUEST,
                    "The browser (or proxy) sent a request that this server could not understand.",
                )
            })?;
            let mut fields = HashMap::new();
            let mut files = HashMap::new();
            loop {
                let field = match form.next_field().await {
                    Ok(Some(field)) => field,
                    Ok(None) => break,
                    Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
                    Err(_) => break,
                };
                let name = field.name().unwrap_or_default().to_owned();
                let is_file = field.file_name().is_some();
                let data = match field.bytes().await {
                    Ok(data) => data,
                    Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
                    Err(_) => break,
                };
                if is_file {
                    files.entry(name).or_insert_with(|| data.to_vec());
                } else {
                    fields
                        .entry(name)
                        .or_insert_with(|| String::from_utf8_lossy(&data).into_owned());
                }
            }
            params.fields.extend(fields);
            // A file field shadows a form field of the same name.
            for name in files.keys() {
                params.fields.remove(name);
            }
            params.files = files;
        } else {
            let body = Bytes::from_request(request, &()).await.map_err(|_| too_large())?;
            let mut form = HashMap::new();
            for (key, value) in url::form_urlencoded::parse(&body) {
                form.entry(key.into_owned()).or_insert_with(|| value.into_owned());
            }
            params.fields.extend(form);
        }
        Ok(params)
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// A required argument of the route's function was not posted: Python's
/// `TypeError`, which `handle_error` hides behind werkzeug's 500.
fn internal_server_error() -> Response {
    werkzeug_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.",
    )
}

/// What the master password check of a management route comes to.
enum MasterPassword {
    Accepted,
    /// `check_super` raised, inside the route's `try`.
    Refused(OdooError),
    /// `change_admin_password` raised before the `try`: a 403.
    Forbidden,
}

/// The start of every management route: `verify_admin_password('admin')`
/// (then the given password becomes the master password, through
/// `change_admin_password`, itself refused without `list_db`), and
/// `check_super(master_pwd)`.
fn check_master_password(server: &mut Server, master_pwd: &str) -> MasterPassword {
    if server.master_password == "admin" && !master_pwd.is_empty() {
        if !server.list_db {
            return MasterPassword::Forbidden;
        }
        server.master_password = master_pwd.to_owned();
    }
    if master_pwd.is_empty() || master_pwd != server.master_password {
        return MasterPassword::Refused(OdooError::access_denied());
    }
    MasterPassword::Accepted
}

/// The 403 `handle_error` makes of an `AccessDenied` raised outside the try.
fn forbidden() -> Response {
    werkzeug_error(StatusCode::FORBIDDEN, "Access Denied")
}

/// A fault set on the route: the proxy in front of Odoo answers it.
async fn injected(simulator: &Simulator, operation: &str) -> Option<Response> {
    let status = simulator.faults.failure(operation).await?;
    Some(super::proxy_error(status))
}

/// `POST /web/database/backup`.
async fn backup(State(simulator): State<Simulator>, request: Request) -> Response {
    if let Some(refused) = injected(&simulator, "web.database.backup").await {
        return refused;
    }
    let headers = request.headers().clone();
    let params = match Params::read(request).await {
        Ok(params) => params,
        Err(refused) => return refused,
    };
    let (Some(master_pwd), Some(name)) = (params.text("master_pwd"), params.text("name")) else {
        return internal_server_error();
    };
    let format = params.text("backup_format").unwrap_or("zip");
    let mut server = simulator.lock();
    let current = Current::find(&mut server, &headers);
    let outcome = match check_master_password(&mut server, master_pwd) {
        MasterPassword::Forbidden => return current.answer(forbidden()),
        MasterPassword::Refused(error) => Err(error),
        MasterPassword::Accepted => server.dump_database(name, format),
    };
    let dump = match outcome {
        Ok(dump) => dump,
        Err(error) => {
            let error = format!("Database backup error: {}", error_text(&error));
            return current.answer(page(&server, &headers, &current, true, Some(&error)));
        }
    };
    let timestamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day]_[hour]-[minute]-[second]"
        ))
        .unwrap_or_default();
    let filename = format!("{name}_{timestamp}.{format}");
    let mut response = (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "application/octet-stream; charset=binary".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, content_disposition(&filename)),
        ],
        dump,
    )
        .into_response();
    nosniff(&mut response);
    current.answer(response)
}

/// `POST /web/database/restore`.
async fn restore(State(simulator): State<Simulator>, request: Request) -> Response {
    if let Some(refused) = injected(&simulator, "web.database.restore").await {
        return refused;
    }
    let headers = request.headers().clone();
    let params = match Params::read(request).await {
        Ok(params) => params,
        Err(refused) => return refused,
    };
    let backup_file = params.files.get("backup_file");
    let has_backup_file = backup_file.is_some() || params.fields.contains_key("backup_file");
    let (Some(master_pwd), true, Some(name)) =
        (params.text("master_pwd"), has_backup_file, params.text("name"))
    else {
        return internal_server_error();
    };
    // `str2bool(copy)` (the default `False` is "false"); `neutralize_database`
    // as posted (a checkbox's "on").
    let copy = str2bool(params.text("copy").unwrap_or("false"));
    let neutralize = params
        .text("neutralize_database")
        .is_some_and(|value| truthy(&serde_json::Value::from(value)));
    let mut server = simulator.lock();
    let current = Current::find(&mut server, &headers);
    let outcome = match check_master_password(&mut server, master_pwd) {
        MasterPassword::Forbidden => return current.answer(forbidden()),
        MasterPassword::Refused(error) => Err(error),
        MasterPassword::Accepted => match backup_file {
            Some(data) => copy.and_then(|copy| server.restore_database(name, data, copy, neutralize)),
            // A plain field: `backup_file.save(data_file)` on a `str`.
            None => Err(OdooError::attribute_error("'str' object has no attribute 'save'")),
        },
    };
    match outcome {
        Ok(()) => current.answer(werkzeug_redirect("/web/database/manager")),
        Err(error) => {
            let error = format!("Database restore error: {}", error_text(&error));
            current.answer(page(&server, &headers, &current, true, Some(&error)))
        }
    }
}

/// `str(e) or repr(e)`.
fn error_text(error: &OdooError) -> String {
    let text = error.message();
    if text.is_empty() {
        let class = error.class.class();
        format!("{}()", class.rsplit('.').next().unwrap_or(class))
    } else {
        text
    }
}

/// `odoo.tools.misc.str2bool(value)`, without a default: anything but
/// its yes and no words is a `ValueError`.
fn str2bool(value: &str) -> Result<bool, OdooError> {
    match value.to_lowercase().as_str() {
        "y" | "yes" | "1" | "true" | "t" | "on" => Ok(true),
        "n" | "no" | "0" | "false" | "f" | "off" => Ok(false),
        _ => Err(OdooError::value_error("Use 0/1/yes/no/true/false/on/off")),
    }
}

/// odoo/http.py `content_disposition`: werkzeug's `url_quote(filename,
/// safe='', unsafe='()<>@,;:"/[]?={}\\*\'%')`.
fn content_disposition(filename: &str) -> String {
    let quoted: String = filename
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~$!+".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect();
    format!("attachment; filename*=UTF-8''{quoted}")
}

/// `root.set_csp`: every response of Odoo 17's dispatcher.
fn nosniff(response: &mut Response) {
    response
        .headers_mut()
        .insert("x-content-type-options", HeaderValue::from_static("nosniff"));
}

/// `_render_template(manage=..., error=...)`: the database manager page
/// (web/static/src/public/database_manager.qweb.html), the databases this
/// host reaches listed, an error in its alert.
fn page(
    server: &Server,
    headers: &HeaderMap,
    current: &Current,
    manage: bool,
    error: Option<&str>,
) -> Response {
    let insecure = server.master_password == "admin";
    let databases: Vec<String> = if server.list_db {
        server.databases_for(&session::host(server.proxy_mode, headers))
    } else {
        current.db.iter().cloned().collect()
    };
    let mut list = String::new();
    if !server.list_db {
        list.push_str("<div class=\"alert alert-danger text-center\">The database manager has been disabled by the administrator</div>\n");
    } else if insecure && !databases.is_empty() {
        list.push_str("<div class=\"alert alert-warning\">\nWarning, your Odoo database manager is not protected.<br/>\nPlease <a href=\"#\" data-bs-toggle=\"modal\" data-bs-target=\".o_database_master\">set a master password</a> to secure it.\n</div>\n");
    }
    if let Some(error) = error {
        list.push_str(&format!(
            "<div class=\"alert alert-danger\">{}</div>\n",
            escape(error)
        ));
    }
    if server.list_db && !databases.is_empty() {
        list.push_str("<div class=\"list-group\">\n");
        for name in &databases {
            // `list_db_incompatible`: no `ir_module_module`, or another series.
            let incompatible = server
                .databases
                .get(name)
                .is_none_or(|database| !database.tables().contains_key("ir.module.module"));
            let warning = if incompatible {
                "<i class=\"icon fa fa-warning float-end text-warning\" title=\"This database may not be compatible\"></i>"
            } else {
                ""
            };
            let buttons = if manage {
                format!(
                    "<div class=\"btn-group btn-group-sm float-end\">\
                     <button type=\"button\" data-db=\"{db}\" data-bs-target=\".o_database_backup\" class=\"o_database_action btn btn-primary\"><i class=\"fa fa-floppy-o fa-fw\"></i> Backup</button>\
                     <button type=\"button\" data-db=\"{db}\" data-bs-target=\".o_database_duplicate\" class=\"o_database_action btn btn-secondary\"><i class=\"fa fa-files-o fa-fw\"></i> Duplicate</button>\
                     <button type=\"button\" data-db=\"{db}\" data-bs-target=\".o_database_delete\" class=\"o_database_action btn btn-danger\"><i class=\"fa fa-trash-o fa-fw\"></i> Delete</button>\
                     </div>",
                    db = escape(name)
                )
            } else {
                String::new()
            };
            list.push_str(&format!(
                "<div class=\"list-group-item d-flex align-items-center\"><a href=\"/web?db={db}\" class=\"d-block flex-grow-1\">{warning}{db}</a>{buttons}</div>\n",
                db = escape(name)
            ));
        }
        list.push_str("</div>\n");
        if manage {
            list.push_str("<div class=\"d-flex mt-2\"><button type=\"button\" data-bs-toggle=\"modal\" data-bs-target=\".o_database_create\" class=\"btn btn-primary flex-grow-1\">Create Database</button><button type=\"button\" data-bs-toggle=\"modal\" data-bs-target=\".o_database_restore\" class=\"btn btn-primary flex-grow-1 ms-2\">Restore Database</button><button type=\"button\" data-bs-toggle=\"modal\" data-bs-target=\".o_database_master\" class=\"btn btn-primary flex-grow-1 ms-2\">Set Master Password</button></div>\n");
        }
    } else if server.list_db {
        list.push_str("<a role=\"button\" data-bs-toggle=\"modal\" data-bs-target=\".o_database_restore\" class=\"btn btn-link\">or restore a database</a>\n");
    }
    let master_input = if insecure {
        "<input type=\"hidden\" name=\"master_pwd\" class=\"form-control\" value=\"admin\"/>"
    } else {
        "<div class=\"row mb-3\"><label for=\"master_pwd\" class=\"col-md-4 col-form-label\">Master Password</label><div class=\"col-md-8\"><div class=\"input-group\"><input name=\"master_pwd\" class=\"form-control\" required=\"required\" autofocus=\"autofocus\" type=\"password\" autocomplete=\"current-password\"/></div></div></div>"
    };
    let body = format!(
        "<html>\n<head>\n<meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\"/>\n<title>Odoo</title>\n</head>\n<body>\n<div class=\"container\">\n\
         <div class=\"row\">\n<div class=\"col-lg-6 offset-lg-3 o_database_list\">\n<img src=\"/web/static/img/logo2.png\" class=\"img-fluid d-block mx-auto\"/>\n{list}</div>\n</div>\n\
         <div class=\"modal fade o_database_restore\" role=\"dialog\"><div class=\"modal-dialog\"><div class=\"modal-content\"><div class=\"modal-header\"><h4 class=\"modal-title\">Restore Database</h4></div>\n\
         <form id=\"form_restore_db\" role=\"form\" action=\"/web/database/restore\" method=\"post\" enctype=\"multipart/form-data\"><div class=\"modal-body\">{master_input}\
         <div class=\"row mb-3\"><label for=\"backup_file\" class=\"col-md-4 col-form-label\">File</label><div class=\"col-md-8\"><input id=\"backup_file\" type=\"file\" name=\"backup_file\" class=\"required\"/></div></div>\
         <div class=\"row mb-3\"><label for=\"dbname_restore\" class=\"col-md-4 col-form-label\">Database Name</label><div class=\"col-md-8\"><input id=\"dbname_restore\" type=\"text\" name=\"name\" class=\"form-control\" required=\"required\" pattern=\"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$\" title=\"Only alphanumerical characters, underscore, hyphen and dot are allowed\"/></div></div>\
         <div class=\"row mb-3\"><label for=\"neutralize_database_restore\" class=\"col-md-4 col-form-label\">Neutralize</label><div class=\"col-md-8\"><input id=\"neutralize_database_restore\" type=\"checkbox\" name=\"neutralize_database\" class=\"form-check-input\"/></div></div>\
         <div class=\"form-check\"><input id=\"radio_copy_true\" name=\"copy\" type=\"radio\" class=\"form-check-input\" value=\"true\" checked=\"1\"/><label for=\"radio_copy_true\" class=\"form-check-label\">This database is a copy</label></div>\
         <div class=\"form-check\"><input id=\"radio_copy_false\" name=\"copy\" type=\"radio\" class=\"form-check-input\" value=\"false\"/><label for=\"radio_copy_false\" class=\"form-check-label\">This database was moved</label></div>\
         </div><div class=\"modal-footer\"><input type=\"submit\" value=\"Continue\" class=\"btn btn-primary float-end\"/></div></form></div></div></div>\n\
         <div class=\"modal fade o_database_backup\" role=\"dialog\"><div class=\"modal-dialog\"><div class=\"modal-content\"><div class=\"modal-header\"><h4 class=\"modal-title\">Backup Database</h4></div>\n\
         <form id=\"form_backup_db\" role=\"form\" action=\"/web/database/backup\" method=\"post\"><div class=\"modal-body\">{master_input}\
         <div class=\"row mb-3\"><label for=\"dbname_backup\" class=\"col-md-4 col-form-label\">Database Name</label><div class=\"col-md-8\"><input id=\"dbname_backup\" type=\"text\" name=\"name\" class=\"form-control\" required=\"required\" readonly=\"readonly\"/></div></div>\
         <div class=\"row mb-3\"><label for=\"backup_format\" class=\"col-md-4 col-form-label\">Backup Format</label><div class=\"col-md-8\"><select id=\"backup_format\" name=\"backup_format\" class=\"form-select\" required=\"required\"><option value=\"zip\">zip (includes filestore)</option><option value=\"dump\">pg_dump custom format (without filestore)</option></select></div></div>\
         </div><div class=\"modal-footer\"><input type=\"submit\" value=\"Backup\" class=\"btn btn-primary float-end\"/></div></form></div></div></div>\n\
         </div>\n</body>\n</html>\n"
    );
    let mut response = Html(body).into_response();
    nosniff(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attachment_is_named_as_werkzeug_quotes_it() {
        assert_eq!(
            content_disposition("acme_2024-05-01_10-00-00.zip"),
            "attachment; filename*=UTF-8''acme_2024-05-01_10-00-00.zip"
        );
        assert_eq!(
            content_disposition("a b(é).zip"),
            "attachment; filename*=UTF-8''a%20b%28%C3%A9%29.zip"
        );
        assert!(str2bool("True").unwrap() && str2bool("on").unwrap() && !str2bool("0").unwrap());
        assert_eq!(
            str2bool("").unwrap_err().argument,
            "Use 0/1/yes/no/true/false/on/off"
        );
    }
}
