//! Workflows as code on SQLite and PostgreSQL: an export applies back to no changes; a widening
//! applied to a live workflow lands in review exactly as in the console; a new workflow is
//! defined; a file naming an unknown person, system or identity, or changing what the console
//! does not change, is refused by name with nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::drafting::session;
use countersign_core::domain::WorkflowsFile;
use countersign_core::services::PlannedChange;
use countersign_core::CoreError;

/// One way to spoil an exported file.
type Edit = Box<dyn Fn(&mut WorkflowsFile)>;

fn problem(error: CoreError) -> String {
    match error {
        CoreError::Invalid { field, problem } => format!("{field}: {problem}"),
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn export_apply_round_trips_and_a_widening_lands_in_review() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let s = session(&services, &db).await;
        let admin = s.chain.admin.clone();
        let exported = services.export_workflows(&admin).await.unwrap();
        let text = exported.to_toml();
        assert!(
            text.contains("performer = \"identity:offer-drafter\""),
            "{text}"
        );
        let reread = WorkflowsFile::parse(&text).unwrap();
        let plan = services.plan_workflows(&admin, &reread).await.unwrap();
        assert!(plan.changes.is_empty(), "{:?} ({})", plan.changes, db.name);
        assert_eq!(plan.unchanged, std::slice::from_ref(&s.workflow.name));

        // A widening on the live workflow: financial data raises the tier; it waits for review.
        let mut wider = reread.clone();
        wider.workflows[0].steps[1]
            .grant
            .fields
            .push("income".to_owned());
        let plan = services.plan_workflows(&admin, &wider).await.unwrap();
        match plan.changes.as_slice() {
            [PlannedChange::Grant {
                needs_review,
                tier_before,
                tier_after,
                summary,
                ..
            }] => {
                assert!(*needs_review, "{}", db.name);
                assert!(tier_after > tier_before);
                assert!(summary.contains("adds fields income"), "{summary}");
            }
            other => panic!("{other:?}"),
        }
        let done = services.apply_workflow_plan(&admin, plan).await.unwrap();
        assert!(done[0].ends_with("waiting for review"), "{done:?}");
        let workflow = services.list_workflows(&admin).await.unwrap().remove(0);
        assert_eq!(workflow.state.as_str(), "needs_review");
        let event = db.store.events_page(None, 1).await.unwrap().remove(0);
        assert_eq!(event.action, "workflow.scope_drift");
        assert_eq!(event.actor_ref, countersign_core::Actor::reference(&admin));

        // A new workflow in the file is defined (a draft).
        let mut more = services.export_workflows(&admin).await.unwrap();
        let mut copy = more.workflows[0].clone();
        copy.name = "Autumn offer email".to_owned();
        copy.state = "draft".to_owned();
        copy.steps.iter_mut().for_each(|s| s.awaiting_review = None);
        more.workflows.push(copy);
        let plan = services.plan_workflows(&admin, &more).await.unwrap();
        assert!(
            matches!(plan.changes.as_slice(), [PlannedChange::Define { .. }]),
            "{:?}",
            plan.changes
        );
        services.apply_workflow_plan(&admin, plan).await.unwrap();
        assert_eq!(services.list_workflows(&admin).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn a_bad_file_is_refused_by_name_and_writes_nothing() {
    for db in common::both().await {
        let (services, _) = common::services(&db);
        let s = session(&services, &db).await;
        let admin = s.chain.admin.clone();
        let file = services.export_workflows(&admin).await.unwrap();
        let approver = common::signed_in(
            &services,
            "amy",
            &[countersign_core::domain::Role::Approver],
        )
        .await;
        let events = db.store.event_count().await.unwrap();
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|f| f.workflows[0].owner = "nobody@example.test".into()),
                "no person \"nobody@example.test\"",
            ),
            (
                Box::new(|f| f.workflows[0].steps[0].grant.system = Some("Nowhere CRM".into())),
                "no connected system \"Nowhere CRM\"",
            ),
            (
                Box::new(|f| f.workflows[0].steps[1].performer = "identity:ghost".into()),
                "no identity \"ghost\"",
            ),
            (
                Box::new(|f| f.workflows[0].steps[1].grant.actions.push("delete".into())),
                "\"delete\" is not one of",
            ),
            (
                Box::new(|f| f.workflows[0].purpose = "Something else entirely.".into()),
                "changes the purpose",
            ),
            (
                Box::new(|f| {
                    f.workflows[0].steps.pop();
                }),
                "changes the steps",
            ),
            (
                Box::new(|f| f.workflows[0].state = "revoked".into()),
                "a file asks only for draft or active",
            ),
            (
                Box::new(|f| {
                    let w = f.workflows[0].clone();
                    f.workflows.push(w);
                }),
                "is in the file twice",
            ),
        ];
        for (edit, expected) in cases {
            let mut bad = file.clone();
            edit(&mut bad);
            let error = problem(services.plan_workflows(&admin, &bad).await.unwrap_err());
            assert!(error.contains(expected), "{error} ({})", db.name);
        }
        // Only security admins manage workflows.
        assert!(matches!(
            services.plan_workflows(&approver, &file).await,
            Err(CoreError::Denied(_))
        ));
        // An unknown field is named with its line.
        let typo = file.to_toml().replace("human_review", "human_reveiw");
        assert!(WorkflowsFile::parse(&typo)
            .unwrap_err()
            .contains("human_reveiw"));
        assert_eq!(db.store.event_count().await.unwrap(), events);
    }
}
