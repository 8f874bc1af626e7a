//! A training space's courses read from its Odoo when a trainer asks (a
//! visit to the Courses page on an old reading announces it on
//! [`COURSES_CHANNEL`]), besides each members sync and the reconciler's
//! rounds.

use std::{collections::HashMap, sync::Arc, time::Duration};

use sqlx::postgres::PgListener;
use tokio::time::Instant;
use uuid::Uuid;

use super::{steps::ODOO_PROVIDER, ProvisioningRunner};
use crate::{domain::StepFailure, tenancy::courses::COURSES_CHANNEL};

/// A space read this recently is not read again for another visit.
const READ_AT_MOST_EVERY: Duration = Duration::from_secs(10);

impl ProvisioningRunner {
    /// Reads the courses and progress of `subscription`'s Odoo and keeps them.
    pub async fn read_training(&self, subscription: Uuid) -> Result<(), StepFailure> {
        let ctx = self
            .control
            .subscription_context(subscription)
            .await
            .map_err(|error| StepFailure::transient(format!("portal database: {error}")))?;
        let odoo = self.odoo_instance(&ctx).await?;
        let Some(observed) = self.backends.odoo.observe_training(&odoo).await? else {
            return Ok(());
        };
        self.control
            .record_training(subscription, &observed, ODOO_PROVIDER)
            .await
            .map_err(|error| StepFailure::transient(format!("portal database: {error}")))
    }
}

/// Reads each training space a trainer's visit announces, one at a time.
pub(super) async fn read_courses_on_demand(runner: Arc<ProvisioningRunner>) {
    let mut listener = loop {
        match PgListener::connect_with(runner.control.db().pool()).await {
            Ok(mut listener) => match listener.listen(COURSES_CHANNEL).await {
                Ok(()) => break listener,
                Err(error) => tracing::warn!(%error, "cannot listen for course readings asked"),
            },
            Err(error) => tracing::warn!(%error, "cannot listen for course readings asked"),
        }
        // The reconciler's rounds read the courses meanwhile.
        tokio::time::sleep(Duration::from_secs(30)).await;
    };
    let mut last_read: HashMap<Uuid, Instant> = HashMap::new();
    loop {
        let notification = match listener.recv().await {
            Ok(notification) => notification,
            Err(error) => {
                tracing::debug!(%error, "the course readings' listener dropped");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Ok(subscription) = Uuid::parse_str(notification.payload()) else {
            continue;
        };
        let now = Instant::now();
        last_read.retain(|_, at| now.duration_since(*at) < READ_AT_MOST_EVERY);
        if last_read.contains_key(&subscription) {
            continue;
        }
        last_read.insert(subscription, now);
        if let Err(error) = runner.read_training(subscription).await {
            tracing::warn!(%subscription, ?error, "cannot read a training space's courses");
        }
    }
}
