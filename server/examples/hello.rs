//! A bare axum hello-world: the baseline `cargo xtask bench` measures the
//! portal against, on the same machine in the same run.

use axum::{routing::get, Router};

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3999".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let app = Router::new().route("/", get(|| async { "Hello, world!" }));
    axum::serve(listener, app).await
}
