//! `/orgs/<slug>/subscriptions/<id>/backups`: a service's backups (owners
//! and admins): each with when it was taken, its size, its checksum, its
//! off-site copy, its expiry and its last verified restore; the forms that
//! take one now, choose when the daily one is taken, download one and
//! restore one (the organization's slug typed to confirm). Plain forms:
//! all of it works without JavaScript.

use control::domain::{
    BackupOrigin, BackupState, BackupView, BackupsPage, Locale, MemberView, OffsiteState, Role,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{backups_page, BackupsPageData},
    components::{
        access::member_refused,
        button::{SMALL_DANGER, SMALL_PRIMARY, SMALL_QUIET},
        classes::PAGE_TITLE,
        form::{csrf_field, FieldProblemText, SMALL_INPUT, SMALL_LABEL},
        loaded::Loaded,
        local_time::LocalTime,
        navigation::{organization_tabs, OrganizationTab},
        notice::{refusal_in_query, DoneNotice, RefusalNotice},
        table::FramedTable,
    },
    i18n::{translator, use_locale, Msg},
};

#[component]
pub fn BackupsPage() -> impl IntoView {
    let params = use_params_map().read_untracked().clone();
    let (slug, subscription) = (
        params.get("slug").unwrap_or_default(),
        params.get("id").unwrap_or_default(),
    );
    let data = backups_page(slug.clone(), subscription.clone());
    view! {
        <Loaded data let:view>
            {
                let here = crate::routes::backups(&slug, &subscription);
                match view {
                    MemberView::Ready(data) => view! { <Backups slug=slug.clone() data /> }.into_any(),
                    refused => member_refused(refused, &here),
                }
            }
        </Loaded>
    }
}

/// `bytes` in the units people read, in their language's.
pub fn size_text(locale: Locale, bytes: u64) -> String {
    let units: [&str; 5] = match locale {
        Locale::Fr => ["o", "Ko", "Mo", "Go", "To"],
        Locale::En => ["B", "KB", "MB", "GB", "TB"],
    };
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    let text = if unit == 0 {
        format!("{bytes}")
    } else {
        format!("{value:.1}")
    };
    let text = match locale {
        Locale::Fr => text.replace('.', ","),
        Locale::En => text,
    };
    format!("{text}\u{a0}{}", units[unit])
}

fn state_code(state: BackupState) -> &'static str {
    match state {
        BackupState::InProgress => "in_progress",
        BackupState::Failed => "failed",
        BackupState::Stored => "stored",
        BackupState::Expired => "expired",
    }
}

fn offsite_code(offsite: Option<OffsiteState>) -> &'static str {
    match offsite {
        Some(OffsiteState::Copied) => "copied",
        Some(OffsiteState::Pending) => "pending",
        Some(OffsiteState::Late) => "late",
        None => "none",
    }
}

fn state_label(state: BackupState) -> Msg {
    match state {
        BackupState::InProgress => Msg::BackupInProgress,
        BackupState::Failed => Msg::BackupFailed,
        BackupState::Stored => Msg::BackupStored,
        BackupState::Expired => Msg::BackupExpired,
    }
}

fn offsite_label(offsite: Option<OffsiteState>) -> Msg {
    match offsite {
        Some(OffsiteState::Copied) => Msg::BackupOffsiteCopied,
        Some(OffsiteState::Pending) => Msg::BackupOffsitePending,
        Some(OffsiteState::Late) => Msg::BackupOffsiteLate,
        None => Msg::BackupNotApplicable,
    }
}

#[component]
fn Backups(slug: String, data: BackupsPageData) -> impl IntoView {
    let t = translator();
    let BackupsPageData { page, csrf_token } = data;
    let BackupsPage {
        subscription_id,
        idle,
        backup_time,
        retention_days,
        backups,
        ..
    } = page;
    let query = use_query_map().read_untracked().clone();
    let done = [
        ("taken", Msg::BackupTaken),
        ("restoring", Msg::BackupRestoring),
        ("scheduled", Msg::BackupScheduled),
    ]
    .into_iter()
    .find(|(key, _)| query.get(key).is_some())
    .map(|(_, text)| view! { <DoneNotice text /> });
    let refusal = refusal_in_query();
    let time_problem = refusal.as_ref().and_then(|refusal| refusal.problem_of("time"));
    let confirmation_problem = refusal
        .as_ref()
        .and_then(|refusal| refusal.problem_of("confirmation"));
    let restoring = query.get("restore");
    let typed_time = query.get("time").unwrap_or_else(|| backup_time.clone());
    let lead = t(Msg::BackupsLead)
        .replace("{time}", &backup_time)
        .replace("{days}", &retention_days.to_string());
    let take = if idle {
        view! {
            <form method="post" action=crate::routes::backups(&slug, &subscription_id) data-take-backup>
                {csrf_field(&csrf_token)}
                <button type="submit" class=SMALL_PRIMARY>{t(Msg::BackupTakeNow)}</button>
            </form>
        }
        .into_any()
    } else {
        view! { <p class="text-sm text-slate-600" data-busy>{t(Msg::BackupBusy)}</p> }.into_any()
    };
    let schedule = view! {
        <form method="post" action=crate::routes::backup_schedule(&slug, &subscription_id) class="flex flex-wrap items-end gap-2" data-backup-schedule>
            {csrf_field(&csrf_token)}
            <div>
                <label for="backup-time" class=SMALL_LABEL>{t(Msg::BackupTimeField)}</label>
                <input id="backup-time" type="time" name="time" value=typed_time required=true class=SMALL_INPUT
                    aria-invalid=time_problem.map(|_| "true") aria-describedby=time_problem.map(|_| "backup-time-problem") />
            </div>
            <button type="submit" class=SMALL_QUIET>{t(Msg::BackupTimeSave)}</button>
            <FieldProblemText id="backup-time-problem".to_owned() problem=time_problem />
        </form>
    };
    let in_progress = backups
        .iter()
        .any(|backup| backup.state == BackupState::InProgress);
    let refresh = in_progress.then(|| {
        view! {
            <p class="mt-2 text-sm text-slate-600">
                {t(Msg::BackupRefreshNote)}" "
                <a href=crate::routes::backups(&slug, &subscription_id) class="text-teal-800 underline" data-refresh>{t(Msg::BackupRefresh)}</a>
            </p>
        }
    });
    let table = if backups.is_empty() {
        view! { <p class="mt-4 text-sm text-slate-600" data-no-backups>{t(Msg::BackupsNone)}</p> }.into_any()
    } else {
        let columns = vec![
            t(Msg::BackupTakenAt),
            t(Msg::BackupState),
            t(Msg::BackupSize),
            t(Msg::BackupChecksum),
            t(Msg::BackupOffsite),
            t(Msg::BackupExpires),
            t(Msg::BackupVerified),
            t(Msg::BackupActions),
        ];
        let rows = backups
            .into_iter()
            .map(|backup| {
                let open = restoring.as_deref() == Some(backup.id.as_str());
                view! {
                    <BackupRow
                        slug=slug.clone()
                        subscription_id=subscription_id.clone()
                        csrf_token=csrf_token.clone()
                        earlier=backup.subscription_id != subscription_id
                        backup
                        idle
                        open
                        problem=confirmation_problem.filter(|_| open)
                    />
                }
            })
            .collect_view();
        view! { <FramedTable margin="mt-4" columns>{rows}</FramedTable> }.into_any()
    };
    view! {
        <Title text=t(Msg::BackupsTitle) />
        <section class="mx-auto max-w-5xl" aria-labelledby="backups-title">
            <h1 id="backups-title" class=PAGE_TITLE>{t(Msg::BackupsTitle)}</h1>
            {organization_tabs(&slug, OrganizationTab::Services, Role::Admin)}
            <RefusalNotice refusal />
            {done}
            <p class="mt-4 text-sm text-slate-700">{lead}</p>
            <div class="mt-4 flex flex-wrap items-end justify-between gap-4">{take}{schedule}</div>
            {refresh}
            {table}
            <p class="mt-6">
                <a href=crate::routes::subscriptions(&slug) class=SMALL_QUIET>{t(Msg::BackupsBack)}</a>
            </p>
        </section>
    }
}

/// One backup: what it is, and its download and restore forms.
#[component]
fn BackupRow(
    slug: String,
    subscription_id: String,
    csrf_token: String,
    backup: BackupView,
    /// Taken of an earlier service of the same offer, since closed.
    earlier: bool,
    idle: bool,
    /// Its restore form is the one a refusal came back to.
    open: bool,
    problem: Option<control::domain::FieldProblem>,
) -> impl IntoView {
    let t = translator();
    let locale = use_locale();
    let origin = match backup.origin {
        BackupOrigin::Scheduled => t(Msg::BackupScheduledOrigin),
        BackupOrigin::OnDemand => t(Msg::BackupOnDemandOrigin),
    };
    let size = backup
        .size_bytes
        .map(|bytes| size_text(locale, bytes))
        .unwrap_or_default();
    let checksum = backup.sha256.clone().map(|sum| {
        let short = sum.chars().take(12).collect::<String>();
        view! { <code class="text-xs" title=sum.clone() data-sha256=sum>{short}"…"</code> }
    });
    let verified = match backup.verified_at.clone() {
        Some(at) => view! { <LocalTime at /> }.into_any(),
        None => view! { <span class="text-slate-500">{t(Msg::BackupNotVerified)}</span> }.into_any(),
    };
    let stored = backup.state == BackupState::Stored;
    let download = stored.then(|| {
        view! {
            <form method="post" action=crate::routes::download_backup(&slug, &backup.id)>
                {csrf_field(&csrf_token)}
                <input type="hidden" name="subscription" value=subscription_id.clone() />
                <button type="submit" class=SMALL_QUIET data-download>{t(Msg::BackupDownload)}</button>
            </form>
        }
    });
    let restore = (stored && idle).then(|| {
        let field = format!("confirm-{}", backup.id);
        let label = t(Msg::BackupConfirmField).replace("{slug}", &slug);
        view! {
            <details class="mt-1" open=open>
                <summary class="cursor-pointer text-sm text-rose-800">{t(Msg::BackupRestore)}</summary>
                <form method="post" action=crate::routes::restore_backup(&slug, &backup.id) class="mt-2 space-y-2" data-restore-form>
                    {csrf_field(&csrf_token)}
                    <input type="hidden" name="subscription" value=subscription_id.clone() />
                    <p class="text-xs text-slate-700">{t(Msg::BackupRestoreWarning)}</p>
                    <label for=field.clone() class=SMALL_LABEL>{label}</label>
                    <input id=field.clone() name="confirmation" required=true autocomplete="off" class=SMALL_INPUT
                        aria-invalid=problem.map(|_| "true") aria-describedby=problem.map(|_| format!("{field}-problem")) />
                    <FieldProblemText id=format!("{field}-problem") problem />
                    <button type="submit" class=SMALL_DANGER>{t(Msg::BackupRestoreConfirm)}</button>
                </form>
            </details>
        }
    });
    view! {
        <tr data-backup=backup.id.clone() data-backup-state=state_code(backup.state)>
            <td class="px-3 py-2 align-top"><LocalTime at=backup.created_at.clone() /><br /><span class="text-xs text-slate-600">{origin}</span>
                {earlier.then(|| view! { <br /><span class="text-xs text-amber-900" data-earlier-service>{t(Msg::BackupEarlierService)}</span> })}</td>
            <td class="px-3 py-2 align-top">{t(state_label(backup.state))}</td>
            <td class="px-3 py-2 align-top text-right" data-size=backup.size_bytes.map(|size| size.to_string())>{size}</td>
            <td class="px-3 py-2 align-top">{checksum}</td>
            <td class="px-3 py-2 align-top" data-offsite=offsite_code(backup.offsite)>{t(offsite_label(backup.offsite))}</td>
            <td class="px-3 py-2 align-top"><LocalTime at=backup.expires_at.clone() /></td>
            <td class="px-3 py-2 align-top" data-verified=backup.verified_at.is_some().to_string()>{verified}</td>
            <td class="px-3 py-2 align-top">{download}{restore}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_each_language() {
        assert_eq!(size_text(Locale::En, 512), "512\u{a0}B");
        assert_eq!(size_text(Locale::En, 1_500_000), "1.5\u{a0}MB");
        assert_eq!(size_text(Locale::Fr, 1_500_000), "1,5\u{a0}Mo");
        assert_eq!(size_text(Locale::Fr, 2_000_000_000), "2,0\u{a0}Go");
    }
}
