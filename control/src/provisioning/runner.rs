//! The provisioning engine's [`StepRunner`]: reads the subscription and
//! runs the job's current step on the backends; a notice job sends its mail.

use std::{future::Future, pin::Pin};

use super::{site_check::SiteProbe, Backends, ProvisioningSettings};
use crate::{
    domain::{Step, StepFailure},
    jobs::{notices::NOTICE_JOB, ClaimedJob, StepOutcome, StepRunner},
    tenancy::learner_imports::INVITATION_JOB,
    Control,
};

pub struct ProvisioningRunner {
    pub(super) control: Control,
    pub(super) backends: Backends,
    pub(super) settings: ProvisioningSettings,
    pub(super) sites: SiteProbe,
}

impl ProvisioningRunner {
    pub fn new(control: Control, backends: Backends, settings: ProvisioningSettings) -> Self {
        let sites = SiteProbe::new(settings.ingress_url.as_deref());
        Self {
            control,
            backends,
            settings,
            sites,
        }
    }

    async fn run_job_step(&self, job: &ClaimedJob) -> StepOutcome {
        let step = Step::parse(&job.step_name)
            .ok_or_else(|| StepFailure::permanent(format!("unknown step {:?}", job.step_name)))?;
        let subscription = job
            .subscription_id
            .ok_or_else(|| StepFailure::permanent("a provisioning job without a subscription"))?;
        let context = self
            .control
            .subscription_context(subscription)
            .await
            .map_err(|error| StepFailure::transient(format!("portal database: {error}")))?;
        self.run_step(step, job, &context).await
    }
}

impl StepRunner for ProvisioningRunner {
    fn run<'a>(&'a self, job: &'a ClaimedJob) -> Pin<Box<dyn Future<Output = StepOutcome> + Send + 'a>> {
        if job.kind == NOTICE_JOB {
            return Box::pin(self.control.send_notices(job.id));
        }
        if job.kind == INVITATION_JOB {
            return Box::pin(self.control.send_invitation_letters(job.id));
        }
        Box::pin(self.run_job_step(job))
    }
}
