//! The ledger filtered for auditors, newest first in keyset pages (`seq < before`), each filter
//! on an index: actors by `(actor_ref, seq)`, actions by `(action, seq)`, subjects by
//! `(subject, seq)`, time by `at_ms`. Shared by both backends through `audit_search_sql!`.

use super::StoreError;
use async_trait::async_trait;

/// What to find; every part that is set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Any of these actor references.
    pub actors: Vec<String>,
    /// An exact action, or a prefix ending in `.` (every action of that kind).
    pub action: Option<String>,
    pub subject: Option<String>,
    pub from_ms: Option<i64>,
    /// Exclusive.
    pub to_ms: Option<i64>,
    /// Refusals, failures, blocks and signals only.
    pub flagged: bool,
}

#[async_trait]
pub trait AuditSearch {
    /// Up to `limit` matching events older than `before`, newest first.
    async fn events_matching(
        &self,
        filter: &EventFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<crate::ledger::StoredEvent>, StoreError>;
}

pub(super) enum Arg {
    Int(i64),
    Text(String),
}

/// The query and its arguments, in order.
pub(super) fn query(filter: &EventFilter, before: Option<i64>, limit: i64) -> (String, Vec<Arg>) {
    let mut clauses = Vec::new();
    let mut args = Vec::new();
    let next = |arg: Arg, args: &mut Vec<Arg>| {
        args.push(arg);
        format!("${}", args.len())
    };
    if !filter.actors.is_empty() {
        let places: Vec<String> = filter
            .actors
            .iter()
            .map(|a| next(Arg::Text(a.clone()), &mut args))
            .collect();
        clauses.push(format!("actor_ref IN ({})", places.join(", ")));
    }
    match filter.action.as_deref() {
        Some(prefix) if prefix.ends_with('.') => {
            // A range, so the index serves it on both backends ('/' follows '.').
            let low = next(Arg::Text(prefix.to_owned()), &mut args);
            let high = next(
                Arg::Text(format!("{}/", prefix.trim_end_matches('.'))),
                &mut args,
            );
            clauses.push(format!("action >= {low} AND action < {high}"));
        }
        Some(action) => {
            let p = next(Arg::Text(action.to_owned()), &mut args);
            clauses.push(format!("action = {p}"));
        }
        None => {}
    }
    if let Some(subject) = &filter.subject {
        let p = next(Arg::Text(subject.clone()), &mut args);
        clauses.push(format!("subject = {p}"));
    }
    if let Some(from) = filter.from_ms {
        let p = next(Arg::Int(from), &mut args);
        clauses.push(format!("at_ms >= {p}"));
    }
    if let Some(to) = filter.to_ms {
        let p = next(Arg::Int(to), &mut args);
        clauses.push(format!("at_ms < {p}"));
    }
    if filter.flagged {
        clauses.push(
            "(action LIKE '%\\_failed' ESCAPE '\\' OR action LIKE '%denied%' \
             OR action LIKE '%\\_blocked' ESCAPE '\\' OR action LIKE '%refused%' \
             OR details LIKE '%\"signal\":\"possible\\_%' ESCAPE '\\')"
                .to_owned(),
        );
    }
    if let Some(before) = before {
        let p = next(Arg::Int(before), &mut args);
        clauses.push(format!("seq < {p}"));
    }
    let limit = next(Arg::Int(limit), &mut args);
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (
        format!(
            "SELECT {} FROM audit_events {filter} ORDER BY seq DESC LIMIT {limit}",
            super::sql::EVENT_COLUMNS
        ),
        args,
    )
}

macro_rules! audit_search_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl super::audit_search::AuditSearch for $store {
            async fn events_matching(
                &self,
                filter: &super::audit_search::EventFilter,
                before: Option<i64>,
                limit: i64,
            ) -> Result<Vec<crate::ledger::StoredEvent>, crate::store::StoreError> {
                let (sql, args) = super::audit_search::query(filter, before, limit);
                let mut query = sqlx::query(&sql);
                for arg in args {
                    query = match arg {
                        super::audit_search::Arg::Int(n) => query.bind(n),
                        super::audit_search::Arg::Text(t) => query.bind(t),
                    };
                }
                let rows = query.fetch_all(&self.pool).await?;
                rows.iter().map(super::sql::event_from_row).collect()
            }
        }
    };
}

pub(super) use audit_search_sql;
