//! The engine as a replica runs it: workers taking jobs, and a dispatcher
//! queuing the jobs subscriptions need, woken by their announcements and
//! looking again on a schedule (a crash or a lost announcement is caught up),
//! the reconciler repairing what drifted behind the engine's back, and the
//! reading of training spaces' courses trainers ask for.

use std::{future::Future, sync::Arc, time::Duration};

use sqlx::postgres::PgListener;

use super::{dispatch::SUBSCRIPTION_CHANNEL, ProvisioningRunner};
use crate::{domain::RetryPolicy, jobs::Worker, Control};

/// How often the dispatcher looks without being woken.
const DISPATCH_EVERY: Duration = Duration::from_secs(30);
/// How often the reconciler compares the backends with what they should hold.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(300);
/// How often each service's latest backup is restored in a drill.
pub const DRILL_EVERY: Duration = Duration::from_secs(7 * 24 * 3600);

pub struct Engine {
    control: Control,
    runner: Arc<ProvisioningRunner>,
    workers: usize,
    /// Unique per replica: worker names are lease owners.
    replica: String,
    /// How long a job stays a worker's without a heartbeat (a dead
    /// replica's jobs are taken over after it).
    lease: time::Duration,
    policy: RetryPolicy,
    reconcile_every: Duration,
    drill_every: Duration,
}

impl Engine {
    pub fn new(
        control: Control,
        runner: ProvisioningRunner,
        workers: usize,
        replica: impl Into<String>,
    ) -> Self {
        Self {
            control,
            runner: Arc::new(runner),
            workers: workers.max(1),
            replica: replica.into(),
            lease: time::Duration::seconds(30),
            policy: RetryPolicy::default(),
            reconcile_every: RECONCILE_EVERY,
            drill_every: DRILL_EVERY,
        }
    }

    /// How often the reconciler runs (one replica at a time); at least a second.
    pub fn with_reconcile_interval(mut self, every: Duration) -> Self {
        self.reconcile_every = every.max(Duration::from_secs(1));
        self
    }

    /// How often each service's latest backup is drilled; at least a second.
    pub fn with_drill_interval(mut self, every: Duration) -> Self {
        self.drill_every = every.max(Duration::from_secs(1));
        self
    }

    pub fn with_lease(mut self, lease: time::Duration) -> Self {
        self.lease = lease;
        self
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Runs until `shutdown` resolves; a step running then is abandoned and
    /// taken over by another worker when its lease runs out.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::with_capacity(self.workers + 1);
        for index in 0..self.workers {
            let worker = Worker::new(
                self.control.clone(),
                format!("{}-{index}", self.replica),
                self.runner.clone(),
            )
            .with_lease(self.lease)
            .with_policy(self.policy);
            let mut stopped = stopped.clone();
            tasks.push(tokio::spawn(worker.run(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })));
        }
        let control = self.control.clone();
        let mut dispatcher_stopped = stopped.clone();
        tasks.push(tokio::spawn(async move {
            tokio::select! {
                () = dispatch_forever(control) => {}
                _ = dispatcher_stopped.wait_for(|stop| *stop) => {}
            }
        }));
        let runner = self.runner.clone();
        let reconcile_every = self.reconcile_every;
        let mut reconciler_stopped = stopped.clone();
        tasks.push(tokio::spawn(async move {
            tokio::select! {
                () = reconcile_forever(runner, reconcile_every) => {}
                _ = reconciler_stopped.wait_for(|stop| *stop) => {}
            }
        }));
        let runner = self.runner.clone();
        let drill_every = self.drill_every;
        let mut backups_stopped = stopped.clone();
        tasks.push(tokio::spawn(async move {
            tokio::select! {
                () = super::backups::backup_rounds(runner, drill_every) => {}
                _ = backups_stopped.wait_for(|stop| *stop) => {}
            }
        }));
        let runner = self.runner.clone();
        let mut reader_stopped = stopped.clone();
        tasks.push(tokio::spawn(async move {
            tokio::select! {
                () = super::courses::read_courses_on_demand(runner) => {}
                _ = reader_stopped.wait_for(|stop| *stop) => {}
            }
        }));
        shutdown.await;
        let _ = stop.send(true);
        for task in tasks {
            let _ = task.await;
        }
    }
}

async fn reconcile_forever(runner: Arc<ProvisioningRunner>, every: Duration) {
    // The first round after an interval: a replica starting has enough to do.
    let mut rounds = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        rounds.tick().await;
        match runner.reconcile_exclusively().await {
            Ok(Some(report)) if report.drifted > 0 || report.unobservable > 0 => tracing::info!(
                examined = report.examined,
                drifted = report.drifted,
                repairs_queued = report.repairs_queued,
                unobservable = report.unobservable,
                "reconciled provisioning"
            ),
            Ok(Some(report)) => {
                tracing::debug!(examined = report.examined, "reconciled provisioning: no drift")
            }
            Ok(None) => tracing::debug!("another replica is reconciling provisioning"),
            Err(error) => tracing::warn!(%error, "cannot reconcile provisioning"),
        }
    }
}

async fn dispatch_forever(control: Control) {
    let mut listener = match PgListener::connect_with(control.db().pool()).await {
        Ok(listener) => Some(listener),
        Err(error) => {
            tracing::warn!(%error, "the dispatcher cannot listen for subscription changes; it polls");
            None
        }
    };
    if let Some(listener) = listener.as_mut() {
        if let Err(error) = listener.listen(SUBSCRIPTION_CHANNEL).await {
            tracing::warn!(%error, "the dispatcher cannot listen for subscription changes; it polls");
        }
    }
    loop {
        match control.dispatch_provisioning().await {
            Ok(0) => {}
            Ok(queued) => tracing::info!(queued, "provisioning jobs queued"),
            Err(error) => tracing::warn!(%error, "cannot dispatch provisioning jobs"),
        }
        match listener.as_mut() {
            Some(listener) => {
                match tokio::time::timeout(DISPATCH_EVERY, listener.recv()).await {
                    // Changes come in bursts (a tenant's subscriptions): one dispatch takes them all.
                    Ok(Ok(_)) => while listener.next_buffered().is_some() {},
                    // The listener reconnects by itself; a lost announcement is caught up here.
                    Ok(Err(error)) => {
                        tracing::debug!(%error, "the dispatcher's listener dropped");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    Err(_) => {}
                }
            }
            None => tokio::time::sleep(DISPATCH_EVERY).await,
        }
    }
}
