//! A subscription's provisioning progress, as its page and its live
//! updates show it: the latest job unless it succeeded.

use std::collections::HashMap;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    domain::{
        parse_job_kind, JobState, Permission, ProvisioningProgress, Refusal, Role, Step, StepProgress,
        StepState, SubscriptionProgress, SubscriptionState, SubscriptionView,
    },
    infra::store::stored_json,
    or_refuse,
    tenancy::{
        access::{self, Need},
        quotas::live_subscriptions,
    },
    Caller, Control, Outcome, Result,
};

/// The progress of each of `subscriptions` that has a job under way,
/// failed or cancelled: one query.
pub(crate) async fn progress_of(
    conn: &mut PgConnection,
    subscriptions: &[Uuid],
) -> Result<HashMap<Uuid, ProvisioningProgress>> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (j.subscription_id) j.subscription_id AS "subscription!", j.id AS job, j.kind,
                  j.state AS "state: JobState", j.current_step,
                  (SELECT json_agg(json_build_array(st.name, st.state = $2) ORDER BY st.position)
                     FROM job_steps st WHERE st.job_id = j.id)::text AS "steps!"
             FROM jobs j
            WHERE j.subscription_id = ANY($1)
            ORDER BY j.subscription_id, j.seq DESC"#,
        subscriptions,
        StepState::Done as StepState,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut progress = HashMap::new();
    for row in rows {
        let (subscription, job, state, current, steps) =
            (row.subscription, row.job, row.state, row.current_step, row.steps);
        let Some((action, _)) = parse_job_kind(&row.kind) else {
            continue;
        };
        if state == JobState::Succeeded {
            continue;
        }
        let steps: Vec<(String, bool)> = stored_json(&steps)?;
        let steps: Vec<StepProgress> = steps
            .into_iter()
            .filter_map(|(name, done)| {
                Some(StepProgress {
                    step: Step::parse(&name)?,
                    done,
                })
            })
            .collect();
        let blocked = matches!(state, JobState::Waiting | JobState::Failed);
        let blocked_on = blocked
            .then(|| usize::try_from(current).ok())
            .flatten()
            .and_then(|index| steps.get(index))
            .map(|step| step.step.backend());
        progress.insert(
            subscription,
            ProvisioningProgress {
                job_id: job.to_string(),
                action,
                state,
                steps,
                blocked_on,
            },
        );
    }
    Ok(progress)
}

/// The organization's live subscriptions as its pages show them, with the
/// seats `holders` use and their provisioning progress.
pub(crate) async fn subscription_views(
    conn: &mut PgConnection,
    organization: Uuid,
    holders: &[Role],
) -> Result<Vec<SubscriptionView>> {
    let live = live_subscriptions(conn, organization).await?;
    let ids: Vec<Uuid> = live.iter().map(|subscription| subscription.id).collect();
    let mut progress = progress_of(conn, &ids).await?;
    Ok(live
        .iter()
        .map(|subscription| SubscriptionView {
            progress: progress.remove(&subscription.id),
            ..subscription.view(holders)
        })
        .collect())
}

impl Control {
    /// The state and progress of one subscription, for the members of its organization.
    pub async fn subscription_progress(
        &self,
        caller: &Caller,
        slug: &str,
        subscription: Uuid,
    ) -> Outcome<SubscriptionProgress> {
        let mut conn = self.db.pool().acquire().await?;
        let org = or_refuse!(access::check(&mut conn, caller, slug, Need::read(Permission::View)).await?);
        let state = sqlx::query_scalar!(
            r#"SELECT state AS "state: SubscriptionState" FROM subscriptions WHERE id = $1 AND organization_id = $2"#,
            subscription,
            org.id,
        )
        .fetch_optional(&mut *conn)
        .await?;
        let Some(state) = state else {
            return Ok(Err(Refusal::NotFound));
        };
        Ok(Ok(SubscriptionProgress {
            state,
            progress: progress_of(&mut conn, &[subscription])
                .await?
                .remove(&subscription),
        }))
    }
}
