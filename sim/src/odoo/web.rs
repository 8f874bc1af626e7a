//! What a browser meets on an Odoo 17 server (addons/web `Home`, website,
//! website_sale): the storefront (`/`, `/shop`) titled with the website's
//! name, the sign-in page (`/web/login`, with its CSRF token and the
//! enabled OAuth providers' links, `oidc.rs`), and the back office (`/web`)
//! that needs a signed-in internal user. A request's database is found as
//! Odoo does (`dbfilter` on the host, else the session's, else the only
//! one), or as the ingress does for a website's own domain
//! (`Server::databases_for`); none is a redirect to the database selector
//! (`database_manager.rs`).

use std::collections::HashMap;

use axum::{
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue},
    response::{Html, IntoResponse, Response},
    routing::get,
    Form, Router,
};
use http::StatusCode;
use sha2::{Digest, Sha256};

use super::{
    database::{at, Database, GROUP_USER, MAIN_COMPANY},
    oidc,
    service::Server,
    session::{self, Current},
    werkzeug_error, werkzeug_redirect, Simulator,
};
use crate::escape_html as escape;

/// How long a CSRF token is valid (odoo/http.py `CSRF_TOKEN_TIME`: 48 h).
const CSRF_TOKEN_SECONDS: i64 = 48 * 60 * 60;

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/", get(home))
        .route("/shop", get(shop))
        .route("/web/login", get(login_page).post(login))
        .route("/web", get(back_office))
        .route("/web/login_successful", get(login_successful))
        .route("/auth_oauth/signin", get(oidc::signin))
        .route("/favicon.ico", get(favicon))
        .merge(super::slides_web::routes())
}

/// What a browser asks every site for (Odoo's is its logo's "o").
async fn favicon() -> Response {
    const ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><circle cx=\"8\" cy=\"8\" r=\"5\" fill=\"none\" stroke=\"#714b67\" stroke-width=\"3\"/></svg>";
    ([(header::CONTENT_TYPE, "image/svg+xml")], ICON).into_response()
}

pub(super) type Params = Query<HashMap<String, String>>;

/// `ensure_db()`: without a database, the selector.
pub(super) fn no_database(current: &Current) -> Response {
    current.answer(werkzeug_redirect("/web/database/selector"))
}

/// A fault set on a web route (`web.home`, `web.shop`): the proxy in
/// front of Odoo answers it, without a session cookie.
async fn injected(simulator: &Simulator, operation: &str) -> Option<Response> {
    let status = simulator.faults.failure(operation).await?;
    Some(super::proxy_error(status))
}

/// `/` (website's `Website.index`): the home page; without `website`, the
/// back office (`/web`, web's `Home.index`).
async fn home(State(simulator): State<Simulator>, headers: HeaderMap, Query(params): Params) -> Response {
    if let Some(refused) = injected(&simulator, "web.home").await {
        return refused;
    }
    let mut server = simulator.lock();
    let current = Current::find(&mut server, &headers);
    let Some(database) = current.db.as_deref().and_then(|db| server.databases.get(db)) else {
        return no_database(&current);
    };
    if !database.is_installed("website") {
        return current.answer(werkzeug_redirect(&with_query("/web", &params)));
    }
    let page = storefront(
        database,
        &session::host(server.proxy_mode, &headers),
        "Home",
        r#"<div id="wrap" class="oe_structure oe_empty"></div>"#,
    );
    current.answer(page.into_response())
}

/// `/shop` (website_sale's `WebsiteSale.shop`): the catalogue, empty.
async fn shop(State(simulator): State<Simulator>, headers: HeaderMap) -> Response {
    if let Some(refused) = injected(&simulator, "web.shop").await {
        return refused;
    }
    let mut server = simulator.lock();
    let current = Current::find(&mut server, &headers);
    let Some(database) = current.db.as_deref().and_then(|db| server.databases.get(db)) else {
        return no_database(&current);
    };
    if !database.is_installed("website_sale") {
        return current.answer(super::not_found_page());
    }
    let page = storefront(
        database,
        &session::host(server.proxy_mode, &headers),
        "Shop",
        r#"<div id="wrap" class="js_sale"><div class="oe_website_sale"><div id="products_grid"><h3 class="mt8">No product defined</h3></div></div></div>"#,
    );
    current.answer(page.into_response())
}

/// The website's layout (`website.layout`): "<title> | <website name>",
/// the brand, the menu, and the company in the footer.
pub(super) fn storefront(database: &Database, host: &str, title: &str, body: &str) -> Html<String> {
    let (website_id, website) = current_website(database, host);
    let company = database
        .get("res.company", MAIN_COMPANY)
        .and_then(|company| at(company, "name").as_str())
        .unwrap_or("My Company");
    let shop = if database.is_installed("website_sale") {
        r#"<li class="nav-item"><a role="menuitem" href="/shop" class="nav-link">Shop</a></li>"#
    } else {
        ""
    };
    // website_slides' menu (`website_menu_slides`).
    let courses = if database.is_installed("website_slides") {
        r#"<li class="nav-item"><a role="menuitem" href="/slides" class="nav-link">Courses</a></li>"#
    } else {
        ""
    };
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" data-website-id=\"{website_id}\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>{title} | {website}</title>\n</head>\n\
         <body>\n<div id=\"wrapwrap\">\n<header id=\"top\"><nav class=\"navbar navbar-expand-lg\"><a href=\"/\" class=\"navbar-brand logo\"><span role=\"img\" aria-label=\"Logo of {website}\" title=\"{website}\">{website}</span></a>\n\
         <ul role=\"menu\" class=\"nav navbar-nav\"><li class=\"nav-item\"><a role=\"menuitem\" href=\"/\" class=\"nav-link\">Home</a></li>{shop}{courses}</ul>\n\
         <a href=\"/web/login\" class=\"btn btn-outline-secondary o_signin\">Sign in</a></nav></header>\n\
         <main>{body}</main>\n<footer id=\"bottom\"><div class=\"o_footer_copyright\"><span class=\"o_footer_copyright_name\">Copyright &copy; {company}</span></div></footer>\n</div>\n</body>\n</html>\n",
        lang = database.lang.replace('_', "-"),
        title = escape(title),
        website = escape(&website),
        company = escape(company),
    ))
}

/// `get_current_website()`: the website whose domain is the host, else
/// the first one; its id and name.
fn current_website(database: &Database, host: &str) -> (i64, String) {
    let id = database
        .website_for_host(host)
        .or_else(|| database.table("website").next().map(|(id, _)| *id))
        .unwrap_or(1);
    let name = database
        .get("website", id)
        .and_then(|website| at(website, "name").as_str())
        .unwrap_or("My Website")
        .to_owned();
    (id, name)
}

/// `GET /web/login`: the form, the providers' links, the error a failed
/// OAuth sign-in came back with; a signed-in user with a `redirect` goes there.
async fn login_page(
    State(simulator): State<Simulator>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let mut server = simulator.lock();
    let mut current = Current::find(&mut server, &headers);
    if current.db.is_none() {
        return no_database(&current);
    }
    if let Some(redirect) = params.get("redirect").filter(|redirect| !redirect.is_empty()) {
        if current.user(&mut server).is_ok() {
            return current.answer(werkzeug_redirect(&local(redirect)));
        }
    }
    let error = match params.get("oauth_error").map(String::as_str) {
        Some("1") => Some("Sign up is not allowed on this database."),
        Some("2") => Some("Access Denied"),
        Some("3") => Some(
            "You do not have access to this database or your invitation has expired. Please ask for an invitation and be sure to follow the link in your invitation email.",
        ),
        _ if params.get("error").map(String::as_str) == Some("access") => {
            Some("Only employees can access this database. Please contact the administrator.")
        }
        _ => None,
    };
    let form = LoginForm {
        login: params.get("login").cloned().unwrap_or_default(),
        redirect: params.get("redirect").cloned().unwrap_or_default(),
        error,
    };
    let page = login_form(&server, &headers, &current, &form, &params);
    current.answer(page)
}

#[derive(serde::Deserialize)]
struct LoginPost {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    redirect: String,
    #[serde(default)]
    csrf_token: String,
}

/// `POST /web/login`: the CSRF token first (a 400 without it), then the
/// credentials: signed in (a new session id) and sent on, or the form
/// again with "Wrong login/password".
async fn login(
    State(simulator): State<Simulator>,
    headers: HeaderMap,
    Form(post): Form<LoginPost>,
) -> Response {
    let mut server = simulator.lock();
    let mut current = Current::find(&mut server, &headers);
    let Some(db) = current.db.clone() else {
        return no_database(&current);
    };
    if !csrf_token_is_valid(&server, &current.sid, &post.csrf_token) {
        return current.answer(werkzeug_error(
            StatusCode::BAD_REQUEST,
            "Session expired (invalid CSRF token)",
        ));
    }
    let Some(uid) = server
        .databases
        .get(&db)
        .and_then(|database| database.authenticate(&post.login, &post.password))
    else {
        let form = LoginForm {
            login: post.login,
            redirect: post.redirect,
            error: Some("Wrong login/password"),
        };
        let page = login_form(&server, &headers, &current, &form, &HashMap::new());
        return current.answer(page);
    };
    let target = match post.redirect.as_str() {
        "" => login_redirect(&server, &db, uid),
        redirect => local(redirect),
    };
    let url_root = session::url_root(server.proxy_mode, &headers);
    current.sign_in(&mut server, &db, uid, &url_root);
    current.answer(werkzeug_redirect(&target))
}

/// `_login_redirect` without a `redirect`: the back office for internal
/// users (`/web?` with website), the portal (`/my`) or the "logged in"
/// page for others.
fn login_redirect(server: &Server, db: &str, uid: i64) -> String {
    let Some(database) = server.databases.get(db) else {
        return "/web".to_owned();
    };
    if is_internal(database, uid) {
        if database.is_installed("website") {
            "/web?"
        } else {
            "/web"
        }
        .to_owned()
    } else if database.is_installed("portal") {
        "/my".to_owned()
    } else {
        "/web/login_successful".to_owned()
    }
}

pub(super) fn is_internal(database: &Database, uid: i64) -> bool {
    database.groups_of(uid).contains(&GROUP_USER)
}

struct LoginForm {
    login: String,
    redirect: String,
    error: Option<&'static str>,
}

/// The `web.login` template (inside the website's layout when `website` is
/// installed), with the providers auth_oauth lists under the form.
fn login_form(
    server: &Server,
    headers: &HeaderMap,
    current: &Current,
    form: &LoginForm,
    params: &HashMap<String, String>,
) -> Response {
    let Some(db) = current.db.as_deref() else {
        return werkzeug_redirect("/web/database/selector");
    };
    let Some(database) = server.databases.get(db) else {
        return werkzeug_redirect("/web/database/selector");
    };
    let url_root = session::url_root(server.proxy_mode, headers);
    let providers: String = oidc::auth_links(database, db, &url_root, params)
        .iter()
        .map(|link| {
            format!(
                "<a class=\"list-group-item list-group-item-action py-2\" href=\"{}\"><i class=\"{}\"></i> {}</a>",
                escape(&link.url),
                escape(&link.css_class),
                escape(&link.label)
            )
        })
        .collect();
    let error = form.error.map_or(String::new(), |error| {
        format!(
            "<p class=\"alert alert-danger\" role=\"alert\">{}</p>",
            escape(error)
        )
    });
    let body = format!(
        "<div class=\"oe_login_form_wrapper\"><form class=\"oe_login_form\" role=\"form\" action=\"/web/login\" method=\"post\">\n\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\"/>\n\
         <div class=\"mb-3 field-login\"><label for=\"login\" class=\"form-label\">Email</label><input type=\"text\" placeholder=\"Email\" name=\"login\" id=\"login\" required=\"required\" autocomplete=\"username\" autofocus=\"autofocus\" value=\"{login}\"/></div>\n\
         <div class=\"mb-3\"><label for=\"password\" class=\"form-label\">Password</label><input type=\"password\" placeholder=\"Password\" name=\"password\" id=\"password\" required=\"required\" autocomplete=\"current-password\" maxlength=\"4096\"/></div>\n\
         {error}\n<div class=\"clearfix oe_login_buttons text-center gap-1 d-grid mb-1 pt-3\"><button type=\"submit\" class=\"btn btn-primary\">Log in</button>\n\
         <div class=\"o_login_auth\"><div class=\"o_auth_oauth_providers list-group mt-1 mb-1 text-start\">{providers}</div></div></div>\n\
         <input type=\"hidden\" name=\"redirect\" value=\"{redirect}\"/>\n</form></div>",
        csrf = csrf_token(server, &current.sid),
        login = escape(&form.login),
        redirect = escape(&form.redirect),
    );
    let mut response = if database.is_installed("website") {
        storefront(
            database,
            &session::host(server.proxy_mode, headers),
            "Login",
            &body,
        )
        .into_response()
    } else {
        Html(format!(
            "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\"/>\n<title>Odoo</title>\n</head>\n<body class=\"bg-100\">\n<div class=\"container py-5\"><div class=\"card border-0 mx-auto bg-100 o_database_list\" style=\"max-width: 300px;\"><div class=\"card-body\">{body}</div></div></div>\n</body>\n</html>\n"
        ))
        .into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'self'"),
    );
    response
}

/// `GET /web`: the web client for a signed-in internal user, with its
/// `session_info`; anyone else is sent to sign in (with the query kept),
/// a portal user to the "logged in" page.
async fn back_office(
    State(simulator): State<Simulator>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let mut server = simulator.lock();
    let mut current = Current::find(&mut server, &headers);
    let Some(db) = current.db.clone() else {
        return no_database(&current);
    };
    let Ok((_, uid)) = current.user(&mut server) else {
        return current.answer(werkzeug_redirect(&with_query("/web/login", &params)));
    };
    let Some(database) = server.databases.get(&db) else {
        return no_database(&current);
    };
    if !is_internal(database, uid) {
        return current.answer(werkzeug_redirect("/web/login_successful"));
    }
    let host = session::host(server.proxy_mode, &headers);
    let info = match session::session_info(&server, &db, uid, &host) {
        Ok(info) => info,
        Err(_) => return current.answer(werkzeug_redirect("/web/login")),
    };
    let name = info["name"].as_str().unwrap_or_default().to_owned();
    // `</` inside the inline script would end it.
    let info = info.to_string().replace("</", "<\\/");
    let page = format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\"/>\n<title>Odoo</title>\n\
         <script type=\"text/javascript\">\nvar odoo = {{\n    csrf_token: \"{csrf}\",\n    debug: \"\",\n}};\nodoo.__session_info__ = {info};\n</script>\n</head>\n\
         <body class=\"o_web_client\">\n<header class=\"o_navbar\"><nav class=\"o_main_navbar\"><div class=\"o_user_menu\"><span class=\"oe_topbar_name\">{name}</span></div></nav></header>\n</body>\n</html>\n",
        csrf = csrf_token(&server, &current.sid),
        name = escape(&name),
    );
    let mut response = Html(page).into_response();
    response
        .headers_mut()
        .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    current.answer(response)
}

/// `GET /web/login_successful` (`auth="user"`): signed in, not an employee.
async fn login_successful(State(simulator): State<Simulator>, headers: HeaderMap) -> Response {
    let mut server = simulator.lock();
    let mut current = Current::find(&mut server, &headers);
    if current.user(&mut server).is_err() {
        return current.answer(werkzeug_redirect(
            "/web/login?redirect=%2Fweb%2Flogin_successful%3F",
        ));
    }
    current.answer(
        Html("<!DOCTYPE html>\n<html>\n<head><title>Odoo</title></head>\n<body><p class=\"alert alert-success\">You are logged in.</p></body>\n</html>\n")
            .into_response(),
    )
}

/// `request.redirect(location, local=True)`: an absolute URL keeps only
/// its path and query, so a redirect never leaves the server.
pub(super) fn local(location: &str) -> String {
    let without_scheme = location
        .split_once("://")
        .map(|(_, rest)| rest)
        .or_else(|| location.strip_prefix("//"));
    match without_scheme {
        Some(rest) => format!("/{}", rest.split_once('/').map_or("", |(_, path)| path)),
        None if location.starts_with('/') => location.to_owned(),
        None => format!("/{location}"),
    }
}

/// `redirect_query(path, query=request.params)`.
fn with_query(path: &str, params: &HashMap<String, String>) -> String {
    if params.is_empty() {
        return path.to_owned();
    }
    let mut pairs: Vec<_> = params.iter().collect();
    pairs.sort();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{query}")
}

/// `request.csrf_token()`: a signature of the session id and an expiry,
/// then `o` and the expiry.
fn csrf_token(server: &Server, sid: &str) -> String {
    let max_ts = time::OffsetDateTime::now_utc().unix_timestamp() + CSRF_TOKEN_SECONDS;
    format!("{}o{max_ts}", csrf_signature(server, sid, max_ts))
}

fn csrf_signature(server: &Server, sid: &str, max_ts: i64) -> String {
    let digest = Sha256::digest(format!("{}\u{0}{sid}\u{0}{max_ts}", server.secret));
    digest.iter().take(20).map(|byte| format!("{byte:02x}")).collect()
}

fn csrf_token_is_valid(server: &Server, sid: &str, token: &str) -> bool {
    let Some((signature, max_ts)) = token.rsplit_once('o') else {
        return false;
    };
    let Ok(max_ts) = max_ts.parse::<i64>() else {
        return false;
    };
    max_ts >= time::OffsetDateTime::now_utc().unix_timestamp()
        && signature == csrf_signature(server, sid, max_ts)
}

#[cfg(test)]
mod tests {
    use super::local;

    #[test]
    fn a_redirect_stays_on_the_server() {
        assert_eq!(local("https://acme.shop.localhost/web"), "/web");
        assert_eq!(local("https://acme.shop.localhost"), "/");
        assert_eq!(local("//evil.example/x?y=1"), "/x?y=1");
        assert_eq!(local("/odoo?x=1"), "/odoo?x=1");
        assert_eq!(local("web"), "/web");
    }
}
