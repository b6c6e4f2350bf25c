//! `countersign-load evidence`: how long a change's evidence pack takes when the change cites an
//! access decision over many customers. The load world, a drafting workflow on it, a decision
//! over `subjects` subjects (all with consent), a draft citing it; then packs timed as an
//! auditor asks for them, the first one (which signs the covering checkpoint) apart.

use crate::loadtest::world;
use anyhow::{bail, Context};
use countersign_core::domain::{
    ExternalIdentity, Grant, GrantAction, Performer, Provenance, Role, Step, StepKind,
};
use countersign_core::services::{
    AccessRequest, DefineWorkflow, DraftInput, DraftTarget, SignIn, SignInOutcome, DEMO_ISSUER,
};
use std::time::{Duration, Instant};

pub struct EvidenceBenchOptions {
    pub database_url: String,
    pub subjects: usize,
    pub samples: usize,
}

pub async fn run(options: EvidenceBenchOptions) -> anyhow::Result<String> {
    if !(1..=1000).contains(&options.subjects) {
        bail!("--subjects must be 1 to 1000 (one access decision's limit)");
    }
    let w = world(&options.database_url).await?;
    let services = &w.services;
    let backend = services.store().backend().as_str();
    let Some(owner) = (match &w.admin {
        countersign_core::Actor::Human { id, .. } => Some(*id),
        _ => None,
    }) else {
        bail!("the load admin is not a person");
    };
    let mut csv = String::from("subject,purpose,legal_basis,granted_at,withdrawn_at,source\n");
    for n in 0..options.subjects {
        csv.push_str(&format!(
            "crm-{n:05},spring_offer,consent,2026-01-01,,load\n"
        ));
    }
    services.import_consent_csv(&w.admin, &csv, true).await?;
    let grant = |actions: &[GrantAction]| Grant {
        system: Some(w.system),
        actions: actions.iter().copied().collect(),
        fields: ["email".to_owned()].into_iter().collect(),
        purposes: ["spring_offer".to_owned()].into_iter().collect(),
        human_review: true,
    };
    let workflow = services
        .define_workflow(
            &w.admin,
            DefineWorkflow {
                name: "Evidence bench".to_owned(),
                purpose: "A change citing a decision over many customers.".to_owned(),
                owner,
                steps: vec![
                    Step::new(
                        "Draft",
                        StepKind::DraftContent,
                        Performer::Nhi(w.agent.id),
                        Some(owner),
                        grant(&[GrantAction::Read, GrantAction::Draft]),
                    ),
                    Step::new(
                        "Publish",
                        StepKind::Publish,
                        Performer::Publisher,
                        Some(owner),
                        Grant {
                            fields: Default::default(),
                            ..grant(&[GrantAction::Publish])
                        },
                    ),
                ],
            },
        )
        .await?;
    let workflow = services.activate_workflow(&w.admin, workflow.id).await?;
    let scope = format!("step:{}", workflow.steps[0].id);
    let token = services
        .issue_token(&w.agent.id.to_string(), &w.secret, Some(&scope))
        .await
        .map_err(|e| anyhow::anyhow!("token refused: {e}"))?;
    let drafter = services
        .authenticate_token(&token.access_token.0)
        .await
        .map_err(|e| anyhow::anyhow!("token refused: {e}"))?;
    let decision = services
        .decide_access(
            &drafter,
            AccessRequest {
                purpose: "spring_offer".into(),
                fields: vec!["email".into()],
                subjects: (0..options.subjects)
                    .map(|n| format!("crm-{n:05}"))
                    .collect(),
            },
        )
        .await?;
    if decision.allowed_subjects.len() != options.subjects {
        bail!(
            "the decision allowed {} subjects",
            decision.allowed_subjects.len()
        );
    }
    let id = decision.decision_id.clone();
    let change = services
        .submit_draft(
            &drafter,
            DraftInput {
                title: "Spring offer to every opted-in customer".into(),
                content: "Hello {first_name}, spring is here: our garden range is back.".into(),
                format: "markdown".into(),
                channel: "email".into(),
                audience: "external".into(),
                purpose: "spring_offer".into(),
                target: DraftTarget {
                    system: w.system.to_string(),
                    reference: "campaigns/spring".into(),
                },
                variants: None,
                template: None,
                provenance: Provenance {
                    model: "load-generator".into(),
                    model_version: "1".into(),
                    prompt: "Write the spring email.".into(),
                    system_prompt: String::new(),
                    access_decisions: vec![id.clone()],
                    fields_used: vec!["email".into()],
                    data_sources: vec![],
                    tool_calls: vec![],
                    raw_output: "Hello, spring is here.".into(),
                    legal_bases: [(id, "consent".to_owned())].into_iter().collect(),
                },
            },
        )
        .await?;
    let SignInOutcome::Granted { actor: auditor } = services
        .sign_in(SignIn {
            identity: ExternalIdentity::new(DEMO_ISSUER, "load-auditor")?,
            name: Some("Load Auditor".to_owned()),
            email: Some("load.auditor@example.com".to_owned()),
            roles: [Role::Auditor].into_iter().collect(),
            groups_seen: 0,
            reauthentication: false,
            email_verified: true,
        })
        .await?
    else {
        bail!("the load auditor was not let in");
    };

    let started = Instant::now();
    let first = services.change_evidence(&auditor, &change.id).await?;
    let cold = started.elapsed();
    let key = services
        .log_verifier()
        .context("the load world has a log key")?;
    let verdict = countersign_evidence::verify_pack(&first.bytes, &key);
    if !verdict.passed() {
        bail!(
            "the benchmark's pack does not verify: {:?}",
            verdict.failures().collect::<Vec<_>>()
        );
    }
    let mut times: Vec<Duration> = Vec::with_capacity(options.samples);
    for _ in 0..options.samples.max(1) {
        let started = Instant::now();
        let pack = services.change_evidence(&auditor, &change.id).await?;
        times.push(started.elapsed());
        if pack.bytes != first.bytes {
            bail!("the same request gave different bytes");
        }
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    let started = Instant::now();
    let verdict = countersign_evidence::verify_pack(&first.bytes, &key);
    let verify = started.elapsed();
    Ok(format!(
        "evidence pack, {backend}: a change citing {subjects} subjects; pack {kib} KiB, {events} events; \
         first (signs its checkpoint) {cold:.1?}, then p50 {p50:.1?}, p95 {p95:.1?}, max {max:.1?} over {n}; \
         offline verify {verify:.1?} ({checks} checks passed: {passed})",
        subjects = options.subjects,
        kib = first.bytes.len() / 1024,
        events = first.events,
        p50 = at(0.5),
        p95 = at(0.95),
        max = at(1.0),
        n = times.len(),
        checks = verdict.checks.len(),
        passed = verdict.passed(),
    ))
}
