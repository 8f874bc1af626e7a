//! The dispatcher: queues the job each subscription needs, level-triggered
//! (it looks at states, not at events), so that any replica may run it at
//! any time, after any change or crash, and reach the same decision.

use uuid::Uuid;

use crate::{
    domain::{job_kind, workflow, Action, JobState, OfferKind},
    jobs::{enqueue_in, NewJob},
    Control, Error, PageChange, Result,
};

/// Announces subscriptions that may need a job (a trigger of migration 9).
pub const SUBSCRIPTION_CHANNEL: &str = "subscription_changed";

/// The action that brings the backends (`applied`) to what the
/// subscription's `state` asks, if any.
pub(super) fn needed_action(state: &str, applied: &str) -> Option<Action> {
    match (state, applied) {
        ("requested" | "provisioning" | "active", "none" | "partial") => Some(Action::Provision),
        ("requested" | "provisioning" | "active", "suspended") => Some(Action::Resume),
        ("suspended", "running") => Some(Action::Suspend),
        ("deprovisioning", _) => Some(Action::Close),
        ("closed", "partial" | "running" | "suspended") => Some(Action::Close),
        _ => None,
    }
}

/// A job that failed or was cancelled waits for an admin (to retry or to
/// give up): neither the dispatcher nor the reconciler queues it again.
pub(super) fn left_for_admin(last_job: JobState) -> bool {
    matches!(last_job, JobState::Failed | JobState::Cancelled)
}

/// A subscription that may need a job, with its last job.
type Candidate = (
    Uuid,
    String,
    String,
    String,
    Option<Uuid>,
    Option<String>,
    Option<String>,
);

impl Control {
    /// Queues, for each subscription whose backends differ from what its
    /// state asks, the job that brings them there; returns how many were
    /// queued. A subscription with a job under way waits for it (a provision
    /// under way for a subscription being closed is cancelled first). A
    /// job of the same kind that failed or was cancelled is left for an
    /// admin to retry: it is not queued again and again.
    pub async fn dispatch_provisioning(&self) -> Result<usize> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let candidates: Vec<Candidate> = sqlx::query_as(
            "SELECT s.id, s.offer_kind, s.state, s.applied_state, last.id, last.kind, last.state
               FROM subscriptions s
               LEFT JOIN LATERAL (SELECT j.id, j.kind, j.state FROM jobs j
                                   WHERE j.subscription_id = s.id ORDER BY j.seq DESC LIMIT 1) last ON true
              WHERE (s.state IN ('requested', 'provisioning', 'active') AND s.applied_state <> 'running')
                 OR (s.state = 'suspended' AND s.applied_state = 'running')
                 OR s.state = 'deprovisioning'
                 OR (s.state = 'closed' AND s.applied_state <> 'none')
              FOR UPDATE OF s SKIP LOCKED",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut queued = Vec::new();
        for (subscription, offer, state, applied, last_id, last_kind, last_state) in candidates {
            let Some(action) = needed_action(&state, &applied) else {
                continue;
            };
            let offer = OfferKind::from_code(&offer).ok_or_else(|| Error::InvalidStoredData {
                table: "subscriptions",
                detail: format!("unknown offer {offer:?}"),
            })?;
            let kind = job_kind(action, offer);
            let last_state = last_state.as_deref().and_then(JobState::parse);
            if let (Some(last_id), Some(last_state)) = (last_id, last_state) {
                if !last_state.is_final() {
                    let superseded = action == Action::Close && last_kind.as_deref() != Some(kind.as_str());
                    if superseded {
                        self.cancel_job_in(&mut tx, last_id, now).await?;
                    }
                    continue;
                }
                if left_for_admin(last_state) && last_kind.as_deref() == Some(kind.as_str()) {
                    continue;
                }
            }
            let steps: Vec<&str> = workflow(action, offer).iter().map(|step| step.name()).collect();
            enqueue_in(
                &mut tx,
                &NewJob {
                    kind: &kind,
                    steps: &steps,
                    subscription_id: Some(subscription),
                },
                now,
            )
            .await?;
            queued.push(subscription);
        }
        let count = queued.len();
        self.commit_page_change(tx, PageChange::Subscriptions(queued))
            .await?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_asks_for_the_job_that_reaches_it() {
        assert_eq!(needed_action("requested", "none"), Some(Action::Provision));
        assert_eq!(needed_action("active", "partial"), Some(Action::Provision));
        assert_eq!(needed_action("active", "running"), None);
        assert_eq!(needed_action("suspended", "running"), Some(Action::Suspend));
        // Suspended before anything ran: nothing to stop until it is resumed.
        assert_eq!(needed_action("suspended", "none"), None);
        assert_eq!(needed_action("active", "suspended"), Some(Action::Resume));
        assert_eq!(needed_action("deprovisioning", "none"), Some(Action::Close));
        assert_eq!(needed_action("closed", "partial"), Some(Action::Close));
        assert_eq!(needed_action("closed", "none"), None);
        assert_eq!(needed_action("awaiting_approval", "none"), None);
    }
}
