//! What the compliance map measures that no other page reads, shared by both backends through
//! `compliance_sql!`.

use super::StoreError;
use async_trait::async_trait;

/// Decisions read to judge grants against use: the most recent, at most this many.
pub const DECISIONS_JUDGED: i64 = 5_000;

#[async_trait]
pub trait ComplianceReads {
    /// Every identity not revoked that holds a client secret, with when it was last issued (ms).
    async fn secret_ages(&self) -> Result<Vec<(String, i64)>, StoreError>;
    /// (identity id, the decision's answer as stored) of the latest decisions since `since_ms`.
    async fn recent_decision_answers(
        &self,
        since_ms: i64,
    ) -> Result<Vec<(String, String)>, StoreError>;
    /// Events of `action` at or after `since_ms`.
    async fn count_events_since(&self, action: &str, since_ms: i64) -> Result<i64, StoreError>;
}

pub(super) const SECRET_AGES: &str =
    "SELECT id, COALESCE(secret_rotated_at, created_at) FROM nhis \
     WHERE state <> 'revoked' AND secret_hash IS NOT NULL ORDER BY id";
pub(super) const ANSWERS: &str = "SELECT nhi_id, response_json FROM access_decisions \
     WHERE decided_at >= $1 ORDER BY decided_at DESC LIMIT $2";
pub(super) const COUNT: &str =
    "SELECT COUNT(*) FROM audit_events WHERE action = $1 AND at_ms >= $2";

macro_rules! compliance_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl super::compliance::ComplianceReads for $store {
            async fn secret_ages(&self) -> Result<Vec<(String, i64)>, crate::store::StoreError> {
                Ok(sqlx::query_as(super::compliance::SECRET_AGES)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn recent_decision_answers(
                &self,
                since_ms: i64,
            ) -> Result<Vec<(String, String)>, crate::store::StoreError> {
                Ok(sqlx::query_as(super::compliance::ANSWERS)
                    .bind(since_ms)
                    .bind(super::compliance::DECISIONS_JUDGED)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn count_events_since(
                &self,
                action: &str,
                since_ms: i64,
            ) -> Result<i64, crate::store::StoreError> {
                Ok(sqlx::query_scalar(super::compliance::COUNT)
                    .bind(action)
                    .bind(since_ms)
                    .fetch_one(&self.pool)
                    .await?)
            }
        }
    };
}

pub(super) use compliance_sql;
