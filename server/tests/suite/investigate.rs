//! Incident tracing on a seeded ledger, on SQLite and PostgreSQL, against the real reference
//! system: a subject's decisions, the changes citing them and where they were published (and
//! rolled back); a target's and a change's chain back and forward; an unknown subject's empty
//! answer; paging; bad input named; who may search; and every search in the ledger.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::published::{publishing, Publishing};
use crate::core_common::drafting::{draft, provenance};
use crate::core_common::gate::approve;
use crate::core_common::{self, signed_in};
use countersign_core::domain::{ChangeRequest, EffectKind, OutboxState, Role, SubjectStanding};
use countersign_core::services::{AccessRequest, Investigation, TokenPrincipal};
use countersign_core::{Actor, CoreError, Services};
use serde_json::Value;

async fn decide_about(services: &Services, agent: &TokenPrincipal, subjects: &[&str]) -> String {
    services
        .decide_access(
            agent,
            AccessRequest {
                purpose: "spring_offer".into(),
                fields: vec!["email".into()],
                subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
            },
        )
        .await
        .unwrap()
        .decision_id
}

async fn draft_citing(
    services: &Services,
    p: &Publishing,
    decision: &str,
    reference: &str,
) -> ChangeRequest {
    let mut input = draft(&p.g.session, provenance(&[decision], &["email"]));
    input.target.reference = reference.to_owned();
    input.title = format!("Spring offer for {reference}");
    services
        .submit_draft(&p.g.session.drafter, input)
        .await
        .unwrap()
}

/// A change citing a decision, with its deliveries as `kind:state@target`.
type Cited = (String, Vec<String>);
/// One decision of a trace: its id, its standing for the subject and the changes citing it.
type Traced = (String, String, Vec<Cited>);

/// What a subject's trace says, compactly: per decision (newest first), its standing and the
/// changes citing it with their deliveries.
fn shape(found: &Investigation) -> Vec<Traced> {
    found
        .subject
        .as_ref()
        .unwrap()
        .decisions
        .iter()
        .map(|d| {
            let standing = match &d.standing {
                SubjectStanding::Allowed(basis) => format!("allowed:{basis}"),
                SubjectStanding::Denied(reason) => format!("denied:{reason}"),
            };
            let citing = d
                .citing
                .iter()
                .map(|c| {
                    (
                        c.change.id.clone(),
                        c.deliveries
                            .iter()
                            .map(|x| {
                                format!("{}:{}@{}", x.kind.as_str(), x.state.as_str(), x.target)
                            })
                            .collect(),
                    )
                })
                .collect();
            (d.id.clone(), standing, citing)
        })
        .collect()
}

#[tokio::test]
async fn a_subjects_data_is_traced_to_where_it_was_published_and_each_search_is_recorded() {
    for db in core_common::both().await {
        let p = publishing(&db, |s| s).await;
        let services = &p.services;
        let admin = &p.g.session.chain.admin;
        let agent = &p.g.session.drafter;
        // The gate's own change cites a decision about crm-1 alone (drafted by `publishing`).
        let first = p.g.change.clone();
        let first_decision = first_cited(services, &first).await;
        // A decision about crm-1 (consent on record) and crm-2 (none), cited and published.
        let both = decide_about(services, agent, &["crm-1", "crm-2"]).await;
        let published = draft_citing(services, &p, &both, "campaigns/traced-a").await;
        approve(services, &p.g, &published).await;
        assert_eq!(services.deliver_due_effects().await.unwrap(), 1);
        // A decision about crm-2 that nothing cites.
        let uncited = decide_about(services, agent, &["crm-2"]).await;
        let live = "publish:delivered@campaigns/traced-a".to_owned();

        let cases: [(&str, Vec<Traced>); 3] = [
            (
                "crm-1",
                vec![
                    (
                        both.clone(),
                        "allowed:consent".into(),
                        vec![(published.id.clone(), vec![live.clone()])],
                    ),
                    (
                        first_decision.clone(),
                        "allowed:consent".into(),
                        vec![(first.id.clone(), vec![])],
                    ),
                ],
            ),
            (
                "crm-2",
                vec![
                    (uncited.clone(), "denied:no_consent".into(), vec![]),
                    (
                        both.clone(),
                        "denied:no_consent".into(),
                        vec![(published.id.clone(), vec![live.clone()])],
                    ),
                ],
            ),
            // An unknown subject: an empty answer, not an error.
            ("crm-404", vec![]),
        ];
        for (subject, expected) in &cases {
            let found = services
                .investigate(admin, "subject", subject, None)
                .await
                .unwrap();
            assert_eq!(&shape(&found), expected, "{}: {subject}", db.name);
            let trace = found.subject.as_ref().unwrap();
            assert_eq!(trace.total as usize, expected.len());
            assert!(trace.next.is_none());
        }
        // The published change's decision names what it allowed and who asked.
        let crm1 = services
            .investigate(admin, "subject", " crm-1 ", None)
            .await
            .unwrap();
        let d = &crm1.subject.as_ref().unwrap().decisions[0];
        assert_eq!(d.fields, vec!["email".to_owned()]);
        assert_eq!(d.purpose, "spring_offer");
        assert!(!d.agent_name.is_empty() && !d.workflow_name.is_empty());
        assert!(d.citing[0].current_cites);

        // From the target back: agent, owners, model and prompt, data, reviewers; and forward.
        services
            .roll_back_change(&p.g.approver, &published.id, "the price is wrong")
            .await
            .unwrap();
        assert_eq!(services.deliver_due_effects().await.unwrap(), 1);
        let auditor = signed_in(services, "audra", &[Role::Auditor]).await;
        let traced = services
            .investigate(&auditor, "target", "campaigns/traced-a", None)
            .await
            .unwrap();
        assert_eq!(traced.chains.len(), 1, "{}", db.name);
        let chain = &traced.chains[0];
        assert_eq!(chain.change.id, published.id);
        let agent_nhi = chain.agent.as_ref().unwrap();
        assert_eq!(agent_nhi.id, agent.nhi.id);
        assert!(!agent_nhi.owners.is_empty(), "the agent's owners are named");
        let version = chain.version.as_ref().unwrap();
        assert_eq!(version.provenance.model, "claude-sonnet-4.5");
        assert!(version.provenance.prompt.contains("spring offer"));
        assert_eq!(
            chain
                .decisions
                .iter()
                .map(|d| (d.id.as_str(), d.subjects_allowed, d.subjects_denied))
                .collect::<Vec<_>>(),
            vec![(both.as_str(), 1, 1)]
        );
        let mut reviewers: Vec<(String, Role)> = chain
            .signoffs
            .iter()
            .map(|s| (s.signer_name.clone(), s.role))
            .collect();
        reviewers.sort();
        assert_eq!(reviewers.len(), 2, "{reviewers:?}");
        assert_eq!(
            chain
                .deliveries
                .iter()
                .map(|x| (x.kind, x.state, x.target.as_str()))
                .collect::<Vec<_>>(),
            vec![
                (
                    EffectKind::Publish,
                    OutboxState::Delivered,
                    "campaigns/traced-a"
                ),
                (
                    EffectKind::Rollback,
                    OutboxState::Delivered,
                    "campaigns/traced-a"
                ),
            ],
            "{}",
            db.name
        );
        // A change id in capitals is the same change; an id nothing is on record under and a
        // target nothing was meant for are empty answers.
        let by_id = services
            .investigate(admin, "change", &first.id.to_uppercase(), None)
            .await
            .unwrap();
        assert_eq!(by_id.chains.len(), 1);
        assert_eq!(by_id.chains[0].change.id, first.id);
        for (kind, value) in [
            ("change", "01936f0e-8c47-7cc3-9f4e-3a1d2b6c7d8e"),
            ("target", "campaigns/never"),
        ] {
            let none = services
                .investigate(admin, kind, value, None)
                .await
                .unwrap();
            assert!(none.chains.is_empty(), "{kind} {value}");
        }

        // Bad input is named, and nothing is recorded for it.
        let before = db.store.event_count().await.unwrap();
        for (kind, value, page, field) in [
            ("subject", "crm 1", None, "q"),
            ("subject", "", None, "q"),
            ("person", "crm-1", None, "kind"),
            ("change", "not-a-change", None, "q"),
            ("target", "campaigns/\u{0}", None, "q"),
            ("subject", "crm-1", Some("yesterday"), "before"),
            ("subject", "crm-1", Some("0"), "before"),
            ("subject", "crm-1", Some("-5"), "before"),
            // A page link from before the index kept posting lists.
            (
                "subject",
                "crm-1",
                Some("1764806400000.0190a0b2-7c3e-7d4e-8f00-000000000000"),
                "before",
            ),
        ] {
            match services.investigate(admin, kind, value, page).await {
                Err(CoreError::Invalid { field: f, .. }) => assert_eq!(f, field, "{kind} {value}"),
                other => panic!("{kind} {value:?}: {other:?}"),
            }
        }
        // Only security admins and auditors search.
        for reviewer in [&p.g.approver, &p.g.legal, &agent.actor] {
            let refused = services
                .investigate(reviewer, "subject", "crm-1", None)
                .await
                .unwrap_err();
            assert!(
                matches!(refused, CoreError::Denied(_)),
                "{}: {refused:?}",
                db.name
            );
        }
        assert_eq!(db.store.event_count().await.unwrap(), before);

        // Every search is in the ledger: who looked, for what, and what it showed.
        let events = db.store.events_page(None, 200).await.unwrap();
        let searches: Vec<(&str, Value)> = events
            .iter()
            .filter(|e| e.action == "investigation.searched")
            .map(|e| {
                (
                    e.actor_ref.as_str(),
                    serde_json::from_str(&e.details).unwrap(),
                )
            })
            .collect();
        assert_eq!(searches.len(), 8, "{}", db.name);
        let (who, newest) = &searches[0];
        assert_eq!(*who, admin_ref(admin));
        assert_eq!(newest["kind"], "target");
        assert_eq!(newest["query"], "campaigns/never");
        let crm404 = searches
            .iter()
            .find(|(_, d)| d["query"] == "crm-404")
            .unwrap();
        assert_eq!(crm404.1["decisions_shown"], 0);
        let audra = searches
            .iter()
            .find(|(who, _)| *who == admin_ref(&auditor))
            .unwrap();
        assert_eq!(audra.1["changes_shown"], 1);
    }
}

#[tokio::test]
async fn a_subjects_decisions_come_in_pages_newest_first() {
    for db in core_common::both().await {
        let p = publishing(&db, |s| s).await;
        let services = &p.services;
        let admin = &p.g.session.chain.admin;
        let mut made = Vec::new();
        for n in 0..countersign_core::services::DECISIONS_PER_PAGE + 3 {
            made.push(decide_about(services, &p.g.session.drafter, &["crm-paged", "crm-9"]).await);
            if n % 3 == 0 {
                decide_about(services, &p.g.session.drafter, &["crm-9"]).await;
            }
        }
        made.reverse();
        // Indexed in small batches: the subject's decisions lie in many posting lists, some
        // shorter than others, and the page's end cuts through one.
        while db
            .store
            .index_decision_subjects(4, None)
            .await
            .unwrap()
            .decisions
            > 0
        {}
        let first = services
            .investigate(admin, "subject", "crm-paged", None)
            .await
            .unwrap();
        let trace = first.subject.unwrap();
        assert_eq!(trace.total as usize, made.len(), "{}", db.name);
        let page: Vec<String> = trace.decisions.iter().map(|d| d.id.clone()).collect();
        assert_eq!(page, made[..countersign_core::services::DECISIONS_PER_PAGE]);
        let next = countersign_core::services::cursor_text(&trace.next.unwrap());
        let second = services
            .investigate(admin, "subject", "crm-paged", Some(&next))
            .await
            .unwrap()
            .subject
            .unwrap();
        let rest: Vec<String> = second.decisions.iter().map(|d| d.id.clone()).collect();
        assert_eq!(rest, made[countersign_core::services::DECISIONS_PER_PAGE..]);
        assert!(second.next.is_none());
    }
}

async fn first_cited(services: &Services, change: &ChangeRequest) -> String {
    services
        .store()
        .change_versions(&change.id)
        .await
        .unwrap()
        .remove(0)
        .provenance
        .access_decisions
        .remove(0)
}

fn admin_ref(actor: &Actor) -> String {
    actor.reference()
}
