//! Review latency on SQLite and PostgreSQL: the moments a change reaches its first sign-off,
//! its approval and its publication are what the ledger says, and the flow report turns them
//! into percentiles for the groups people and the metrics read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Duration;
use common::drafting::renew_tokens;
use common::gate::{gate, sign};
use common::templates::{draft_under, fill, proposal, with_tiers};
use countersign_core::domain::Stage;
use countersign_core::CoreError;

#[tokio::test]
async fn the_flow_report_times_each_stage_from_the_draft() {
    for db in common::both().await {
        let (services, clock) = common::services(&db);
        let services = with_tiers(services, "1,2");
        let mut g = gate(&services, &db).await;
        // An hour after the draft, the approver signs; two hours later legal completes it.
        clock.advance(Duration::hours(1));
        common::gate::complete_evidence_of(&services, &g, &g.change.id).await;
        services
            .sign_off(
                &g.approver,
                &g.change.id,
                sign("approver", "approve", "", &g.change.current_hash),
            )
            .await
            .unwrap();
        clock.advance(Duration::hours(2));
        services
            .sign_off(
                &g.both,
                &g.change.id,
                sign("legal", "approve", "", &g.change.current_hash),
            )
            .await
            .unwrap();
        // A standard change goes through its template at once.
        let template = services
            .propose_template(&g.approver, proposal(&g))
            .await
            .unwrap();
        for (who, role) in [(&g.owner, "approver"), (&g.legal, "legal")] {
            services
                .sign_template(who, &template.id, role, true, "", &template.hash)
                .await
                .unwrap();
        }
        renew_tokens(&services, &mut g.session).await;
        draft_under(&services, &g, fill(&template.id, "Berlin", "Friday", "Hi.")).await;
        // And one waits, drafted now.
        let waiting = common::gate::another_change(&services, &g, "campaigns/autumn").await;
        clock.advance(Duration::hours(5));

        let (report, cut) = services.flow(&g.approver, 30).await.unwrap();
        assert!(!cut);
        assert_eq!(
            (report.overall.drafted, report.overall.pre_approved),
            (3, 1),
            "{}",
            db.name
        );
        let first = report.overall.stage(Stage::FirstSignoff);
        assert_eq!(
            (first.count, first.p50),
            (1, Some(Duration::hours(1))),
            "{}",
            db.name
        );
        let approval = report.overall.stage(Stage::Approval);
        assert_eq!(
            (approval.count, approval.p50),
            (1, Some(Duration::hours(3)))
        );
        assert_eq!(report.waiting, 1);
        assert_eq!(report.oldest_waiting_since, Some(waiting.created_at));
        assert_eq!(report.by_workflow.len(), 1);
        assert!(!report.by_week.is_empty());

        // Approvers and security admins see it; a bad window is named.
        assert!(matches!(
            services.flow(&g.approver, 0).await,
            Err(CoreError::Invalid { .. })
        ));
        let auditor = common::signed_in(
            &services,
            "audra",
            &[countersign_core::domain::Role::Auditor],
        )
        .await;
        assert!(matches!(
            services.flow(&auditor, 30).await,
            Err(CoreError::Denied(_))
        ));
    }
}
