//! The approval gate on SQLite and PostgreSQL: evidence before approval, claims found and
//! judged, separation of duties, a quorum bound to the exact content, new versions voiding
//! sign-offs, every refusal with nothing written, and concurrent sign-offs ending consistent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::drafting::{decide, draft, provenance};
use common::gate::{complete_evidence, gate, sign};
use countersign_core::domain::{ClaimStatus, Role, SignoffStanding};
use countersign_core::services::{SignoffInput, VersionInput};
use countersign_core::{Actor, CoreError};

#[tokio::test]
async fn a_change_passes_the_gate_only_with_evidence_and_a_quorum_on_its_exact_content() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let g = gate(&services, &db).await;
        let hash = g.change.current_hash.clone();
        assert!(hash.starts_with("sha256:"), "{}", db.name);

        // The rules found the discount claim; evidence is incomplete, so approval is refused.
        let view = services.gate_view(&g.approver, &g.change.id).await.unwrap();
        assert_eq!(view.claims.len(), 1, "{}: {:?}", db.name, view.claims);
        assert!(view.claims[0].quote.contains("20% off"));
        assert!(view.claims[0]
            .rules
            .iter()
            .any(|r| r == "number-or-percentage"));
        assert_eq!(view.sign_as, [Role::Approver]);
        let seq = view
            .version_event_seq
            .expect("the version links to its ledger event");
        let written = db
            .store
            .events_page(Some(seq + 1), 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(
            (written.seq, written.action.as_str()),
            (seq, "change.drafted")
        );
        let problems = view.evidence.problems().join(" | ");
        assert!(problems.contains("Rollback plan"), "{problems}");
        assert!(
            problems.contains("1 claim is not substantiated"),
            "{problems}"
        );
        assert!(view.evidence.check("provenance").unwrap().passed());
        assert!(
            view.evidence.check("legal_basis").unwrap().passed(),
            "{problems}"
        );
        let before = db.store.event_count().await.unwrap();
        let refused = services
            .sign_off(
                &g.approver,
                &g.change.id,
                sign("approver", "approve", "", &hash),
            )
            .await
            .unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("approval needs complete evidence"),
            "{refused}"
        );
        assert_eq!(db.store.event_count().await.unwrap(), before);

        // A legal reviewer marks one more claim by its span and judges both.
        let text = view.text.clone();
        let start = text.find("spring is here").unwrap();
        let start = text[..start].chars().count();
        let marked = services
            .mark_claim(&g.legal, &g.change.id, 1, start, start + 14)
            .await
            .unwrap();
        assert_eq!(marked.quote, "spring is here");
        assert_eq!(marked.marked_by.as_deref(), Some("Person lee"));
        complete_evidence(&services, &g).await;
        let view = services.gate_view(&g.approver, &g.change.id).await.unwrap();
        assert!(view.evidence.complete(), "{:?}", view.evidence.problems());
        assert!(view
            .claims
            .iter()
            .all(|c| c.status == ClaimStatus::Substantiated));
        let stored = db.store.change(&g.change.id).await.unwrap().unwrap();
        assert_eq!((stored.open_claims, stored.has_rollback_plan), (0, true));

        // The approver signs: one of two roles met.
        let outcome = services
            .sign_off(
                &g.approver,
                &g.change.id,
                sign("approver", "approve", "Reads well.", &hash),
            )
            .await
            .unwrap();
        assert_eq!(outcome.status.as_str(), "pending_review");
        assert_eq!(outcome.quorum.have_need(), (1, 2));
        assert_eq!(outcome.signoff.content_hash, hash);

        // The person with two roles opens the change, reads for 42 s and signs once, as legal:
        // the quorum is met. How they reviewed is what the server served them, not a claim.
        services.gate_view(&g.both, &g.change.id).await.unwrap();
        clock.advance(chrono::Duration::seconds(42));
        let outcome = services
            .sign_off(&g.both, &g.change.id, sign("legal", "approve", "", &hash))
            .await
            .unwrap();
        assert_eq!(outcome.status.as_str(), "approved", "{}", db.name);
        // Approval and the queued publication commit together.
        let events = db.store.events_page(None, 3).await.unwrap();
        assert_eq!(events[0].action, "change.publish_queued");
        assert_eq!(events[1].action, "change.approved");
        assert_eq!(events[2].action, "change.signed_off");
        assert!(
            events[2].details.contains("\"dwell_ms\":42000"),
            "{}",
            events[2].details
        );
        assert!(events[2].details.contains("\"opened_full_content\":true"));
        assert!(events[2].details.contains("\"viewed_diff\":false"));

        // Approved: nothing more is signed, claims are frozen, the agent sees the outcome.
        let before = db.store.event_count().await.unwrap();
        let late = services
            .sign_off(
                &g.both,
                &g.change.id,
                sign("approver", "approve", "", &hash),
            )
            .await
            .unwrap_err();
        assert!(
            late.to_string().contains("the change is approved"),
            "{late}"
        );
        let status = services
            .change_status(&g.session.drafter, &g.change.id)
            .await
            .unwrap();
        assert_eq!(status.status, "approved");
        assert_eq!(db.store.event_count().await.unwrap(), before);
    }
}

#[tokio::test]
async fn every_refusal_names_its_reason_and_writes_nothing() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        complete_evidence(&services, &g).await;
        let hash = g.change.current_hash.clone();
        let id = g.change.id.clone();
        let before = db.store.event_count().await.unwrap();
        let cases: Vec<(&Actor, SignoffInput, &str)> = vec![
            (
                &g.owner,
                sign("approver", "approve", "", &hash),
                "separation of duties: you own",
            ),
            (
                &g.legal,
                sign("approver", "approve", "", &hash),
                "you do not hold the approver role",
            ),
            (
                &g.approver,
                sign("security_admin", "approve", "", &hash),
                "a security admin sign-off is not one of them",
            ),
            (
                &g.approver,
                sign("auditor", "approve", "", &hash),
                "auditor",
            ),
            (
                &g.approver,
                sign("ceo", "approve", "", &hash),
                "unknown role `ceo`",
            ),
            (
                &g.approver,
                sign("approver", "lgtm", "", &hash),
                "unknown decision `lgtm`",
            ),
            (
                &g.approver,
                sign("approver", "reject", "  ", &hash),
                "a comment is required to reject",
            ),
            (
                &g.approver,
                sign("approver", "request_changes", "", &hash),
                "a comment is required to request changes",
            ),
            (
                &g.approver,
                sign("approver", "approve", "", "sha256:stale"),
                "the content changed since you opened it",
            ),
            (
                &g.session.drafter.actor,
                sign("approver", "approve", "", &hash),
                "only people sign off",
            ),
        ];
        for (actor, input, expected) in cases {
            let error = services.sign_off(actor, &id, input).await.unwrap_err();
            assert!(
                error.to_string().contains(expected),
                "{}: {expected}: {error}",
                db.name
            );
        }
        let span_cases = [
            (0, 0, "not inside the text"),
            (5, 100_000, "not inside the text"),
            (1, 2, "not a space"),
        ];
        for (start, end, expected) in span_cases {
            let text = services.gate_view(&g.legal, &id).await.unwrap().text;
            let start = if expected == "not a space" {
                text.find(' ').map(|b| text[..b].chars().count()).unwrap()
            } else {
                start
            };
            let end = if expected == "not a space" {
                start + 1
            } else {
                end
            };
            let error = services
                .mark_claim(&g.legal, &id, 1, start, end)
                .await
                .unwrap_err();
            assert!(error.to_string().contains(expected), "{error}");
        }
        let stale = services
            .mark_claim(&g.legal, &id, 7, 0, 3)
            .await
            .unwrap_err();
        assert!(
            stale
                .to_string()
                .contains("mark claims on the current text"),
            "{stale}"
        );
        let not_legal = services
            .mark_claim(&g.approver, &id, 1, 0, 3)
            .await
            .unwrap_err();
        assert!(
            not_legal.to_string().contains("only legal reviewers"),
            "{not_legal}"
        );
        let claim = services.gate_view(&g.legal, &id).await.unwrap().claims[0]
            .id
            .clone();
        for (status, evidence, comment, expected) in [
            ("substantiated", "", "", "evidence link or note"),
            ("unsupported", "", "", "comment is required"),
            ("open", "", "", "unknown claim status"),
        ] {
            let error = services
                .review_claim(&g.legal, &id, &claim, status, evidence, comment)
                .await
                .unwrap_err();
            assert!(error.to_string().contains(expected), "{error}");
        }
        let other = services
            .set_rollback_plan(&g.session.reader.actor, &id, "Undo.", "", true)
            .await
            .unwrap_err();
        assert!(
            other.to_string().contains("edit its rollback plan"),
            "{other}"
        );
        let bad_plan = services
            .set_rollback_plan(&g.approver, &id, "Undo.", "", false)
            .await
            .unwrap_err();
        assert!(
            bad_plan.to_string().contains("name the version to restore"),
            "{bad_plan}"
        );
        assert_eq!(db.store.event_count().await.unwrap(), before, "{}", db.name);
        assert!(db.store.signoffs(&id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_new_version_voids_signoffs_and_finds_claims_again() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        complete_evidence(&services, &g).await;
        let first = g.change.current_hash.clone();
        services
            .sign_off(
                &g.approver,
                &g.change.id,
                sign("approver", "approve", "", &first),
            )
            .await
            .unwrap();
        let decision = decide(&services, &g.session.drafter).await;
        let (_, second) = services
            .submit_version(
                &g.session.drafter,
                &g.change.id,
                VersionInput {
                    content: "Spring is here: the best prices of the year.".into(),
                    format: "text".into(),
                    variants: None,
                    provenance: provenance(&[&decision], &["email"]),
                },
            )
            .await
            .unwrap();
        let view = services.gate_view(&g.both, &g.change.id).await.unwrap();
        assert_eq!(view.quorum.have_need(), (0, 2), "{}", db.name);
        assert_eq!(view.signoffs.len(), 1);
        assert_eq!(view.signoffs[0].1, SignoffStanding::Voided);
        assert_eq!(view.claims.len(), 1, "the superlative of version 2");
        assert!(view.claims[0].rules.iter().any(|r| r == "comparative"));
        assert!(!view.evidence.complete());
        // A sign-off for the replaced content is refused; the voided approver may sign again.
        let stale = services
            .sign_off(
                &g.approver,
                &g.change.id,
                sign("approver", "approve", "", &first),
            )
            .await
            .unwrap_err();
        assert!(stale.to_string().contains("the content changed"), "{stale}");
        // Requesting changes returns it to the agent, with the reason.
        let outcome = services
            .sign_off(
                &g.approver,
                &g.change.id,
                sign("approver", "request_changes", "Say which prices.", &second),
            )
            .await
            .unwrap();
        assert_eq!(outcome.status.as_str(), "changes_requested");
        let status = services
            .change_status(&g.session.drafter, &g.change.id)
            .await
            .unwrap();
        assert_eq!(status.status, "changes_requested");
        let closed = services
            .sign_off(&g.both, &g.change.id, sign("legal", "approve", "", &second))
            .await
            .unwrap_err();
        assert!(closed.to_string().contains("changes requested"), "{closed}");
    }
}

#[tokio::test]
async fn concurrent_signoffs_and_new_versions_end_in_one_consistent_state() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        complete_evidence(&services, &g).await;
        let hash = g.change.current_hash.clone();

        // Two reviewers sign at the same moment: both are kept, and the quorum is met once.
        let (a, b) = tokio::join!(
            services.sign_off(
                &g.approver,
                &g.change.id,
                sign("approver", "approve", "", &hash)
            ),
            services.sign_off(&g.legal, &g.change.id, sign("legal", "approve", "", &hash)),
        );
        let statuses = [a.unwrap().status, b.unwrap().status];
        assert_eq!(
            statuses.iter().filter(|s| s.as_str() == "approved").count(),
            1,
            "{}: {statuses:?}",
            db.name
        );
        let change = db.store.change(&g.change.id).await.unwrap().unwrap();
        assert_eq!(change.status.as_str(), "approved");
        assert_eq!(db.store.signoffs(&g.change.id).await.unwrap().len(), 2);
        let approvals = db
            .store
            .events_page(None, 50)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "change.approved")
            .count();
        assert_eq!(approvals, 1);
    }

    // A sign-off racing a new version: never an approval of replaced content.
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let g = gate(&services, &db).await;
        complete_evidence(&services, &g).await;
        let hash = g.change.current_hash.clone();
        services
            .sign_off(
                &g.approver,
                &g.change.id,
                sign("approver", "approve", "", &hash),
            )
            .await
            .unwrap();
        let decision = decide(&services, &g.session.drafter).await;
        let (signed, revised) = tokio::join!(
            services.sign_off(&g.legal, &g.change.id, sign("legal", "approve", "", &hash)),
            services.submit_version(
                &g.session.drafter,
                &g.change.id,
                VersionInput {
                    content: "A calmer spring note.".into(),
                    format: "text".into(),
                    variants: None,
                    provenance: provenance(&[&decision], &["email"]),
                },
            ),
        );
        let change = db.store.change(&g.change.id).await.unwrap().unwrap();
        match (signed, revised) {
            // The sign-off came first and approved version 1; the version was then refused.
            (Ok(outcome), Err(CoreError::Conflict(_))) => {
                assert_eq!(outcome.status.as_str(), "approved");
                assert_eq!(
                    (change.status.as_str(), change.current_version),
                    ("approved", 1)
                );
            }
            // The version came first: the sign-off named replaced content and was refused.
            (Err(CoreError::Conflict(message)), Ok(_)) => {
                assert!(message.contains("content changed"), "{message}");
                assert_eq!(
                    (change.status.as_str(), change.current_version),
                    ("pending_review", 2)
                );
            }
            other => panic!("{}: inconsistent outcome {other:?}", db.name),
        }
        for signoff in db.store.signoffs(&g.change.id).await.unwrap() {
            assert_eq!(
                signoff.content_hash, hash,
                "every sign-off names the content it saw"
            );
        }
    }
}

#[tokio::test]
async fn the_queue_pages_by_keyset_counts_and_filters_what_each_reviewer_needs() {
    use countersign_core::services::{QueueQuery, QUEUE_PAGE};
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let g = gate(&services, &db).await;
        // 54 more drafts, a second apart; every fifth is internal.
        for n in 0..54 {
            clock.advance(chrono::Duration::seconds(1));
            let decision = decide(&services, &g.session.drafter).await;
            let mut input = draft(&g.session, provenance(&[&decision], &["email"]));
            input.title = format!("Draft {n:02}");
            if n % 5 == 0 {
                input.audience = "internal".into();
            }
            services
                .submit_draft(&g.session.drafter, input)
                .await
                .unwrap();
        }
        let all = QueueQuery {
            needs_my_role: false,
            ..Default::default()
        };
        let first = services.review_queue(&g.approver, &all).await.unwrap();
        assert_eq!(first.rows.len() as i64, QUEUE_PAGE, "{}", db.name);
        assert_eq!(first.counts.total, 55);
        assert_eq!(first.counts.by_tier, [0, 55, 0]);
        assert_eq!(first.rows[0].0.change.id, g.change.id, "oldest first");
        let second = services
            .review_queue(
                &g.approver,
                &QueueQuery {
                    after: first.next.clone(),
                    ..all.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(second.rows.len(), 5);
        assert!(second.next.is_none());
        let mut seen: Vec<String> = first
            .rows
            .iter()
            .chain(second.rows.iter())
            .map(|(s, _)| s.change.id.clone())
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 55, "no change twice, none missed");

        let newest = services
            .review_queue(
                &g.approver,
                &QueueQuery {
                    newest_first: true,
                    ..all.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(newest.rows[0].0.change.title, "Draft 53");
        let internal = services
            .review_queue(
                &g.approver,
                &QueueQuery {
                    audience: Some(countersign_core::domain::Audience::Internal),
                    ..all.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(internal.counts.total, 11);
        assert!(internal
            .rows
            .iter()
            .all(|(s, _)| s.change.audience.as_str() == "internal"));

        // "Needs my role": what the approver has signed drops out of their view, not others'.
        complete_evidence(&services, &g).await;
        services
            .sign_off(
                &g.approver,
                &g.change.id,
                sign("approver", "approve", "", &g.change.current_hash),
            )
            .await
            .unwrap();
        let mine = services
            .review_queue(
                &g.approver,
                &QueueQuery {
                    needs_my_role: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(mine.counts.total, 54, "{}", db.name);
        assert!(mine.rows.iter().all(|(s, _)| s.change.id != g.change.id));
        let legal = services
            .review_queue(
                &g.legal,
                &QueueQuery {
                    needs_my_role: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(legal.counts.total, 55);
        let owner = services
            .review_queue(
                &g.owner,
                &QueueQuery {
                    needs_my_role: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            owner.counts.total, 0,
            "the owner of the drafting agent signs none of them"
        );
        let row = legal
            .rows
            .iter()
            .find(|(s, _)| s.change.id == g.change.id)
            .unwrap();
        assert_eq!(row.1.approvals, (1, 2));
        assert!(row.1.rollback_plan && row.1.provenance && row.1.legal_basis);
        assert_eq!(row.1.open_claims, Some(0));
        let bad = services
            .review_queue(
                &g.legal,
                &QueueQuery {
                    after: Some("garbage".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert!(bad.to_string().contains("not a queue cursor"), "{bad}");
    }
}
