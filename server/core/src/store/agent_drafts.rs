//! What an agent asks of its own changes: the list of what it drafted, and the change a retried
//! draft already made (its idempotency key). Shared by both backends through
//! `agent_drafts_sql!`.

use super::StoreError;
use crate::domain::{ChangeRequest, ChangeStatus, NhiId, StepId};
use async_trait::async_trait;

#[async_trait]
pub trait AgentDraftReads {
    /// The changes this identity drafted in this step, newest first, before the keyset
    /// `(created_at_ms, id)`, in `status` when one is given.
    async fn changes_drafted_by(
        &self,
        nhi: NhiId,
        step: StepId,
        status: Option<ChangeStatus>,
        before: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<ChangeRequest>, StoreError>;
    /// The change this identity made with this idempotency key, and the hash of what it sent.
    async fn change_by_key(
        &self,
        nhi: NhiId,
        key: &str,
    ) -> Result<Option<(String, String)>, StoreError>;
}

#[async_trait]
pub trait AgentDraftWrites {
    /// The change this identity made with this idempotency key, and the hash of what it sent.
    async fn change_by_idempotency_key(
        &mut self,
        nhi: NhiId,
        key: &str,
    ) -> Result<Option<(String, String)>, StoreError>;
    async fn set_idempotency_key(
        &mut self,
        change_id: &str,
        key: &str,
        request_hash: &str,
    ) -> Result<(), StoreError>;
}

pub(super) fn drafted_by() -> String {
    format!(
        "SELECT {} FROM change_requests WHERE nhi_id = $1 AND step_id = $2 \
         AND ($3 = '' OR status = $3) \
         AND (created_at < $4 OR (created_at = $4 AND id < $5)) \
         ORDER BY created_at DESC, id DESC LIMIT $6",
        super::changes::CHANGE_COLUMNS
    )
}
pub(super) const BY_KEY: &str =
    "SELECT id, request_hash FROM change_requests WHERE nhi_id = $1 AND idempotency_key = $2";
pub(super) const SET_KEY: &str =
    "UPDATE change_requests SET idempotency_key = $2, request_hash = $3 WHERE id = $1";

macro_rules! agent_drafts_sql {
    ($store:ident, $tx:ident) => {
        #[async_trait::async_trait]
        impl super::agent_drafts::AgentDraftReads for $store {
            async fn changes_drafted_by(
                &self,
                nhi: crate::domain::NhiId,
                step: crate::domain::StepId,
                status: Option<crate::domain::ChangeStatus>,
                before: Option<(i64, String)>,
                limit: i64,
            ) -> Result<Vec<crate::domain::ChangeRequest>, crate::store::StoreError> {
                // Past the last id any keyset can name: `~` sorts after every id character.
                let (at, id) = before.unwrap_or((i64::MAX, "~".to_owned()));
                let rows = sqlx::query(&super::agent_drafts::drafted_by())
                    .bind(nhi.to_string())
                    .bind(step.to_string())
                    .bind(status.map(|s| s.as_str()).unwrap_or_default())
                    .bind(at)
                    .bind(id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(super::changes::change_from_row).collect()
            }

            async fn change_by_key(
                &self,
                nhi: crate::domain::NhiId,
                key: &str,
            ) -> Result<Option<(String, String)>, crate::store::StoreError> {
                let found: Option<(String, Option<String>)> =
                    sqlx::query_as(super::agent_drafts::BY_KEY)
                        .bind(nhi.to_string())
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(found.map(|(id, hash)| (id, hash.unwrap_or_default())))
            }
        }

        #[async_trait::async_trait]
        impl super::agent_drafts::AgentDraftWrites for $tx {
            async fn change_by_idempotency_key(
                &mut self,
                nhi: crate::domain::NhiId,
                key: &str,
            ) -> Result<Option<(String, String)>, crate::store::StoreError> {
                let found: Option<(String, Option<String>)> =
                    sqlx::query_as(super::agent_drafts::BY_KEY)
                        .bind(nhi.to_string())
                        .bind(key)
                        .fetch_optional(&mut *self.tx)
                        .await?;
                Ok(found.map(|(id, hash)| (id, hash.unwrap_or_default())))
            }

            async fn set_idempotency_key(
                &mut self,
                change_id: &str,
                key: &str,
                request_hash: &str,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::agent_drafts::SET_KEY)
                    .bind(change_id)
                    .bind(key)
                    .bind(request_hash)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(super) use agent_drafts_sql;
