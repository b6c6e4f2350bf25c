//! SQL and row decoding for change requests and their versions, shared by both backends.

use super::StoreError;
use crate::clock::from_millis;
use crate::domain::{
    Audience, ChangeRequest, ChangeStatus, ChangeVersion, Content, ContentFormat, Publication,
};
use sqlx::Row;

pub(super) const CHANGE_COLUMNS: &str = "id, workflow_id, step_id, nhi_id, title, channel, \
    audience, purpose, target_system, target_ref, status, tier, current_version, created_at, \
    updated_at, current_hash, open_claims, has_rollback_plan, provenance_ok, legal_basis_ok, \
    published_version, replaced_version, published_at, callback_url";

pub(super) fn change_from_row<R: Row>(row: &R) -> Result<ChangeRequest, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| StoreError::Corrupt(format!("change_requests.{what}"));
    let published_version: Option<String> = row.try_get("published_version")?;
    let published_at: Option<i64> = row.try_get("published_at")?;
    let publication = match (published_version, published_at) {
        (Some(version), Some(at)) => Some(Publication {
            version,
            replaced: row.try_get("replaced_version")?,
            at: from_millis(at),
        }),
        _ => None,
    };
    let parse = |column: &str| -> Result<String, StoreError> { Ok(row.try_get(column)?) };
    Ok(ChangeRequest {
        id: parse("id")?,
        workflow: parse("workflow_id")?
            .parse()
            .map_err(|_| corrupt("workflow_id"))?,
        step: parse("step_id")?.parse().map_err(|_| corrupt("step_id"))?,
        nhi: parse("nhi_id")?.parse().map_err(|_| corrupt("nhi_id"))?,
        title: parse("title")?,
        channel: parse("channel")?,
        audience: Audience::parse(&parse("audience")?).map_err(|_| corrupt("audience"))?,
        purpose: parse("purpose")?,
        target_system: parse("target_system")?
            .parse()
            .map_err(|_| corrupt("target_system"))?,
        target_ref: parse("target_ref")?,
        status: ChangeStatus::parse(&parse("status")?).ok_or_else(|| corrupt("status"))?,
        tier: row.try_get("tier")?,
        current_version: row.try_get("current_version")?,
        current_hash: row.try_get("current_hash")?,
        open_claims: row.try_get("open_claims")?,
        has_rollback_plan: row.try_get("has_rollback_plan")?,
        provenance_ok: row.try_get("provenance_ok")?,
        legal_basis_ok: row.try_get("legal_basis_ok")?,
        publication,
        callback_url: row.try_get("callback_url")?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

pub(super) fn version_from_row<R: Row>(row: &R) -> Result<ChangeVersion, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| StoreError::Corrupt(format!("change_versions.{what}"));
    let text: String = row.try_get("content")?;
    let format: String = row.try_get("format")?;
    Ok(ChangeVersion {
        version: row.try_get("version")?,
        content: Content {
            text,
            format: ContentFormat::parse(&format).map_err(|_| corrupt("format"))?,
            hash: row.try_get("content_hash")?,
        },
        variants: Vec::new(),
        provenance: serde_json::from_str(&row.try_get::<String, _>("provenance_json")?)
            .map_err(|_| corrupt("provenance_json"))?,
        submitted_at: from_millis(row.try_get("submitted_at")?),
    })
}
