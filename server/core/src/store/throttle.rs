//! Counters for rate limits and throttles, kept in the database so that every console process
//! shares them. One row per key per fixed window; shared by both backends through
//! `throttle_sql!`.

use super::StoreError;
use async_trait::async_trait;

/// A window that has ended, taken out of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedWindow {
    pub bucket: String,
    pub ends_at_ms: i64,
    pub hits: i64,
}

#[async_trait]
pub trait ThrottleStore {
    /// Counts one hit in `bucket` (created to end at `ends_at_ms`); the count so far, this one
    /// included. One statement, so concurrent hits from several processes all count.
    async fn throttle_hit(&self, bucket: &str, ends_at_ms: i64) -> Result<i64, StoreError>;
    /// The count in `bucket`, without adding to it.
    async fn throttle_hits(&self, bucket: &str) -> Result<i64, StoreError>;
    /// Whether any window that ended by `now_ms` and has a name starting with `prefix` counted
    /// more than `above` hits (such windows must be summed up in the ledger before they go).
    async fn throttle_ended_above(
        &self,
        prefix: &str,
        above: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Deletes every window that ended by `now_ms`.
    async fn throttle_delete_ended(&self, now_ms: i64) -> Result<u64, StoreError>;
}

#[async_trait]
pub trait ThrottleWrites {
    /// Takes every window that ended by `now_ms` out of the table, inside the state change that
    /// records what they counted.
    async fn take_ended_throttles(&mut self, now_ms: i64) -> Result<Vec<EndedWindow>, StoreError>;
}

pub(super) const HIT: &str = "INSERT INTO throttles (bucket, ends_at_ms, hits) VALUES ($1, $2, 1) \
     ON CONFLICT (bucket) DO UPDATE SET hits = throttles.hits + 1 RETURNING hits";
pub(super) const HITS: &str = "SELECT hits FROM throttles WHERE bucket = $1";
pub(super) const ENDED_ABOVE: &str = "SELECT COUNT(*) FROM throttles \
     WHERE ends_at_ms <= $1 AND substr(bucket, 1, length(CAST($2 AS TEXT))) = CAST($2 AS TEXT) AND hits > $3";
pub(super) const DELETE_ENDED: &str = "DELETE FROM throttles WHERE ends_at_ms <= $1";
pub(super) const TAKE_ENDED: &str =
    "DELETE FROM throttles WHERE ends_at_ms <= $1 RETURNING bucket, ends_at_ms, hits";

macro_rules! throttle_sql {
    ($store:ident, $tx:ident) => {
        #[async_trait::async_trait]
        impl super::throttle::ThrottleStore for $store {
            async fn throttle_hit(
                &self,
                bucket: &str,
                ends_at_ms: i64,
            ) -> Result<i64, crate::store::StoreError> {
                Ok(sqlx::query_scalar(super::throttle::HIT)
                    .bind(bucket)
                    .bind(ends_at_ms)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn throttle_hits(&self, bucket: &str) -> Result<i64, crate::store::StoreError> {
                let hits: Option<i64> = sqlx::query_scalar(super::throttle::HITS)
                    .bind(bucket)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(hits.unwrap_or(0))
            }

            async fn throttle_ended_above(
                &self,
                prefix: &str,
                above: i64,
                now_ms: i64,
            ) -> Result<bool, crate::store::StoreError> {
                let count: i64 = sqlx::query_scalar(super::throttle::ENDED_ABOVE)
                    .bind(now_ms)
                    .bind(prefix)
                    .bind(above)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(count > 0)
            }

            async fn throttle_delete_ended(
                &self,
                now_ms: i64,
            ) -> Result<u64, crate::store::StoreError> {
                Ok(sqlx::query(super::throttle::DELETE_ENDED)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }
        }

        #[async_trait::async_trait]
        impl super::throttle::ThrottleWrites for $tx {
            async fn take_ended_throttles(
                &mut self,
                now_ms: i64,
            ) -> Result<Vec<super::throttle::EndedWindow>, crate::store::StoreError> {
                let rows: Vec<(String, i64, i64)> = sqlx::query_as(super::throttle::TAKE_ENDED)
                    .bind(now_ms)
                    .fetch_all(&mut *self.tx)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(bucket, ends_at_ms, hits)| super::throttle::EndedWindow {
                        bucket,
                        ends_at_ms,
                        hits,
                    })
                    .collect())
            }
        }
    };
}

pub(super) use throttle_sql;
