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
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use std::str::FromStr;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// The production backend: several stateless console processes can share one database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let connect =
            PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self { pool })
    }
}

shared_sql!(PostgresStore, PostgresWriteTx, Postgres);
investigate_sql!(PostgresStore);
registry_reads_sql!(PostgresStore);

/// How PostgreSQL reads the subjects of an answer and the citations of a provenance (JSON).
impl super::investigate::InvestigateIndex for PostgresWriteTx {
    const DECISION_SUBJECTS: &'static str =
        "INSERT INTO decision_subjects (subject, decided_at, decision_id) \
         SELECT s ->> 'subject', $2, $3 \
         FROM jsonb_array_elements(($1::jsonb -> 'allowed_subjects') \
                                   || ($1::jsonb -> 'denied_subjects')) s";
    const CITATIONS: &'static str =
        "INSERT INTO change_citations (decision_id, change_id, version) \
         SELECT DISTINCT c, $2, $3 \
         FROM jsonb_array_elements_text($1::jsonb -> 'access_decisions') c";
}
integrity_sql!(PostgresStore, PostgresWriteTx);
session_writes_sql!(PostgresWriteTx);
person_link_sql!(PostgresWriteTx);
throttle_sql!(PostgresStore, PostgresWriteTx);
verifiable_log_sql!(PostgresStore, PostgresWriteTx);
compliance_sql!(PostgresStore);
audit_search_sql!(PostgresStore);
auditor_tokens_sql!(PostgresStore, PostgresWriteTx);
agent_drafts_sql!(PostgresStore, PostgresWriteTx);
delegations_sql!(PostgresStore, PostgresWriteTx);
variants_sql!(PostgresStore, PostgresWriteTx);
flow_sql!(PostgresStore);
templates_sql!(PostgresStore, PostgresWriteTx);
notifications_sql!(PostgresStore, PostgresWriteTx);
gate_sql!(PostgresStore, PostgresWriteTx, Postgres);
effects_sql!(PostgresStore, PostgresWriteTx, Postgres, true);

impl PostgresStore {
    fn backend_kind(&self) -> Backend {
        Backend::Postgres
    }

    async fn run_migrations(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))
    }

    async fn check_readiness(&self) -> Result<Readiness, StoreError> {
        let table: Option<String> =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
                .fetch_one(&self.pool)
                .await?;
        let applied_migrations = if table.is_some() {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?
        } else {
            0
        };
        Ok(Readiness {
            applied_migrations,
            known_migrations: i64::try_from(MIGRATOR.iter().count()).unwrap_or(i64::MAX),
        })
    }
}
