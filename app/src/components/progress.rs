//! A subscription's provisioning progress: a bar and the list of steps,
//! rendered by the server (a reload shows where it stands, without
//! JavaScript); while it may change, an island keeps it live from the
//! subscription's event stream.

use control::domain::{
    may_change_soon, Action, Backend, JobState, ProvisioningProgress, Step, SubscriptionState,
};
use leptos::prelude::*;

use crate::{
    components::island::{ready_mark, IslandHints},
    i18n::{translator, Msg},
};

#[component]
pub fn ProvisioningPanel(
    slug: String,
    subscription_id: String,
    /// The state the page was rendered with: when the stream tells another, the page reloads.
    state: SubscriptionState,
    progress: Option<ProvisioningProgress>,
) -> impl IntoView {
    if !may_change_soon(state, progress.as_ref()) {
        return progress
            .map(|progress| view! { <ProgressView progress /> })
            .into_any();
    }
    let stream = crate::routes::progress(&slug, &subscription_id);
    view! {
        <IslandHints />
        <LiveProgress stream state progress />
    }
    .into_any()
}

/// The panel kept live by the subscription's event stream: the only part of
/// an organization's page that runs in the browser.
#[island]
fn LiveProgress(
    stream: String,
    state: SubscriptionState,
    progress: Option<ProvisioningProgress>,
) -> impl IntoView {
    crate::i18n::provide_locale();
    let (current, set_current) = signal(progress);
    #[cfg(feature = "hydrate")]
    live::follow(stream, state, set_current);
    #[cfg(not(feature = "hydrate"))]
    let _ = (stream, state, set_current);
    let ready = ready_mark();
    view! {
        <div data-live-progress data-island-ready=ready>
            {move || current.get().map(|progress| view! { <ProgressView progress /> })}
        </div>
    }
}

#[component]
fn ProgressView(progress: ProvisioningProgress) -> impl IntoView {
    let t = translator();
    let percent = progress.percent();
    let done = progress.steps.iter().filter(|step| step.done).count();
    let total = progress.steps.len();
    let current = progress.current();
    let note = match progress.state {
        JobState::Waiting => progress
            .blocked_on
            .map(|backend| view! { <p class="mt-2 text-sm text-amber-900" data-progress-waiting=backend.code()>{t(Msg::ProgressWaitingFor)}" "{t(backend_label(backend))}</p> }.into_any()),
        JobState::Failed => Some(view! { <p class="mt-2 text-sm text-rose-800" data-progress-failed>{t(Msg::ProgressFailed)}</p> }.into_any()),
        JobState::Cancelled => Some(view! { <p class="mt-2 text-sm text-slate-700">{t(Msg::ProgressCancelled)}</p> }.into_any()),
        _ => None,
    };
    let steps = progress
        .steps
        .iter()
        .map(|step| {
            let running = Some(step.step) == current;
            let (mark, class) = if step.done {
                ("✓", "text-emerald-800")
            } else if running {
                ("→", "font-medium text-slate-900")
            } else {
                ("·", "text-slate-500")
            };
            view! {
                <li class=class data-step=step.step.name() data-step-done=step.done.to_string() aria-current=running.then_some("step")>
                    <span aria-hidden="true" class="inline-block w-4">{mark}</span>{t(step_label(step.step))}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="mt-4 rounded-lg border border-slate-200 bg-slate-50 p-4" data-progress=progress.action.code() data-progress-state=progress.state.as_str() data-progress-percent=percent.to_string()>
            <p class="text-sm font-semibold text-slate-800">{t(action_label(progress.action))}</p>
            <progress class="mt-2 h-2 w-full" max="100" value=percent.to_string() aria-label=t(action_label(progress.action))></progress>
            <p class="mt-1 text-xs text-slate-600">{done.to_string()}" / "{total.to_string()}" "{t(Msg::ProgressStepsDone)}</p>
            {note}
            <ol class="mt-3 space-y-1 text-sm">{steps}</ol>
            <noscript><p class="mt-2 text-xs text-slate-600">{t(Msg::ProgressReload)}</p></noscript>
        </section>
    }
}

pub(crate) fn action_label(action: Action) -> Msg {
    match action {
        Action::Provision => Msg::ProgressProvision,
        Action::Suspend => Msg::ProgressSuspend,
        Action::Resume => Msg::ProgressResume,
        Action::Close => Msg::ProgressClose,
        Action::SyncMembers => Msg::ProgressSyncMembers,
        Action::ChangeModules => Msg::ProgressChangeModules,
        Action::ApplyDomain => Msg::ProgressApplyDomain,
        Action::SyncDevices => Msg::ProgressSyncDevices,
        Action::Backup => Msg::ProgressBackup,
        Action::Restore => Msg::ProgressRestore,
        Action::Drill => Msg::ProgressDrill,
    }
}

fn backend_label(backend: Backend) -> Msg {
    match backend {
        Backend::Portal => Msg::BackendPortal,
        Backend::Kubernetes => Msg::BackendKubernetes,
        Backend::Vault => Msg::BackendVault,
        Backend::Hydra => Msg::BackendHydra,
        Backend::Odoo => Msg::BackendOdoo,
        Backend::Awx => Msg::BackendAwx,
        Backend::OpenStack => Msg::BackendOpenStack,
        Backend::Gitlab => Msg::BackendGitlab,
        Backend::Mqtt => Msg::BackendMqtt,
        Backend::Storage => Msg::BackendStorage,
    }
}

pub(crate) fn step_label(step: Step) -> Msg {
    match step {
        Step::Begin => Msg::StepBegin,
        Step::VaultTenant => Msg::StepVaultTenant,
        Step::VaultSecrets => Msg::StepVaultSecrets,
        Step::KubeNamespace => Msg::StepKubeNamespace,
        Step::KubeQuota => Msg::StepKubeQuota,
        Step::KubeNetworkPolicy => Msg::StepKubeNetworkPolicy,
        Step::OpenstackProject => Msg::StepOpenstackProject,
        Step::AwxDatabase => Msg::StepAwxDatabase,
        Step::GitlabRegistry => Msg::StepGitlabRegistry,
        Step::MqttTenant => Msg::StepMqttTenant,
        Step::KubeSecrets => Msg::StepKubeSecrets,
        Step::KubeMigrate => Msg::StepKubeMigrate,
        Step::KubeWorkload => Msg::StepKubeWorkload,
        Step::OdooDatabase => Msg::StepOdooDatabase,
        Step::OdooModules => Msg::StepOdooModules,
        Step::OdooWebsite => Msg::StepOdooWebsite,
        Step::HydraClient => Msg::StepHydraClient,
        Step::OdooSso => Msg::StepOdooSso,
        Step::OdooUsers => Msg::StepOdooUsers,
        Step::OdooCourses => Msg::StepOdooCourses,
        Step::MarkRunning => Msg::StepMarkRunning,
        Step::KubeScaleDown => Msg::StepKubeScaleDown,
        Step::HydraDisable => Msg::StepHydraDisable,
        Step::MqttDisable => Msg::StepMqttDisable,
        Step::OpenstackDisable => Msg::StepOpenstackDisable,
        Step::MarkSuspended => Msg::StepMarkSuspended,
        Step::KubeScaleUp => Msg::StepKubeScaleUp,
        Step::HydraEnable => Msg::StepHydraEnable,
        Step::MqttEnable => Msg::StepMqttEnable,
        Step::MqttDevices => Msg::StepMqttDevices,
        Step::OpenstackEnable => Msg::StepOpenstackEnable,
        Step::OdooDrop => Msg::StepOdooDrop,
        Step::AwxDropDatabase => Msg::StepAwxDropDatabase,
        Step::HydraRemove => Msg::StepHydraRemove,
        Step::MqttRemove => Msg::StepMqttRemove,
        Step::GitlabRemove => Msg::StepGitlabRemove,
        Step::OpenstackRemove => Msg::StepOpenstackRemove,
        Step::KubeRemove => Msg::StepKubeRemove,
        Step::VaultRemove => Msg::StepVaultRemove,
        Step::MarkClosed => Msg::StepMarkClosed,
        Step::BackupOdoo => Msg::StepBackupOdoo,
        Step::BackupTelemetry => Msg::StepBackupTelemetry,
        Step::BackupOffsite => Msg::StepBackupOffsite,
        Step::RestoreOdooStage => Msg::StepRestoreOdooStage,
        Step::RestoreOdooSwap => Msg::StepRestoreOdooSwap,
        Step::RestoreTelemetry => Msg::StepRestoreTelemetry,
        Step::DrillRestore => Msg::StepDrillRestore,
    }
}

/// The browser side: an `EventSource` on the subscription's stream.
#[cfg(feature = "hydrate")]
mod live {
    use control::domain::{ProvisioningProgress, SubscriptionProgress, SubscriptionState};
    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{EventSource, MessageEvent};

    /// Follows the stream; when the subscription's state is no longer the
    /// one the page was rendered with (its job ended), reloads the page,
    /// which then shows the new state and what it allows.
    pub fn follow(
        url: String,
        rendered: SubscriptionState,
        set_current: WriteSignal<Option<ProvisioningProgress>>,
    ) {
        let Ok(source) = EventSource::new(&url) else {
            return;
        };
        let on_progress = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(data) = event.data().as_string() else {
                return;
            };
            let Ok(next) = serde_json::from_str::<SubscriptionProgress>(&data) else {
                return;
            };
            if next.state != rendered {
                if let Some(window) = web_sys::window() {
                    let _ = window.location().reload();
                }
                return;
            }
            set_current.set(next.progress);
        });
        let _ = source.add_event_listener_with_callback("progress", on_progress.as_ref().unchecked_ref());
        // The listener lives as long as the page's stream.
        on_progress.forget();
        let source = send_wrapper::SendWrapper::new(source);
        on_cleanup(move || source.close());
    }
}
