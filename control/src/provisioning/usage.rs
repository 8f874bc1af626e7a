//! What a subscription's services reserve (its namespace's ResourceQuota)
//! and really consume (the cluster's metrics), kept for its page beside
//! the plan's limits.

use uuid::Uuid;

use crate::{backends::kubernetes::ObservedNamespace, Control, PageChange, Result};

impl Control {
    pub(crate) async fn record_observed_usage(
        &self,
        subscription: Uuid,
        namespace: &ObservedNamespace,
    ) -> Result<()> {
        let count = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        let (reserved, consumed) = (&namespace.reserved, &namespace.consumed);
        sqlx::query!(
            "INSERT INTO subscription_usage (subscription_id, cpu_reserved_millicores, memory_reserved_mib,
                                             storage_reserved_gib, cpu_used_millicores, memory_used_mib,
                                             storage_used_mib, observed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (subscription_id) DO UPDATE
                SET cpu_reserved_millicores = $2, memory_reserved_mib = $3, storage_reserved_gib = $4,
                    cpu_used_millicores = $5, memory_used_mib = $6, storage_used_mib = $7, observed_at = $8",
            subscription,
            count(reserved.cpu_millicores),
            count(reserved.memory_mib),
            count(reserved.storage_gib),
            consumed.cpu_millicores.map(count),
            consumed.memory_mib.map(count),
            consumed.storage_mib.map(count),
            self.clock.now(),
        )
        .execute(self.db.pool())
        .await?;
        self.page_changed(PageChange::Subscriptions(vec![subscription]));
        Ok(())
    }
}
