//! A standard change against the real reference system, on SQLite and PostgreSQL: a template
//! approved by its tier's quorum, a draft filling it approved by policy and published by the
//! console with no person signing the change, and an evidence pack an auditor's verifier accepts
//! because it proves the template's own approval.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::published::{publishing, Publishing};
use crate::common::sandbox_log;
use crate::core_common::templates::{draft_under, fill, proposal, with_tiers};
use crate::core_common::{self, signed_in};
use crate::evidence::explain;
use countersign_core::domain::{ChangeStatus, Role};
use countersign_evidence::verify_pack;

#[tokio::test]
async fn a_fill_within_an_approved_template_is_published_and_its_pack_proves_the_template() {
    for db in core_common::both().await {
        let Publishing {
            services,
            g,
            key,
            sandbox,
            dir: _files,
        } = publishing(&db, |s| with_tiers(s, "1,2")).await;
        let template = services
            .propose_template(&g.approver, proposal(&g))
            .await
            .unwrap();
        for (who, role) in [(&g.owner, "approver"), (&g.legal, "legal")] {
            services
                .sign_template(who, &template.id, role, true, "Fine.", &template.hash)
                .await
                .unwrap();
        }
        let change = draft_under(
            &services,
            &g,
            fill(&template.id, "Berlin", "Friday", "See you."),
        )
        .await;
        assert_eq!(change.status, ChangeStatus::Approved, "{}", db.name);
        assert_eq!(services.deliver_due_effects().await.unwrap(), 1);
        let published = services.store().change(&change.id).await.unwrap().unwrap();
        assert_eq!(published.status, ChangeStatus::Published, "{}", db.name);
        let (applied, received) = sandbox_log(&sandbox).await;
        assert_eq!((applied.len(), received.len()), (1, 1));
        assert!(services
            .store()
            .signoffs(&change.id)
            .await
            .unwrap()
            .is_empty());

        let auditor = signed_in(&services, "audra", &[Role::Auditor]).await;
        let pack = services
            .change_evidence(&auditor, &change.id)
            .await
            .unwrap();
        let verdict = verify_pack(&pack.bytes, &key);
        assert!(verdict.passed(), "{}:\n{}", db.name, explain(&verdict));
        let quorum = verdict.checks.iter().find(|c| c.name == "quorum").unwrap();
        assert!(
            quorum
                .detail
                .contains("approved by Person olga and Person lee"),
            "{}",
            quorum.detail
        );
    }
}
