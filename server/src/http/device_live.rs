//! A device's telemetry by server-sent events: the device page listens at
//! `…/devices/{device}/live`; each batch the ingestion stores announces
//! its devices on PostgreSQL's `device_messages` channel (from whichever
//! replica stored it), and the listeners of those devices on every replica
//! read the page's telemetry again, at most four times a second.

use std::time::Duration;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{sse::Event, IntoResponse, Response},
    routing::get,
    Router,
};
use control::{
    domain::{Locale, Refusal},
    ingest::{announced_device, DEVICE_MESSAGES_CHANNEL},
    Caller, Control,
};
use http::request::Parts;
use uuid::Uuid;

use super::{
    announcements::{Announcements, Channel},
    AppState,
};

/// The shortest time between two events of one stream.
const GAP: Duration = Duration::from_millis(250);

/// Devices whose messages were just stored.
pub(crate) fn channel() -> Channel {
    Channel {
        name: DEVICE_MESSAGES_CHANNEL,
        read: announced_device,
        heard: Box::new(|_| {}),
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(app::routes::pattern::DEVICE_LIVE, get(events))
}

async fn events(
    State(state): State<AppState>,
    Path((slug, subscription, device)): Path<(String, String, String)>,
    parts: Parts,
) -> Response {
    let Some(caller) = app::api::caller_of(&parts) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let (Ok(subscription), Ok(device)) = (subscription.parse::<Uuid>(), device.parse::<Uuid>()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let locale = app::i18n::locale_from_headers(&parts.headers);
    let changes = state.announcements.listen(DEVICE_MESSAGES_CHANNEL);
    let first = match telemetry_event(&state.control, &caller, &slug, subscription, device, locale).await {
        Ok(event) => event,
        Err(status) => return status.into_response(),
    };
    let control = state.control.clone();
    Announcements::stream(changes, device, first, GAP, move || {
        let (control, caller, slug) = (control.clone(), caller.clone(), slug.clone());
        // Access is checked again at every event.
        async move {
            telemetry_event(&control, &caller, &slug, subscription, device, locale)
                .await
                .ok()
        }
    })
}

async fn telemetry_event(
    control: &Control,
    caller: &Caller,
    slug: &str,
    subscription: Uuid,
    device: Uuid,
    locale: Locale,
) -> Result<Event, StatusCode> {
    match control.device_telemetry(caller, slug, subscription, device).await {
        // The page's own view, rendered here: the browser only puts it in place.
        Ok(Ok(telemetry)) => Ok(Event::default()
            .event("telemetry")
            .data(app::telemetry_html(telemetry, locale))),
        Ok(Err(Refusal::Forbidden)) => Err(StatusCode::FORBIDDEN),
        Ok(Err(_)) => Err(StatusCode::NOT_FOUND),
        Err(error) => {
            tracing::error!(%error, "cannot read a device's telemetry");
            Err(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}
