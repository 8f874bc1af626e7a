//! `/orgs/<slug>/subscriptions/<id>/devices/<device>`: a device's state and
//! how it connects (broker, username, its topics, a `mosquitto_pub`
//! example), with its forms: show the password (once), a new password,
//! turn off or on, remove. `…/password` is the answer of "show": the
//! password and the settings to download, on this response only.

use control::domain::{
    CommandResult, DeviceCredentials, DeviceDetails, DeviceStatus, FieldProblem, MemberView, Refusal, Role,
    SentCommand,
};
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{device_page, device_password, DevicePageData},
    components::{
        access::member_refused,
        button::{SMALL_DANGER, SMALL_PRIMARY, SMALL_QUIET},
        classes::PAGE_TITLE,
        form::csrf_field,
        loaded::Loaded,
        navigation::{organization_tabs, OrganizationTab},
        notice::{refusal_in_query, RefusalNotice},
        telemetry::TelemetryPanel,
    },
    i18n::{translator, Msg},
    pages::labels::device_status_label,
};

/// The path's slug, subscription and device.
fn path_ids() -> (String, String, String) {
    let params = use_params_map().read_untracked().clone();
    let get = |name: &str| params.get(name).unwrap_or_default();
    (get("slug"), get("id"), get("device"))
}

/// A `mosquitto_pub` command line for these settings (`password` as given).
fn example(host: &str, port: u16, tls: bool, username: &str, password: &str, topic: &str) -> String {
    let tls = if tls { " --capath /etc/ssl/certs" } else { "" };
    format!(
        "mosquitto_pub -h {host} -p {port}{tls} -V mqttv5 -q 1 -u '{username}' -P '{password}' -t '{topic}/telemetry' -m '{{\"temperature\": 21.5}}'"
    )
}

#[component]
pub fn DevicePage() -> impl IntoView {
    let (slug, subscription, device) = path_ids();
    let page = device_page(slug.clone(), subscription.clone(), device.clone());
    view! {
        <Loaded data=page let:view>
            {
                let here = crate::routes::device(&slug, &subscription, &device);
                match view {
                    MemberView::Ready(data) => view! { <Device slug=slug.clone() data /> }.into_any(),
                    refused => member_refused(refused, &here),
                }
            }
        </Loaded>
    }
}

/// Name and value rows of a device's settings.
fn settings(rows: Vec<(&'static str, String)>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|(name, value)| {
            view! {
                <div class="grid grid-cols-3 gap-3 py-1.5">
                    <dt class="text-slate-600">{name}</dt>
                    <dd class="col-span-2 font-mono wrap-anywhere" data-setting=name>{value}</dd>
                </div>
            }
        })
        .collect_view();
    view! { <dl class="mt-4 divide-y divide-slate-100 text-sm">{rows}</dl> }
}

fn connection_rows(details: &DeviceDetails) -> Vec<(&'static str, String)> {
    let t = translator();
    let tls = if details.tls {
        t(Msg::DeviceTlsYes)
    } else {
        t(Msg::DeviceTlsNo)
    };
    vec![
        (t(Msg::DeviceHost), details.host.clone()),
        (t(Msg::DevicePort), details.port.to_string()),
        (t(Msg::DeviceTls), tls.to_owned()),
        (t(Msg::DeviceUsername), details.username.clone()),
        (t(Msg::DevicePublishesUnder), format!("{}/…", details.topic)),
        (t(Msg::DeviceHears), details.commands_topic.clone()),
    ]
}

#[component]
fn Device(slug: String, data: DevicePageData) -> impl IntoView {
    let t = translator();
    let DevicePageData {
        details,
        telemetry,
        commands,
        csrf_token,
    } = data;
    let device = details.device.clone();
    let title = t(Msg::DeviceTitle).replace("{name}", &device.name);
    let subscription = details.subscription_id.clone();
    let post = |change: &str, label: Msg, class: &'static str| {
        view! {
            <form method="post" action=crate::routes::device_change(&slug, &subscription, &device.id, change)>
                {csrf_field(&csrf_token)}
                <button type="submit" class=class data-device-action=change.to_owned()>{t(label)}</button>
            </form>
        }
    };
    let password = if details.password_to_show() {
        Either::Left(post("reveal", Msg::DeviceShowPassword, SMALL_PRIMARY))
    } else {
        let text = if device.status.has_password() {
            Msg::DevicePasswordWasShown
        } else {
            Msg::DevicePasswordWaiting
        };
        Either::Right(view! { <p class="text-sm text-slate-600" data-password-note>{t(text)}</p> })
    };
    let toggle = if device.status == DeviceStatus::Disabled {
        post("enable", Msg::DeviceEnable, SMALL_QUIET)
    } else {
        post("disable", Msg::DeviceDisable, SMALL_QUIET)
    };
    let remove = view! {
        <form method="post" action=crate::routes::remove_device(&slug, &subscription, &device.id)>
            {csrf_field(&csrf_token)}
            <button type="submit" class=SMALL_DANGER data-device-action="remove">{t(Msg::DeviceRemove)}</button>
        </form>
    };
    let topics = t(Msg::DeviceTopicsLead)
        .replace("{topic}", &details.topic)
        .replace("{commands}", &details.commands_topic);
    let command = example(
        &details.host,
        details.port,
        details.tls,
        &details.username,
        t(Msg::DevicePasswordPlaceholder),
        &details.topic,
    );
    let mut rows = vec![
        (
            t(Msg::DeviceStatusLabel),
            t(device_status_label(device.status)).to_owned(),
        ),
        (t(Msg::DeviceRegisteredOn), device.registered_on.clone()),
    ];
    rows.extend(connection_rows(&details));
    view! {
        <Title text=title.clone() />
        <section class="mx-auto max-w-3xl" aria-labelledby="device-title">
            <h1 id="device-title" class=PAGE_TITLE data-device-status=device.status.code()>{title}</h1>
            {organization_tabs(&slug, OrganizationTab::Services, Role::Member)}
            <RefusalNotice refusal=refusal_in_query() />
            <p class="mt-4 text-sm text-slate-600">{t(Msg::DeviceLead)}</p>
            {settings(rows)}
            <p class="mt-4 text-sm text-slate-700">{topics}</p>
            <h2 class="mt-6 text-lg font-semibold">{t(Msg::DeviceExample)}</h2>
            <pre class="mt-2 overflow-x-auto rounded-lg bg-slate-900 p-3 text-xs text-slate-100" tabindex="0" data-example>{command}</pre>
            <div class="mt-6 flex flex-wrap items-center gap-3">{password}{post("rotate", Msg::DeviceRotate, SMALL_QUIET)}{toggle}{remove}</div>
            <h2 class="mt-8 text-lg font-semibold">{t(Msg::TelemetryTitle)}</h2>
            <p class="mt-1 text-sm text-slate-600">{t(Msg::TelemetryFormat)}</p>
            <TelemetryPanel stream=crate::routes::device_live(&slug, &subscription, &device.id) telemetry />
            <Commands
                action=crate::routes::device_command(&slug, &subscription, &device.id)
                topic=details.commands_topic.clone()
                csrf_token=csrf_token.clone()
                commands
            />
            <p class="mt-6 flex flex-wrap gap-3">
                <a href=crate::routes::devices(&slug, &subscription) class=SMALL_QUIET>{t(Msg::DevicesBack)}</a>
                <a href=crate::routes::services(&slug) class=SMALL_QUIET>{t(Msg::DeviceBack)}</a>
            </p>
        </section>
    }
}

/// What the broker answered to a command, as a sentence and as a word.
fn command_result_labels(result: CommandResult) -> (Msg, Msg) {
    match result {
        CommandResult::Delivered => (Msg::CommandDelivered, Msg::CommandShortDelivered),
        CommandResult::NoListener => (Msg::CommandNoListener, Msg::CommandShortNoListener),
        CommandResult::Refused => (Msg::CommandRefused, Msg::CommandShortRefused),
        CommandResult::Unreachable => (Msg::CommandUnreachable, Msg::CommandShortUnreachable),
    }
}

/// The command form, what the broker answered to the last one sent
/// (`?sent=`), and the commands sent before.
#[component]
fn Commands(action: String, topic: String, csrf_token: String, commands: Vec<SentCommand>) -> impl IntoView {
    let t = translator();
    let query = use_query_map().read_untracked().clone();
    let answer = query
        .get("sent")
        .and_then(|code| CommandResult::parse(&code))
        .map(|result| {
            let (sentence, _) = command_result_labels(result);
            let class = if result == CommandResult::Delivered {
                "mt-3 rounded-lg bg-emerald-50 p-3 text-sm text-emerald-900"
            } else {
                "mt-3 rounded-lg bg-amber-50 p-3 text-sm text-amber-900"
            };
            view! { <p class=class role="status" data-command-result=result.code()>{t(sentence)}</p> }
        });
    let problem: Option<FieldProblem> =
        Refusal::from_query(|name| query.get(name)).and_then(|refusal| refusal.problem_of("command"));
    let typed = query.get("command").unwrap_or_default();
    let problem_text = problem.map(|problem| {
        view! { <p id="command-problem" class="mt-1 text-sm text-rose-800">{t(crate::pages::labels::problem_text(problem))}</p> }
    });
    let sent = commands
        .into_iter()
        .map(|command| {
            let (_, word) = command_result_labels(command.result);
            view! {
                <li class="py-1.5" data-sent-command=command.result.code()>
                    <span class="text-xs text-slate-600">{command.at}" UTC · "{t(word)}</span>
                    <pre class="mt-1 overflow-x-auto whitespace-pre-wrap break-all font-mono text-xs">{command.payload}</pre>
                </li>
            }
        })
        .collect_view();
    view! {
        <h2 class="mt-8 text-lg font-semibold">{t(Msg::CommandTitle)}</h2>
        <p class="mt-1 text-sm text-slate-600">{t(Msg::CommandLead).replace("{topic}", &topic)}</p>
        {answer}
        <form method="post" action=action class="mt-3" data-command-form>
            {csrf_field(&csrf_token)}
            <label for="command" class="block text-sm font-medium">{t(Msg::CommandField)}</label>
            <textarea id="command" name="command" rows="3" required=true class="mt-1 w-full rounded-lg border border-slate-300 p-2 font-mono text-sm"
                aria-invalid=problem.map(|_| "true") aria-describedby=problem.map(|_| "command-problem")>{typed}</textarea>
            {problem_text}
            <button type="submit" class=format!("mt-2 {SMALL_PRIMARY}")>{t(Msg::CommandSend)}</button>
        </form>
        <h3 class="mt-5 text-base font-semibold">{t(Msg::CommandsSent)}</h3>
        <ul class="mt-1 divide-y divide-slate-100" data-sent-commands>{sent}</ul>
    }
}

#[component]
pub fn DevicePasswordPage() -> impl IntoView {
    let (slug, subscription, device) = path_ids();
    let page = device_password(slug.clone(), subscription.clone(), device.clone());
    view! {
        <Loaded data=page let:view>
            {
                let here = crate::routes::device_password(&slug, &subscription, &device);
                let back = crate::routes::device(&slug, &subscription, &device);
                match view {
                    MemberView::Ready(credentials) => view! { <Password slug=slug.clone() back credentials /> }.into_any(),
                    refused => member_refused(refused, &here),
                }
            }
        </Loaded>
    }
}

/// The settings file `mosquitto_pub` reads (`~/.config/mosquitto_pub`):
/// one option a line.
fn settings_file(credentials: &DeviceCredentials) -> String {
    let tls = if credentials.tls {
        "--capath /etc/ssl/certs\n"
    } else {
        ""
    };
    format!(
        "-h {}\n-p {}\n{tls}-V mqttv5\n-u {}\n-P {}\n-t {}/telemetry\n",
        credentials.host, credentials.port, credentials.username, credentials.password, credentials.topic
    )
}

#[component]
fn Password(slug: String, back: String, credentials: Option<DeviceCredentials>) -> impl IntoView {
    let t = translator();
    let Some(credentials) = credentials else {
        return Either::Left(view! {
            <Title text=t(Msg::DevicePassword) />
            <section class="mx-auto max-w-3xl" aria-labelledby="password-title">
                <h1 id="password-title" class=PAGE_TITLE>{t(Msg::DevicePassword)}</h1>
                {organization_tabs(&slug, OrganizationTab::Services, Role::Member)}
                <p class="mt-4 text-sm text-slate-700" data-password-gone>{t(Msg::DevicePasswordGone)}</p>
                <p class="mt-6"><a href=back class=SMALL_QUIET>{t(Msg::DeviceBack)}</a></p>
            </section>
        });
    };
    let title = t(Msg::DevicePasswordTitle).replace("{name}", &credentials.device);
    let details = DeviceDetails {
        subscription_id: String::new(),
        device: control::domain::Device {
            id: String::new(),
            name: credentials.device.clone(),
            registered_on: String::new(),
            status: DeviceStatus::Active,
            password_shown: true,
        },
        host: credentials.host.clone(),
        port: credentials.port,
        tls: credentials.tls,
        username: credentials.username.clone(),
        topic: credentials.topic.clone(),
        commands_topic: credentials.commands_topic.clone(),
    };
    let mut rows = connection_rows(&details);
    rows.insert(4, (t(Msg::DevicePassword), credentials.password.clone()));
    let command = example(
        &credentials.host,
        credentials.port,
        credentials.tls,
        &credentials.username,
        &credentials.password,
        &credentials.topic,
    );
    let download = format!(
        "data:text/plain;charset=utf-8,{}",
        url_escape(&settings_file(&credentials))
    );
    Either::Right(view! {
        <Title text=title.clone() />
        <section class="mx-auto max-w-3xl" aria-labelledby="password-title">
            <h1 id="password-title" class=PAGE_TITLE>{title}</h1>
            {organization_tabs(&slug, OrganizationTab::Services, Role::Member)}
            <p class="mt-4 rounded-lg bg-amber-50 p-3 text-sm text-amber-900" role="status">{t(Msg::DevicePasswordOnce)}</p>
            {settings(rows)}
            <h2 class="mt-6 text-lg font-semibold">{t(Msg::DeviceExample)}</h2>
            <pre class="mt-2 overflow-x-auto rounded-lg bg-slate-900 p-3 text-xs text-slate-100" tabindex="0" data-example>{command}</pre>
            <p class="mt-4">
                <a href=download download=format!("{}.mosquitto_pub", credentials.device) class=SMALL_PRIMARY data-download>
                    {t(Msg::DeviceDownload)}
                </a>
            </p>
            <p class="mt-6"><a href=back class=SMALL_QUIET>{t(Msg::DeviceBack)}</a></p>
        </section>
    })
}

/// Percent-encodes `text` for a `data:` URL.
fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
