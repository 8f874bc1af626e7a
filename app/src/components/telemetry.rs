//! A device's telemetry: whether it is online and how much it talks, a
//! chart of the last hour per numeric field (SVG drawn by the server, so
//! it is there without JavaScript, with a table of the same figures), and
//! its latest messages. With JavaScript, a small island follows the
//! device's event stream, whose events carry this same view rendered by
//! the server, and puts each in place: the browser draws nothing itself,
//! so the islands' wasm every page shares stays small.

use control::domain::{DeviceTelemetry, CHART_HEIGHT, CHART_WIDTH};
use leptos::prelude::*;

use crate::{
    components::island::{ready_mark, IslandHints},
    i18n::{translator, Msg},
};

#[component]
pub fn TelemetryPanel(stream: String, telemetry: DeviceTelemetry) -> impl IntoView {
    view! {
        <IslandHints />
        <LiveTelemetry stream>
            <TelemetryView telemetry />
        </LiveTelemetry>
    }
}

/// The panel (its server-rendered `children`), replaced by each event's
/// HTML.
#[island]
fn LiveTelemetry(stream: String, children: Children) -> impl IntoView {
    let panel = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    live::follow(stream, panel);
    #[cfg(not(feature = "hydrate"))]
    let _ = stream;
    let ready = ready_mark();
    view! {
        <div data-live-telemetry data-island-ready=ready aria-live="polite" node_ref=panel>
            {children()}
        </div>
    }
}

/// The view the stream's events carry, in `locale`.
#[cfg(feature = "ssr")]
pub fn telemetry_html(telemetry: DeviceTelemetry, locale: control::domain::Locale) -> String {
    let owner = Owner::new();
    owner.with(|| {
        provide_context(locale);
        view! { <TelemetryView telemetry /> }.to_html()
    })
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
    let charts = telemetry
        .series
        .iter()
        .map(|series| {
            let label = t(Msg::TelemetryChartLabel)
                .replace("{field}", &series.field)
                .replace("{value}", &series.latest);
            view! {
                <figure class="mt-3" data-series=series.field.clone()>
                    <figcaption class="flex justify-between text-xs text-slate-600">
                        <span class="font-mono">{series.field.clone()}</span>
                        <span>{series.lowest.clone()}" – "{series.highest.clone()}</span>
                    </figcaption>
                    <svg viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}") class="mt-1 h-24 w-full rounded bg-slate-50" role="img" aria-label=label preserveAspectRatio="none">
                        <polyline points=series.points.clone() fill="none" stroke="#0f766e" stroke-width="2" vector-effect="non-scaling-stroke" />
                    </svg>
                </figure>
            }
        })
        .collect_view();
    let rows = telemetry
        .series
        .iter()
        .map(|series| {
            view! {
                <tr data-field=series.field.clone()>
                    <th scope="row" class="py-1 pr-3 text-left font-mono font-normal">{series.field.clone()}</th>
                    <td class="py-1 pr-3 text-right" data-latest>{series.latest.clone()}</td>
                    <td class="py-1 pr-3 text-right">{series.lowest.clone()}</td>
                    <td class="py-1 text-right">{series.highest.clone()}</td>
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
    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{EventSource, MessageEvent};

    pub fn follow(url: String, panel: NodeRef<leptos::html::Div>) {
        let Ok(source) = EventSource::new(&url) else {
            return;
        };
        let on_telemetry = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let (Some(html), Some(panel)) = (event.data().as_string(), panel.get_untracked()) {
                // The server rendered it, escaping what devices sent.
                panel.set_inner_html(&html);
            }
        });
        let _ = source.add_event_listener_with_callback("telemetry", on_telemetry.as_ref().unchecked_ref());
        // The listener lives as long as the page's stream.
        on_telemetry.forget();
        let source = send_wrapper::SendWrapper::new(source);
        on_cleanup(move || source.close());
    }
}
