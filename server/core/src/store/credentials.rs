//! Row decoding for access tokens, shared by both backends.

use super::{AccessTokenRow, StoreError};
use sqlx::Row;

pub(super) fn token_from_row<R: Row>(row: &R) -> Result<AccessTokenRow, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| StoreError::Corrupt(format!("access_tokens.{what}"));
    Ok(AccessTokenRow {
        token_hash: row.try_get("token_hash")?,
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
        issued_at_ms: row.try_get("issued_at")?,
        expires_at_ms: row.try_get("expires_at")?,
    })
}
