//! The reconciler: on a schedule, compares each settled subscription's
//! services with what the portal's database wants (see `drift`) and queues
//! the job that repairs a drift, auditing what it found (actor `system`,
//! action `subscription.drift`). Level-triggered like the dispatcher: it
//! looks at states, so any replica may run it after any change or crash.

use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    dispatch::{left_for_admin, needed_action},
    drift::{by_backend, Applied, Drift, DriftNature},
    marks::engine,
    ProvisioningRunner,
};
use crate::{
    audit::AuditEvent,
    domain::{
        job_kind, parse_job_kind, workflow, Action, AppliedState, AuditAction, JobState, OfferKind,
        SubscriptionState,
    },
    jobs::{enqueue_in, NewJob},
    Control, Error, Result,
};

/// Subscriptions read at a time.
const BATCH: i64 = 100;
/// The advisory lock the replica reconciling holds (one at a time).
const LOCK: &str = "bibind.provisioning.reconcile";
/// Subscriptions in a row whose backends cannot be observed before the
/// round ends: a backend is down, and each attempt waits for its timeout.
const UNOBSERVABLE_IN_A_ROW: usize = 5;

/// What a round of the reconciler did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Settled subscriptions compared with their backends.
    pub examined: usize,
    /// Those that had drifted (each audited once).
    pub drifted: usize,
    /// Repair jobs queued.
    pub repairs_queued: usize,
    /// Those skipped because a backend could not be observed.
    pub unobservable: usize,
}

/// A subscription whose backends reflect its state, with no job under way
/// and none waiting for an admin, as read before observing its backends.
#[derive(Clone, Debug)]
struct Settled {
    id: Uuid,
    offer: OfferKind,
    state: SubscriptionState,
    applied: AppliedState,
    last_job: Option<Uuid>,
}

impl Settled {
    fn applied(&self) -> Applied {
        if self.applied == AppliedState::Suspended {
            Applied::Suspended
        } else {
            Applied::Running
        }
    }
}

/// How a drift is repaired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repair {
    /// Queue this workflow (its steps are idempotent).
    Job(Action),
    /// A suspended subscription missing part of its services: provisioning
    /// now would start them, so it is recorded as partly applied and its
    /// resumption provisions it.
    OnResumption,
}

/// Provisioning again repairs what it creates but keeps a suspension it
/// finds (a disabled client): resuming repairs that, suspending again what a
/// suspension sets; a drift of both kinds takes two rounds. What a
/// suspended subscription misses waits for its resumption.
fn repair(applied: Applied, drifts: &[Drift]) -> Repair {
    let all = |nature| drifts.iter().all(|drift| drift.nature == nature);
    let any = |nature| drifts.iter().any(|drift| drift.nature == nature);
    match applied {
        Applied::Running if all(DriftNature::Activity) => Repair::Job(Action::Resume),
        // Who may sign in (Odoo users): the members' sync alone.
        Applied::Running if all(DriftNature::Members) => Repair::Job(Action::SyncMembers),
        Applied::Running if all(DriftNature::Modules) => Repair::Job(Action::ChangeModules),
        Applied::Running if all(DriftNature::Domain) => Repair::Job(Action::ApplyDomain),
        Applied::Running => Repair::Job(Action::Provision),
        Applied::Suspended if any(DriftNature::Activity) => Repair::Job(Action::Suspend),
        Applied::Suspended => Repair::OnResumption,
    }
}

enum Examined {
    InStep,
    Drifted { queued: bool },
    Unobservable,
}

impl ProvisioningRunner {
    /// A round of the reconciler, unless another replica is running one
    /// (`None` then).
    pub async fn reconcile_exclusively(&self) -> Result<Option<ReconcileReport>> {
        // A connection of its own (outside the pool, whose connections the
        // round needs), closed after the round: the lock goes with the
        // session even if unlocking fails or the round is dropped.
        let options = self.control.db().pool().connect_options();
        let mut session = sqlx::ConnectOptions::connect(&*options).await?;
        let locked = sqlx::query_scalar!(r#"SELECT pg_try_advisory_lock(hashtext($1)) AS "locked!""#, LOCK)
            .fetch_one(&mut session)
            .await?;
        if !locked {
            return Ok(None);
        }
        let report = self.reconcile().await;
        let _ = sqlx::query_scalar!("SELECT pg_advisory_unlock(hashtext($1))", LOCK)
            .fetch_one(&mut session)
            .await;
        let _ = sqlx::Connection::close(session).await;
        report.map(Some)
    }

    /// Compares every settled subscription with its backends and queues the
    /// repairs (without the lock: [`Self::reconcile_exclusively`] takes it).
    pub async fn reconcile(&self) -> Result<ReconcileReport> {
        let mut report = ReconcileReport::default();
        // Owners' own domains waiting for their DNS records.
        if let Err(error) = self.control.check_pending_domains().await {
            tracing::warn!(%error, "the reconciler cannot check the pending own domains");
        }
        let mut cursor = Uuid::nil();
        let mut unobservable_in_a_row = 0;
        loop {
            let (batch, last) = self.control.settled_subscriptions(cursor).await?;
            let Some(last) = last else {
                return Ok(report);
            };
            cursor = last;
            for subscription in batch {
                report.examined += 1;
                match self.examine(&subscription).await? {
                    Examined::InStep => unobservable_in_a_row = 0,
                    Examined::Drifted { queued } => {
                        unobservable_in_a_row = 0;
                        report.drifted += 1;
                        report.repairs_queued += usize::from(queued);
                    }
                    Examined::Unobservable => {
                        report.unobservable += 1;
                        unobservable_in_a_row += 1;
                        if unobservable_in_a_row >= UNOBSERVABLE_IN_A_ROW {
                            tracing::warn!(
                                examined = report.examined,
                                "the reconciler stops this round: backends cannot be observed"
                            );
                            return Ok(report);
                        }
                    }
                }
            }
        }
    }

    async fn examine(&self, subscription: &Settled) -> Result<Examined> {
        let context = self.control.subscription_context(subscription.id).await?;
        let applied = subscription.applied();
        if subscription.offer.runs_odoo()
            && subscription.state == SubscriptionState::Active
            && applied == Applied::Running
        {
            let site = self.settings.sites().url(&context.slug, subscription.offer);
            let problem = self.sites.check(&site).await;
            self.control.record_site_check(subscription.id, problem).await?;
        }
        let drifts = match self.drifts(&context, applied).await {
            Ok(drifts) => drifts,
            Err(error) => {
                // Not knowing is not a drift: the next round looks again.
                tracing::warn!(subscription = %subscription.id, %error, "the reconciler cannot observe a subscription's services");
                return Ok(Examined::Unobservable);
            }
        };
        if drifts.is_empty() {
            return Ok(Examined::InStep);
        }
        let repair = repair(applied, &drifts);
        let recorded = self.control.record_drift(subscription, &drifts, repair).await?;
        if let Some(queued) = recorded {
            tracing::info!(
                subscription = %subscription.id,
                drifts = drifts.len(),
                repair = ?repair,
                "a subscription's services drifted"
            );
            return Ok(Examined::Drifted { queued });
        }
        // Someone acted on the subscription meanwhile: the next round looks again.
        Ok(Examined::InStep)
    }
}

impl Control {
    /// The next batch of settled subscriptions after `cursor` (by id), and
    /// the last id read (`None` at the end).
    async fn settled_subscriptions(&self, cursor: Uuid) -> Result<(Vec<Settled>, Option<Uuid>)> {
        // Each subscription with its last job.
        let rows = sqlx::query!(
            r#"SELECT s.id, s.offer_kind, s.state AS "state: SubscriptionState",
                      s.applied_state AS "applied: AppliedState",
                      last.id AS "last_job?", last.kind AS "last_kind?", last.state AS "last_state?: JobState"
               FROM subscriptions s
               LEFT JOIN LATERAL (SELECT j.id, j.kind, j.state FROM jobs j
                                   WHERE j.subscription_id = s.id ORDER BY j.seq DESC LIMIT 1) last ON true
              WHERE s.applied_state = ANY($3) AND s.id > $1
              ORDER BY s.id
              LIMIT $2"#,
            cursor,
            BATCH,
            &[AppliedState::Running, AppliedState::Suspended] as &[AppliedState],
        )
        .fetch_all(self.db.pool())
        .await?;
        let last = rows.last().map(|row| row.id);
        let mut settled = Vec::with_capacity(rows.len());
        for row in rows {
            // A job to queue is the dispatcher's; one under way or left for an admin is theirs.
            if needed_action(row.state, row.applied).is_some() {
                continue;
            }
            // A failed backup, restore or drill left the service as it was.
            let protects_data = row
                .last_kind
                .as_deref()
                .and_then(parse_job_kind)
                .is_some_and(|(action, _)| action.protects_data());
            if row
                .last_state
                .is_some_and(|job| !job.is_final() || (left_for_admin(job) && !protects_data))
            {
                continue;
            }
            let offer = OfferKind::from_code(&row.offer_kind).ok_or_else(|| Error::InvalidStoredData {
                table: "subscriptions",
                detail: format!("unknown offer {:?}", row.offer_kind),
            })?;
            settled.push(Settled {
                id: row.id,
                offer,
                state: row.state,
                applied: row.applied,
                last_job: row.last_job,
            });
        }
        Ok((settled, last))
    }

    /// Audits the drift and applies its repair, in one transaction, if the
    /// subscription is still as it was read; `Some(whether a job was
    /// queued)`, or `None` when someone acted on it meanwhile.
    async fn record_drift(
        &self,
        subscription: &Settled,
        drifts: &[Drift],
        repair: Repair,
    ) -> Result<Option<bool>> {
        let now = self.clock.now();
        let mut tx = self.db.pool().begin().await?;
        let current = sqlx::query!(
            r#"SELECT s.organization_id, s.state AS "state: SubscriptionState",
                      s.applied_state AS "applied: AppliedState",
                      (SELECT j.id FROM jobs j WHERE j.subscription_id = s.id ORDER BY j.seq DESC LIMIT 1)
                        AS "last_job?"
               FROM subscriptions s WHERE s.id = $1 FOR UPDATE"#,
            subscription.id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(current) = current else {
            return Ok(None);
        };
        let organization = current.organization_id;
        if (current.state, current.applied, current.last_job)
            != (subscription.state, subscription.applied, subscription.last_job)
        {
            return Ok(None);
        }
        let repaired_by = match repair {
            Repair::Job(action) => {
                let kind = job_kind(action, subscription.offer);
                let steps: Vec<&str> = workflow(action, subscription.offer)
                    .iter()
                    .map(|step| step.name())
                    .collect();
                let job = NewJob {
                    kind: &kind,
                    steps: &steps,
                    subscription_id: Some(subscription.id),
                };
                match enqueue_in(&mut tx, &job, now).await {
                    Ok(id) => json!({ "job": id, "kind": kind }),
                    // Another replica queued a job for it: that job decides.
                    Err(Error::Database(sqlx::Error::Database(error))) if error.is_unique_violation() => {
                        return Ok(None)
                    }
                    Err(error) => return Err(error),
                }
            }
            Repair::OnResumption => {
                let applied = AppliedState::Partial;
                sqlx::query!(
                    "UPDATE subscriptions SET applied_state = $2 WHERE id = $1",
                    subscription.id,
                    applied as AppliedState,
                )
                .execute(&mut *tx)
                .await?;
                json!({ "applied_state": applied.as_str(), "when": "resumed" })
            }
        };
        let mut after = by_backend(drifts, |drift| &drift.expected);
        after.insert("repair".into(), repaired_by);
        let target = format!("subscription:{}", subscription.id);
        let event = AuditEvent::new(Some(organization), AuditAction::SubscriptionDrift, target)
            .before(Value::Object(by_backend(drifts, |drift| &drift.found)))
            .after(Value::Object(after));
        self.commit_with(tx, &engine(), now, event).await?;
        Ok(Some(matches!(repair, Repair::Job(_))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Backend;

    fn drift(activity: bool) -> Drift {
        Drift {
            backend: Backend::Kubernetes,
            what: "namespace".into(),
            expected: json!("present"),
            found: json!("missing"),
            nature: if activity {
                DriftNature::Activity
            } else {
                DriftNature::Creation
            },
        }
    }

    #[test]
    fn who_may_sign_in_is_repaired_by_the_members_sync_alone() {
        let members = Drift {
            backend: Backend::Odoo,
            what: "user ann@example.com".into(),
            expected: json!("active"),
            found: json!("missing"),
            nature: DriftNature::Members,
        };
        assert_eq!(
            repair(Applied::Running, std::slice::from_ref(&members)),
            Repair::Job(Action::SyncMembers)
        );
        assert_eq!(
            repair(Applied::Running, &[members, drift(false)]),
            Repair::Job(Action::Provision)
        );
    }

    #[test]
    fn each_drift_is_repaired_by_the_workflow_that_sets_it() {
        assert_eq!(
            repair(Applied::Running, &[drift(false), drift(true)]),
            Repair::Job(Action::Provision)
        );
        assert_eq!(
            repair(Applied::Running, &[drift(true)]),
            Repair::Job(Action::Resume)
        );
        assert_eq!(
            repair(Applied::Suspended, &[drift(false), drift(true)]),
            Repair::Job(Action::Suspend)
        );
        assert_eq!(repair(Applied::Suspended, &[drift(false)]), Repair::OnResumption);
    }
}
