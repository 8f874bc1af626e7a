//! A device's telemetry: whether it is online and how much it talks, a
//! chart of the last hour per numeric field (SVG drawn by the server, so
//! it is there without JavaScript, with a table of the same figures), and
//! its latest messages. With JavaScript, an island follows the device's
//! event stream and draws the same view again as messages arrive.

use control::domain::{DeviceTelemetry, Series};
use leptos::prelude::*;

use crate::{
    components::island::{ready_mark, IslandHints},
    i18n::{translator, Msg},
};

/// The chart's drawing box.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 100.0;
const MARGIN: f64 = 8.0;

#[component]
pub fn TelemetryPanel(stream: String, telemetry: DeviceTelemetry) -> impl IntoView {
    view! {
        <IslandHints />
        <LiveTelemetry stream telemetry />
    }
}

/// The panel, kept live by the device's event stream.
#[island]
fn LiveTelemetry(stream: String, telemetry: DeviceTelemetry) -> impl IntoView {
    crate::i18n::provide_locale();
    let (current, set_current) = signal(telemetry);
    #[cfg(feature = "hydrate")]
    live::follow(stream, set_current);
    #[cfg(not(feature = "hydrate"))]
    let _ = (stream, set_current);
    let ready = ready_mark();
    view! {
        <div data-live-telemetry data-island-ready=ready aria-live="polite">
            {move || view! { <TelemetryView telemetry=current.get() /> }}
        </div>
    }
}

/// `{x},{y}` points of a series in the drawing box: time left to right
/// over the window, values bottom to top between `low` and `high`.
fn points(series: &Series, window: u32, (low, high): (f64, f64)) -> String {
    let span = if high > low { high - low } else { 1.0 };
    let window = f64::from(window.max(1));
    series
        .points
        .iter()
        .map(|(at, value)| {
            let x = f64::from(*at) / window * WIDTH;
            let y = if high > low {
                HEIGHT - MARGIN - (value - low) / span * (HEIGHT - 2.0 * MARGIN)
            } else {
                HEIGHT / 2.0
            };
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A number for people: at most three decimals, none when whole.
fn figure(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[component]
fn TelemetryView(telemetry: DeviceTelemetry) -> impl IntoView {
    let t = translator();
    let activity = &telemetry.activity;
    let (state, state_class) = if activity.online {
        (t(Msg::TelemetryOnline), "bg-emerald-100 text-emerald-900")
    } else {
        (t(Msg::TelemetryOffline), "bg-slate-100 text-slate-700")
    };
    let seen = match &activity.last_seen {
        Some(at) => t(Msg::TelemetryLastSeen).replace("{at}", at),
        None => t(Msg::TelemetryNeverSeen).to_owned(),
    };
    let mut rate = t(Msg::TelemetryRate).replace("{n}", &activity.per_minute.to_string());
    if let Some(limit) = telemetry.limit_per_minute {
        rate.push_str(&t(Msg::TelemetryLimit).replace("{n}", &limit.to_string()));
    }
    let dropped = (activity.dropped_last_hour > 0).then(|| {
        view! {
            <p class="mt-2 rounded-lg bg-amber-50 p-2 text-sm text-amber-900" data-dropped=activity.dropped_last_hour.to_string()>
                {t(Msg::TelemetryDropped).replace("{n}", &activity.dropped_last_hour.to_string())}
            </p>
        }
    });
    let window = telemetry.window_seconds;
    let charts = telemetry
        .series
        .iter()
        .map(|series| {
            let range = series.range();
            let label = t(Msg::TelemetryChartLabel)
                .replace("{field}", &series.field)
                .replace("{value}", &figure(series.last));
            view! {
                <figure class="mt-3" data-series=series.field.clone()>
                    <figcaption class="flex justify-between text-xs text-slate-600">
                        <span class="font-mono">{series.field.clone()}</span>
                        <span>{figure(range.0)}" – "{figure(range.1)}</span>
                    </figcaption>
                    <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="mt-1 h-24 w-full rounded bg-slate-50" role="img" aria-label=label preserveAspectRatio="none">
                        <polyline points=points(series, window, range) fill="none" stroke="#0f766e" stroke-width="2" vector-effect="non-scaling-stroke" />
                    </svg>
                </figure>
            }
        })
        .collect_view();
    let rows = telemetry
        .series
        .iter()
        .map(|series| {
            let (low, high) = series.range();
            view! {
                <tr data-field=series.field.clone()>
                    <th scope="row" class="py-1 pr-3 text-left font-mono font-normal">{series.field.clone()}</th>
                    <td class="py-1 pr-3 text-right" data-latest>{figure(series.last)}</td>
                    <td class="py-1 pr-3 text-right">{figure(low)}</td>
                    <td class="py-1 text-right">{figure(high)}</td>
                </tr>
            }
        })
        .collect_view();
    let figures = if telemetry.series.is_empty() {
        view! { <p class="mt-3 text-sm text-slate-600">{t(Msg::TelemetryNoNumbers)}</p> }.into_any()
    } else {
        view! {
            {charts}
            <table class="mt-4 w-full text-sm">
                <caption class="text-left text-xs text-slate-600">{t(Msg::TelemetryChartLead).replace("{end}", &telemetry.window_end)}</caption>
                <thead>
                    <tr class="text-slate-600">
                        <th scope="col" class="py-1 pr-3 text-left font-medium">{t(Msg::TelemetryField)}</th>
                        <th scope="col" class="py-1 pr-3 text-right font-medium">{t(Msg::TelemetryLatest)}</th>
                        <th scope="col" class="py-1 pr-3 text-right font-medium">{t(Msg::TelemetryLowest)}</th>
                        <th scope="col" class="py-1 text-right font-medium">{t(Msg::TelemetryHighest)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let recent = telemetry
        .recent
        .iter()
        .map(|message| {
            let kind = (!message.json).then(|| view! { <span class="ml-2 text-xs text-slate-500">{t(Msg::TelemetryNotJson)}</span> });
            view! {
                <li class="py-1.5" data-message>
                    <span class="text-xs text-slate-600">{message.at.clone()}" · "<span class="font-mono">{message.topic.clone()}</span></span>
                    {kind}
                    <pre class="mt-1 overflow-x-auto whitespace-pre-wrap break-all font-mono text-xs" data-payload>{message.payload.clone()}</pre>
                </li>
            }
        })
        .collect_view();
    let recent = if telemetry.recent.is_empty() {
        None
    } else {
        Some(view! {
            <h3 class="mt-5 text-base font-semibold">{t(Msg::TelemetryRecent)}</h3>
            <ul class="mt-1 divide-y divide-slate-100" data-recent>{recent}</ul>
        })
    };
    view! {
        <div class="mt-3 flex flex-wrap items-center gap-3 text-sm">
            <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {state_class}") data-online=activity.online.to_string()>{state}</span>
            <span class="text-slate-700" data-last-seen>{seen}</span>
            <span class="text-slate-700" data-rate=activity.per_minute.to_string()>{rate}</span>
        </div>
        {dropped}
        {figures}
        {recent}
    }
}

/// The browser side: an `EventSource` on the device's stream.
#[cfg(feature = "hydrate")]
mod live {
    use control::domain::DeviceTelemetry;
    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{EventSource, MessageEvent};

    pub fn follow(url: String, set_current: WriteSignal<DeviceTelemetry>) {
        let Ok(source) = EventSource::new(&url) else {
            return;
        };
        let on_telemetry = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let next = event
                .data()
                .as_string()
                .and_then(|data| serde_json::from_str::<DeviceTelemetry>(&data).ok());
            if let Some(next) = next {
                set_current.set(next);
            }
        });
        let _ = source.add_event_listener_with_callback("telemetry", on_telemetry.as_ref().unchecked_ref());
        // The listener lives as long as the page's stream.
        on_telemetry.forget();
        let source = send_wrapper::SendWrapper::new(source);
        on_cleanup(move || source.close());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: Vec<(u32, f64)>) -> Series {
        Series {
            field: "t".into(),
            last: 0.0,
            points,
        }
    }

    #[test]
    fn points_span_the_box_from_the_lowest_to_the_highest_value() {
        let s = series(vec![(0, 10.0), (1800, 20.0), (3600, 15.0)]);
        assert_eq!(points(&s, 3600, s.range()), "0.0,92.0 300.0,8.0 600.0,50.0");
        let flat = series(vec![(900, 3.0)]);
        assert_eq!(points(&flat, 3600, flat.range()), "150.0,50.0");
    }

    #[test]
    fn figures_drop_needless_decimals() {
        assert_eq!(figure(21.5), "21.5");
        assert_eq!(figure(40.0), "40");
        assert_eq!(figure(0.12345), "0.123");
    }
}
