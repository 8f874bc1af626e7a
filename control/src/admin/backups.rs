//! Backups across tenants, for platform admins: for each running service,
//! its newest stored backup, failures in a row, late off-site copies and
//! its last verified restore (what the tenant page shows too).

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    domain::{AdminAccess, OfferKind, ServiceBackups, SignedInUser, OFFSITE_LATE_AFTER},
    infra::format::rfc3339,
    Control, Error, Result,
};

/// A daily backup, and the margin a slow one gets before it counts as missing.
const MISSING_AFTER: time::Duration = time::Duration::hours(26);

/// The running services (of `organization`, or all) and their backups.
pub(crate) async fn service_backups(
    conn: &mut PgConnection,
    organization: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<Vec<ServiceBackups>> {
    let rows = sqlx::query!(
        r#"SELECT o.slug, o.name, s.id, s.offer_kind, s.created_at,
                  (SELECT max(b.stored_at) FROM backups b WHERE b.subscription_id = s.id) AS last_stored,
                  (SELECT count(*) FROM backups b JOIN jobs j ON j.id = b.job_id
                    WHERE b.subscription_id = s.id AND j.state = 'failed'
                      AND b.created_at > coalesce((SELECT max(b2.created_at) FROM backups b2 JOIN jobs j2 ON j2.id = b2.job_id
                                                    WHERE b2.subscription_id = s.id AND j2.state <> 'failed'),
                                                   '-infinity'::timestamptz)) AS "failed_in_a_row!",
                  (SELECT count(*) FROM backups b
                    WHERE b.subscription_id = s.id AND b.stored_at IS NOT NULL AND b.offsite_at IS NULL
                      AND b.pruned_at IS NULL AND b.stored_at < $2) AS "offsite_late!",
                  (SELECT max(r.checked_at) FROM backup_restores r JOIN backups b ON b.id = r.backup_id
                    WHERE b.subscription_id = s.id AND r.kind = 'drill' AND r.check_error IS NULL) AS last_verified,
                  (SELECT r.check_error FROM backup_restores r JOIN backups b ON b.id = r.backup_id
                    WHERE b.subscription_id = s.id AND r.kind = 'drill' AND r.checked_at IS NOT NULL
                    ORDER BY r.checked_at DESC LIMIT 1) AS last_drill_error
             FROM subscriptions s JOIN organizations o ON o.id = s.organization_id
            WHERE s.state = 'active' AND s.applied_state = 'running'
              AND ($1::uuid IS NULL OR s.organization_id = $1)
            ORDER BY o.slug, s.offer_kind"#,
        organization,
        now - OFFSITE_LATE_AFTER,
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            let offer = OfferKind::from_code(&row.offer_kind).ok_or_else(|| Error::InvalidStoredData {
                table: "subscriptions",
                detail: format!("unknown offer {:?}", row.offer_kind),
            })?;
            let old_enough = now - row.created_at > MISSING_AFTER;
            let missing = old_enough && row.last_stored.is_none_or(|at| now - at > MISSING_AFTER);
            Ok(ServiceBackups {
                organization_slug: row.slug,
                organization_name: row.name,
                subscription_id: row.id.to_string(),
                offer,
                last_stored_at: row.last_stored.map(rfc3339),
                missing,
                failed_in_a_row: u32::try_from(row.failed_in_a_row).unwrap_or(u32::MAX),
                offsite_late: u32::try_from(row.offsite_late).unwrap_or(u32::MAX),
                last_verified_restore: row.last_verified.map(rfc3339),
                last_drill_error: row.last_drill_error,
            })
        })
        .collect()
}

impl Control {
    /// Every running service's backups; with `attention_only`, those an
    /// admin should look at (failing, missing, off-site copy late, drill failed).
    pub async fn admin_backups(
        &self,
        user: Option<&SignedInUser>,
        attention_only: bool,
    ) -> Result<AdminAccess<Vec<ServiceBackups>>> {
        if let Err(refused) = self.admin_gate(user, "/admin/backups").await?.granted() {
            return Ok(refused);
        }
        let mut conn = self.db.pool().acquire().await?;
        let mut services = service_backups(&mut conn, None, self.clock.now()).await?;
        if attention_only {
            services.retain(ServiceBackups::needs_attention);
        }
        Ok(AdminAccess::Granted(services))
    }
}
