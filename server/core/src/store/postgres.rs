use super::agent_drafts::agent_drafts_sql;
use super::audit_search::audit_search_sql;
use super::auditor_tokens::auditor_tokens_sql;
use super::compliance::compliance_sql;
use super::delegations::delegations_sql;
use super::directory::directory_sql;
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
use super::subject_index::subject_index_sql;
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
subject_index_sql!(PostgresStore);

/// How PostgreSQL reads the citations of a provenance (JSON).
impl super::investigate::InvestigateIndex for PostgresWriteTx {
    const CITATIONS: &'static str =
        "INSERT INTO change_citations (decision_id, change_id, version) \
         SELECT DISTINCT c, $2, $3 \
         FROM jsonb_array_elements_text($1::jsonb -> 'access_decisions') c";
}
/// How PostgreSQL keeps posting lists: arrays of ledger sequences.
impl super::subject_index::SubjectIndexSql for PostgresStore {
    const SUBJECT_DECISIONS: &'static str =
        super::subject_index::subject_decisions_sql!("unnest(p.seqs) AS j(value)");
}
impl PostgresStore {
    /// A batch's posting lists in one statement, its columns as arrays (each list as the text
    /// of an array: `UNNEST` would flatten an array of arrays).
    async fn insert_postings(
        conn: &mut sqlx::PgConnection,
        postings: &[super::subject_index::Posting],
    ) -> Result<(), StoreError> {
        // Every list's sequences in one flat array, each list a slice of it: bound in binary,
        // with no text for the server to parse into half a million numbers.
        let mut flat = Vec::with_capacity(postings.iter().map(|p| p.seqs.len()).sum());
        let mut starts = Vec::with_capacity(postings.len());
        for posting in postings {
            starts.push(i32::try_from(flat.len() + 1).unwrap_or(i32::MAX));
            flat.extend_from_slice(&posting.seqs);
        }
        sqlx::query(
            "INSERT INTO subject_postings (subject, first_seq, decisions, seqs) \
             SELECT s, f, n, ($4::bigint[])[o : o + n - 1] \
             FROM UNNEST($1::text[], $2::bigint[], $3::int[], $5::int[]) AS p(s, f, n, o)",
        )
        .bind(
            postings
                .iter()
                .map(|p| p.subject.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            postings
                .iter()
                .map(super::subject_index::Posting::first_seq)
                .collect::<Vec<_>>(),
        )
        .bind(
            postings
                .iter()
                .map(super::subject_index::Posting::decisions)
                .collect::<Vec<_>>(),
        )
        .bind(flat)
        .bind(starts)
        .execute(conn)
        .await?;
        Ok(())
    }
}

impl PostgresWriteTx {
    /// Each batch as one statement per table, its columns as arrays.
    async fn insert_decision_batch(
        &mut self,
        rows: &[&super::AccessDecisionRow],
        events: &[crate::ledger::StoredEvent],
    ) -> Result<(), StoreError> {
        let text = |f: &dyn Fn(&super::AccessDecisionRow) -> String| -> Vec<String> {
            rows.iter().map(|r| f(r)).collect()
        };
        sqlx::query(
            "INSERT INTO access_decisions (id, nhi_id, workflow_id, step_id, purpose, \
             request_json, response_json, decided_at, expires_at) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                                  $6::text[], $7::text[], $8::bigint[], $9::bigint[])",
        )
        .bind(text(&|r| r.id.clone()))
        .bind(text(&|r| r.nhi.to_string()))
        .bind(text(&|r| r.workflow.to_string()))
        .bind(text(&|r| r.step.to_string()))
        .bind(text(&|r| r.purpose.clone()))
        .bind(
            rows.iter()
                .map(|r| r.request_json.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.response_json.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.decided_at_ms).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.expires_at_ms).collect::<Vec<_>>())
        .execute(&mut *self.tx)
        .await?;
        let column = |f: &dyn Fn(&crate::ledger::StoredEvent) -> &str| -> Vec<&str> {
            events.iter().map(f).collect()
        };
        sqlx::query(
            "INSERT INTO audit_events (seq, at_ms, actor_ref, actor_label, action, subject, \
             details, prev_hash, hash) \
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], \
                                  $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])",
        )
        .bind(events.iter().map(|e| e.seq).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.at_ms).collect::<Vec<_>>())
        .bind(column(&|e| &e.actor_ref))
        .bind(column(&|e| &e.actor_label))
        .bind(column(&|e| &e.action))
        .bind(column(&|e| &e.subject))
        .bind(column(&|e| &e.details))
        .bind(column(&|e| &e.prev_hash))
        .bind(column(&|e| &e.hash))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
#[async_trait::async_trait]
impl super::consent::ConsentEventsFor for PostgresStore {
    async fn consent_tuples(
        &self,
        subjects: &[String],
        purpose: &str,
    ) -> Result<Vec<super::consent::EventTuple>, StoreError> {
        // A join with the array's elements: an index lookup or a hash per subject, where
        // `subject = ANY($1)` on a scan compares every record with every subject asked.
        Ok(sqlx::query_as(
            "SELECT c.subject, CAST(CASE WHEN c.purpose = $2 THEN 1 ELSE 0 END AS BIGINT), \
             c.legal_basis, c.granted_at, c.withdrawn_at \
             FROM unnest($1::text[]) AS asked (subject) \
             JOIN consent_records c ON c.subject = asked.subject",
        )
        .bind(subjects)
        .bind(purpose)
        .fetch_all(&self.pool)
        .await?)
    }
}
integrity_sql!(PostgresStore, PostgresWriteTx);
session_writes_sql!(PostgresWriteTx);
person_link_sql!(PostgresWriteTx);
throttle_sql!(PostgresStore, PostgresWriteTx);
verifiable_log_sql!(PostgresStore, PostgresWriteTx);
compliance_sql!(PostgresStore);
audit_search_sql!(PostgresStore);
auditor_tokens_sql!(PostgresStore, PostgresWriteTx);
directory_sql!(PostgresStore, PostgresWriteTx);
agent_drafts_sql!(PostgresStore, PostgresWriteTx);
delegations_sql!(PostgresStore, PostgresWriteTx);
variants_sql!(PostgresStore, PostgresWriteTx);
flow_sql!(PostgresStore);
templates_sql!(PostgresStore, PostgresWriteTx);
notifications_sql!(PostgresStore, PostgresWriteTx);
gate_sql!(PostgresStore, PostgresWriteTx, Postgres);
effects_sql!(PostgresStore, PostgresWriteTx, Postgres, true);

impl PostgresStore {
    /// PostgreSQL's writers wait on the ledger head's row lock; they share the pool.
    fn write_pool(&self) -> &PgPool {
        &self.pool
    }
}

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
