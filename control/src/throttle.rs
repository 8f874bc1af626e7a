//! Rate limits on signing in and recovering access: attempts are counted per
//! IP address and per account in PostgreSQL (so every replica sees the same
//! counts), in fixed windows. Over a limit, the attempt is refused with the
//! time left until the window ends.

use std::net::IpAddr;

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::{Control, Result};

/// What is being attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardedAction {
    Login,
    Recovery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub attempts: i32,
    pub window: Duration,
}

impl GuardedAction {
    fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Recovery => "recovery",
        }
    }
}

/// The limits of each action, per IP address and per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    pub login_per_ip: Limit,
    pub login_per_account: Limit,
    pub recovery_per_ip: Limit,
    pub recovery_per_account: Limit,
}

impl Default for ThrottleLimits {
    /// An office behind one address gets more room than one account;
    /// recovery mails cost more than a password check.
    fn default() -> Self {
        let login = Duration::minutes(15);
        let recovery = Duration::hours(1);
        Self {
            login_per_ip: Limit {
                attempts: 30,
                window: login,
            },
            login_per_account: Limit {
                attempts: 10,
                window: login,
            },
            recovery_per_ip: Limit {
                attempts: 20,
                window: recovery,
            },
            recovery_per_account: Limit {
                attempts: 5,
                window: recovery,
            },
        }
    }
}

impl ThrottleLimits {
    /// (per IP address, per account).
    fn of(&self, action: GuardedAction) -> (Limit, Limit) {
        match action {
            GuardedAction::Login => (self.login_per_ip, self.login_per_account),
            GuardedAction::Recovery => (self.recovery_per_ip, self.recovery_per_account),
        }
    }
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    Allowed,
    /// Refused: try again after this long.
    Limited {
        retry_after: Duration,
    },
}

impl Control {
    /// Counts one attempt of `action` from `ip` (and at `account`, when the
    /// form names one) and says whether it may go ahead.
    pub async fn count_attempt(
        &self,
        action: GuardedAction,
        ip: IpAddr,
        account: Option<&str>,
    ) -> Result<Throttle> {
        let now = self.clock.now();
        let (per_ip, per_account) = self.throttle_limits.of(action);
        let mut buckets = vec![(format!("{}:ip:{ip}", action.name()), per_ip)];
        if let Some(account) = account.map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()) {
            let digest = Sha256::digest(account.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            buckets.push((format!("{}:account:{hex}", action.name()), per_account));
        }
        let mut retry_after: Option<Duration> = None;
        for (bucket, limit) in buckets {
            let (attempts, window_start): (i32, OffsetDateTime) = sqlx::query_as(
                "INSERT INTO auth_attempts (bucket, window_start, attempts) VALUES ($1, $2, 1)
                 ON CONFLICT (bucket) DO UPDATE SET
                   attempts = CASE WHEN auth_attempts.window_start + $3 <= $2 THEN 1
                                   ELSE auth_attempts.attempts + 1 END,
                   window_start = CASE WHEN auth_attempts.window_start + $3 <= $2 THEN $2
                                       ELSE auth_attempts.window_start END
                 RETURNING attempts, window_start",
            )
            .bind(&bucket)
            .bind(now)
            .bind(limit.window)
            .fetch_one(self.db.pool())
            .await?;
            if attempts > limit.attempts {
                let left = window_start + limit.window - now;
                retry_after = Some(retry_after.map_or(left, |other| other.max(left)));
            }
        }
        Ok(match retry_after {
            Some(retry_after) => Throttle::Limited {
                retry_after: retry_after.max(Duration::seconds(1)),
            },
            None => Throttle::Allowed,
        })
    }

    /// Forgets windows that ended more than a day ago.
    pub async fn prune_auth_attempts(&self) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM auth_attempts WHERE window_start < $1")
            .bind(self.clock.now() - Duration::days(1))
            .execute(self.db.pool())
            .await?
            .rows_affected())
    }
}
