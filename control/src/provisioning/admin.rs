//! What platform admins see of provisioning and the two things they may do
//! to a job: retry it from its failed step, or cancel it. Both are audited.

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    audit::AuditEvent,
    domain::{AuditAction, JobAction, JobState, JobStatus, Refusal, SignedInUser},
    jobs::{job_status_on, retry_job_in},
    or_refuse, Caller, Control, Outcome, Result,
};

/// How many of a tenant's latest jobs its admin page lists.
const JOBS_SHOWN: i64 = 10;

/// The organization's latest provisioning jobs, newest first.
pub(crate) async fn organization_jobs(conn: &mut PgConnection, organization: Uuid) -> Result<Vec<JobStatus>> {
    let ids = sqlx::query_scalar!(
        "SELECT j.id FROM jobs j JOIN subscriptions s ON s.id = j.subscription_id
          WHERE s.organization_id = $1 ORDER BY j.seq DESC LIMIT $2",
        organization,
        JOBS_SHOWN,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut jobs = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(job) = job_status_on(conn, id).await? {
            jobs.push(job);
        }
    }
    Ok(jobs)
}

impl Control {
    /// A platform admin retries (a failed job, if it is still its
    /// subscription's latest) or cancels (a job not yet ended) a job.
    pub async fn admin_job_action(
        &self,
        user: Option<&SignedInUser>,
        caller: &Caller,
        job: Uuid,
        action: JobAction,
    ) -> Outcome<()> {
        or_refuse!(self.admin_may_change(user).await?);
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let found = sqlx::query!(
            r#"SELECT j.state AS "state: JobState", s.organization_id AS "organization_id?"
                 FROM jobs j LEFT JOIN subscriptions s ON s.id = j.subscription_id
                WHERE j.id = $1 FOR UPDATE OF j"#,
            job,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(found) = found else {
            return Ok(Err(Refusal::NotFound));
        };
        let (before, organization) = (found.state, found.organization_id);
        let (done, name) = match action {
            JobAction::Retry => (retry_job_in(&mut tx, job, now).await?, AuditAction::JobRetry),
            JobAction::Cancel => (
                self.cancel_job_in(&mut tx, job, now).await?,
                AuditAction::JobCancel,
            ),
        };
        if !done {
            return Ok(Err(Refusal::WrongState));
        }
        let event = AuditEvent::new(organization, name, format!("job:{job}"))
            .before(json!({ "state": before.as_str() }));
        self.commit_change(tx, caller, now, event).await
    }
}
