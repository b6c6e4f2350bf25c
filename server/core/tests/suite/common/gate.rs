//! A drafted external change at the gate, its reviewers, and the steps that get it approved.

use super::chain::{chain, Chain};
use super::drafting::{decide, draft, provenance, session_with, Session};
use countersign_core::domain::{ChangeRequest, Role};
use countersign_core::services::SignoffInput;
use countersign_core::{Actor, Services};

pub struct Gate {
    pub session: Session,
    pub change: ChangeRequest,
    pub approver: Actor,
    pub legal: Actor,
    pub both: Actor,
    pub owner: Actor,
}

/// A drafted external change citing a decision found under consent, and its reviewers.
pub async fn gate(services: &Services, db: &super::TestDb) -> Gate {
    gate_with(services, db, chain(services).await).await
}

/// The same on a given chain (its campaign system a reference system on loopback, say).
pub async fn gate_with(services: &Services, db: &super::TestDb, chain: Chain) -> Gate {
    let session = session_with(services, db, chain).await;
    services
        .import_consent_csv(
            &session.chain.admin,
            "subject,purpose,legal_basis,granted_at,withdrawn_at,source\n\
             crm-1,spring_offer,consent,2026-01-01,,crm\n",
            true,
        )
        .await
        .unwrap();
    let decision = decide(services, &session.drafter).await;
    let change = services
        .submit_draft(
            &session.drafter,
            draft(&session, provenance(&[&decision], &["email"])),
        )
        .await
        .unwrap();
    let approver = super::signed_in(services, "amy", &[Role::Approver]).await;
    let legal = super::signed_in(services, "lee", &[Role::Legal]).await;
    let both = super::signed_in(services, "dana", &[Role::Approver, Role::Legal]).await;
    let owner = super::signed_in(services, "olga", &[Role::Approver]).await;
    Gate {
        session,
        change,
        approver,
        legal,
        both,
        owner,
    }
}

/// Another change of the same session, for the target `reference`.
pub async fn another_change(services: &Services, g: &Gate, reference: &str) -> ChangeRequest {
    let decision = decide(services, &g.session.drafter).await;
    let mut input = draft(&g.session, provenance(&[&decision], &["email"]));
    input.target.reference = reference.to_owned();
    input.title = format!("Spring offer for {reference}");
    services
        .submit_draft(&g.session.drafter, input)
        .await
        .unwrap()
}

pub fn sign(role: &str, verdict: &str, comment: &str, hash: &str) -> SignoffInput {
    SignoffInput {
        role: role.to_owned(),
        verdict: verdict.to_owned(),
        comment: comment.to_owned(),
        content_hash: hash.to_owned(),
    }
}

/// Substantiates every open claim and writes a rollback plan: the evidence the gate needs.
pub async fn complete_evidence(services: &Services, g: &Gate) {
    complete_evidence_of(services, g, &g.change.id).await;
}

pub async fn complete_evidence_of(services: &Services, g: &Gate, change_id: &str) {
    let view = services.gate_view(&g.legal, change_id).await.unwrap();
    for claim in view.claims.iter().filter(|c| c.unresolved()) {
        services
            .review_claim(
                &g.legal,
                change_id,
                &claim.id,
                "substantiated",
                "https://intranet.example/pricing/spring-2027",
                "",
            )
            .await
            .unwrap();
    }
    services
        .set_rollback_plan(
            &g.session.drafter.actor,
            change_id,
            "Unpublish the campaign and send nothing further.",
            "",
            true,
        )
        .await
        .unwrap();
}

/// Completes the evidence and signs as approver and legal reviewer: the change is approved and
/// its publication queued.
pub async fn approve(services: &Services, g: &Gate, change: &ChangeRequest) {
    complete_evidence_of(services, g, &change.id).await;
    let hash = &change.current_hash;
    services
        .sign_off(
            &g.approver,
            &change.id,
            sign("approver", "approve", "Reads well.", hash),
        )
        .await
        .unwrap();
    let outcome = services
        .sign_off(&g.both, &change.id, sign("legal", "approve", "", hash))
        .await
        .unwrap();
    assert_eq!(outcome.status.as_str(), "approved");
}
