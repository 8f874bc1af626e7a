//! The HTML document around [`App`](crate::App): language, head, assets and
//! the per-request Content-Security-Policy with its script nonce.

use std::sync::Arc;

use leptos::{nonce::use_nonce, prelude::*};
use leptos_meta::MetaTags;

use crate::{i18n, App};

/// A short fingerprint of the built assets, appended to their URLs so that
/// browsers may cache them forever and still fetch a new build at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetVersion(pub String);

/// What the shell needs from the server besides Leptos' own options, with
/// every part of the document that does not change between requests
/// (asset URLs, the island loader, the Content-Security-Policy around its
/// nonce) worked out once: rendering a page only copies them.
#[derive(Clone, Debug)]
pub struct ShellOptions {
    /// Whether the page is served over TLS (HSTS is only sent then).
    pub tls: bool,
    parts: Arc<ShellParts>,
}

#[derive(Debug)]
struct ShellParts {
    leptos: LeptosOptions,
    css_url: String,
    islands: IslandAssets,
    /// The inline module that loads the islands' JavaScript and wasm.
    load_islands: String,
    policy: PolicyParts,
    /// Under `cargo leptos watch`, which reloads the page on a change.
    live_reload: bool,
}

/// The Content-Security-Policy as text before and after the request's script nonce.
#[derive(Debug)]
struct PolicyParts {
    before_nonce: &'static str,
    after_nonce: String,
    /// Identity pages: without `form-action` (see [`set_content_security_policy`]).
    after_nonce_identity: String,
}

impl ShellOptions {
    /// `form_targets`: origins forms may post to besides the portal (Kratos' public URL).
    pub fn new(
        leptos: LeptosOptions,
        asset_version: &AssetVersion,
        tls: bool,
        form_targets: &[String],
    ) -> Self {
        let pkg = format!("/{}", leptos.site_pkg_dir);
        let name = leptos.output_name.to_string();
        let version = &asset_version.0;
        // Built by plain wasm-bindgen the module is `<name>_bg.wasm`; under cargo-leptos `<name>.wasm`.
        let wasm_name = if std::option_env!("LEPTOS_OUTPUT_NAME").is_some() {
            name.clone()
        } else {
            format!("{name}_bg")
        };
        let js_url = format!("{pkg}/{name}.js?v={version}");
        let wasm_url = format!("{pkg}/{wasm_name}.wasm?v={version}");
        let live_reload = std::env::var_os("LEPTOS_WATCH").is_some();
        let parts = ShellParts {
            css_url: format!("{pkg}/{name}.css?v={version}"),
            // Inline, so that a page without an island costs no request at all.
            load_islands: format!(
                "{}({js_url:?}, {wasm_url:?});",
                include_str!("island_loader.js").trim_end()
            ),
            islands: IslandAssets {
                js_url: js_url.into(),
                wasm_url: wasm_url.into(),
            },
            policy: PolicyParts::new(&leptos, live_reload, form_targets),
            leptos,
            live_reload,
        };
        Self {
            tls,
            parts: Arc::new(parts),
        }
    }
}

impl PolicyParts {
    fn new(leptos: &LeptosOptions, live_reload: bool, form_targets: &[String]) -> Self {
        // cargo-leptos' live reload talks over a websocket on its own port.
        let reload = if live_reload {
            format!(" ws://127.0.0.1:{}", leptos.reload_port)
        } else {
            String::new()
        };
        let after_nonce = |form_action: &str| {
            format!(
                " 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'{reload}; \
                 font-src 'self'; object-src 'none'; base-uri 'self';{form_action} frame-ancestors 'none'"
            )
        };
        let targets: String = form_targets.iter().map(|origin| format!(" {origin}")).collect();
        Self {
            before_nonce: "default-src 'self'; script-src 'self'",
            after_nonce: after_nonce(&format!(" form-action 'self'{targets};")),
            after_nonce_identity: after_nonce(""),
        }
    }
}

/// Where the islands' JavaScript and wasm are, for the pages that have one
/// to hint them early (see `components::island`).
#[derive(Clone, Debug)]
pub(crate) struct IslandAssets {
    pub js_url: Arc<str>,
    pub wasm_url: Arc<str>,
}

pub fn shell(options: ShellOptions) -> impl IntoView {
    // The script nonce is leptos_axum's, provided before the shell renders.
    let locale = i18n::locale_from_request();
    provide_context(locale);
    set_content_security_policy(&options);

    let parts = &options.parts;
    provide_context(parts.islands.clone());
    let nonce = use_nonce();
    // Deferred in the head: a streamed page's content lands before it runs.
    let instants =
        crate::with_request(|parts| crate::routes::shows_instants(parts.uri.path())).unwrap_or(false);

    view! {
        <!DOCTYPE html>
        <html lang=locale.tag()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href=parts.css_url.clone() />
                <script type="module" nonce=nonce>{parts.load_islands.clone()}</script>
                {instants.then(|| view! { <script src="/local-times.js" defer></script> })}
                {parts.live_reload.then(|| view! { <AutoReload options=parts.leptos.clone() /> })}
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

/// Whether the shell around a page at `path` differs from the one at other
/// paths: it loads the local times' script on some
/// (`routes::shows_instants`) and leaves `form-action` open on the identity
/// pages. The server keeps one 404 document for every path where it does
/// not (rendered at a stand-in path).
pub fn shell_varies_at(path: &str) -> bool {
    crate::routes::shows_instants(path) || is_identity_page(path)
}

fn is_identity_page(path: &str) -> bool {
    path.starts_with(crate::routes::IDENTITY_PREFIX)
}

fn set_content_security_policy(options: &ShellOptions) {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    // Chromium applies form-action to every redirect after a post. Sign-in
    // forms end, through Kratos and Hydra, at whatever redirect URI an OAuth2
    // client registered: the identity pages cannot list those.
    let identity_page = crate::with_request(|parts| is_identity_page(parts.uri.path())).unwrap_or(false);
    let policy = &options.parts.policy;
    let after_nonce = if identity_page {
        &policy.after_nonce_identity
    } else {
        &policy.after_nonce
    };
    let nonce = use_nonce().map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    let header = format!("{}{nonce}{after_nonce}", policy.before_nonce);
    if let Ok(value) = http::HeaderValue::from_str(&header) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
    if options.tls {
        response.insert_header(
            http::header::STRICT_TRANSPORT_SECURITY,
            http::HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
}
