//! The engine as a replica runs it: workers taking jobs, and a dispatcher
//! queuing the jobs subscriptions need, woken by their announcements and
//! looking again on a schedule (a crash or a lost announcement is caught up).

use std::{future::Future, sync::Arc, time::Duration};

use sqlx::postgres::PgListener;

use super::{dispatch::SUBSCRIPTION_CHANNEL, ProvisioningRunner};
use crate::{jobs::Worker, Control};

/// How often the dispatcher looks without being woken.
const DISPATCH_EVERY: Duration = Duration::from_secs(30);

pub struct Engine {
    control: Control,
    runner: Arc<ProvisioningRunner>,
    workers: usize,
    /// Unique per replica: worker names are lease owners.
    replica: String,
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
        }
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
            );
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
        shutdown.await;
        let _ = stop.send(true);
        for task in tasks {
            let _ = task.await;
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
