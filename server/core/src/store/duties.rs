//! What separation of duties reads beyond the registry as it is now: who stopped owning an
//! identity or issued its client secret, and when; who asked for a widening awaiting review.
//! Shared by both backends through `duties_sql!`.

use super::StoreError;
use crate::domain::{HumanId, NhiId, StepId, Stewardship, StewardshipKind, WorkflowId};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
pub trait DutyReads {
    /// What people did to an identity at or after `since_ms`, oldest first.
    async fn stewardship_since(
        &self,
        nhi: NhiId,
        since_ms: i64,
    ) -> Result<Vec<Stewardship>, StoreError>;
}

#[async_trait]
pub trait DutyWrites {
    async fn stewardship_since_in_tx(
        &mut self,
        nhi: NhiId,
        since_ms: i64,
    ) -> Result<Vec<Stewardship>, StoreError>;
    async fn record_stewardship(&mut self, entry: &Stewardship) -> Result<(), StoreError>;
    /// Names who asked for the widening now awaiting review in `step` (`None` clears it).
    async fn set_widening_requester(
        &mut self,
        step: StepId,
        by: Option<HumanId>,
    ) -> Result<(), StoreError>;
    /// The people whose widenings await review in a workflow.
    async fn widening_requesters(
        &mut self,
        workflow: WorkflowId,
    ) -> Result<Vec<HumanId>, StoreError>;
}

pub(super) const STEWARDSHIP_SINCE: &str =
    "SELECT nhi_id, human_id, kind, at_ms FROM nhi_stewardship \
     WHERE nhi_id = $1 AND at_ms >= $2 ORDER BY at_ms";

pub(super) fn stewardship_from_row<R: Row>(row: &R) -> Result<Stewardship, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| StoreError::Corrupt(format!("nhi_stewardship.{what}"));
    Ok(Stewardship {
        nhi: row
            .try_get::<String, _>("nhi_id")?
            .parse()
            .map_err(|_| corrupt("nhi_id"))?,
        person: row
            .try_get::<String, _>("human_id")?
            .parse()
            .map_err(|_| corrupt("human_id"))?,
        kind: StewardshipKind::parse(&row.try_get::<String, _>("kind")?)
            .ok_or_else(|| corrupt("kind"))?,
        at_ms: row.try_get("at_ms")?,
    })
}

macro_rules! duties_sql {
    ($store:ident, $tx:ident) => {
        #[async_trait::async_trait]
        impl super::duties::DutyReads for $store {
            async fn stewardship_since(
                &self,
                nhi: crate::domain::NhiId,
                since_ms: i64,
            ) -> Result<Vec<crate::domain::Stewardship>, crate::store::StoreError> {
                let rows = sqlx::query(super::duties::STEWARDSHIP_SINCE)
                    .bind(nhi.to_string())
                    .bind(since_ms)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(super::duties::stewardship_from_row)
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl super::duties::DutyWrites for $tx {
            async fn stewardship_since_in_tx(
                &mut self,
                nhi: crate::domain::NhiId,
                since_ms: i64,
            ) -> Result<Vec<crate::domain::Stewardship>, crate::store::StoreError> {
                let rows = sqlx::query(super::duties::STEWARDSHIP_SINCE)
                    .bind(nhi.to_string())
                    .bind(since_ms)
                    .fetch_all(&mut *self.tx)
                    .await?;
                rows.iter()
                    .map(super::duties::stewardship_from_row)
                    .collect()
            }

            async fn record_stewardship(
                &mut self,
                entry: &crate::domain::Stewardship,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO nhi_stewardship (nhi_id, human_id, kind, at_ms) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(entry.nhi.to_string())
                .bind(entry.person.to_string())
                .bind(entry.kind.as_str())
                .bind(entry.at_ms)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn set_widening_requester(
                &mut self,
                step: crate::domain::StepId,
                by: Option<crate::domain::HumanId>,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query("UPDATE workflow_steps SET pending_grant_by = $1 WHERE id = $2")
                    .bind(by.map(|h| h.to_string()))
                    .bind(step.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn widening_requesters(
                &mut self,
                workflow: crate::domain::WorkflowId,
            ) -> Result<Vec<crate::domain::HumanId>, crate::store::StoreError> {
                let rows: Vec<String> = sqlx::query_scalar(
                    "SELECT DISTINCT pending_grant_by FROM workflow_steps \
                     WHERE workflow_id = $1 AND pending_grant IS NOT NULL \
                     AND pending_grant_by IS NOT NULL",
                )
                .bind(workflow.to_string())
                .fetch_all(&mut *self.tx)
                .await?;
                rows.iter()
                    .map(|id| {
                        id.parse().map_err(|_| {
                            crate::store::StoreError::Corrupt(
                                "workflow_steps.pending_grant_by".to_owned(),
                            )
                        })
                    })
                    .collect()
            }
        }
    };
}
pub(super) use duties_sql;
