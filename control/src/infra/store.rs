//! The PostgreSQL store: one pool per replica, migrations embedded in the binary.

use std::time::Duration;

use sqlx::{postgres::PgPoolOptions, PgPool};

use crate::Result;

/// The embedded migrations of `migrations/`, applied at start-up (or by tests
/// on their template database).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    /// Opens a pool without connecting yet, so the portal starts (and reports
    /// "not ready") even while the database is down.
    pub fn connect_lazy(url: &str, max_connections: u32) -> Result<Self> {
        // No ping before each checkout: that doubled the round trips of every
        // request. A connection the server dropped fails its query once and
        // is discarded; connections are recycled every 30 minutes anyway.
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(3))
            .test_before_acquire(false)
            .max_lifetime(Duration::from_secs(30 * 60))
            .connect_lazy(url)?;
        Ok(Self { pool })
    }

    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query!("SELECT 1 AS alive").fetch_one(&self.pool).await?;
        Ok(())
    }
}

/// A JSON aggregate a query built (`json_agg(…)::text`), parsed.
pub(crate) fn stored_json<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|error| crate::Error::InvalidStoredData {
        table: "json aggregate",
        detail: error.to_string(),
    })
}
