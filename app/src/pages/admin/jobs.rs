//! A tenant's provisioning jobs on its admin page: each step with its
//! attempts, the backend's error and what AWX printed; retry from the failed
//! step or cancel. Customers never see these details (they see the plain
//! progress panel). Kinds, steps and states are shown in words, each with
//! its code beside it (what the logs and the database say).

use control::domain::{parse_job_kind, JobState, JobStatus, Step, StepState};
use leptos::prelude::*;

use crate::components::{
    button::{SMALL_DANGER, SMALL_PRIMARY},
    form::csrf_field,
    progress::{action_label, step_label},
};
use crate::i18n::{t, use_locale, Locale, Msg};
use crate::pages::labels::offer_label;

fn job_state_label(state: JobState) -> Msg {
    match state {
        JobState::Queued => Msg::JobStateQueued,
        JobState::Running => Msg::JobStateRunning,
        JobState::Waiting => Msg::JobStateWaiting,
        JobState::Succeeded => Msg::JobStateSucceeded,
        JobState::Failed => Msg::JobStateFailed,
        JobState::Cancelled => Msg::JobStateCancelled,
    }
}

/// A step's state as `job_steps` stores it (its CHECK constraint's four).
fn step_state_label(state: StepState) -> Msg {
    match state {
        StepState::Pending => Msg::StepStatePending,
        StepState::Running => Msg::StepStateRunning,
        StepState::Done => Msg::StepStateDone,
        StepState::Failed => Msg::StepStateFailed,
    }
}

/// A job kind (`provision.iot`) in words, or the code when it names no
/// action and offer of ours.
fn job_kind_words(locale: Locale, kind: &str) -> String {
    match parse_job_kind(kind) {
        Some((action, offer)) => {
            format!(
                "{} · {}",
                action_label(action).text(locale),
                offer_label(offer).text(locale)
            )
        }
        None => kind.to_owned(),
    }
}

#[component]
pub fn AdminJobs(jobs: Vec<JobStatus>, token: String, slug: String) -> impl IntoView {
    if jobs.is_empty() {
        return view! { <p class="mt-3 text-sm text-slate-600" data-no-jobs>{t(Msg::JobsNone)}</p> }
            .into_any();
    }
    jobs.into_iter()
        .map(|job| view! { <AdminJob job token=token.clone() slug=slug.clone() /> })
        .collect_view()
        .into_any()
}

#[component]
fn AdminJob(job: JobStatus, token: String, slug: String) -> impl IntoView {
    // Both actions post the same form; only their buttons differ.
    let action_form = |action, button: AnyView| {
        view! {
            <form method="post" action=crate::routes::admin_job_action(&job.id, action)>
                {csrf_field(&token)}
                <input type="hidden" name="slug" value=slug.clone() />
                {button}
            </form>
        }
    };
    let retry = (job.state == JobState::Failed).then(|| {
        let button = view! { <button type="submit" class=SMALL_PRIMARY data-job-retry=job.id.clone()>{t(Msg::JobRetry)}</button> }.into_any();
        action_form(crate::routes::JobAction::Retry, button)
    });
    let cancel = (!matches!(job.state, JobState::Succeeded | JobState::Cancelled)).then(|| {
        let button = view! { <button type="submit" class=SMALL_DANGER data-job-cancel=job.id.clone()>{t(Msg::JobCancel)}</button> }.into_any();
        action_form(crate::routes::JobAction::Cancel, button)
    });
    let steps = job
        .steps
        .iter()
        .map(|step| {
            let output = step.output.clone().map(|output| {
                view! {
                    <details class="mt-1">
                        <summary class="cursor-pointer text-xs text-slate-600">{t(Msg::JobOutput)}</summary>
                        <pre class="mt-1 max-h-64 overflow-auto rounded bg-slate-900 p-2 text-xs text-slate-100" tabindex="0" data-step-output>{output}</pre>
                    </details>
                }
            });
            view! {
                <tr data-job-step=step.name.clone() data-step-state=step.state.as_str()>
                    <td class="py-1 pr-3 text-xs">
                        {Step::parse(&step.name).map(|known| t(step_label(known)))}
                        " "<code class="text-slate-500">{step.name.clone()}</code>
                    </td>
                    <td class="py-1 pr-3 text-xs">
                        {t(step_state_label(step.state))}
                    </td>
                    <td class="py-1 pr-3 text-xs">{step.attempts.to_string()}</td>
                    <td class="py-1 pr-3 font-mono text-xs" data-step-worker>{step.ran_by.clone()}</td>
                    <td class="py-1 text-xs text-rose-800">{step.last_error.clone()}{output}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <article class="mt-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-job=job.id.clone() data-job-kind=job.kind.clone() data-job-state=job.state.as_str()>
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h3 class="text-sm font-semibold">
                    {job_kind_words(use_locale(), &job.kind)}" "<code class="font-normal text-slate-500">{job.kind.clone()}</code>
                </h3>
                <span class="text-sm">{t(job_state_label(job.state))}" · "{job.current_step.to_string()}" / "{job.steps.len().to_string()}</span>
            </div>
            {job.last_error.clone().map(|error| view! { <p class="mt-2 text-sm text-rose-800" data-job-error>{t(Msg::JobLastError)}" "{error}</p> })}
            <table class="mt-2 w-full text-left wrap-anywhere">
                <thead><tr class="text-xs text-slate-600"><th>{t(Msg::JobStep)}</th><th>{t(Msg::TenantsState)}</th><th>{t(Msg::JobAttempts)}</th><th>{t(Msg::JobRanBy)}</th><th>{t(Msg::JobLastError)}</th></tr></thead>
                <tbody>{steps}</tbody>
            </table>
            <div class="mt-3 flex gap-2">{retry}{cancel}</div>
        </article>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use control::domain::{job_kind, Action, OfferKind};

    #[test]
    fn every_step_state_the_database_allows_has_words_in_both_languages() {
        let migration = include_str!("../../../../migrations/20261126000008_jobs.sql");
        let check = migration
            .lines()
            .find(|line| line.contains("DEFAULT 'pending'"))
            .expect("job_steps' state column");
        let allowed: Vec<&str> = check.split('\'').skip(1).step_by(2).skip(1).collect();
        assert_eq!(allowed, ["pending", "running", "done", "failed"]);
        for state in allowed {
            let words =
                step_state_label(StepState::parse(state).unwrap_or_else(|| panic!("no step state {state}")));
            assert_ne!(words.text(Locale::Fr), words.text(Locale::En), "{state}");
        }
    }

    #[test]
    fn every_job_kind_is_named_in_words() {
        for action in Action::ALL {
            for offer in OfferKind::ALL {
                let kind = job_kind(action, offer);
                for locale in [Locale::Fr, Locale::En] {
                    let words = job_kind_words(locale, &kind);
                    assert!(!words.contains(&kind), "{kind} in {locale:?}: {words}");
                }
            }
        }
        assert_eq!(job_kind_words(Locale::En, "something.else"), "something.else");
    }
}
