//! Every call the portal makes to Kratos or Hydra is timed and logged at
//! debug level (target [`TARGET`]), so that a request's time splits into
//! the portal's own and the identity services': with the request's own
//! duration (`tower_http`'s response event, also at debug), the benchmark
//! reads the portal's share of a sign-in hop by hop from the log.
//! A call's time runs until the answer's head arrives (its body, small and
//! local, is read after).

use std::{future::Future, time::Instant};

/// The log target of the calls' events (`RUST_LOG=bibind::upstream=debug`).
pub const TARGET: &str = "bibind::upstream";

/// `send`, timed.
pub(crate) trait TimedSend {
    /// Sends the request to `service` ("kratos", "hydra" …), logging how long it took.
    fn timed_send(
        self,
        service: &'static str,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send;
}

impl TimedSend for reqwest::RequestBuilder {
    fn timed_send(
        self,
        service: &'static str,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send {
        timed(service, self.send())
    }
}

/// Runs `call` to `service`, logging how long it took.
pub(crate) async fn timed<T>(service: &'static str, call: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let answer = call.await;
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    tracing::debug!(target: TARGET, service, micros, "upstream call");
    answer
}
