//! The Audit page's search: filters people type (a name or a reference, an action or a kind of
//! action, a subject, dates, flagged only), checked and turned into an indexed query; each page
//! comes with the names behind the references it shows.

use super::Services;
use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::ledger::StoredEvent;
use crate::policy::{Action, Resource};
use crate::store::{EventFilter, NhiFilter};
use chrono::{DateTime, NaiveDate};
use std::collections::{BTreeMap, BTreeSet};

/// The filters as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// A person's or identity's name, or a reference (`human:…`, `nhi:…`).
    pub actor: String,
    /// `change.approved`, or a kind: `change.`
    pub action: String,
    /// A reference: `change:…`, `workflow:…`, `nhi:…`.
    pub subject: String,
    /// `YYYY-MM-DD` or RFC 3339.
    pub from: String,
    /// `YYYY-MM-DD` (that whole day included) or RFC 3339.
    pub to: String,
    pub flagged: bool,
}

/// One page of matching events, newest first.
#[derive(Debug, Clone)]
pub struct AuditResults {
    pub events: Vec<StoredEvent>,
    pub next_before: Option<i64>,
    /// Events in the whole ledger.
    pub total: i64,
    /// The names behind the actor and subject references shown.
    pub names: BTreeMap<String, String>,
    /// The latest signed checkpoint's tree size: events up to it are provable now.
    pub checkpoint_size: Option<u64>,
}

fn when(field: &'static str, raw: &str, end_of_day: bool) -> CoreResult<Option<i64>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(at.timestamp_millis()));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        CoreError::invalid(
            field,
            "a date (2026-12-01) or a time (2026-12-01T09:00:00Z)",
        )
    })?;
    let day = if end_of_day {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(Some(
        day.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
            .unwrap_or(0),
    ))
}

fn is_reference(raw: &str) -> bool {
    raw.split_once(':').is_some_and(|(kind, rest)| {
        !kind.is_empty()
            && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            && !rest.is_empty()
            && !rest.starts_with('/')
    })
}

impl Services {
    /// Checks the filters and turns them into a query; a filter that cannot match names why.
    pub async fn audit_filter(&self, query: &AuditQuery) -> CoreResult<EventFilter> {
        let mut filter = EventFilter {
            flagged: query.flagged,
            ..EventFilter::default()
        };
        let actor = query.actor.trim();
        if actor.chars().count() > 200 {
            return Err(CoreError::invalid("actor", "at most 200 characters"));
        }
        if !actor.is_empty() {
            if is_reference(actor) {
                filter.actors.push(actor.to_owned());
            } else {
                let wanted = actor.to_lowercase();
                for human in self.store.humans().await? {
                    if human.name.to_lowercase() == wanted {
                        filter.actors.push(human.id.reference());
                    }
                }
                for nhi in self.store.nhis(&NhiFilter::default()).await? {
                    if nhi.name.to_lowercase() == wanted {
                        filter.actors.push(nhi.id.reference());
                    }
                }
                if wanted == "countersign" {
                    filter.actors.push(Actor::System.reference());
                }
                if filter.actors.is_empty() {
                    return Err(CoreError::invalid(
                        "actor",
                        format!("no person or identity is called \u{201c}{actor}\u{201d}; give a name or a reference such as human:… or nhi:…"),
                    ));
                }
            }
        }
        let action = query.action.trim();
        if !action.is_empty() {
            if action.len() > 100
                || !action
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.')
            {
                return Err(CoreError::invalid(
                    "action",
                    "an action such as change.approved, or a kind such as change.",
                ));
            }
            filter.action = Some(action.to_owned());
        }
        let subject = query.subject.trim();
        if !subject.is_empty() {
            if subject.len() > 200 || !is_reference(subject) {
                return Err(CoreError::invalid(
                    "subject",
                    "a reference such as change:…, workflow:… or nhi:…",
                ));
            }
            filter.subject = Some(subject.to_owned());
        }
        filter.from_ms = when("from", &query.from, false)?;
        filter.to_ms = when("to", &query.to, true)?;
        if let (Some(from), Some(to)) = (filter.from_ms, filter.to_ms) {
            if from >= to {
                return Err(CoreError::invalid("to", "must be after from"));
            }
        }
        Ok(filter)
    }

    /// Matching events older than `before`, newest first (for pages and exports).
    pub async fn events_matching(
        &self,
        actor: &Actor,
        filter: &EventFilter,
        before: Option<i64>,
        limit: i64,
    ) -> CoreResult<Vec<StoredEvent>> {
        self.authorize(actor, Action::ViewAudit, &Resource::Ledger)?;
        if before.is_some_and(|b| b < 1) {
            return Err(CoreError::invalid(
                "before",
                "must be a positive sequence number",
            ));
        }
        Ok(self.store.events_matching(filter, before, limit).await?)
    }

    /// One page of the ledger as filtered, with the names behind its references.
    #[tracing::instrument(skip_all)]
    pub async fn audit_search(
        &self,
        actor: &Actor,
        query: &AuditQuery,
        before: Option<i64>,
        limit: i64,
    ) -> CoreResult<AuditResults> {
        self.authorize(actor, Action::ViewAudit, &Resource::Ledger)?;
        if !(1..=super::audit::MAX_PAGE).contains(&limit) {
            return Err(CoreError::invalid(
                "limit",
                format!("must be between 1 and {}", super::audit::MAX_PAGE),
            ));
        }
        let filter = self.audit_filter(query).await?;
        let mut events = self
            .events_matching(actor, &filter, before, limit + 1)
            .await?;
        let more = events.len() as i64 > limit;
        events.truncate(usize::try_from(limit).unwrap_or(0));
        let next_before = if more {
            events.last().map(|e| e.seq)
        } else {
            None
        };
        let names = self.reference_names(&events).await?;
        Ok(AuditResults {
            next_before,
            total: self.store.event_count().await?,
            checkpoint_size: self.store.latest_checkpoint().await?.map(|c| c.tree_size),
            names,
            events,
        })
    }

    /// What the references in these events stand for now: people, identities, workflows,
    /// systems and changes by name.
    async fn reference_names(
        &self,
        events: &[StoredEvent],
    ) -> CoreResult<BTreeMap<String, String>> {
        let refs: BTreeSet<&str> = events
            .iter()
            .flat_map(|e| [e.actor_ref.as_str(), e.subject.as_str()])
            .collect();
        let wants = |kind: &str| refs.iter().any(|r| r.starts_with(kind));
        let mut names = BTreeMap::new();
        if wants("human:") {
            for human in self.store.humans().await? {
                names.insert(human.id.reference(), human.name);
            }
        }
        if wants("nhi:") {
            for nhi in self.store.nhis(&NhiFilter::default()).await? {
                names.insert(nhi.id.reference(), nhi.name);
            }
        }
        if wants("workflow:") {
            for workflow in self.store.workflows().await? {
                names.insert(workflow.id.reference(), workflow.name);
            }
        }
        if wants("system:") {
            for system in self.store.systems().await? {
                names.insert(system.id.reference(), system.name);
            }
        }
        for change in refs.iter().filter_map(|r| r.strip_prefix("change:")) {
            if let Some(found) = self.store.change(change).await? {
                names.insert(format!("change:{change}"), found.title);
            }
        }
        names.retain(|reference, _| refs.contains(reference.as_str()));
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_references_are_read_strictly() {
        assert_eq!(when("from", "", false).unwrap_or_default(), None);
        assert_eq!(
            when("from", "1970-01-02", false).unwrap_or_default(),
            Some(86_400_000)
        );
        assert_eq!(
            when("to", "1970-01-01", true).unwrap_or_default(),
            Some(86_400_000)
        );
        assert!(when("from", "yesterday", false).is_err());
        assert!(is_reference("change:0190"));
        assert!(!is_reference("Amira Haddad"));
        assert!(!is_reference("https://x"));
    }
}
