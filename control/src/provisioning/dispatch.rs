//! The dispatcher: queues the job each subscription needs, level-triggered
//! (it looks at states, not at events), so that any replica may run it at
//! any time, after any change or crash, and reach the same decision.

use crate::{
    domain::{job_kind, workflow, Action, AppliedState, JobState, OfferKind, SubscriptionState},
    jobs::{enqueue_in, NewJob},
    Control, Error, PageChange, Result,
};

/// Announces subscriptions that may need a job (a trigger of migration 9).
pub const SUBSCRIPTION_CHANNEL: &str = "subscription_changed";

/// The action that brings the backends (`applied`) to what the
/// subscription's `state` asks, if any.
pub(super) fn needed_action(state: SubscriptionState, applied: AppliedState) -> Option<Action> {
    use AppliedState as Applied;
    use SubscriptionState as State;
    match (state, applied) {
        (State::Requested | State::Provisioning | State::Active, Applied::None | Applied::Partial) => {
            Some(Action::Provision)
        }
        (State::Requested | State::Provisioning | State::Active, Applied::Suspended) => Some(Action::Resume),
        (State::Suspended, Applied::Running) => Some(Action::Suspend),
        (State::Deprovisioning, _) => Some(Action::Close),
        (State::Closed, Applied::Partial | Applied::Running | Applied::Suspended) => Some(Action::Close),
        _ => None,
    }
}

/// A job that failed or was cancelled waits for an admin (to retry or to
/// give up): neither the dispatcher nor the reconciler queues it again.
pub(super) fn left_for_admin(last_job: JobState) -> bool {
    matches!(last_job, JobState::Failed | JobState::Cancelled)
}

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
        // A subscription that may need a job, with its last job. The SQL
        // preselects what `needed_action` decides on.
        let candidates = sqlx::query!(
            r#"SELECT s.id, s.offer_kind, s.state AS "state: SubscriptionState",
                      s.applied_state AS "applied: AppliedState", c.members_changed AS "members_changed!",
                      c.modules_changed AS "modules_changed!", c.domain_changed AS "domain_changed!", c.devices_changed AS "devices_changed!",
                      last.id AS "last_id?", last.kind AS "last_kind?", last.state AS "last_state?: JobState"
               FROM subscriptions s
               CROSS JOIN LATERAL (SELECT s.state = 'active' AND s.applied_state = 'running'
                                          AND s.offer_kind IN ('ecommerce', 'training')
                                          AND s.members_applied IS DISTINCT FROM
                                              odoo_members_fingerprint(s.organization_id, s.offer_kind)
                                          AS members_changed,
                                          s.state = 'active' AND s.applied_state = 'running'
                                          AND s.offer_kind IN ('ecommerce', 'training')
                                          AND s.modules_applied <> s.modules_version AS modules_changed,
                                          s.state = 'active' AND s.applied_state = 'running'
                                          AND s.offer_kind IN ('ecommerce', 'training')
                                          AND s.domain_applied <> s.domain_version AS domain_changed,
                                          s.state = 'active' AND s.applied_state = 'running' AND s.offer_kind = 'iot'
                                          AND EXISTS (SELECT 1 FROM devices d
                                                       WHERE d.subscription_id = s.id
                                                         AND (d.removed_at IS NOT NULL
                                                              OR d.applied_version IS DISTINCT FROM d.credentials_version
                                                              OR d.applied_enabled IS DISTINCT FROM d.enabled))
                                          AS devices_changed) c
               LEFT JOIN LATERAL (SELECT j.id, j.kind, j.state FROM jobs j
                                   WHERE j.subscription_id = s.id ORDER BY j.seq DESC LIMIT 1) last ON true
              WHERE (s.state IN ('requested', 'provisioning', 'active') AND s.applied_state <> 'running')
                 OR (s.state = 'suspended' AND s.applied_state = 'running')
                 OR s.state = 'deprovisioning'
                 OR (s.state = 'closed' AND s.applied_state <> 'none')
                 OR c.members_changed
                 OR c.modules_changed
                 OR c.domain_changed
                 OR c.devices_changed
              FOR UPDATE OF s SKIP LOCKED"#,
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut queued = Vec::new();
        for candidate in candidates {
            let subscription = candidate.id;
            // The state's job first; else, in a running service, members
            // who changed, then modules, then its own domain.
            let action = needed_action(candidate.state, candidate.applied)
                .or(candidate.members_changed.then_some(Action::SyncMembers))
                .or(candidate.modules_changed.then_some(Action::ChangeModules))
                .or(candidate.domain_changed.then_some(Action::ApplyDomain))
                .or(candidate.devices_changed.then_some(Action::SyncDevices));
            let Some(action) = action else {
                continue;
            };
            let offer =
                OfferKind::from_code(&candidate.offer_kind).ok_or_else(|| Error::InvalidStoredData {
                    table: "subscriptions",
                    detail: format!("unknown offer {:?}", candidate.offer_kind),
                })?;
            let kind = job_kind(action, offer);
            let last_kind = candidate.last_kind;
            if let (Some(last_id), Some(last_state)) = (candidate.last_id, candidate.last_state) {
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
        use AppliedState as Applied;
        use SubscriptionState as State;
        assert_eq!(
            needed_action(State::Requested, Applied::None),
            Some(Action::Provision)
        );
        assert_eq!(
            needed_action(State::Active, Applied::Partial),
            Some(Action::Provision)
        );
        assert_eq!(needed_action(State::Active, Applied::Running), None);
        assert_eq!(
            needed_action(State::Suspended, Applied::Running),
            Some(Action::Suspend)
        );
        // Suspended before anything ran: nothing to stop until it is resumed.
        assert_eq!(needed_action(State::Suspended, Applied::None), None);
        assert_eq!(
            needed_action(State::Active, Applied::Suspended),
            Some(Action::Resume)
        );
        assert_eq!(
            needed_action(State::Deprovisioning, Applied::None),
            Some(Action::Close)
        );
        assert_eq!(
            needed_action(State::Closed, Applied::Partial),
            Some(Action::Close)
        );
        assert_eq!(needed_action(State::Closed, Applied::None), None);
        assert_eq!(needed_action(State::AwaitingApproval, Applied::None), None);
    }
}
