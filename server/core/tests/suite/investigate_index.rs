//! The incident-tracing indexes: citations written beside what they cite, subjects behind the
//! decisions as posting lists (and caught up by every subject search), both rebuilt by
//! migrations 0025 and 0031 from the answers and provenance on record exactly as they were
//! written — on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::drafting::{decide, draft, provenance};
use crate::common::gate::gate;
use crate::common::{self, TestDb};
use countersign_core::domain::Role;
use countersign_core::services::AccessRequest;
use sqlx::Connection;

type Subjects = Vec<(String, String)>;
type Citations = Vec<(String, String, i64)>;

/// Every (subject, decision) the posting lists hold.
const SQLITE_SUBJECTS: &str = "SELECT p.subject, substr(e.subject, 10) \
     FROM subject_postings p, json_each(p.seqs) j JOIN audit_events e ON e.seq = j.value \
     ORDER BY 1, 2";
const POSTGRES_SUBJECTS: &str = "SELECT p.subject::text, substr(e.subject, 10) \
     FROM subject_postings p CROSS JOIN LATERAL unnest(p.seqs) q \
     JOIN audit_events e ON e.seq = q ORDER BY 1, 2";
const CITATIONS: &str =
    "SELECT decision_id, change_id, version FROM change_citations ORDER BY 1, 2, 3";
/// The database as it was before migration 0025 (and 0031, which regroups what 0025 wrote).
const UNDO: [&str; 5] = [
    "DROP TABLE subject_postings",
    "DROP TABLE change_citations",
    "DROP INDEX change_requests_target_ref",
    "DELETE FROM _sqlx_migrations WHERE version = 25",
    "DELETE FROM _sqlx_migrations WHERE version = 31",
];

async fn rows_and_undo(db: &TestDb, undo: bool) -> (Subjects, Citations) {
    if db.name == "sqlite" {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        let rows = (
            sqlx::query_as(SQLITE_SUBJECTS)
                .fetch_all(&mut conn)
                .await
                .unwrap(),
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
            sqlx::query_as(POSTGRES_SUBJECTS)
                .fetch_all(&mut conn)
                .await
                .unwrap(),
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
async fn migrations_0025_and_0031_rebuild_both_indexes_exactly_as_they_are_written() {
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

        services.index_decision_subjects().await.unwrap();
        let (subjects, citations) = rows_and_undo(&db, true).await;
        // Live writes index the subjects the answer names (trimmed), every decision once.
        let named = |decision: &str| -> Vec<&str> {
            subjects
                .iter()
                .filter(|(_, d)| d == decision)
                .map(|(s, _)| s.as_str())
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

async fn indexed(db: &TestDb) -> Vec<String> {
    let (subjects, _) = rows_and_undo(db, false).await;
    subjects.into_iter().map(|(_, d)| d).collect()
}

#[tokio::test]
async fn subjects_reach_the_index_behind_the_decisions_and_a_search_never_misses_one() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let g = gate(&services, &db).await;
        services.index_decision_subjects().await.unwrap();
        let ask = |subject: &str| AccessRequest {
            purpose: "spring_offer".into(),
            fields: vec!["email".into()],
            subjects: vec![subject.into(), "crm-2".into()],
        };
        let mut decided = Vec::new();
        for subject in ["crm-1", "crm-3", "crm-1"] {
            let answer = services
                .decide_access(&g.session.drafter, ask(subject))
                .await
                .unwrap();
            decided.push(answer.decision_id);
        }
        // Committed, not yet indexed: the decision's own transaction no longer writes them.
        let before = indexed(&db).await;
        assert!(decided.iter().all(|d| !before.contains(d)), "{}", db.name);

        // Batches of two: the mark stops after the second decision, then reaches the head.
        let first = db.store.index_decision_subjects(2, None).await.unwrap();
        assert_eq!(first.decisions, 2, "{}", db.name);
        assert!(!first.reached_bound(), "{}", db.name);
        let half = indexed(&db).await;
        assert!(half.contains(&decided[0]) && half.contains(&decided[1]));
        assert!(!half.contains(&decided[2]), "{}", db.name);
        // A bound below the last decision: a catch-up never goes past the moment it began.
        let held = db
            .store
            .index_decision_subjects(2, Some(first.mark))
            .await
            .unwrap();
        assert_eq!((held.decisions, held.mark), (0, first.mark), "{}", db.name);
        assert!(held.reached_bound(), "{}", db.name);
        let second = db.store.index_decision_subjects(2, None).await.unwrap();
        assert_eq!(second.decisions, 1, "{}", db.name);
        assert!(second.reached_bound(), "{}", db.name);
        let third = db.store.index_decision_subjects(2, None).await.unwrap();
        assert_eq!(third.decisions, 0, "{}", db.name);
        let all = indexed(&db).await;
        for d in &decided {
            // Each decision's two subjects, once.
            assert_eq!(all.iter().filter(|x| *x == d).count(), 2, "{}", db.name);
        }

        // A decision made just before a search is in its answer: the search catches up first.
        clock.advance(chrono::Duration::seconds(1));
        let last = services
            .decide_access(&g.session.drafter, ask("crm-1"))
            .await
            .unwrap()
            .decision_id;
        let admin = common::signed_in(&services, "sec-ix", &[Role::SecurityAdmin]).await;
        let found = services
            .investigate(&admin, "subject", "crm-1", None)
            .await
            .unwrap();
        let trace = found.subject.unwrap();
        let ids: Vec<&str> = trace.decisions.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids.first(), Some(&last.as_str()), "{}", db.name);
        assert!(ids.contains(&decided[0].as_str()) && ids.contains(&decided[2].as_str()));
        assert!(
            !ids.contains(&decided[1].as_str()),
            "crm-3's decision is not crm-1's"
        );
    }
}

#[tokio::test]
async fn indexers_racing_each_other_index_every_decision_once() {
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let g = gate(&services, &db).await;
        services.index_decision_subjects().await.unwrap();
        let mut decided = Vec::new();
        for n in 0..24 {
            let answer = services
                .decide_access(
                    &g.session.drafter,
                    AccessRequest {
                        purpose: "spring_offer".into(),
                        fields: vec!["email".into()],
                        subjects: vec![format!("crm-race-{}", n % 5), "crm-2".into()],
                    },
                )
                .await
                .unwrap();
            decided.push(answer.decision_id);
        }
        // Two indexers with different batch sizes, each reading its batch before it locks the
        // mark: a batch read from a mark the other has moved is read again, never written twice.
        let racer = |size: i64| {
            let store = db.store.clone();
            async move {
                loop {
                    let batch = store.index_decision_subjects(size, None).await.unwrap();
                    if batch.reached_bound() && batch.decisions == 0 {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
            }
        };
        tokio::join!(racer(3), racer(5), racer(2));
        let all = indexed(&db).await;
        for d in &decided {
            assert_eq!(all.iter().filter(|x| *x == d).count(), 2, "{}", db.name);
        }
    }
}
