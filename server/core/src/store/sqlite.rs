use super::agent_drafts::agent_drafts_sql;
use super::audit_search::audit_search_sql;
use super::auditor_tokens::auditor_tokens_sql;
use super::compliance::compliance_sql;
use super::delegations::delegations_sql;
use super::effects::effects_sql;
use super::flow::flow_sql;
use super::gate::gate_sql;
use super::integrity::integrity_sql;
use super::investigate::investigate_sql;
use super::notifications::notifications_sql;
use super::person_link::person_link_sql;
use super::registry_reads::registry_reads_sql;
use super::session_writes::session_writes_sql;
use super::sql::shared_sql;
use super::templates::templates_sql;
use super::throttle::throttle_sql;
use super::variants::variants_sql;
use super::verifiable_log::verifiable_log_sql;
use super::{Backend, Readiness, StoreError, StoreOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// The embedded default: one file, WAL, foreign keys on, a busy timeout so writers queue.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let connect =
            SqliteConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
        if !url.contains(":memory:") && !url.contains("mode=memory") {
            owner_only_file(connect.get_filename())?;
        }
        let connect = connect
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.min(8))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self { pool })
    }
}

/// The database holds the ledger, sessions and hashed credentials: it is created readable by its
/// owner only (SQLite gives its journal files the same mode), and an existing file that others
/// may read or write is refused rather than used.
fn owner_only_file(path: &std::path::Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(StoreError::UnsafePermissions(format!(
                        "{} is open to other users (mode {mode:o}); restrict it to its owner \
                         with chmod 600 {0}",
                        path.display()
                    )));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| {
                        StoreError::Unavailable(format!("cannot create {}: {e}", path.display()))
                    })?;
            }
            Err(e) => {
                return Err(StoreError::Unavailable(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

shared_sql!(SqliteStore, SqliteWriteTx, Sqlite);
investigate_sql!(SqliteStore);
registry_reads_sql!(SqliteStore);

/// How SQLite reads the subjects of an answer and the citations of a provenance (JSON).
impl super::investigate::InvestigateIndex for SqliteWriteTx {
    const DECISION_SUBJECTS: &'static str =
        "INSERT INTO decision_subjects (subject, decided_at, decision_id) \
         SELECT json_extract(s.value, '$.subject'), $2, $3 \
         FROM json_each($1, '$.allowed_subjects') s \
         UNION ALL \
         SELECT json_extract(s.value, '$.subject'), $2, $3 \
         FROM json_each($1, '$.denied_subjects') s";
    const CITATIONS: &'static str =
        "INSERT INTO change_citations (decision_id, change_id, version) \
         SELECT DISTINCT c.value, $2, $3 FROM json_each($1, '$.access_decisions') c";
}
integrity_sql!(SqliteStore, SqliteWriteTx);
session_writes_sql!(SqliteWriteTx);
person_link_sql!(SqliteWriteTx);
throttle_sql!(SqliteStore, SqliteWriteTx);
verifiable_log_sql!(SqliteStore, SqliteWriteTx);
compliance_sql!(SqliteStore);
audit_search_sql!(SqliteStore);
auditor_tokens_sql!(SqliteStore, SqliteWriteTx);
agent_drafts_sql!(SqliteStore, SqliteWriteTx);
delegations_sql!(SqliteStore, SqliteWriteTx);
variants_sql!(SqliteStore, SqliteWriteTx);
flow_sql!(SqliteStore);
templates_sql!(SqliteStore, SqliteWriteTx);
notifications_sql!(SqliteStore, SqliteWriteTx);
gate_sql!(SqliteStore, SqliteWriteTx, Sqlite);
effects_sql!(SqliteStore, SqliteWriteTx, Sqlite, false);

impl SqliteStore {
    fn backend_kind(&self) -> Backend {
        Backend::Sqlite
    }

    async fn run_migrations(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))
    }

    async fn check_readiness(&self) -> Result<Readiness, StoreError> {
        readiness(&self.pool).await
    }
}

async fn readiness(pool: &SqlitePool) -> Result<Readiness, StoreError> {
    let table_exists: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(pool)
    .await?;
    let applied_migrations = if table_exists == 1 {
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?
    } else {
        0
    };
    Ok(Readiness {
        applied_migrations,
        known_migrations: i64::try_from(MIGRATOR.iter().count()).unwrap_or(i64::MAX),
    })
}
