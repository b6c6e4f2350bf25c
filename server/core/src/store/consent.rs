//! Row decoding and SQL text for the consent ledger and access decisions, shared by both backends.

use super::StoreError;
use crate::clock::from_millis;
use crate::domain::LegalBasis;
use sqlx::Row;

/// `[subject, for_purpose (0/1), basis, granted_at, withdrawn_at]`: a consent record as the
/// standing reads it, from the `consent_records_standing` index alone.
pub(super) type EventTuple = (String, i64, String, Option<i64>, Option<i64>);

/// The backend's consent query for `purpose` over `subjects`, in one statement whatever their
/// count: SQLite takes them as one JSON array and answers one JSON array (its rows and
/// parameters each cost a hand-over between threads or a scan of parameter names); PostgreSQL
/// takes an array and answers rows.
#[async_trait::async_trait]
pub(super) trait ConsentEventsFor {
    async fn consent_tuples(
        &self,
        subjects: &[String],
        purpose: &str,
    ) -> Result<Vec<EventTuple>, StoreError>;
}

/// The query's answer, as the domain reads it.
pub(super) fn events_from_tuples(
    tuples: Vec<EventTuple>,
) -> Result<Vec<(String, crate::domain::ConsentEvent)>, StoreError> {
    tuples
        .into_iter()
        .map(|(subject, for_purpose, basis, granted_at, withdrawn_at)| {
            Ok((
                subject,
                crate::domain::ConsentEvent {
                    for_purpose: for_purpose == 1,
                    basis: LegalBasis::parse(&basis).map_err(|_| {
                        StoreError::Corrupt("consent_records.legal_basis".to_owned())
                    })?,
                    granted_at: granted_at.map(from_millis),
                    withdrawn_at: withdrawn_at.map(from_millis),
                },
            ))
        })
        .collect()
}

pub(super) fn decision_from_row<R: Row>(row: &R) -> Result<super::AccessDecisionRow, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| StoreError::Corrupt(format!("access_decisions.{what}"));
    Ok(super::AccessDecisionRow {
        id: row.try_get("id")?,
        nhi: row
            .try_get::<String, _>("nhi_id")?
            .parse()
            .map_err(|_| corrupt("nhi_id"))?,
        workflow: row
            .try_get::<String, _>("workflow_id")?
            .parse()
            .map_err(|_| corrupt("workflow_id"))?,
        step: row
            .try_get::<String, _>("step_id")?
            .parse()
            .map_err(|_| corrupt("step_id"))?,
        purpose: row.try_get("purpose")?,
        request_json: row.try_get("request_json")?,
        response_json: row.try_get("response_json")?,
        decided_at_ms: row.try_get("decided_at")?,
        expires_at_ms: row.try_get("expires_at")?,
    })
}
