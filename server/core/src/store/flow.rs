//! What the flow report reads (changes with the moments they reached each stage), shared by
//! both backends through `flow_sql!`.

use super::StoreError;
use crate::clock::from_millis;
use crate::domain::FlowRow;
use async_trait::async_trait;

#[async_trait]
pub trait FlowReads {
    /// Changes drafted since `since_ms`, oldest first, at most `limit`.
    async fn flow_rows(&self, since_ms: i64, limit: i64) -> Result<Vec<FlowRow>, StoreError>;
    /// How many changes wait for people now, and since when the oldest has.
    async fn waiting_changes(&self) -> Result<(i64, Option<i64>), StoreError>;
}

pub(super) const ROWS: &str = "SELECT c.workflow_id, c.tier, c.created_at, \
     (SELECT MIN(s.signed_at) FROM signoffs s WHERE s.change_id = c.id) AS first_signoff, \
     c.approved_at, c.published_at, \
     COALESCE((SELECT u.pre_approved FROM change_templates u WHERE u.change_id = c.id), FALSE) \
       AS pre_approved, \
     c.status \
     FROM change_requests c WHERE c.created_at >= $1 ORDER BY c.created_at, c.id LIMIT $2";
pub(super) const WAITING: &str = "SELECT COUNT(*), MIN(created_at) FROM change_requests \
     WHERE status IN ('pending_review', 'changes_requested')";

pub(super) type Row = (
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    bool,
    String,
);

pub(super) fn from_row(
    (workflow, tier, created, signed, approved, published, pre_approved, status): Row,
) -> Result<FlowRow, StoreError> {
    Ok(FlowRow {
        workflow: workflow
            .parse()
            .map_err(|_| StoreError::Corrupt("change_requests.workflow_id".to_owned()))?,
        tier,
        created_at: from_millis(created),
        first_signoff_at: signed.map(from_millis),
        approved_at: approved.map(from_millis),
        published_at: published.map(from_millis),
        pre_approved,
        waiting: status == "pending_review" || status == "changes_requested",
    })
}

macro_rules! flow_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl super::flow::FlowReads for $store {
            async fn flow_rows(
                &self,
                since_ms: i64,
                limit: i64,
            ) -> Result<Vec<crate::domain::FlowRow>, crate::store::StoreError> {
                sqlx::query_as::<_, super::flow::Row>(super::flow::ROWS)
                    .bind(since_ms)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(super::flow::from_row)
                    .collect()
            }

            async fn waiting_changes(
                &self,
            ) -> Result<(i64, Option<i64>), crate::store::StoreError> {
                Ok(
                    sqlx::query_as::<_, (i64, Option<i64>)>(super::flow::WAITING)
                        .fetch_one(&self.pool)
                        .await?,
                )
            }
        }
    };
}

pub(super) use flow_sql;
