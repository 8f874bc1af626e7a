//! Puts the client's address (`control::client_ip::ClientIp`) into every
//! request, from the TCP peer and, when the peer is a trusted proxy, its
//! `X-Forwarded-For`: the one answer the rate limits and the audit trail use.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};
use control::client_ip::{ClientIp, TrustedProxies};

pub(super) async fn resolve(
    State(proxies): State<Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    if let Some(peer) = peer {
        let forwarded_for = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        let client = proxies.client_ip(peer, forwarded_for);
        request.extensions_mut().insert(ClientIp(client));
    }
    next.run(request).await
}
