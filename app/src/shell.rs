//! The HTML document around [`App`](crate::App): language, head, assets and
//! the per-request Content-Security-Policy with its script nonce.

use leptos::{nonce::use_nonce, prelude::*};
use leptos_meta::MetaTags;

use crate::{i18n, App};

/// A short fingerprint of the built assets, appended to their URLs so that
/// browsers may cache them forever and still fetch a new build at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetVersion(pub String);

/// What the shell needs from the server besides Leptos' own options.
#[derive(Clone, Debug)]
pub struct ShellOptions {
    pub leptos: LeptosOptions,
    pub asset_version: AssetVersion,
    /// Whether the page is served over TLS (HSTS is only sent then).
    pub tls: bool,
    /// Origins forms may post to besides the portal (Kratos' public URL).
    pub form_targets: Vec<String>,
}

/// Where the islands' JavaScript and wasm are, for the pages that have one
/// to hint them early (see `components::island`).
#[derive(Clone, Debug)]
pub(crate) struct IslandAssets {
    pub js_url: String,
    pub wasm_url: String,
}

pub fn shell(options: ShellOptions) -> impl IntoView {
    // The script nonce is leptos_axum's, provided before the shell renders.
    let locale = i18n::locale_from_request();
    provide_context(locale);
    set_content_security_policy(&options);

    let pkg = format!("/{}", options.leptos.site_pkg_dir);
    let name = options.leptos.output_name.to_string();
    let version = options.asset_version.0.clone();
    // Built by plain wasm-bindgen the module is `<name>_bg.wasm`; under cargo-leptos `<name>.wasm`.
    let wasm_name = if std::option_env!("LEPTOS_OUTPUT_NAME").is_some() {
        name.clone()
    } else {
        format!("{name}_bg")
    };
    let js_url = format!("{pkg}/{name}.js?v={version}");
    let wasm_url = format!("{pkg}/{wasm_name}.wasm?v={version}");
    let css_url = format!("{pkg}/{name}.css?v={version}");
    // Inline, so that a page without an island costs no request at all.
    let load_islands = format!(
        "{}({js_url:?}, {wasm_url:?});",
        include_str!("island_loader.js").trim_end()
    );
    provide_context(IslandAssets {
        js_url: js_url.clone(),
        wasm_url: wasm_url.clone(),
    });
    let nonce = use_nonce();

    view! {
        <!DOCTYPE html>
        <html lang=locale.tag()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href=css_url />
                <script type="module" nonce=nonce>{load_islands}</script>
                <AutoReload options=options.leptos.clone() />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

fn set_content_security_policy(options: &ShellOptions) {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let nonce = use_nonce().map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    // cargo-leptos' live reload talks over a websocket on its own port.
    let reload = if std::env::var_os("LEPTOS_WATCH").is_some() {
        format!(" ws://127.0.0.1:{}", options.leptos.reload_port)
    } else {
        String::new()
    };
    // Chromium applies form-action to every redirect after a post. Sign-in
    // forms end, through Kratos and Hydra, at whatever redirect URI an OAuth2
    // client registered: the identity pages cannot list those.
    let identity_page =
        crate::with_request(|parts| parts.uri.path().starts_with(crate::routes::IDENTITY_PREFIX))
            .unwrap_or(false);
    let form_action = if identity_page {
        String::new()
    } else {
        let targets: String = options
            .form_targets
            .iter()
            .map(|origin| format!(" {origin}"))
            .collect();
        format!(" form-action 'self'{targets};")
    };
    let policy = format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'{reload}; font-src 'self'; object-src 'none'; \
         base-uri 'self';{form_action} frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
    if options.tls {
        response.insert_header(
            http::header::STRICT_TRANSPORT_SECURITY,
            http::HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
}
