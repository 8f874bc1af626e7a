//! `/orgs/<slug>/subscriptions/<id>/devices`: an IoT subscription's
//! devices, fifty a page by name, searched by the beginning of their
//! names (a plain GET form), each with its state, whether it is online,
//! its messages a minute and what was dropped over the rate limit.

use control::domain::{ListedDevice, MemberView, Role};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{device_list, DeviceListData},
    components::{
        access::member_refused,
        button::SMALL_QUIET,
        classes::PAGE_TITLE,
        loaded::Loaded,
        navigation::{organization_tabs, OrganizationTab},
        table::FramedTable,
    },
    i18n::{translator, Msg},
    pages::labels::device_status_label,
};

#[component]
pub fn DevicesPage() -> impl IntoView {
    let params = use_params_map().read_untracked().clone();
    let (slug, subscription) = (
        params.get("slug").unwrap_or_default(),
        params.get("id").unwrap_or_default(),
    );
    let query = use_query_map().read_untracked().clone();
    let page = query
        .get("page")
        .and_then(|page| page.parse::<u32>().ok())
        .unwrap_or(1);
    let search = query.get("name").unwrap_or_default();
    let data = device_list(slug.clone(), subscription.clone(), page, search);
    view! {
        <Loaded data let:view>
            {
                let here = crate::routes::devices(&slug, &subscription);
                match view {
                    MemberView::Ready(data) => view! { <Devices slug=slug.clone() data /> }.into_any(),
                    refused => member_refused(refused, &here),
                }
            }
        </Loaded>
    }
}

/// The list's address for `page` of `search`.
fn page_link(base: &str, page: u32, search: &str) -> String {
    let mut link = format!("{base}?page={page}");
    if !search.is_empty() {
        link.push_str("&name=");
        link.push_str(
            &search
                .replace('%', "%25")
                .replace('&', "%26")
                .replace('#', "%23")
                .replace('+', "%2B"),
        );
    }
    link
}

#[component]
fn Devices(slug: String, data: DeviceListData) -> impl IntoView {
    let t = translator();
    let list = data.list;
    let base = crate::routes::devices(&slug, &list.subscription_id);
    let rows = list
        .devices
        .into_iter()
        .map(|ListedDevice { device, activity }| {
            let link = crate::routes::device(&slug, &list.subscription_id, &device.id);
            let (online, class) = if activity.online {
                (t(Msg::TelemetryOnline), "text-emerald-800")
            } else {
                (t(Msg::TelemetryOffline), "text-slate-600")
            };
            let seen = activity.last_seen.clone().unwrap_or_default();
            view! {
                <tr data-device=device.name.clone() data-online=activity.online.to_string()>
                    <td class="px-3 py-2 font-mono"><a href=link class="text-teal-800 underline">{device.name.clone()}</a></td>
                    <td class="px-3 py-2">{t(device_status_label(device.status))}</td>
                    <td class=format!("px-3 py-2 {class}")><span>{online}</span>" "<span class="text-xs text-slate-600">{seen}</span></td>
                    <td class="px-3 py-2 text-right" data-rate=activity.per_minute.to_string()>{activity.per_minute.to_string()}</td>
                    <td class="px-3 py-2 text-right" data-dropped=activity.dropped_last_hour.to_string()>{activity.dropped_last_hour.to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    let table = if list.total == 0 {
        view! { <p class="mt-4 text-sm text-slate-600" data-no-devices>{t(Msg::DevicesNone)}</p> }.into_any()
    } else {
        let columns = vec![
            t(Msg::DevicesName),
            t(Msg::DevicesState),
            t(Msg::DevicesActivity),
            t(Msg::DevicesRate),
            t(Msg::DevicesDropped),
        ];
        view! { <FramedTable margin="mt-4" columns>{rows}</FramedTable> }.into_any()
    };
    let previous = (list.page > 1).then(|| {
        view! { <a href=page_link(&base, list.page - 1, &list.search) class=SMALL_QUIET rel="prev">{t(Msg::DevicesPrevious)}</a> }
    });
    let next = (list.page < list.pages).then(|| {
        view! { <a href=page_link(&base, list.page + 1, &list.search) class=SMALL_QUIET rel="next">{t(Msg::DevicesNext)}</a> }
    });
    let position = t(Msg::DevicesPage)
        .replace("{page}", &list.page.to_string())
        .replace("{pages}", &list.pages.to_string());
    view! {
        <Title text=t(Msg::DevicesTitle) />
        <section class="mx-auto max-w-4xl" aria-labelledby="devices-title">
            <h1 id="devices-title" class=PAGE_TITLE>{t(Msg::DevicesTitle)}</h1>
            {organization_tabs(&slug, OrganizationTab::Services, Role::Member)}
            <p class="mt-4 text-sm text-slate-700" data-devices-total=list.total.to_string()>
                {t(Msg::DevicesCount).replace("{n}", &list.total.to_string())}
            </p>
            <form method="get" action=base.clone() class="mt-3 flex flex-wrap items-end gap-2" role="search">
                <div>
                    <label for="device-search" class="block text-sm font-medium">{t(Msg::DevicesSearch)}</label>
                    <input id="device-search" name="name" value=list.search.clone() class="mt-1 rounded-lg border border-slate-300 px-2 py-1.5 font-mono text-sm" />
                </div>
                <button type="submit" class=SMALL_QUIET>{t(Msg::DevicesSearchButton)}</button>
            </form>
            {table}
            <nav class="mt-4 flex flex-wrap items-center gap-3 text-sm" aria-label=position.clone()>
                {previous}
                <span>{position.clone()}</span>
                {next}
            </nav>
            <p class="mt-6"><a href=crate::routes::services(&slug) class=SMALL_QUIET>{t(Msg::DeviceBack)}</a></p>
        </section>
    }
}
