//! Rate limits on the self-service flows that check a secret or send mail
//! (signing in, recovering access, signing up, verifying an address,
//! changing settings). Attempts are counted in PostgreSQL (so every replica
//! sees the same counts), in fixed windows:
//!
//! - per client address: refused over the limit (one address spraying many
//!   accounts);
//! - per account *from one address*: refused over the limit (one address
//!   guessing one account). Someone elsewhere, the account's owner, is not
//!   refused because of it;
//! - per account from every address: never refused, only slowed down, each
//!   attempt past the threshold waiting twice as long as the one before, up
//!   to a ceiling. Refusing here would let anyone lock the owner out.
//!
//! A count that cannot be made is an error: the caller refuses the attempt.

use std::net::IpAddr;

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::{Control, Result};

/// What is being attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardedAction {
    Login,
    Recovery,
    Registration,
    Verification,
    Settings,
}

impl GuardedAction {
    fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Recovery => "recovery",
            Self::Registration => "registration",
            Self::Verification => "verification",
            Self::Settings => "settings",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub attempts: i32,
    pub window: Duration,
}

/// The limits of one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionLimits {
    /// Per client address, whatever the account.
    pub per_ip: Limit,
    /// Per account, counted separately for each client address.
    pub per_account: Limit,
}

/// Past `after` attempts at one account in the action's window, from all
/// addresses together, each attempt waits 1 s, 2 s, 4 s … up to `max_delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slowdown {
    pub after: i32,
    pub max_delay: Duration,
}

/// The limits of each action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    pub login: ActionLimits,
    pub recovery: ActionLimits,
    pub registration: ActionLimits,
    pub verification: ActionLimits,
    pub settings: ActionLimits,
    pub slowdown: Slowdown,
}

impl Default for ThrottleLimits {
    /// An office behind one address gets more room than one account;
    /// mails cost more than a password check.
    fn default() -> Self {
        let limits = |per_ip: i32, per_account: i32, window: Duration| ActionLimits {
            per_ip: Limit {
                attempts: per_ip,
                window,
            },
            per_account: Limit {
                attempts: per_account,
                window,
            },
        };
        Self {
            login: limits(30, 10, Duration::minutes(15)),
            recovery: limits(20, 5, Duration::hours(1)),
            registration: limits(20, 5, Duration::hours(1)),
            verification: limits(20, 5, Duration::hours(1)),
            settings: limits(30, 10, Duration::minutes(15)),
            slowdown: Slowdown {
                after: 10,
                max_delay: Duration::seconds(8),
            },
        }
    }
}

impl ThrottleLimits {
    fn of(&self, action: GuardedAction) -> ActionLimits {
        match action {
            GuardedAction::Login => self.login,
            GuardedAction::Recovery => self.recovery,
            GuardedAction::Registration => self.registration,
            GuardedAction::Verification => self.verification,
            GuardedAction::Settings => self.settings,
        }
    }
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    Allowed,
    /// Allowed after waiting this long: the account is being tried from
    /// many places.
    Slowed {
        delay: Duration,
    },
    /// Refused: try again after this long.
    Limited {
        retry_after: Duration,
    },
}

/// The delay of the `attempts`-th attempt at one account.
fn slowdown_delay(slowdown: Slowdown, attempts: i32) -> Option<Duration> {
    let excess = attempts.checked_sub(slowdown.after).filter(|e| *e > 0)?;
    let seconds = 1_i64.checked_shl(u32::try_from(excess - 1).unwrap_or(u32::MAX).min(62));
    let delay = seconds.map_or(slowdown.max_delay, Duration::seconds);
    Some(delay.min(slowdown.max_delay)).filter(|d| d.is_positive())
}

impl Control {
    /// Counts one attempt of `action` from `ip` (and at `account`, when the
    /// form names one) and says whether it may go ahead. An error means the
    /// count could not be made: the attempt must not go ahead.
    pub async fn count_attempt(
        &self,
        action: GuardedAction,
        ip: IpAddr,
        account: Option<&str>,
    ) -> Result<Throttle> {
        let now = self.clock.now();
        let limits = self.throttle_limits.of(action);
        let name = action.name();
        let account = account
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty())
            .map(|account| {
                let digest = Sha256::digest(account.as_bytes());
                digest.iter().map(|b| format!("{b:02x}")).collect::<String>()
            });
        let mut retry_after: Option<Duration> = None;
        let mut refuse_over = |attempts: i32, window_start: OffsetDateTime, limit: Limit| {
            if attempts > limit.attempts {
                let left = window_start + limit.window - now;
                retry_after = Some(retry_after.map_or(left, |other| other.max(left)));
            }
        };
        // One statement for every bucket: a sign-in's form post is on the
        // path of every sign-in, and each round trip counts.
        let ip_bucket = format!("{name}:ip:{ip}");
        let mut buckets = vec![(ip_bucket.clone(), limits.per_ip.window)];
        if let Some(account) = &account {
            buckets.push((
                format!("{name}:account-ip:{account}:{ip}"),
                limits.per_account.window,
            ));
            buckets.push((format!("{name}:account:{account}"), limits.per_account.window));
        }
        let counted = self.count_in(&buckets, now).await?;
        let count_of = |bucket: &str| {
            counted
                .iter()
                .find(|(name, ..)| name == bucket)
                .map(|(_, attempts, start)| (*attempts, *start))
        };
        if let Some((attempts, start)) = count_of(&ip_bucket) {
            refuse_over(attempts, start, limits.per_ip);
            // Sign-ups over an address's limit are an operator's limit like
            // organizations per account: the first refusal of each window is
            // audited (not every one, which would let a flood fill the trail).
            if action == GuardedAction::Registration && attempts == limits.per_ip.attempts + 1 {
                self.audit_sign_up_refusal(ip, limits.per_ip).await?;
            }
        }
        let mut delay = None;
        if let Some(account) = &account {
            if let Some((attempts, start)) = count_of(&format!("{name}:account-ip:{account}:{ip}")) {
                refuse_over(attempts, start, limits.per_account);
            }
            if let Some((attempts, _)) = count_of(&format!("{name}:account:{account}")) {
                delay = slowdown_delay(self.throttle_limits.slowdown, attempts);
            }
        }
        Ok(match (retry_after, delay) {
            (Some(retry_after), _) => Throttle::Limited {
                retry_after: retry_after.max(Duration::seconds(1)),
            },
            (None, Some(delay)) => Throttle::Slowed { delay },
            (None, None) => Throttle::Allowed,
        })
    }

    async fn audit_sign_up_refusal(&self, ip: IpAddr, limit: Limit) -> Result<()> {
        let anonymous = crate::Caller {
            identity_id: "anonymous".to_owned(),
            email: String::new(),
            email_verified: false,
            request_id: None,
            ip: Some(ip),
            token: None,
        };
        let mut tx = self.db.pool().begin().await?;
        crate::audit::record(
            &mut tx,
            &anonymous,
            self.clock.now(),
            crate::audit::AuditEvent::new(
                None,
                crate::domain::AuditAction::LimitRefused,
                "sign-up".to_owned(),
            )
            .after(serde_json::json!({
                "limit": "sign_ups_per_address",
                "allowed": limit.attempts,
                "window_minutes": limit.window.whole_minutes(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds one attempt to each bucket, starting a new window where its last
    /// one (of the length given beside it) ended; returns each bucket with
    /// the attempts in its window and when that started.
    async fn count_in(
        &self,
        buckets: &[(String, Duration)],
        now: OffsetDateTime,
    ) -> Result<Vec<(String, i32, OffsetDateTime)>> {
        let names: Vec<String> = buckets.iter().map(|(name, _)| name.clone()).collect();
        let window_seconds: Vec<i64> = buckets.iter().map(|(_, window)| window.whole_seconds()).collect();
        let rows = sqlx::query!(
            r#"WITH counted (bucket, window_length) AS (
                 SELECT name, make_interval(secs => seconds::float8)
                   FROM unnest($1::text[], $3::bigint[]) AS input (name, seconds)
               )
               INSERT INTO auth_attempts (bucket, window_start, attempts)
               SELECT bucket, $2, 1 FROM counted
               ON CONFLICT (bucket) DO UPDATE SET
                 attempts = CASE
                   WHEN auth_attempts.window_start
                        + (SELECT window_length FROM counted WHERE counted.bucket = auth_attempts.bucket) <= $2
                   THEN 1 ELSE auth_attempts.attempts + 1 END,
                 window_start = CASE
                   WHEN auth_attempts.window_start
                        + (SELECT window_length FROM counted WHERE counted.bucket = auth_attempts.bucket) <= $2
                   THEN $2 ELSE auth_attempts.window_start END
               RETURNING bucket, attempts, window_start"#,
            &names,
            now,
            &window_seconds,
        )
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.bucket, row.attempts, row.window_start))
            .collect())
    }

    /// Forgets windows that ended more than a day ago.
    pub async fn prune_auth_attempts(&self) -> Result<u64> {
        Ok(sqlx::query!(
            "DELETE FROM auth_attempts WHERE window_start < $1",
            self.clock.now() - Duration::days(1)
        )
        .execute(self.db.pool())
        .await?
        .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_tried_from_everywhere_is_slowed_down_never_locked() {
        let slowdown = Slowdown {
            after: 10,
            max_delay: Duration::seconds(8),
        };
        let delays: Vec<Option<Duration>> = (9..=16).map(|n| slowdown_delay(slowdown, n)).collect();
        let seconds = |s: i64| Some(Duration::seconds(s));
        assert_eq!(
            delays,
            vec![
                None,
                None,
                seconds(1),
                seconds(2),
                seconds(4),
                seconds(8),
                seconds(8),
                seconds(8)
            ]
        );
        assert_eq!(slowdown_delay(slowdown, i32::MAX), seconds(8));
        let off = Slowdown {
            after: 10,
            max_delay: Duration::ZERO,
        };
        assert_eq!(slowdown_delay(off, 50), None);
    }
}
