//! What a subscription's services use, as observed on its namespace's
//! ResourceQuota: kept for its page, beside the plan's limits.

use uuid::Uuid;

use crate::{backends::kubernetes::QuotaUsage, Control, PageChange, Result};

impl Control {
    pub(crate) async fn record_observed_usage(&self, subscription: Uuid, used: &QuotaUsage) -> Result<()> {
        let count = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        sqlx::query!(
            "INSERT INTO subscription_usage (subscription_id, cpu_millicores, memory_mib, storage_gib, observed_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (subscription_id) DO UPDATE
                SET cpu_millicores = $2, memory_mib = $3, storage_gib = $4, observed_at = $5",
            subscription,
            count(used.cpu_millicores),
            count(used.memory_mib),
            count(used.storage_gib),
            self.clock.now(),
        )
        .execute(self.db.pool())
        .await?;
        self.page_changed(PageChange::Subscriptions(vec![subscription]));
        Ok(())
    }
}
