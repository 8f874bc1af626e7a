//! The built front end (`/pkg/…`) and the files of `public/`, served with
//! long-lived caching: their URLs carry a fingerprint of the build.

use std::{
    collections::hash_map::DefaultHasher,
    hash::{Hash, Hasher},
    path::Path,
};

use app::AssetVersion;
use axum::Router;
use http::{header, HeaderValue};
use leptos::prelude::LeptosOptions;
use tower::ServiceBuilder;
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

use super::AppState;

pub(super) fn routes(options: &LeptosOptions) -> Router<AppState> {
    let site_root = Path::new(options.site_root.as_ref());
    let pkg = format!("/{}", options.site_pkg_dir);
    let immutable = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
        .service(ServeDir::new(site_root.join(options.site_pkg_dir.as_ref())));
    let public = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ))
        .service(ServeDir::new(site_root));
    Router::new()
        .nest_service(&pkg, immutable)
        .route_service("/favicon.svg", public.clone())
        .route_service("/robots.txt", public.clone())
        .route_service("/passkeys.js", public.clone())
        .route_service("/local-times.js", public)
}

/// Fingerprints the files of the package directory (names and contents), so a
/// new build gets new URLs. Without a build (unit tests) it is `dev`.
pub(super) fn asset_version(options: &LeptosOptions) -> AssetVersion {
    let dir = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return AssetVersion("dev".to_owned());
    };
    let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in &files {
        file.file_name().hash(&mut hasher);
        if let Ok(bytes) = std::fs::read(file) {
            bytes.hash(&mut hasher);
        }
    }
    AssetVersion(format!("{:016x}", hasher.finish()))
}
