//! A tenant's provisioning jobs on its admin page: each step with its
//! attempts, the backend's error and what AWX printed; retry from the failed
//! step or cancel. Customers never see these details (they see the plain
//! progress panel).

use control::domain::{JobState, JobStatus};
use leptos::prelude::*;

use super::tenant::{BUTTON, DANGER};
use crate::i18n::{t, Msg};

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
    let action = |verb: &str| format!("/admin/jobs/{}/{verb}", job.id);
    let retry = (job.state == JobState::Failed).then(|| {
        view! {
            <form method="post" action=action("retry")>
                <input type="hidden" name="csrf_token" value=token.clone() />
                <input type="hidden" name="slug" value=slug.clone() />
                <button type="submit" class=BUTTON data-job-retry=job.id.clone()>{t(Msg::JobRetry)}</button>
            </form>
        }
    });
    let cancel = (!matches!(job.state, JobState::Succeeded | JobState::Cancelled)).then(|| {
        view! {
            <form method="post" action=action("cancel")>
                <input type="hidden" name="csrf_token" value=token.clone() />
                <input type="hidden" name="slug" value=slug.clone() />
                <button type="submit" class=DANGER data-job-cancel=job.id.clone()>{t(Msg::JobCancel)}</button>
            </form>
        }
    });
    let steps = job
        .steps
        .iter()
        .map(|step| {
            let output = step.output.clone().map(|output| {
                view! {
                    <details class="mt-1">
                        <summary class="cursor-pointer text-xs text-slate-600">{t(Msg::JobOutput)}</summary>
                        <pre class="mt-1 max-h-64 overflow-auto rounded bg-slate-900 p-2 text-xs text-slate-100" data-step-output>{output}</pre>
                    </details>
                }
            });
            view! {
                <tr data-job-step=step.name.clone() data-step-state=step.state.clone()>
                    <td class="py-1 pr-3 font-mono text-xs">{step.name.clone()}</td>
                    <td class="py-1 pr-3 text-xs">{step.state.clone()}</td>
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
                <h3 class="font-mono text-sm font-semibold">{job.kind.clone()}</h3>
                <span class="text-sm">{job.state.as_str()}" · "{job.current_step.to_string()}" / "{job.steps.len().to_string()}</span>
            </div>
            {job.last_error.clone().map(|error| view! { <p class="mt-2 text-sm text-rose-800" data-job-error>{t(Msg::JobLastError)}" "{error}</p> })}
            <table class="mt-2 w-full text-left">
                <thead><tr class="text-xs text-slate-600"><th>{t(Msg::JobStep)}</th><th>{t(Msg::TenantsState)}</th><th>{t(Msg::JobAttempts)}</th><th>{t(Msg::JobRanBy)}</th><th>{t(Msg::JobLastError)}</th></tr></thead>
                <tbody>{steps}</tbody>
            </table>
            <div class="mt-3 flex gap-2">{retry}{cancel}</div>
        </article>
    }
    .into_any()
}
