//! The transactional outbox's rules: every effect on a connected system (publish, rollback,
//! revoke, drill) is a row written with the state change that causes it, then delivered by a
//! worker with a timeout, exponential backoff with jitter, a maximum number of attempts, and a
//! dead-letter state a security admin can retry. This module decides what happens after each
//! attempt; the store and the worker carry it out.

use super::{HumanId, NhiState, SystemId, WorkflowId};
use crate::connector::{DeliveryError, Endpoint};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Attempts before an effect is dead-lettered (revocations retry until they are confirmed).
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
    /// Withdrawn before delivery: its workflow was revoked.
    Cancelled,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Delivered => "delivered",
            OutboxState::Dead => "dead",
            OutboxState::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            OutboxState::Pending,
            OutboxState::Delivered,
            OutboxState::Dead,
            OutboxState::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// What an effect does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectKind {
    /// Publish an approved change's signed content.
    Publish,
    /// Restore what was live before a publication.
    Rollback,
    /// The kill switch: the system stops everything it does for a workflow.
    Revoke,
    /// A revocation drill: the revoke call as a dry run.
    Drill,
    /// Tell the drafting agent how its change ended (its registered callback URL).
    Callback,
    /// A notice to a person by email.
    Email,
    /// A notice to a person in the operator's chat channel (Slack or Teams webhook).
    Chat,
}

impl EffectKind {
    pub const ALL: [EffectKind; 7] = [
        EffectKind::Publish,
        EffectKind::Rollback,
        EffectKind::Revoke,
        EffectKind::Drill,
        EffectKind::Callback,
        EffectKind::Email,
        EffectKind::Chat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EffectKind::Publish => "publish",
            EffectKind::Rollback => "rollback",
            EffectKind::Revoke => "revoke",
            EffectKind::Drill => "drill",
            EffectKind::Callback => "callback",
            EffectKind::Email => "email",
            EffectKind::Chat => "chat",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The contract endpoint a connected system receives it on (callbacks go to the agent's URL).
    pub fn endpoint(self) -> Option<Endpoint> {
        match self {
            EffectKind::Publish => Some(Endpoint::Publish),
            EffectKind::Rollback => Some(Endpoint::Rollback),
            EffectKind::Revoke | EffectKind::Drill => Some(Endpoint::Revoke),
            EffectKind::Callback | EffectKind::Email | EffectKind::Chat => None,
        }
    }

    /// A message to a person rather than a call to a system.
    pub fn is_notification(self) -> bool {
        matches!(self, EffectKind::Email | EffectKind::Chat)
    }

    pub fn is_dry_run(self) -> bool {
        self == EffectKind::Drill
    }

    /// Attempts before a temporary failure dead-letters it: a drill is one probe, and a
    /// revocation keeps trying (at the capped backoff) until the system confirms, because a
    /// workflow stays "revocation incomplete" until then.
    pub fn max_attempts(self) -> Option<u32> {
        match self {
            EffectKind::Drill => Some(1),
            EffectKind::Revoke => None,
            _ => Some(MAX_ATTEMPTS),
        }
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

/// Decides after attempt number `attempt` (1-based) of an effect of `kind` ended with `outcome`.
pub fn after_attempt(
    kind: EffectKind,
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
        Err(error) if kind.max_attempts().is_some_and(|max| attempt >= max) => NextStep::Dead {
            reason: format!("gave up after {attempt} attempts; the last: {error}"),
        },
        Err(error) => {
            let mut wait = backoff(attempt, jitter);
            // A system that says when to come back is believed, up to the longest backoff.
            if let DeliveryError::Throttled {
                retry_after_secs, ..
            } = error
            {
                let asked = i64::try_from(*retry_after_secs)
                    .unwrap_or(MAX_BACKOFF_SECS)
                    .min(MAX_BACKOFF_SECS);
                wait = wait.max(Duration::seconds(asked));
            }
            NextStep::Retry { at: now + wait }
        }
    }
}

/// One effect on a connected system (or on an agent's callback URL), as the outbox holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    /// The idempotency key (`msg_` + UUIDv7), sent as `webhook-id`.
    pub id: String,
    pub kind: EffectKind,
    pub system: Option<SystemId>,
    /// The system's base URL, or the callback URL.
    pub destination: String,
    pub workflow: Option<WorkflowId>,
    pub change_id: Option<String>,
    pub revocation_id: Option<String>,
    /// The exact JSON body every attempt sends.
    pub body: String,
    pub reason: String,
    pub requested_by_ref: String,
    pub requested_by_label: String,
    pub state: OutboxState,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// The receipt as the system sent it (JSON), once delivered.
    pub receipt: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Effect {
    /// A new effect, due now. Its body is fixed here: retries send the same bytes.
    pub fn queued(
        kind: EffectKind,
        destination: String,
        body: &serde_json::Value,
        reason: &str,
        requested_by: &crate::actor::Actor,
        now: DateTime<Utc>,
    ) -> Self {
        let id = body
            .get("idempotency_key")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(crate::connector::new_idempotency_key);
        Self {
            id,
            kind,
            system: None,
            destination,
            workflow: None,
            change_id: None,
            revocation_id: None,
            body: body.to_string(),
            reason: reason.to_owned(),
            requested_by_ref: requested_by.reference(),
            requested_by_label: requested_by.label(),
            state: OutboxState::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            receipt: None,
            created_at: now,
            finished_at: None,
        }
    }

    /// The receipt's fields, when it parses.
    pub fn parsed_receipt(&self) -> Option<crate::connector::Receipt> {
        self.receipt
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
    }
}

/// Whether a rollback of a change is waiting to be delivered: one at a time.
pub fn rollback_under_way(effects_of_change: &[Effect]) -> bool {
    effects_of_change
        .iter()
        .any(|e| e.kind == EffectKind::Rollback && e.state == OutboxState::Pending)
}

/// How an attempt ended, as the store records it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub state: OutboxState,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub receipt: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The kill switch as pulled on one workflow: what ended at once, and when the last connected
/// system confirmed its revoke call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub id: String,
    pub workflow: WorkflowId,
    pub reason: String,
    pub requested_by: HumanId,
    pub requested_by_name: String,
    pub requested_at: DateTime<Utc>,
    /// What the workflow's identities became: suspended, or revoked for good.
    pub identities_to: NhiState,
    pub tokens_ended: i64,
    pub identities: i64,
    pub changes_cancelled: i64,
    pub rollbacks_queued: i64,
    pub systems: i64,
    pub completed_at: Option<DateTime<Utc>>,
    pub event_seq: i64,
}

impl Revocation {
    /// From the click to the last system's confirmation.
    pub fn time_to_last_confirmation(&self) -> Option<Duration> {
        self.completed_at.map(|at| at - self.requested_at)
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
        assert_eq!(
            after_attempt(EffectKind::Publish, 1, &Ok(()), now, 0.3),
            NextStep::Delivered
        );
        assert_eq!(
            after_attempt(EffectKind::Publish, 1, &timeout, now, 1.0),
            NextStep::Retry {
                at: now + Duration::seconds(2)
            }
        );
        assert_eq!(
            after_attempt(EffectKind::Publish, 3, &server_error, now, 0.0),
            NextStep::Retry {
                at: now + Duration::seconds(4)
            }
        );
        match after_attempt(EffectKind::Publish, MAX_ATTEMPTS, &timeout, now, 0.0) {
            NextStep::Dead { reason } => {
                assert!(reason.starts_with("gave up after 8 attempts"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        for permanent in [refused, wrong] {
            assert!(matches!(
                after_attempt(EffectKind::Publish, 1, &permanent, now, 0.0),
                NextStep::Dead { .. }
            ));
        }
        assert!(matches!(
            after_attempt(EffectKind::Revoke, 40, &Err(DeliveryError::Timeout(10)), now, 1.0),
            NextStep::Retry { at } if at == now + Duration::seconds(MAX_BACKOFF_SECS)
        ));
        assert!(matches!(
            after_attempt(
                EffectKind::Drill,
                1,
                &Err(DeliveryError::Timeout(10)),
                now,
                1.0
            ),
            NextStep::Dead { .. }
        ));
        let throttled = |secs| {
            Err(DeliveryError::Throttled {
                status: 429,
                retry_after_secs: secs,
                detail: String::new(),
            })
        };
        // Retry-After is honoured when longer than the backoff, and capped at the longest one.
        for (asked, waited) in [(120, 120), (0, 2), (86_400, MAX_BACKOFF_SECS)] {
            assert_eq!(
                after_attempt(EffectKind::Publish, 1, &throttled(asked), now, 1.0),
                NextStep::Retry {
                    at: now + Duration::seconds(waited)
                },
                "Retry-After: {asked}"
            );
        }
        assert_eq!(OutboxState::parse("dead"), Some(OutboxState::Dead));
        assert_eq!(EffectKind::parse("drill"), Some(EffectKind::Drill));
        assert_eq!(OutboxState::parse("lost"), None);
    }
}
