//! The transactional outbox's rules: every effect on a connected system (publish, rollback,
//! revoke, drill) is a row written with the state change that causes it, then delivered by a
//! worker with a timeout, exponential backoff with jitter, a maximum number of attempts, and a
//! dead-letter state a security admin can retry. This module decides what happens after each
//! attempt; the store and the worker carry it out.

use crate::connector::DeliveryError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Attempts before an effect is dead-lettered.
pub const MAX_ATTEMPTS: u32 = 8;
/// The first retry waits about this long; each later one doubles it, up to [`MAX_BACKOFF_SECS`].
pub const BASE_BACKOFF_SECS: i64 = 2;
pub const MAX_BACKOFF_SECS: i64 = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting for its next attempt (the first, or a retry after `next_attempt_at`).
    Pending,
    /// Delivered: the system's receipt is stored.
    Delivered,
    /// Given up: a permanent refusal, a wrong receipt, or too many attempts.
    Dead,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Delivered => "delivered",
            OutboxState::Dead => "dead",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            OutboxState::Pending,
            OutboxState::Delivered,
            OutboxState::Dead,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// How long to wait before attempt `attempt + 1`, after `attempt` failed attempts (1-based):
/// `BASE · 2^(attempt-1)`, capped, then scaled by a jitter factor in `[0.5, 1.0]` so that many
/// effects failing together do not retry together. `jitter` is a uniform sample in `[0, 1]`.
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(20);
    let full = BASE_BACKOFF_SECS
        .saturating_mul(1_i64 << exponent)
        .min(MAX_BACKOFF_SECS);
    let factor = 0.5 + 0.5 * jitter.clamp(0.0, 1.0);
    Duration::milliseconds((full as f64 * 1000.0 * factor) as i64)
}

/// What to do with an effect after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    Delivered,
    /// Try again at this time.
    Retry {
        at: DateTime<Utc>,
    },
    /// Dead-letter it, with the reason shown to security admins.
    Dead {
        reason: String,
    },
}

/// Decides after attempt number `attempt` (1-based) ended with `outcome`.
pub fn after_attempt(
    attempt: u32,
    outcome: &Result<(), DeliveryError>,
    now: DateTime<Utc>,
    jitter: f64,
) -> NextStep {
    match outcome {
        Ok(()) => NextStep::Delivered,
        Err(error) if !error.is_temporary() => NextStep::Dead {
            reason: error.to_string(),
        },
        Err(error) if attempt >= MAX_ATTEMPTS => NextStep::Dead {
            reason: format!("gave up after {attempt} attempts; the last: {error}"),
        },
        Err(_) => NextStep::Retry {
            at: now + backoff(attempt, jitter),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered_into_the_upper_half() {
        // (attempt, jitter, expected milliseconds)
        let cases = [
            (1, 1.0, 2_000),
            (1, 0.0, 1_000),
            (2, 1.0, 4_000),
            (3, 1.0, 8_000),
            (3, 0.5, 6_000),
            (9, 1.0, 512_000),
            (10, 1.0, 600_000),
            (60, 1.0, 600_000),
            (0, 1.0, 2_000),
            (2, 7.0, 4_000),
            (2, -1.0, 2_000),
        ];
        for (attempt, jitter, ms) in cases {
            assert_eq!(
                backoff(attempt, jitter),
                Duration::milliseconds(ms),
                "attempt {attempt}, jitter {jitter}"
            );
        }
    }

    #[test]
    fn temporary_failures_retry_until_the_limit_and_permanent_ones_die_at_once() {
        let now = DateTime::parse_from_rfc3339("2026-11-27T09:00:00Z")
            .unwrap()
            .to_utc();
        let timeout = Err(DeliveryError::Timeout(10));
        let server_error = Err(DeliveryError::Refused {
            status: 500,
            detail: "boom".into(),
        });
        let refused = Err(DeliveryError::Refused {
            status: 422,
            detail: "bad target".into(),
        });
        let wrong = Err(DeliveryError::WrongReceipt("status `x`".into()));
        assert_eq!(after_attempt(1, &Ok(()), now, 0.3), NextStep::Delivered);
        assert_eq!(
            after_attempt(1, &timeout, now, 1.0),
            NextStep::Retry {
                at: now + Duration::seconds(2)
            }
        );
        assert_eq!(
            after_attempt(3, &server_error, now, 0.0),
            NextStep::Retry {
                at: now + Duration::seconds(4)
            }
        );
        match after_attempt(MAX_ATTEMPTS, &timeout, now, 0.0) {
            NextStep::Dead { reason } => {
                assert!(reason.starts_with("gave up after 8 attempts"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        for permanent in [refused, wrong] {
            assert!(matches!(
                after_attempt(1, &permanent, now, 0.0),
                NextStep::Dead { .. }
            ));
        }
        assert_eq!(OutboxState::parse("dead"), Some(OutboxState::Dead));
        assert_eq!(OutboxState::parse("lost"), None);
    }
}
