//! What gate integrity reads beyond the registry as it is now: who stopped owning an identity or
//! issued its client secret, and when; who asked for a widening awaiting review; and the hosts a
//! connected system lets content link to. Shared by both backends through `integrity_sql!`.

use super::StoreError;
use crate::domain::{
    HumanId, NhiId, ReviewView, Served, StepId, Stewardship, StewardshipKind, SystemId, WorkflowId,
};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
pub trait IntegrityStore {
    /// What people did to an identity at or after `since_ms`, oldest first.
    async fn stewardship_since(
        &self,
        nhi: NhiId,
        since_ms: i64,
    ) -> Result<Vec<Stewardship>, StoreError>;
    /// The hosts content for this system may link to, one per line (`None`: no such system).
    async fn system_content_hosts(&self, id: SystemId) -> Result<Option<String>, StoreError>;
    /// Notes what the console served a reviewer of a version (first times only). Not a
    /// governance change: it writes no ledger event; the sign-off that uses it does.
    async fn record_review_view(
        &self,
        change_id: &str,
        version: i64,
        person: HumanId,
        served: Served,
        at_ms: i64,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait IntegrityWrites {
    async fn review_view_in_tx(
        &mut self,
        change_id: &str,
        version: i64,
        person: HumanId,
    ) -> Result<Option<ReviewView>, StoreError>;
    async fn system_content_hosts_in_tx(
        &mut self,
        id: SystemId,
    ) -> Result<Option<String>, StoreError>;
    async fn set_system_content_hosts(
        &mut self,
        id: SystemId,
        hosts: &str,
    ) -> Result<(), StoreError>;
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

/// Keeps the first time each part was served: a later view never moves a time forward.
pub(super) const RECORD_REVIEW_VIEW: &str = "INSERT INTO review_views \
     (change_id, version, human_id, first_view_ms, full_text_ms, diff_ms) \
     VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (change_id, version, human_id) DO UPDATE SET \
     first_view_ms = CASE WHEN excluded.first_view_ms < review_views.first_view_ms \
         THEN excluded.first_view_ms ELSE review_views.first_view_ms END, \
     full_text_ms = COALESCE(review_views.full_text_ms, excluded.full_text_ms), \
     diff_ms = COALESCE(review_views.diff_ms, excluded.diff_ms)";

pub(super) const CONTENT_HOSTS: &str = "SELECT content_hosts FROM connected_systems WHERE id = $1";

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

macro_rules! integrity_sql {
    ($store:ident, $tx:ident) => {
        #[async_trait::async_trait]
        impl super::integrity::IntegrityStore for $store {
            async fn stewardship_since(
                &self,
                nhi: crate::domain::NhiId,
                since_ms: i64,
            ) -> Result<Vec<crate::domain::Stewardship>, crate::store::StoreError> {
                let rows = sqlx::query(super::integrity::STEWARDSHIP_SINCE)
                    .bind(nhi.to_string())
                    .bind(since_ms)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(super::integrity::stewardship_from_row)
                    .collect()
            }

            async fn system_content_hosts(
                &self,
                id: crate::domain::SystemId,
            ) -> Result<Option<String>, crate::store::StoreError> {
                Ok(sqlx::query_scalar(super::integrity::CONTENT_HOSTS)
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn record_review_view(
                &self,
                change_id: &str,
                version: i64,
                person: crate::domain::HumanId,
                served: crate::domain::Served,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                let (full, diff) = match served {
                    crate::domain::Served::Page { whole_text } => {
                        (whole_text.then_some(at_ms), None)
                    }
                    crate::domain::Served::FullText => (Some(at_ms), None),
                    crate::domain::Served::Diff => (None, Some(at_ms)),
                };
                sqlx::query(super::integrity::RECORD_REVIEW_VIEW)
                    .bind(change_id)
                    .bind(version)
                    .bind(person.to_string())
                    .bind(at_ms)
                    .bind(full)
                    .bind(diff)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl super::integrity::IntegrityWrites for $tx {
            async fn review_view_in_tx(
                &mut self,
                change_id: &str,
                version: i64,
                person: crate::domain::HumanId,
            ) -> Result<Option<crate::domain::ReviewView>, crate::store::StoreError> {
                let row: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT first_view_ms, full_text_ms, diff_ms FROM review_views \
                     WHERE change_id = $1 AND version = $2 AND human_id = $3",
                )
                .bind(change_id)
                .bind(version)
                .bind(person.to_string())
                .fetch_optional(&mut *self.tx)
                .await?;
                Ok(row.map(
                    |(first_view_ms, full_text_ms, diff_ms)| crate::domain::ReviewView {
                        first_view_ms,
                        full_text_ms,
                        diff_ms,
                    },
                ))
            }

            async fn system_content_hosts_in_tx(
                &mut self,
                id: crate::domain::SystemId,
            ) -> Result<Option<String>, crate::store::StoreError> {
                Ok(sqlx::query_scalar(super::integrity::CONTENT_HOSTS)
                    .bind(id.to_string())
                    .fetch_optional(&mut *self.tx)
                    .await?)
            }

            async fn set_system_content_hosts(
                &mut self,
                id: crate::domain::SystemId,
                hosts: &str,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query("UPDATE connected_systems SET content_hosts = $1 WHERE id = $2")
                    .bind(hosts)
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn stewardship_since_in_tx(
                &mut self,
                nhi: crate::domain::NhiId,
                since_ms: i64,
            ) -> Result<Vec<crate::domain::Stewardship>, crate::store::StoreError> {
                let rows = sqlx::query(super::integrity::STEWARDSHIP_SINCE)
                    .bind(nhi.to_string())
                    .bind(since_ms)
                    .fetch_all(&mut *self.tx)
                    .await?;
                rows.iter()
                    .map(super::integrity::stewardship_from_row)
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
pub(super) use integrity_sql;
