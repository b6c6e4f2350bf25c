//! What a database holds, table by table, to tell whether a request wrote anything. Sessions
//! and rate-limit counters are bookkeeping every request may touch; everything else is state.

use sqlx::Row;
use std::collections::BTreeMap;
use std::path::Path;

/// Not compared. Investigate's subject index and its mark are among them: derived from
/// decisions already on record, they follow those by a worker at any moment, and a subject
/// search catches them up before it records itself.
const BOOKKEEPING: [&str; 5] = [
    "sessions",
    "throttles",
    "_sqlx_migrations",
    "subject_postings",
    "decision_index_mark",
];
/// What a refused command may leave: one ledger event flagging the attempt, and the notice
/// (with its email or chat copies) that tells security admins of it.
const LEDGER: [&str; 2] = ["audit_events", "ledger_head"];
const SIGNAL_NOTICES: [&str; 2] = ["notifications", "outbox"];

pub struct Fingerprint {
    tables: BTreeMap<String, String>,
    audit_events: i64,
}

#[derive(Debug)]
pub enum Writes {
    Nothing,
    /// Exactly one new ledger event and nothing else.
    Signal,
    Wrote {
        tables: Vec<String>,
        audit_events: i64,
    },
}

impl Writes {
    pub fn describe(&self) -> String {
        match self {
            Writes::Nothing => "nothing".to_owned(),
            Writes::Signal => "one ledger event".to_owned(),
            Writes::Wrote {
                tables,
                audit_events,
            } => format!(
                "tables {} changed, {audit_events} ledger events",
                tables.join(", ")
            ),
        }
    }
}

impl Fingerprint {
    pub async fn take(conn: &mut sqlx::SqliteConnection) -> Fingerprint {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let mut tables = BTreeMap::new();
        for name in names
            .into_iter()
            .filter(|n| !BOOKKEEPING.contains(&n.as_str()))
        {
            let columns: Vec<String> = sqlx::query(&format!("PRAGMA table_info(\"{name}\")"))
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|row| format!("quote(\"{}\")", row.get::<String, _>("name")))
                .collect();
            let content: Option<String> = sqlx::query_scalar(&format!(
                "SELECT group_concat(r, char(30)) FROM (SELECT {} AS r FROM \"{name}\" ORDER BY 1)",
                columns.join(" || char(31) || ")
            ))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
            tables.insert(name, content.unwrap_or_default());
        }
        let audit_events = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        Fingerprint {
            tables,
            audit_events,
        }
    }

    pub fn compare(&self, after: &Fingerprint) -> Writes {
        let changed: Vec<String> = self
            .tables
            .iter()
            .filter(|(name, content)| after.tables.get(*name) != Some(content))
            .map(|(name, _)| name.clone())
            .collect();
        let added = after.audit_events - self.audit_events;
        if changed.is_empty() {
            Writes::Nothing
        } else if added == 1
            && changed.iter().any(|t| t == "audit_events")
            && changed
                .iter()
                .all(|t| LEDGER.contains(&t.as_str()) || SIGNAL_NOTICES.contains(&t.as_str()))
            // Outbox rows only as copies of a notice, never on their own (a queued call).
            && (!changed.iter().any(|t| t == "outbox") || changed.iter().any(|t| t == "notifications"))
        {
            Writes::Signal
        } else {
            Writes::Wrote {
                tables: changed,
                audit_events: added,
            }
        }
    }
}

/// Removes a database and its journal files.
pub fn remove(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}
