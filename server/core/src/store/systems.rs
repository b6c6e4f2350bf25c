//! SQL for connected systems, shared by both backends.

use crate::clock::from_millis;
use sqlx::Row;

/// One row per (system, field), systems without fields with NULL field columns.
pub(super) fn system_query(by_id: bool) -> String {
    format!(
        "SELECT s.id, s.name, s.kind, s.base_url, s.secret_version, s.created_by, s.created_at, \
         f.name AS field_name, f.category AS field_category \
         FROM connected_systems s LEFT JOIN system_fields f ON f.system_id = s.id {} \
         ORDER BY s.name, s.id, f.name",
        if by_id { "WHERE s.id = $1" } else { "" }
    )
}

pub(super) fn group_systems<R: Row>(
    rows: &[R],
) -> Result<Vec<crate::domain::ConnectedSystem>, super::StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    use crate::domain::{ConnectedSystem, DataField, FieldCategory, SystemId, SystemKind};
    let corrupt = |what: &str| super::StoreError::Corrupt(format!("connected_systems.{what}"));
    let mut systems: Vec<ConnectedSystem> = Vec::new();
    for row in rows {
        let id: SystemId = row
            .try_get::<String, _>("id")?
            .parse()
            .map_err(|_| corrupt("id"))?;
        if systems.last().is_none_or(|last| last.id != id) {
            systems.push(ConnectedSystem {
                id,
                name: row.try_get("name")?,
                kind: SystemKind::parse(&row.try_get::<String, _>("kind")?)
                    .map_err(|_| corrupt("kind"))?,
                base_url: row.try_get("base_url")?,
                fields: Vec::new(),
                secret_version: row.try_get("secret_version")?,
                created_by: row
                    .try_get::<String, _>("created_by")?
                    .parse()
                    .map_err(|_| corrupt("created_by"))?,
                created_at: from_millis(row.try_get("created_at")?),
            });
        }
        if let (Some(name), Some(category)) = (
            row.try_get::<Option<String>, _>("field_name")?,
            row.try_get::<Option<String>, _>("field_category")?,
        ) {
            let category = FieldCategory::parse(&category).map_err(|_| corrupt("category"))?;
            if let Some(last) = systems.last_mut() {
                last.fields.push(DataField { name, category });
            }
        }
    }
    Ok(systems)
}

pub(super) const DRILL_COLUMNS: &str =
    "id, system_id, run_by, started_at, duration_ms, passed, receipt, error";

pub(super) fn drill_from_row<R: Row>(row: &R) -> Result<crate::domain::Drill, super::StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| super::StoreError::Corrupt(format!("revocation_drills.{what}"));
    Ok(crate::domain::Drill {
        id: row
            .try_get::<String, _>("id")?
            .parse()
            .map_err(|_| corrupt("id"))?,
        system_id: row
            .try_get::<String, _>("system_id")?
            .parse()
            .map_err(|_| corrupt("system_id"))?,
        run_by: row
            .try_get::<String, _>("run_by")?
            .parse()
            .map_err(|_| corrupt("run_by"))?,
        started_at: from_millis(row.try_get("started_at")?),
        duration_ms: row.try_get("duration_ms")?,
        passed: row.try_get("passed")?,
        receipt: row.try_get("receipt")?,
        error: row.try_get("error")?,
    })
}
