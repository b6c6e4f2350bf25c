//! The incident-tracing indexes: written beside what they index, and rebuilt by migration 0025
//! from the answers and provenance on record exactly as they were written — on SQLite and
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::drafting::{decide, draft, provenance};
use crate::common::gate::gate;
use crate::common::{self, TestDb};
use countersign_core::services::AccessRequest;
use sqlx::Connection;

type Subjects = Vec<(String, i64, String)>;
type Citations = Vec<(String, String, i64)>;

const SUBJECTS: &str =
    "SELECT subject, decided_at, decision_id FROM decision_subjects ORDER BY 1, 2, 3";
const CITATIONS: &str =
    "SELECT decision_id, change_id, version FROM change_citations ORDER BY 1, 2, 3";
/// The database as it was before migration 0025.
const UNDO: [&str; 4] = [
    "DROP TABLE decision_subjects",
    "DROP TABLE change_citations",
    "DROP INDEX change_requests_target_ref",
    "DELETE FROM _sqlx_migrations WHERE version = 25",
];

async fn rows_and_undo(db: &TestDb, undo: bool) -> (Subjects, Citations) {
    if db.name == "sqlite" {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        let rows = (
            sqlx::query_as(SUBJECTS).fetch_all(&mut conn).await.unwrap(),
            sqlx::query_as(CITATIONS)
                .fetch_all(&mut conn)
                .await
                .unwrap(),
        );
        for sql in UNDO.iter().filter(|_| undo) {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        rows
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let rows = (
            sqlx::query_as(SUBJECTS).fetch_all(&mut conn).await.unwrap(),
            sqlx::query_as(CITATIONS)
                .fetch_all(&mut conn)
                .await
                .unwrap(),
        );
        for sql in UNDO.iter().filter(|_| undo) {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        rows
    }
}

#[tokio::test]
async fn migration_0025_rebuilds_both_indexes_exactly_as_they_are_written() {
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let g = gate(&services, &db).await;
        // Subjects as an agent may send them (spaces around one), allowed and denied.
        let spaced = services
            .decide_access(
                &g.session.drafter,
                AccessRequest {
                    purpose: "spring_offer".into(),
                    fields: vec!["email".into()],
                    subjects: vec![" crm-1 ".into(), "crm-2".into()],
                },
            )
            .await
            .unwrap()
            .decision_id;
        let other = decide(&services, &g.session.drafter).await;
        // A version citing two decisions.
        let change = services
            .submit_draft(
                &g.session.drafter,
                draft(&g.session, provenance(&[&spaced, &other], &["email"])),
            )
            .await
            .unwrap();

        let (subjects, citations) = rows_and_undo(&db, true).await;
        // Live writes index the subjects the answer names (trimmed), every decision once.
        let named = |decision: &str| -> Vec<&str> {
            subjects
                .iter()
                .filter(|(_, _, d)| d == decision)
                .map(|(s, _, _)| s.as_str())
                .collect()
        };
        assert_eq!(named(&spaced), vec!["crm-1", "crm-2"], "{}", db.name);
        assert_eq!(named(&other), vec!["crm-1"]);
        let cited: Vec<&str> = citations
            .iter()
            .filter(|(_, c, _)| *c == change.id)
            .map(|(d, _, _)| d.as_str())
            .collect();
        let mut expected = vec![spaced.as_str(), other.as_str()];
        expected.sort_unstable();
        assert_eq!(cited, expected);
        assert!(citations.iter().any(|(_, c, _)| *c == g.change.id));

        // The migration, run again on what is on record, writes the same rows.
        db.store.migrate().await.unwrap();
        let rebuilt = rows_and_undo(&db, false).await;
        assert_eq!(rebuilt, (subjects, citations), "{}", db.name);
    }
}
