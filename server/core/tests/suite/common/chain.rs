//! The spring-offer chain most workflow tests start from: a security admin, an owner, a CRM
//! reader and a drafting agent, and a campaign system exposing contact, plain and financial fields.

use chrono::Duration;
use countersign_core::domain::{
    Drill, DrillId, Grant, GrantAction, HumanId, NhiKind, Performer, Role, Step, StepId, StepKind,
};
use countersign_core::ledger::NewEvent;
use countersign_core::services::{DefineWorkflow, RegisterNhi, RegisterSystem};
use countersign_core::{Actor, Services};
use serde_json::json;

pub struct Chain {
    pub admin: Actor,
    pub owner: HumanId,
    pub reader: countersign_core::domain::NhiId,
    pub reader_secret: String,
    pub drafter: countersign_core::domain::NhiId,
    /// The drafting agent's client secret, as shown once at registration.
    pub drafter_secret: String,
    pub crm: countersign_core::domain::SystemId,
    /// The campaign system's signing secret, as shown once at registration.
    pub crm_secret: String,
    /// The name `spring_offer` gives the chain's workflow.
    pub workflow_name: &'static str,
}

pub async fn chain(services: &Services) -> Chain {
    chain_at(services, "https://campaigns.example.com").await
}

/// The chain with the campaign system at `base_url` (a reference system on loopback).
pub async fn chain_at(services: &Services, base_url: &str) -> Chain {
    chain_named(services, base_url, "Campaign Manager", "Spring offer email").await
}

/// The chain with its campaign system and workflow named otherwise (beside a console's own
/// sample system and workflow).
pub async fn chain_named(
    services: &Services,
    base_url: &str,
    system: &str,
    workflow: &'static str,
) -> Chain {
    let admin = super::signed_in(services, "sam", &[Role::SecurityAdmin]).await;
    let Actor::Human { id: owner, .. } =
        super::signed_in(services, "olga", &[Role::Approver]).await
    else {
        panic!()
    };
    let nhi = |name: &str, kind| RegisterNhi {
        kind,
        name: name.to_owned(),
        purpose: "Part of the spring offer email workflow.".to_owned(),
        owners: vec![owner],
        expires_at: Some(services.clock().now() + Duration::days(30)),
        model: Some("claude-sonnet-4.5 (Anthropic)".to_owned()),
    };
    let (reader, reader_secret) = services
        .register_nhi(&admin, nhi("crm-reader", NhiKind::ServiceAccount))
        .await
        .unwrap();
    let (drafter, drafter_secret) = services
        .register_nhi(&admin, nhi("offer-drafter", NhiKind::Agent))
        .await
        .unwrap();
    let (system, crm_secret) = services
        .register_system(
            &admin,
            RegisterSystem {
                name: system.to_owned(),
                kind: "campaign".to_owned(),
                base_url: base_url.to_owned(),
                fields: "email:contact\nregion:none\nincome:financial\nhealth:special_category"
                    .to_owned(),
            },
        )
        .await
        .unwrap();
    Chain {
        admin,
        owner,
        reader: reader.id,
        reader_secret: reader_secret.0,
        drafter: drafter.id,
        drafter_secret: drafter_secret.0,
        crm: system.id,
        crm_secret: crm_secret.0,
        workflow_name: workflow,
    }
}

pub fn grant(
    system: Option<countersign_core::domain::SystemId>,
    actions: &[GrantAction],
    fields: &[&str],
) -> Grant {
    Grant {
        system,
        actions: actions.iter().copied().collect(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        purposes: ["spring_offer".to_owned()].into_iter().collect(),
        human_review: false,
    }
}

pub fn spring_offer(chain: &Chain, read_fields: &[&str]) -> DefineWorkflow {
    let owner = Some(chain.owner);
    DefineWorkflow {
        name: chain.workflow_name.to_owned(),
        purpose: "Email the spring offer to customers who opted in.".to_owned(),
        owner: chain.owner,
        steps: vec![
            Step {
                id: StepId::new(),
                pending_grant: None,
                name: "Read CRM contacts".into(),
                kind: StepKind::ReadCustomerData,
                performer: Performer::Nhi(chain.reader),
                owner,
                grant: grant(Some(chain.crm), &[GrantAction::Read], read_fields),
            },
            Step {
                id: StepId::new(),
                pending_grant: None,
                name: "Draft the email".into(),
                kind: StepKind::DraftContent,
                performer: Performer::Nhi(chain.drafter),
                owner,
                grant: grant(None, &[GrantAction::Draft], &[]),
            },
            Step {
                id: StepId::new(),
                pending_grant: None,
                name: "Approver review".into(),
                kind: StepKind::HumanReview,
                performer: Performer::Human(chain.owner),
                owner,
                grant: Grant {
                    human_review: true,
                    ..Grant::default()
                },
            },
            Step {
                id: StepId::new(),
                pending_grant: None,
                name: "Publish".into(),
                kind: StepKind::Publish,
                performer: Performer::Publisher,
                owner,
                grant: grant(Some(chain.crm), &[GrantAction::Publish], &[]),
            },
        ],
    }
}

pub async fn record_passing_drill(services: &Services, db: &super::TestDb, chain: &Chain) {
    let mut tx = db.store.begin_write(0).await.unwrap();
    tx.insert_drill(&Drill {
        id: DrillId::new(),
        system_id: chain.crm,
        run_by: chain.owner,
        started_at: services.clock().now(),
        duration_ms: 12,
        passed: true,
        receipt: Some("{}".to_owned()),
        error: None,
    })
    .await
    .unwrap();
    tx.append_event(&NewEvent::new(
        &chain.admin,
        "system.drill_passed",
        chain.crm.reference(),
        json!({}),
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
}
