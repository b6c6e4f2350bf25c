//! Workflows and identities a page at a time, on SQLite and PostgreSQL: search by name or
//! purpose in any case (`%` and `_` match themselves), pages in name order that add up to the
//! whole, a state filter, one workflow with its checklist, and bad input named.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::chain::{chain, spring_offer};
use crate::common::{self, signed_in};
use countersign_core::domain::{NhiKind, Role};
use countersign_core::services::{
    IdentityFilter, RegisterNhi, IDENTITIES_PER_PAGE, WORKFLOWS_PER_PAGE,
};
use countersign_core::CoreError;

fn field_of(error: CoreError) -> String {
    match error {
        CoreError::Invalid { field, .. } => field.into_owned(),
        other => panic!("not a named field: {other:?}"),
    }
}

#[tokio::test]
async fn workflows_are_searched_and_paged_in_name_order() {
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let chain = chain(&services).await;
        let count = WORKFLOWS_PER_PAGE as usize + 5;
        let mut names = Vec::new();
        for n in 0..count {
            let mut request = spring_offer(&chain, &["email"]);
            request.name = format!("Campaign {n:03}{}", if n == 7 { " early_bird" } else { "" });
            if n % 2 == 0 {
                request.purpose = "Win back lapsed SMS customers.".to_owned();
            }
            if n == 7 {
                request.purpose = "Offer 100% off to lapsed customers.".to_owned();
            }
            names.push(request.name.clone());
            services
                .define_workflow(&chain.admin, request)
                .await
                .unwrap();
        }
        names.sort();
        let admin = &chain.admin;

        // The pages add up to the whole, in name order, with the checklist of each.
        let first = services.workflow_list(admin, "", None, 1).await.unwrap();
        let second = services.workflow_list(admin, "", None, 2).await.unwrap();
        assert_eq!((first.total, first.pages), (count as i64, 2), "{}", db.name);
        let listed: Vec<String> = first
            .items
            .iter()
            .chain(&second.items)
            .map(|(w, _)| w.name.clone())
            .collect();
        assert_eq!(listed, names);
        let steps = spring_offer(&chain, &["email"]).steps.len();
        assert!(first
            .items
            .iter()
            .all(|(w, checks)| !checks.is_empty() && w.steps.len() == steps));
        // Beyond the last page: nothing, not an error.
        let beyond = services.workflow_list(admin, "", None, 3).await.unwrap();
        assert!(beyond.items.is_empty());

        // Search: any case, name or purpose; `%` and `_` are themselves.
        for (search, expected) in [
            ("CAMPAIGN 01", 10),
            ("win back", count.div_ceil(2)),
            ("100% OFF", 1),
            ("%", 1),
            ("_", 1),
            ("y_b", 1),
            ("nothing like this", 0),
        ] {
            let found = services
                .workflow_list(admin, search, None, 1)
                .await
                .unwrap();
            assert_eq!(found.total as usize, expected, "{}: {search}", db.name);
        }
        let drafts = services
            .workflow_list(admin, "", Some("draft"), 1)
            .await
            .unwrap();
        assert_eq!(drafts.total as usize, count);
        let active = services
            .workflow_list(admin, "", Some("active"), 1)
            .await
            .unwrap();
        assert_eq!(active.total, 0);

        // One workflow, with the checklist the list showed for it.
        let (one, checks) = &first.items[0];
        let (again, same) = services
            .workflow_with_checklist(admin, one.id)
            .await
            .unwrap();
        assert_eq!((&again, &same), (one, checks));

        // Bad input is named; a person without the role sees nothing.
        for (search, state, page, field) in [
            ("x".repeat(201), None, 1, "q"),
            ("a\u{7}".to_owned(), None, 1, "q"),
            (String::new(), Some("paused"), 1, "state"),
            (String::new(), None, 0, "page"),
        ] {
            let refused = services
                .workflow_list(admin, &search, state, page)
                .await
                .unwrap_err();
            assert_eq!(field_of(refused), field);
        }
        let nobody = signed_in(&services, "noah", &[]).await;
        assert!(matches!(
            services.workflow_list(&nobody, "", None, 1).await,
            Err(CoreError::Denied(_))
        ));
    }
}

#[tokio::test]
async fn identities_are_searched_filtered_and_paged_in_name_order() {
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let chain = chain(&services).await;
        let extra = IDENTITIES_PER_PAGE as usize + 3;
        for n in 0..extra {
            services
                .register_nhi(
                    &chain.admin,
                    RegisterNhi {
                        kind: NhiKind::Agent,
                        name: format!("agent-{n:03}"),
                        purpose: if n % 3 == 0 {
                            "Drafts SMS."
                        } else {
                            "Drafts email."
                        }
                        .to_owned(),
                        owners: vec![chain.owner],
                        expires_at: Some(services.clock().now() + chrono::Duration::days(30)),
                        model: Some("claude-sonnet-4.5 (Anthropic)".to_owned()),
                    },
                )
                .await
                .unwrap();
        }
        let admin = &chain.admin;
        let all = services
            .list_nhis(admin, IdentityFilter::default())
            .await
            .unwrap();
        let first = services
            .nhi_list(admin, IdentityFilter::default(), "", 1)
            .await
            .unwrap();
        let second = services
            .nhi_list(admin, IdentityFilter::default(), "", 2)
            .await
            .unwrap();
        assert_eq!(first.total as usize, all.len(), "{}", db.name);
        assert_eq!(first.items.len() as i64, IDENTITIES_PER_PAGE);
        let paged: Vec<_> = first
            .items
            .iter()
            .chain(&second.items)
            .map(|n| n.id)
            .collect();
        assert_eq!(paged, all.iter().map(|n| n.id).collect::<Vec<_>>());
        // Owners come with each identity on a page, as on the whole list.
        assert!(first.items.iter().all(|n| !n.owners.is_empty()));

        let sms = services
            .nhi_list(admin, IdentityFilter::default(), "sms", 1)
            .await
            .unwrap();
        assert_eq!(sms.total as usize, extra.div_ceil(3), "{}", db.name);
        let named = services
            .nhi_list(admin, IdentityFilter::default(), "AGENT-00", 1)
            .await
            .unwrap();
        assert_eq!(named.total, 10);
        // Filters and search together.
        let orphaned = services
            .nhi_list(
                admin,
                IdentityFilter {
                    orphaned: true,
                    ..Default::default()
                },
                "agent",
                1,
            )
            .await
            .unwrap();
        assert_eq!(orphaned.total, 0);
        assert_eq!(
            field_of(
                services
                    .nhi_list(admin, IdentityFilter::default(), "", -1)
                    .await
                    .unwrap_err()
            ),
            "page"
        );
        let approver = signed_in(&services, "amy", &[Role::Approver]).await;
        assert!(services
            .nhi_list(&approver, IdentityFilter::default(), "", 1)
            .await
            .is_err());
    }
}

/// An identity's own page: owners, credentials, the steps it performs and what is in force, its
/// newest decisions and drafts; a page of identities' privileges; a workflow's history.
#[tokio::test]
async fn an_identity_and_a_workflow_on_their_own_pages() {
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let g = crate::common::gate::gate(&services, &db).await;
        let chain = &g.session.chain;
        let (admin, drafter, workflow) = (&chain.admin, chain.drafter, &g.session.workflow);

        let detail = services.identity_detail(admin, drafter).await.unwrap();
        assert_eq!(detail.nhi.id, drafter, "{}", db.name);
        assert_eq!(
            detail.nhi.owners.iter().map(|o| o.id).collect::<Vec<_>>(),
            [chain.owner]
        );
        assert!(detail.secret_issued);
        assert_eq!(detail.live_tokens, 1);
        let steps: Vec<_> = detail
            .privilege
            .steps
            .iter()
            .map(|s| (s.workflow_id, s.step.as_str()))
            .collect();
        assert_eq!(steps, [(workflow.id, workflow.steps[1].name.as_str())]);
        let (_, fields) = &detail.privilege.in_force[&Some(chain.crm)];
        assert!(fields.contains("email"));
        // Its one decision, named by workflow and step; its one draft.
        assert_eq!(detail.decisions.len(), 1, "{}", db.name);
        let decision = &detail.decisions[0];
        assert_eq!(decision.workflow, workflow.id);
        assert_eq!(
            decision.workflow_name.as_deref(),
            Some(workflow.name.as_str())
        );
        assert_eq!(
            decision.step_name.as_deref(),
            Some(workflow.steps[1].name.as_str())
        );
        assert_eq!(
            (decision.allowed_subjects, decision.denied_subjects),
            (1, 0)
        );
        assert_eq!(decision.allowed_fields, ["email"]);
        let drafted: Vec<&str> = detail.changes.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(drafted, [g.change.id.as_str()]);
        // The reader asked for nothing and drafted nothing; its own token is live.
        let reader = services.identity_detail(admin, chain.reader).await.unwrap();
        assert!(reader.decisions.is_empty() && reader.changes.is_empty());
        assert_eq!(reader.live_tokens, 1);

        // A page of identities: each one's privilege, as on its own page, and no other's.
        let page = services
            .privileges_of(admin, &[drafter, chain.reader])
            .await
            .unwrap();
        assert_eq!(page.len(), 2);
        assert_eq!(page[&drafter], detail.privilege);
        let idle = services
            .privileges_of(admin, &[countersign_core::domain::NhiId::new()])
            .await
            .unwrap();
        assert!(idle.is_empty());

        // The systems its steps use, for its page.
        let used: Vec<_> = services
            .systems_used_by(admin, workflow.id)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(used, [chain.crm]);

        // The workflow's history, newest first.
        let history = services.workflow_history(admin, workflow.id).await.unwrap();
        let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "workflow.activated",
                "workflow.grant_changed",
                "workflow.defined"
            ],
            "{}",
            db.name
        );

        // Unknown identity; who may look.
        assert!(matches!(
            services
                .identity_detail(admin, countersign_core::domain::NhiId::new())
                .await,
            Err(CoreError::NotFound(_))
        ));
        assert!(matches!(
            services.identity_detail(&g.approver, drafter).await,
            Err(CoreError::Denied(_))
        ));
        assert!(services
            .workflow_history(&g.approver, workflow.id)
            .await
            .is_ok());
        let nobody = signed_in(&services, "noah", &[]).await;
        assert!(services
            .workflow_history(&nobody, workflow.id)
            .await
            .is_err());
    }
}

/// Whoever may read workflows sees who answers for them and their steps by name — an approver
/// too, who may not browse the people registry; whoever may not read workflows learns nothing.
#[tokio::test]
async fn who_answers_for_a_workflow_is_named_to_whoever_may_read_it() {
    use countersign_core::domain::{HumanId, Performer};
    use countersign_core::services::MAX_NAMED_AT_ONCE;
    for db in common::both().await {
        let (services, _clock) = common::services(&db);
        let chain = chain(&services).await;
        let workflow = services
            .define_workflow(&chain.admin, spring_offer(&chain, &["email"]))
            .await
            .unwrap();
        let approver = signed_in(&services, "ann", &[Role::Approver]).await;
        assert!(
            services.list_people(&approver).await.is_err(),
            "{}",
            db.name
        );
        let names = services
            .answerable_names(&approver, &[&workflow, &workflow])
            .await
            .unwrap();
        // The owner once, however often named: of the workflow, its steps and a performing person.
        assert!(workflow
            .steps
            .iter()
            .any(|s| s.performer == Performer::Human(chain.owner)));
        assert_eq!(names.len(), 1, "{}: {names:?}", db.name);
        assert_eq!(
            names.get(&chain.owner).map(String::as_str),
            Some("Person olga")
        );
        // Nobody else's name, though the approver (Person ann) and the admin are known.
        assert!(!names
            .values()
            .any(|n| n == "Person ann" || n == "Person sam"));

        let legal = signed_in(&services, "lee", &[Role::Legal]).await;
        assert!(matches!(
            services.answerable_names(&legal, &[&workflow]).await,
            Err(CoreError::Denied(_))
        ));
        let mut crowded = workflow.clone();
        let template = crowded.steps[0].clone();
        crowded.steps = (0..=MAX_NAMED_AT_ONCE)
            .map(|_| {
                let mut step = template.clone();
                step.owner = Some(HumanId::new());
                step
            })
            .collect();
        let refused = services
            .answerable_names(&chain.admin, &[&crowded])
            .await
            .unwrap_err();
        assert_eq!(field_of(refused), "workflows");
    }
}
