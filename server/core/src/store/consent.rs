//! Row decoding and SQL text for the consent ledger and access decisions, shared by both backends.

use super::StoreError;
use crate::clock::from_millis;
use crate::domain::LegalBasis;
use sqlx::Row;

/// `SELECT … WHERE subject IN ($1, …, $n)`, the purpose asked `$n+1`: only the columns of the
/// `consent_records_standing` index, so the records are read from the index alone.
pub(super) fn events_for_query(subjects: usize) -> String {
    let placeholders: Vec<String> = (1..=subjects).map(|n| format!("${n}")).collect();
    format!(
        "SELECT subject, CAST(CASE WHEN purpose = ${} THEN 1 ELSE 0 END AS BIGINT) AS for_purpose, \
         legal_basis, granted_at, withdrawn_at \
         FROM consent_records WHERE subject IN ({})",
        subjects + 1,
        placeholders.join(", ")
    )
}

pub(super) fn event_from_row<R: Row>(
    row: &R,
) -> Result<(String, crate::domain::ConsentEvent), StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok((
        row.try_get("subject")?,
        crate::domain::ConsentEvent {
            for_purpose: row.try_get::<i64, _>("for_purpose")? == 1,
            basis: LegalBasis::parse(&row.try_get::<String, _>("legal_basis")?)
                .map_err(|_| StoreError::Corrupt("consent_records.legal_basis".to_owned()))?,
            granted_at: row
                .try_get::<Option<i64>, _>("granted_at")?
                .map(from_millis),
            withdrawn_at: row
                .try_get::<Option<i64>, _>("withdrawn_at")?
                .map(from_millis),
        },
    ))
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
