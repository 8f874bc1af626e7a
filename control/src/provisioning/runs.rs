//! Steps that launch a remote run (an AWX job, a Kubernetes Job) and follow
//! it to its end. Each attempt of such a step has its own run: an attempt
//! after a crash follows what an earlier attempt launched, unless that one
//! failed.

use serde_json::Value;
use tokio::time::{sleep, Instant};

use super::{
    context::SubscriptionContext,
    steps::{database_failure, SERVICE_ENV},
    ProvisioningRunner,
};
use crate::{
    backends::{
        awx::{Awx, AwxJob},
        kubernetes::{JobPhase, Kubernetes, OneOffJob, Workload},
    },
    domain::StepFailure,
    jobs::ClaimedJob,
};

/// A remote run a step launches and follows.
trait RemoteRun {
    /// Where the run stands.
    type State;
    /// Launches the run of this attempt of the step, or finds it when an
    /// earlier try of the same attempt launched it.
    async fn launch(&self, attempt: u32) -> Result<Self::State, StepFailure>;
    /// Asks again how the run of this attempt is doing.
    async fn poll(&self, attempt: u32, current: &Self::State) -> Result<Self::State, StepFailure>;
    fn finished(current: &Self::State) -> bool;
    fn failed(current: &Self::State) -> bool;
    /// The failure reported when the step's patience runs out first.
    fn still_running(current: &Self::State) -> StepFailure;
}

impl ProvisioningRunner {
    /// Walks the attempts up to `attempts` (counted from 1), stopping at the
    /// first whose run did not fail, and follows that run until it has
    /// finished, within the settings' patience.
    async fn follow<R: RemoteRun>(&self, run: &R, attempts: u32) -> Result<R::State, StepFailure> {
        let mut attempt = 1;
        let mut current = run.launch(attempt).await?;
        while R::failed(&current) && attempt < attempts {
            attempt += 1;
            current = run.launch(attempt).await?;
        }
        // `awx_patience` and `awx_poll` pace Kubernetes Jobs too.
        let deadline = Instant::now() + self.settings.awx_patience;
        while !R::finished(&current) {
            if Instant::now() >= deadline {
                return Err(R::still_running(&current));
            }
            sleep(self.settings.awx_poll).await;
            current = run.poll(attempt, &current).await?;
        }
        Ok(current)
    }

    /// Runs the ingestion store's migration as a Kubernetes Job and follows
    /// it to its end.
    pub(super) async fn follow_kube_job(
        &self,
        job: &ClaimedJob,
        ctx: &SubscriptionContext,
    ) -> Result<(), StepFailure> {
        let migration = MigrationJob {
            kubernetes: self.backends.kubernetes.as_ref(),
            namespace: ctx.instance(),
            workload: self.workload(ctx),
        };
        match self.follow(&migration, job.attempt).await? {
            JobPhase::Failed(reason) => Err(StepFailure::transient(format!(
                "kubernetes: the migration job failed: {reason}"
            ))),
            _ => Ok(()),
        }
    }

    /// Launches the template for this job's step, follows it to its end and
    /// records its output as the step's.
    pub(super) async fn follow_awx(
        &self,
        job: &ClaimedJob,
        template: &str,
        vars: &Value,
    ) -> Result<(), StepFailure> {
        let awx = self.backends.awx.as_ref();
        let run = AwxRun {
            awx,
            job,
            template,
            vars,
        };
        let current = self.follow(&run, job.attempt).await?;
        let output = awx.stdout(current.id).await.unwrap_or_default();
        self.control
            .record_step_output(job, &output)
            .await
            .map_err(database_failure)?;
        if current.failed {
            return Err(StepFailure::transient(format!(
                "awx job {} ended {}",
                current.id,
                current.status.as_str()
            )));
        }
        Ok(())
    }
}

/// The ingestion store's migration: one Job per attempt.
struct MigrationJob<'a> {
    kubernetes: &'a dyn Kubernetes,
    namespace: String,
    workload: Workload,
}

impl MigrationJob<'_> {
    fn spec(&self, attempt: u32) -> OneOffJob {
        OneOffJob {
            name: format!("ingest-migrate-{attempt}"),
            image: self.workload.image.clone(),
            args: vec!["migrate".into()],
            env_secret: Some(SERVICE_ENV.into()),
            cpu_millicores: self.workload.cpu_millicores,
            memory_mib: self.workload.memory_mib,
        }
    }
}

impl RemoteRun for MigrationJob<'_> {
    type State = JobPhase;

    async fn launch(&self, attempt: u32) -> Result<JobPhase, StepFailure> {
        Ok(self
            .kubernetes
            .run_job(&self.namespace, &self.spec(attempt))
            .await?)
    }

    async fn poll(&self, attempt: u32, _current: &JobPhase) -> Result<JobPhase, StepFailure> {
        self.launch(attempt).await
    }

    fn finished(phase: &JobPhase) -> bool {
        *phase != JobPhase::Running
    }

    fn failed(phase: &JobPhase) -> bool {
        matches!(phase, JobPhase::Failed(_))
    }

    fn still_running(_phase: &JobPhase) -> StepFailure {
        StepFailure::transient("kubernetes: the migration job is still running")
    }
}

/// An AWX job template launched with a run key per attempt of the step.
struct AwxRun<'a> {
    awx: &'a dyn Awx,
    job: &'a ClaimedJob,
    template: &'a str,
    vars: &'a Value,
}

impl RemoteRun for AwxRun<'_> {
    type State = AwxJob;

    async fn launch(&self, attempt: u32) -> Result<AwxJob, StepFailure> {
        let run_key = format!("{}-{}-{attempt}", self.job.id, self.job.step);
        Ok(self.awx.launch(self.template, &run_key, self.vars).await?)
    }

    async fn poll(&self, _attempt: u32, current: &AwxJob) -> Result<AwxJob, StepFailure> {
        Ok(self.awx.job(current.id).await?)
    }

    fn finished(current: &AwxJob) -> bool {
        current.finished
    }

    fn failed(current: &AwxJob) -> bool {
        current.finished && current.failed
    }

    fn still_running(current: &AwxJob) -> StepFailure {
        StepFailure::transient(format!("awx job {} is still running", current.id))
    }
}
