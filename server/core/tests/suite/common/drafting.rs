//! A drafting session on the spring-offer chain: an active workflow whose drafting step may read
//! `email` itself, tokens for the reader and the drafter, and helpers to ask for decisions and
//! build drafts.

use super::chain::{chain, record_passing_drill, spring_offer, Chain};
use countersign_core::domain::{GrantAction, Provenance, Workflow};
use countersign_core::services::{AccessRequest, DraftInput, DraftTarget, TokenPrincipal};
use countersign_core::Services;

pub struct Session {
    pub chain: Chain,
    pub workflow: Workflow,
    pub drafter: TokenPrincipal,
    pub reader: TokenPrincipal,
}

pub async fn session(services: &Services, db: &super::TestDb) -> Session {
    session_with(services, db, chain(services).await).await
}

pub async fn session_with(services: &Services, db: &super::TestDb, chain: Chain) -> Session {
    let workflow = services
        .define_workflow(&chain.admin, spring_offer(&chain, &["email"]))
        .await
        .unwrap();
    // The drafting step may read email itself, so it can cite its own decisions.
    let mut grant = workflow.steps[1].grant.clone();
    grant.system = Some(chain.crm);
    grant.actions.insert(GrantAction::Read);
    grant.fields.insert("email".to_owned());
    services
        .change_step_grant(&chain.admin, workflow.id, workflow.steps[1].id, grant)
        .await
        .unwrap();
    record_passing_drill(services, db, &chain).await;
    let workflow = services
        .activate_workflow(&chain.admin, workflow.id)
        .await
        .unwrap();
    Session {
        drafter: token_for(
            services,
            &chain.drafter,
            &chain.drafter_secret,
            &workflow,
            1,
        )
        .await,
        reader: token_for(services, &chain.reader, &chain.reader_secret, &workflow, 0).await,
        chain,
        workflow,
    }
}

/// New tokens for the drafter and the reader: tokens live 15 minutes, and a test that moves the
/// clock past that acts again as an agent would, with a token issued now.
pub async fn renew_tokens(services: &Services, session: &mut Session) {
    let chain = &session.chain;
    session.drafter = token_for(
        services,
        &chain.drafter,
        &chain.drafter_secret,
        &session.workflow,
        1,
    )
    .await;
    session.reader = token_for(
        services,
        &chain.reader,
        &chain.reader_secret,
        &session.workflow,
        0,
    )
    .await;
}

async fn token_for(
    services: &Services,
    nhi: &countersign_core::domain::NhiId,
    secret: &str,
    workflow: &Workflow,
    step: usize,
) -> TokenPrincipal {
    let scope = format!("step:{}", workflow.steps[step].id);
    let token = services
        .issue_token(&nhi.to_string(), secret, Some(&scope))
        .await
        .unwrap();
    services
        .authenticate_token(&token.access_token.0)
        .await
        .unwrap()
}

pub fn provenance(decisions: &[&str], fields: &[&str]) -> Provenance {
    Provenance {
        model: "claude-sonnet-4.5".into(),
        model_version: "2026-09-01".into(),
        prompt: "Write the spring offer email for opted-in customers.".into(),
        system_prompt: "You are a careful marketing writer.".into(),
        access_decisions: decisions.iter().map(|d| (*d).to_owned()).collect(),
        fields_used: fields.iter().map(|f| (*f).to_owned()).collect(),
        data_sources: vec!["spring-2027 price sheet".into()],
        tool_calls: vec![],
        raw_output: "Spring is here: 20% off for you.".into(),
        legal_bases: decisions
            .iter()
            .map(|d| ((*d).to_owned(), "consent".to_owned()))
            .collect(),
    }
}

pub fn draft(session: &Session, provenance: Provenance) -> DraftInput {
    DraftInput {
        title: "Spring offer email".into(),
        content: "Hello {first_name}, spring is here: 20% off everything until 30 April.".into(),
        format: "markdown".into(),
        channel: "email".into(),
        audience: "external".into(),
        purpose: "spring_offer".into(),
        target: DraftTarget {
            system: session.chain.crm.to_string(),
            reference: "campaigns/spring-2027".into(),
        },
        variants: None,
        template: None,
        provenance,
    }
}

pub async fn decide(services: &Services, principal: &TokenPrincipal) -> String {
    services
        .decide_access(
            principal,
            AccessRequest {
                purpose: "spring_offer".into(),
                fields: vec!["email".into()],
                subjects: vec!["crm-1".into()],
            },
        )
        .await
        .unwrap()
        .decision_id
}

/// The spring offer in three locales as one variant set: English (the base), German, French.
pub const LOCALES: [(&str, &str); 3] = [
    (
        "en-GB",
        "Hello {first_name}, spring is here: 20% off everything until 30 April.",
    ),
    (
        "de-DE",
        "Hallo {first_name}, der Frühling ist da: 20 % Rabatt auf alles bis 30. April.",
    ),
    (
        "fr-FR",
        "Bonjour {first_name}, le printemps est là : 20 % de remise sur tout jusqu'au 30 avril.",
    ),
];

/// A variant set of `variants` (name, content), each published to `campaigns/spring-2027/<name>`.
pub fn set_draft(
    session: &Session,
    provenance: Provenance,
    variants: &[(&str, &str)],
) -> DraftInput {
    let mut input = draft(session, provenance);
    input.title = "Spring offer email, three locales".into();
    input.content = String::new();
    input.format = String::new();
    input.audience = String::new();
    input.target.reference = String::new();
    input.variants = Some(
        variants
            .iter()
            .map(|(name, content)| countersign_core::services::VariantInput {
                name: (*name).to_owned(),
                content: (*content).to_owned(),
                format: "markdown".into(),
                audience: "external".into(),
                target_reference: format!("campaigns/spring-2027/{name}"),
            })
            .collect(),
    );
    input
}
