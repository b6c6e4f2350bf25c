//! The story demo mode tells at its first start, so every persona lands on a page with real work:
//! the demo system drilled and the spring workflow active; the demo agent, with client
//! credentials a security admin issued, drafting through `/api/v1`; changes at every stage of the
//! gate (waiting for legal, waiting for an approver with complete evidence, missing its rollback
//! plan, sent back and answered by a new version, published, rolled back); a second workflow whose
//! widening waits for review; the orphaned agent seeded earlier; and the corporate directory
//! connected over SCIM, where a contractor's departure orphans the agent she owned. Every step
//! goes through the service layer, the agent API or SCIM in the name of the persona or system who
//! would do it — nothing is written behind the core's back, and the ledger tells it all.

use crate::auth::demo::WINBACK_DRAFTER;
use crate::demo_agent::{DemoAgent, Draft, Drafted};
use anyhow::{bail, Context};
use countersign_core::domain::{
    ChangeStatus, Grant, GrantAction, Performer, Step, StepId, StepKind, WorkflowState,
};
use countersign_core::services::{
    DefineWorkflow, ProposeTemplate, SignoffInput, SlotInput, DEMO_SYSTEM, DEMO_WORKFLOW,
};
use countersign_core::{Actor, Services};
use std::time::Duration;

/// The spring offer as the story's variant set: English first (the base), German, French.
pub const SPRING_LOCALES: [(&str, &str); 3] = [
    (
        "en-GB",
        "Hello {first_name}, spring is here in {region}: 20% off every garden plan until 30 April.",
    ),
    (
        "de-DE",
        "Hallo {first_name}, der Frühling ist in {region} angekommen: 20 % Rabatt auf alle Gartenpläne bis 30. April.",
    ),
    (
        "fr-FR",
        "Bonjour {first_name}, le printemps arrive à {region} : 20 % de remise sur tous les plans de jardin jusqu'au 30 avril.",
    ),
];

/// The second workflow: its widening waits for a security admin.
pub const WINBACK_WORKFLOW: &str = "Win-back SMS";

/// Tells the story if it was not told before (the spring workflow is still a draft), then
/// returns the demo agent, ready to keep drafting.
pub async fn tell(services: &Services, api: &str) -> anyhow::Result<DemoAgent> {
    let workflows = services.store().workflows().await?;
    let spring = workflows
        .iter()
        .find(|w| w.name == DEMO_WORKFLOW)
        .context("the demo workflow is missing")?
        .clone();
    let draft_step = spring
        .steps
        .iter()
        .find(|s| s.kind == StepKind::DraftContent)
        .context("the demo workflow has no drafting step")?;
    let Performer::Nhi(drafter) = draft_step.performer else {
        bail!("the demo workflow's drafting step has no agent");
    };
    let priya = services.demo_persona("priya").await?;
    let first_time = spring.state == WorkflowState::Draft;
    let system = services
        .store()
        .systems()
        .await?
        .into_iter()
        .find(|s| s.name == DEMO_SYSTEM)
        .context("the demo system is missing")?;
    if first_time {
        let drill = services.run_revocation_drill(&priya, system.id).await?;
        if !drill.passed {
            bail!(
                "the demo system's revocation drill failed: {}",
                drill.error.unwrap_or_default()
            );
        }
        services.activate_workflow(&priya, spring.id).await?;
    }
    // The agent's credentials, issued by a security admin as for any agent.
    let (_, secret) = services.rotate_client_secret(&priya, drafter).await?;
    let mut agent = DemoAgent::new(
        api,
        drafter.to_string(),
        secret.0,
        format!("step:{}", draft_step.id),
    )?;
    if first_time {
        changes_at_every_stage(services, &mut agent).await?;
        a_standard_change(services, &mut agent, spring.id).await?;
        away_this_week(services).await?;
        widening_to_review(services, system.id).await?;
        crate::demo_directory::sync(services, api).await?;
        tracing::info!("demo mode: the story is told; every persona has work waiting");
    }
    Ok(agent)
}

async fn changes_at_every_stage(services: &Services, agent: &mut DemoAgent) -> anyhow::Result<()> {
    let amira = services.demo_persona("amira").await?;
    let lukas = services.demo_persona("lukas").await?;
    let draft = |title, content, reference, with_plan| Draft {
        title,
        content,
        reference,
        with_plan,
    };

    // Waiting for legal: the discount is a claim nobody has judged yet.
    agent
        .draft(&draft(
            "Spring offer: 20% off in your region",
            "Hello {first_name}, spring has arrived in {region}: take 20% off every plan until 30 April.",
            "campaigns/spring-2027/discount",
            true,
        ))
        .await?;

    // Waiting for an approver, its evidence complete: legal substantiated and signed.
    let ready = agent
        .draft(&draft(
            "Spring offer: the new garden range",
            "Hello {first_name}, our new garden range arrives in {region} stores this week, with prices from €4.99.",
            "campaigns/spring-2027/garden",
            true,
        ))
        .await?;
    legal_approves(services, &lukas, &ready).await?;

    // A variant set waiting for an approver: three locales, legal's judgement given for all.
    let locales = agent
        .draft_set(
            "Spring offer in three languages",
            "campaigns/spring-2027/locales",
            &SPRING_LOCALES,
        )
        .await?;
    legal_approves(services, &lukas, &locales).await?;

    // Missing its rollback plan.
    agent
        .draft(&draft(
            "Spring newsletter: what's new in store",
            "Hello {first_name}, here is what's new in your {region} store this spring.",
            "campaigns/spring-2027/newsletter",
            false,
        ))
        .await?;

    // Sent back with a comment, and answered by a new version.
    let sent_back = agent
        .draft(&draft(
            "Spring offer: weekend opening",
            "Hello {first_name}, our stores are open every weekend this spring.",
            "campaigns/spring-2027/weekends",
            true,
        ))
        .await?;
    sign(
        services,
        &amira,
        &sent_back,
        "approver",
        "request_changes",
        "Not every store opens on Sundays: name the hours and the regions.",
    )
    .await?;
    agent
        .revise(
            &sent_back.change_id,
            "Hello {first_name}, our {region} stores now open on Saturdays from 9:00 to 18:00 and on Sundays from 10:00 to 16:00.",
        )
        .await?;

    // Published to the reference system, and another published then rolled back.
    let published = agent
        .draft(&draft(
            "Spring offer: free delivery",
            "Hello {first_name}, delivery to {region} is free on every order until 31 May.",
            "campaigns/spring-2027/delivery",
            true,
        ))
        .await?;
    approve_and_publish(services, &amira, &lukas, &published).await?;
    let rolled_back = agent
        .draft(&draft(
            "Spring offer: early-bird prices",
            "Hello {first_name}, early-bird prices in {region} end on 15 April: order now to save 10%.",
            "campaigns/spring-2027/early-bird",
            true,
        ))
        .await?;
    approve_and_publish(services, &amira, &lukas, &rolled_back).await?;
    services
        .roll_back_change(
            &amira,
            &rolled_back.change_id,
            "The early-bird dates were wrong in two regions.",
        )
        .await?;
    wait_for(services, &rolled_back.change_id, ChangeStatus::RolledBack).await
}

/// A template for opening-hours reminders, proposed by Amira and approved by Grace (approver)
/// and Lukas (legal); the agent drafts one reminder within it, which policy approves and the
/// console publishes, and one with a discount in a slot, which goes to people.
async fn a_standard_change(
    services: &Services,
    agent: &mut DemoAgent,
    workflow: countersign_core::domain::WorkflowId,
) -> anyhow::Result<()> {
    let amira = services.demo_persona("amira").await?;
    let grace = services.demo_persona("grace").await?;
    let lukas = services.demo_persona("lukas").await?;
    let slot = |name: &str, pattern: &str, max_chars: usize| SlotInput {
        name: name.to_owned(),
        allowed: Vec::new(),
        pattern: pattern.to_owned(),
        max_chars,
        no_claims: true,
    };
    let template = services
        .propose_template(
            &amira,
            ProposeTemplate {
                workflow: workflow.to_string(),
                name: "Spring opening hours reminder".to_owned(),
                text: "Hello {first_name}, your {region} store opens on {{day}} at {{time}} \
                       this spring. {{note}}"
                    .to_owned(),
                format: "markdown".to_owned(),
                audience: "external".to_owned(),
                slots: vec![
                    SlotInput {
                        allowed: ["Saturday", "Sunday"].map(str::to_owned).to_vec(),
                        ..slot("day", "", 10)
                    },
                    slot("time", "([01][0-9]|2[0-3]):[0-5][0-9]", 5),
                    slot("note", "", 120),
                ],
                rollback_steps: "Unpublish the reminder in Campaign Manager; send nothing further."
                    .to_owned(),
                valid_days: 90,
            },
        )
        .await?;
    for (person, role) in [(&grace, "approver"), (&lukas, "legal")] {
        services
            .sign_template(person, &template.id, role, true, "", &template.hash)
            .await?;
    }
    let within = agent
        .draft_from_template(
            "Spring opening hours: Saturdays",
            "campaigns/spring-2027/saturdays",
            &template.id,
            &[
                ("day", "Saturday"),
                ("time", "09:00"),
                ("note", "See you there."),
            ],
        )
        .await?;
    wait_for(services, &within.change_id, ChangeStatus::Published).await?;
    agent
        .draft_from_template(
            "Spring opening hours: Sundays",
            "campaigns/spring-2027/sundays",
            &template.id,
            &[
                ("day", "Sunday"),
                ("time", "10:00"),
                ("note", "Every plant is 30% off."),
            ],
        )
        .await?;
    Ok(())
}

/// Legal substantiates every claim and signs as legal reviewer.
async fn legal_approves(
    services: &Services,
    lukas: &Actor,
    change: &Drafted,
) -> anyhow::Result<()> {
    let view = services.gate_view(lukas, &change.change_id).await?;
    for claim in view.claims.iter().filter(|c| c.unresolved()) {
        services
            .review_claim(
                lukas,
                &change.change_id,
                &claim.id,
                "substantiated",
                "https://intranet.example.com/pricing/spring-2027",
                "Matches the spring price sheet.",
            )
            .await?;
    }
    sign(services, lukas, change, "legal", "approve", "").await
}

async fn approve_and_publish(
    services: &Services,
    amira: &Actor,
    lukas: &Actor,
    change: &Drafted,
) -> anyhow::Result<()> {
    legal_approves(services, lukas, change).await?;
    sign(
        services,
        amira,
        change,
        "approver",
        "approve",
        "Reads well.",
    )
    .await?;
    wait_for(services, &change.change_id, ChangeStatus::Published).await
}

async fn sign(
    services: &Services,
    person: &Actor,
    change: &Drafted,
    role: &str,
    verdict: &str,
    comment: &str,
) -> anyhow::Result<()> {
    // The person opens the change before deciding, as on the page.
    services.gate_view(person, &change.change_id).await?;
    services
        .sign_off(
            person,
            &change.change_id,
            SignoffInput {
                role: role.to_owned(),
                verdict: verdict.to_owned(),
                comment: comment.to_owned(),
                content_hash: change.content_hash.clone(),
            },
        )
        .await?;
    Ok(())
}

/// Waits for the outbox to bring a change to `status` (the reference system runs in-process).
async fn wait_for(services: &Services, change: &str, status: ChangeStatus) -> anyhow::Result<()> {
    for _ in 0..300 {
        let now = services.store().change(change).await?.map(|c| c.status);
        if now == Some(status) {
            return Ok(());
        }
        if now == Some(ChangeStatus::PublishFailed) {
            bail!("demo change {change} failed to publish");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!(
        "demo change {change} did not reach {} in 30 s",
        status.as_str()
    )
}

/// Lukas is at a conference this week: Grace stands in for him as legal reviewer, so the
/// legal work the demo agent's new drafts need reaches her, and she may sign for him.
async fn away_this_week(services: &Services) -> anyhow::Result<()> {
    let lukas = services.demo_persona("lukas").await?;
    let Actor::Human { id: grace, .. } = services.demo_persona("grace").await? else {
        bail!("the demo persona grace is not a person");
    };
    let now = services.clock().now();
    services
        .set_away(
            &lukas,
            countersign_core::services::SetAway {
                role: countersign_core::domain::Role::Legal,
                delegate: grace,
                from: now,
                until: now + chrono::Duration::days(7),
                reason: "Conference week: Grace covers legal review".to_owned(),
            },
        )
        .await?;
    Ok(())
}

/// A second workflow, active, whose drafting step Sana widens to infer customer traits: the
/// tier rises, so it waits for a security admin other than Sana.
async fn widening_to_review(
    services: &Services,
    system: countersign_core::domain::SystemId,
) -> anyhow::Result<()> {
    let sana = services.demo_persona("sana").await?;
    let Actor::Human { id: sana_id, .. } = sana else {
        bail!("the demo persona sana is not a person");
    };
    let amira = services.demo_persona("amira").await?;
    let Actor::Human { id: amira_id, .. } = amira else {
        bail!("the demo persona amira is not a person");
    };
    let nhis = services.store().nhis(&Default::default()).await?;
    let nhi = |name: &str| {
        nhis.iter()
            .find(|n| n.name == name)
            .map(|n| Performer::Nhi(n.id))
            .with_context(|| format!("the demo identity {name} is missing"))
    };
    let grant = |system, actions: &[GrantAction], fields: &[&str], review| Grant {
        system,
        actions: actions.iter().copied().collect(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        purposes: ["winback".to_owned()].into_iter().collect(),
        human_review: review,
    };
    let step = |name: &str, kind, performer, grant| Step {
        id: StepId::new(),
        name: name.to_owned(),
        kind,
        performer,
        owner: Some(sana_id),
        grant,
        pending_grant: None,
    };
    let workflow = services
        .define_workflow(
            &sana,
            DefineWorkflow {
                name: WINBACK_WORKFLOW.to_owned(),
                purpose: "Text lapsed loyalty members a personal win-back offer.".to_owned(),
                owner: sana_id,
                steps: vec![
                    step(
                        "Read loyalty contacts",
                        StepKind::ReadCustomerData,
                        nhi("crm-contact-reader")?,
                        grant(
                            Some(system),
                            &[GrantAction::Read],
                            &["first_name", "region"],
                            false,
                        ),
                    ),
                    step(
                        "Draft the SMS",
                        StepKind::DraftContent,
                        nhi(WINBACK_DRAFTER)?,
                        grant(Some(system), &[GrantAction::Draft], &[], true),
                    ),
                    Step {
                        owner: Some(amira_id),
                        ..step(
                            "Approver review",
                            StepKind::HumanReview,
                            Performer::Human(amira_id),
                            grant(None, &[], &[], true),
                        )
                    },
                    step(
                        "Publish to Campaign Manager",
                        StepKind::Publish,
                        Performer::Publisher,
                        grant(Some(system), &[GrantAction::Publish], &[], false),
                    ),
                ],
            },
        )
        .await?;
    let workflow = services.activate_workflow(&sana, workflow.id).await?;
    let drafting = &workflow.steps[1];
    let mut wider = drafting.grant.clone();
    wider.actions.insert(GrantAction::InferTraits);
    services
        .change_step_grant(&sana, workflow.id, drafting.id, wider)
        .await?;
    Ok(())
}
