use super::effects::effects_sql;
use super::gate::gate_sql;
use super::integrity::integrity_sql;
use super::sql::shared_sql;
use super::throttle::throttle_sql;
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
        let connect = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(e.to_string()))?
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

shared_sql!(SqliteStore, SqliteWriteTx, Sqlite);
integrity_sql!(SqliteStore, SqliteWriteTx);
throttle_sql!(SqliteStore, SqliteWriteTx);
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
