//! How often one caller may try something, counted in the database so that every console
//! process shares the count: token requests per client, sign-in starts per source, failed
//! sign-ins per source. Failed sign-ins are also what the ledger records, and a flood of them
//! must not become a flood of ledger events: the first failure of a window is recorded in
//! detail, the rest are summed up in one event when the window ends.

use super::Services;
use crate::actor::Actor;
use crate::error::CoreResult;
use crate::ledger::NewEvent;
use serde_json::json;

/// Keys longer than this are cut (they are client ids and network addresses).
const MAX_KEY: usize = 128;

/// Limits, per key and fixed window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleSettings {
    /// Token requests per client id per minute.
    pub token_requests_per_minute: u32,
    /// Sign-ins started per source per minute.
    pub sign_ins_per_minute: u32,
    /// Failed sign-ins per source per window before further sign-ins from it are refused.
    pub failed_sign_ins: u32,
    pub failed_sign_in_window: chrono::Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            token_requests_per_minute: 60,
            sign_ins_per_minute: 30,
            failed_sign_ins: 10,
            failed_sign_in_window: chrono::Duration::minutes(15),
        }
    }
}

/// What is being counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    TokenRequests,
    SignInStarts,
    FailedSignIns,
}

impl Limit {
    fn prefix(self) -> &'static str {
        match self {
            Limit::TokenRequests => "token",
            Limit::SignInStarts => "signin",
            Limit::FailedSignIns => "signin-fail",
        }
    }

    fn allowance(self, settings: &ThrottleSettings) -> (i64, i64) {
        let minute = 60_000;
        match self {
            Limit::TokenRequests => (settings.token_requests_per_minute.into(), minute),
            Limit::SignInStarts => (settings.sign_ins_per_minute.into(), minute),
            Limit::FailedSignIns => (
                settings.failed_sign_ins.into(),
                settings.failed_sign_in_window.num_milliseconds().max(1_000),
            ),
        }
    }
}

/// Refused: try again in this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// A window's bucket: the limit, the window's number and the key. The window is part of the
/// name, so an ended window is never reset in place.
fn bucket(limit: Limit, window_ms: i64, now_ms: i64, key: &str) -> (String, i64) {
    let window = now_ms.div_euclid(window_ms);
    let key: String = key.chars().take(MAX_KEY).collect();
    (
        format!("{}:{window}:{key}", limit.prefix()),
        (window + 1) * window_ms,
    )
}

fn retry_after(ends_at_ms: i64, now_ms: i64) -> RetryAfter {
    RetryAfter(
        u64::try_from((ends_at_ms - now_ms + 999) / 1000)
            .unwrap_or(1)
            .max(1),
    )
}

impl Services {
    /// Counts one attempt by `key`; refused once the window's allowance is used up.
    pub async fn throttle(&self, limit: Limit, key: &str) -> CoreResult<Result<(), RetryAfter>> {
        let now = self.now_ms();
        let (per, window) = limit.allowance(&self.settings.throttles);
        let (bucket, ends) = bucket(limit, window, now, key);
        let hits = self.store.throttle_hit(&bucket, ends).await?;
        Ok(if hits > per {
            Err(retry_after(ends, now))
        } else {
            Ok(())
        })
    }

    /// Whether `key` has used up its allowance, without counting an attempt.
    pub async fn throttled(&self, limit: Limit, key: &str) -> CoreResult<Option<RetryAfter>> {
        let now = self.now_ms();
        let (per, window) = limit.allowance(&self.settings.throttles);
        let (bucket, ends) = bucket(limit, window, now, key);
        let hits = self.store.throttle_hits(&bucket).await?;
        Ok((hits >= per).then(|| retry_after(ends, now)))
    }

    /// A sign-in attempt from `source` failed (no flow in progress, state mismatch, IdP error,
    /// token that does not verify). `reason` is a short code; `detail` is safe to show to an
    /// auditor (no tokens, no secrets). The first failure from a source in a window is recorded
    /// at once; later ones are counted and summed up by [`Services::sweep_throttles`].
    #[tracing::instrument(skip_all, fields(reason))]
    pub async fn sign_in_failed(&self, source: &str, reason: &str, detail: &str) -> CoreResult<()> {
        let now = self.now_ms();
        let (_, window) = Limit::FailedSignIns.allowance(&self.settings.throttles);
        let (bucket, ends) = bucket(Limit::FailedSignIns, window, now, source);
        if self.store.throttle_hit(&bucket, ends).await? > 1 {
            return Ok(());
        }
        let mut tx = self.store.begin_write(now).await?;
        let detail: String = detail.chars().take(300).collect();
        tx.append_event(&NewEvent::new(
            &Actor::Anonymous,
            "auth.sign_in_failed",
            "console",
            json!({ "reason": reason, "detail": detail, "source": source }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes ended windows; each that counted more than one failed sign-in becomes one
    /// `auth.sign_in_failures` event (how many beyond the first, which was recorded itself).
    /// Returns how many windows were removed. Safe to run from several processes at once.
    #[tracing::instrument(skip_all)]
    pub async fn sweep_throttles(&self) -> CoreResult<u64> {
        let now = self.now_ms();
        let failures = format!("{}:", Limit::FailedSignIns.prefix());
        if !self.store.throttle_ended_above(&failures, 1, now).await? {
            return Ok(self.store.throttle_delete_ended(now).await?);
        }
        let mut tx = self.store.begin_write(now).await?;
        let ended = tx.take_ended_throttles(now).await?;
        let (_, window) = Limit::FailedSignIns.allowance(&self.settings.throttles);
        let mut summed = 0;
        for ended in ended.iter().filter(|w| w.hits > 1) {
            let Some(rest) = ended.bucket.strip_prefix(&failures) else {
                continue;
            };
            let source = rest.split_once(':').map_or(rest, |(_, source)| source);
            tx.append_event(&NewEvent::new(
                &Actor::Anonymous,
                "auth.sign_in_failures",
                "console",
                json!({
                    "source": source,
                    "further_failures": ended.hits - 1,
                    "window_start_ms": ended.ends_at_ms - window,
                    "window_end_ms": ended.ends_at_ms,
                }),
            ))
            .await?;
            summed += 1;
        }
        if summed == 0 {
            // Another process summed them up first; what is left needs no event.
            drop(tx);
            return Ok(self.store.throttle_delete_ended(now).await?);
        }
        tx.commit().await?;
        Ok(u64::try_from(ended.len()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_fixed_and_named() {
        let (a, ends) = bucket(Limit::TokenRequests, 60_000, 120_500, "client");
        assert_eq!(a, "token:2:client");
        assert_eq!(ends, 180_000);
        let (b, _) = bucket(Limit::TokenRequests, 60_000, 179_999, "client");
        assert_eq!(a, b, "same window");
        let (c, _) = bucket(Limit::TokenRequests, 60_000, 180_000, "client");
        assert_ne!(a, c, "the next window is another bucket");
        let (long, _) = bucket(Limit::SignInStarts, 60_000, 0, &"x".repeat(1000));
        assert!(long.len() < MAX_KEY + 20);
        assert_eq!(retry_after(180_000, 120_500), RetryAfter(60));
        assert_eq!(retry_after(180_000, 179_999), RetryAfter(1));
    }
}
