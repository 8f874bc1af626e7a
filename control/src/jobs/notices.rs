//! E-mail notices ride the engine's queue: a change that customers should
//! hear about queues, in its own transaction, one `notice` job and a row
//! per recipient; a worker sends them (`provisioning::notices`) and the
//! queue retries what the mail relay refused, as it does for any step.

use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{enqueue_in, ClaimedJob, NewJob};
use crate::{
    domain::{parse_job_kind, Action, JobState, NoticeKind, Role, SubscriptionState},
    Result,
};

/// The kind of the jobs that send notices.
pub const NOTICE_JOB: &str = "notice";
/// Their one step.
pub const SEND_STEP: &str = "send_mail";

/// A notice to queue: what happened to which organization, and what the
/// letter names (an offer code, a reason, who joined).
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub kind: NoticeKind,
    pub organization: Uuid,
    pub details: Value,
    /// Someone not to tell (who joined is not told that they joined).
    pub except: Option<Uuid>,
}

/// Who hears of `kind`: owners of every notice, admins too of what
/// happens to the services and the organization.
fn recipients_of(kind: NoticeKind) -> &'static [Role] {
    match kind {
        NoticeKind::MemberJoined | NoticeKind::BackupsFailing => &[Role::Owner],
        _ => &[Role::Owner, Role::Admin],
    }
}

/// Queues `notice` in `tx`: nothing is sent unless the change commits.
pub(crate) async fn queue_notice(tx: &mut PgConnection, notice: Notice, now: OffsetDateTime) -> Result<()> {
    let roles = recipients_of(notice.kind);
    let recipients = sqlx::query!(
        "SELECT identity_id, email FROM memberships
          WHERE organization_id = $1 AND role = ANY($2) AND identity_id IS DISTINCT FROM $3
          ORDER BY created_at",
        notice.organization,
        roles as &[Role],
        notice.except,
    )
    .fetch_all(&mut *tx)
    .await?;
    if recipients.is_empty() {
        return Ok(());
    }
    let job = NewJob {
        kind: NOTICE_JOB,
        steps: &[SEND_STEP],
        subscription_id: None,
    };
    let job_id = enqueue_in(tx, &job, now).await?;
    for recipient in recipients {
        sqlx::query!(
            "INSERT INTO notifications (id, job_id, organization_id, kind, details, recipient_identity,
                                        recipient_email, created_at)
             VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7, $8)",
            Uuid::new_v4(),
            job_id,
            notice.organization,
            notice.kind as NoticeKind,
            notice.details.to_string(),
            recipient.identity_id,
            recipient.email,
            now,
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// How many backups of a service fail in a row before its owners are told.
const BACKUP_FAILURES_TOLD: i64 = 3;

/// Tells the owners when `job`, a backup that failed for good, is the
/// third of its service to fail in a row (once per run of failures).
pub(crate) async fn queue_backups_failing(
    tx: &mut PgConnection,
    job: &ClaimedJob,
    now: OffsetDateTime,
) -> Result<()> {
    let (Some((Action::Backup, offer)), Some(subscription)) =
        (parse_job_kind(&job.kind), job.subscription_id)
    else {
        return Ok(());
    };
    // The service's latest backups, newest first: this one and those before.
    let latest = sqlx::query!(
        r#"SELECT j.state AS "state: JobState", s.organization_id
             FROM backups b JOIN jobs j ON j.id = b.job_id JOIN subscriptions s ON s.id = b.subscription_id
            WHERE b.subscription_id = $1 ORDER BY b.created_at DESC LIMIT $2"#,
        subscription,
        BACKUP_FAILURES_TOLD + 1,
    )
    .fetch_all(&mut *tx)
    .await?;
    let failed_in_a_row = latest
        .iter()
        .take_while(|row| row.state == JobState::Failed)
        .count();
    // Exactly the third: the fourth and later of the same run say nothing new.
    if i64::try_from(failed_in_a_row).unwrap_or(i64::MAX) != BACKUP_FAILURES_TOLD {
        return Ok(());
    }
    let Some(organization) = latest.first().map(|row| row.organization_id) else {
        return Ok(());
    };
    let notice = Notice {
        kind: NoticeKind::BackupsFailing,
        organization,
        details: serde_json::json!({ "offer": offer.code() }),
        except: None,
    };
    queue_notice(tx, notice, now).await
}

/// Tells the organization that setting up a service failed for good, when
/// `job` is that set-up (other jobs failing are Bibind's to handle).
pub(crate) async fn queue_failed_setup(
    tx: &mut PgConnection,
    job: &ClaimedJob,
    now: OffsetDateTime,
) -> Result<()> {
    let (Some((Action::Provision, offer)), Some(subscription)) =
        (parse_job_kind(&job.kind), job.subscription_id)
    else {
        return Ok(());
    };
    // A repair of a running service is a provision job too: its failure is
    // Bibind's to handle, the service still runs.
    let organization = sqlx::query_scalar!(
        "SELECT organization_id FROM subscriptions WHERE id = $1 AND state = ANY($2)",
        subscription,
        &[SubscriptionState::Requested, SubscriptionState::Provisioning] as &[SubscriptionState],
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(organization) = organization else {
        return Ok(());
    };
    let notice = Notice {
        kind: NoticeKind::ServiceFailed,
        organization,
        details: serde_json::json!({ "offer": offer.code() }),
        except: None,
    };
    queue_notice(tx, notice, now).await
}

/// A notice of a job still to send to one recipient.
#[derive(Debug, Clone)]
pub struct PendingNotice {
    pub id: Uuid,
    pub kind: NoticeKind,
    pub details: Value,
    pub recipient_identity: Uuid,
    pub recipient_email: String,
    pub organization_name: String,
    pub organization_slug: String,
}

/// What `job` has not sent yet.
pub async fn pending_notices(conn: &mut PgConnection, job: Uuid) -> Result<Vec<PendingNotice>> {
    let rows = sqlx::query!(
        r#"SELECT n.id, n.kind AS "kind: NoticeKind", n.details::text AS "details!", n.recipient_identity,
                  n.recipient_email, o.name AS organization_name, o.slug AS organization_slug
             FROM notifications n JOIN organizations o ON o.id = n.organization_id
            WHERE n.job_id = $1 AND n.sent_at IS NULL
            ORDER BY n.created_at, n.id"#,
        job,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| PendingNotice {
            id: row.id,
            kind: row.kind,
            details: serde_json::from_str(&row.details).unwrap_or(Value::Null),
            recipient_identity: row.recipient_identity,
            recipient_email: row.recipient_email,
            organization_name: row.organization_name,
            organization_slug: row.organization_slug,
        })
        .collect())
}

/// Records that `notice` was sent.
pub async fn mark_notice_sent(conn: &mut PgConnection, notice: Uuid, now: OffsetDateTime) -> Result<()> {
    sqlx::query!("UPDATE notifications SET sent_at = $2 WHERE id = $1", notice, now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
