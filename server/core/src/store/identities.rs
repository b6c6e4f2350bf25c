//! SQL for people and non-human identities, shared by both backends.

use crate::clock::from_millis;
use crate::domain::{HumanId, Nhi, NhiId, NhiKind, NhiState, Owner};
use sqlx::Row;

/// Which identities to list. Every filter narrows; the default lists all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NhiFilter {
    /// Only identities with no active human owner.
    pub orphaned: bool,
    /// Only identities expiring at or before this time (ms), not yet revoked.
    pub expiring_before_ms: Option<i64>,
    /// Only identities not used since this time (ms): never used and created before it, or last
    /// used before it.
    pub unused_since_ms: Option<i64>,
    /// Only identities this person owns.
    pub owner: Option<HumanId>,
    /// Only this identity.
    pub id: Option<NhiId>,
    /// Only these identities (none when empty).
    pub ids: Option<Vec<NhiId>>,
    /// Only identities whose name or purpose contains this (any case).
    pub search: Option<String>,
    /// One page, in name order: (offset, limit).
    pub page: Option<(i64, i64)>,
}

/// `%text%` for `LIKE … ESCAPE '\'` on a lower-cased column: the text lower-cased, with `%`, `_`
/// and `\` matching themselves.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub(super) enum Arg {
    Int(i64),
    Text(String),
}

/// The filter's `WHERE …` on `nhis n` (empty for none), its page aside, with its arguments.
fn nhi_clauses(filter: &NhiFilter) -> (String, Vec<Arg>) {
    let mut clauses = Vec::new();
    let mut args = Vec::new();
    let next = |arg: Arg, args: &mut Vec<Arg>| {
        args.push(arg);
        format!("${}", args.len())
    };
    if let Some(id) = filter.id {
        let p = next(Arg::Text(id.to_string()), &mut args);
        clauses.push(format!("n.id = {p}"));
    }
    if filter.orphaned {
        clauses.push(
            "NOT EXISTS (SELECT 1 FROM nhi_owners oo JOIN humans hh ON hh.id = oo.human_id \
             WHERE oo.nhi_id = n.id AND hh.active = TRUE)"
                .to_owned(),
        );
    }
    if let Some(before) = filter.expiring_before_ms {
        let p = next(Arg::Int(before), &mut args);
        clauses.push(format!("(n.expires_at <= {p} AND n.state <> 'revoked')"));
    }
    if let Some(since) = filter.unused_since_ms {
        let p = next(Arg::Int(since), &mut args);
        clauses.push(format!(
            "(COALESCE(n.last_used_at, n.created_at) <= {p} AND n.state <> 'revoked')"
        ));
    }
    if let Some(owner) = filter.owner {
        let p = next(Arg::Text(owner.to_string()), &mut args);
        clauses.push(format!(
            "EXISTS (SELECT 1 FROM nhi_owners oo WHERE oo.nhi_id = n.id AND oo.human_id = {p})"
        ));
    }
    if let Some(ids) = &filter.ids {
        let marks: Vec<String> = ids
            .iter()
            .map(|id| next(Arg::Text(id.to_string()), &mut args))
            .collect();
        clauses.push(if marks.is_empty() {
            "FALSE".to_owned()
        } else {
            format!("n.id IN ({})", marks.join(", "))
        });
    }
    if let Some(search) = &filter.search {
        let p = next(Arg::Text(contains_pattern(search)), &mut args);
        clauses.push(format!(
            "(LOWER(n.name) LIKE {p} ESCAPE '\\' OR LOWER(n.purpose) LIKE {p} ESCAPE '\\')"
        ));
    }
    let filter_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (filter_sql, args)
}

/// How many identities the filter matches (its page aside).
pub(super) fn nhi_count_query(filter: &NhiFilter) -> (String, Vec<Arg>) {
    let (filter_sql, args) = nhi_clauses(filter);
    (format!("SELECT COUNT(*) FROM nhis n {filter_sql}"), args)
}

/// One row per (identity, owner); identities without owners come with NULL owner columns.
pub(super) fn nhi_query(filter: &NhiFilter) -> (String, Vec<Arg>) {
    let (mut filter_sql, mut args) = nhi_clauses(filter);
    if let Some((offset, limit)) = filter.page {
        args.push(Arg::Int(limit));
        let limit = args.len();
        args.push(Arg::Int(offset));
        let offset = args.len();
        filter_sql = format!(
            "WHERE n.id IN (SELECT n.id FROM nhis n {filter_sql} \
             ORDER BY n.name, n.id LIMIT ${limit} OFFSET ${offset})"
        );
    }
    let sql = format!(
        "SELECT n.id, n.kind, n.name, n.purpose, n.state, n.expires_at, n.model, n.created_by, \
         n.created_at, n.last_used_at, h.id AS owner_id, h.name AS owner_name, \
         h.email AS owner_email, h.active AS owner_active \
         FROM nhis n LEFT JOIN nhi_owners o ON o.nhi_id = n.id \
         LEFT JOIN humans h ON h.id = o.human_id {filter_sql} ORDER BY n.name, n.id, h.name"
    );
    (sql, args)
}

pub(super) fn group_nhis<R: Row>(rows: &[R]) -> Result<Vec<Nhi>, super::StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<bool>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| super::StoreError::Corrupt(format!("nhis.{what}"));
    let mut nhis: Vec<Nhi> = Vec::new();
    for row in rows {
        let id: NhiId = row
            .try_get::<String, _>("id")?
            .parse()
            .map_err(|_| corrupt("id"))?;
        if nhis.last().is_none_or(|last| last.id != id) {
            nhis.push(Nhi {
                id,
                kind: NhiKind::parse(&row.try_get::<String, _>("kind")?)
                    .map_err(|_| corrupt("kind"))?,
                name: row.try_get("name")?,
                purpose: row.try_get("purpose")?,
                state: NhiState::parse(&row.try_get::<String, _>("state")?)
                    .ok_or_else(|| corrupt("state"))?,
                expires_at: from_millis(row.try_get("expires_at")?),
                model: row.try_get("model")?,
                created_by: row
                    .try_get::<String, _>("created_by")?
                    .parse()
                    .map_err(|_| corrupt("created_by"))?,
                created_at: from_millis(row.try_get("created_at")?),
                last_used_at: row
                    .try_get::<Option<i64>, _>("last_used_at")?
                    .map(from_millis),
                owners: Vec::new(),
            });
        }
        if let Some(owner_id) = row.try_get::<Option<String>, _>("owner_id")? {
            let owner = Owner {
                id: owner_id.parse().map_err(|_| corrupt("owner"))?,
                name: row
                    .try_get::<Option<String>, _>("owner_name")?
                    .unwrap_or_default(),
                email: row.try_get("owner_email")?,
                active: row
                    .try_get::<Option<bool>, _>("owner_active")?
                    .unwrap_or(false),
            };
            if let Some(last) = nhis.last_mut() {
                last.owners.push(owner);
            }
        }
    }
    Ok(nhis)
}
