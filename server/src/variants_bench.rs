//! `countersign-load variants`: one change carrying a set of many locales (every line of every
//! locale differs from the base, the claims of each found), written through the store's own
//! write path, then times the server render of its page — `GET /changes/{id}` for a signed-in
//! approver, over HTTP on loopback — the page a reviewer reads the whole set on.

use crate::loadtest::world;
use crate::queue_bench::{percentile, serve_on_loopback, sign_in, time_renders};
use countersign_core::domain::{
    detect_claims, reviewable_text, Audience, ChangeRequest, ChangeStatus, ChangeVersion, Claim,
    ClaimStatus, Content, HostAllowList, Provenance, Variant, VariantName, CLAIM_RULES,
};
use countersign_core::ledger::NewEvent;
use countersign_core::Actor;
use serde_json::json;
use std::time::Duration;

pub struct VariantsBenchOptions {
    pub database_url: String,
    pub variants: usize,
    pub samples: usize,
}

pub struct VariantsReport {
    pub backend: String,
    pub variants: usize,
    pub bytes: usize,
    pub claims: usize,
    pub renders: Vec<Duration>,
}

impl VariantsReport {
    pub fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{}: a set of {} variants ({} KiB of content, {} claims): change page p50 {:.1} ms · \
             p95 {:.1} ms · p99 {:.1} ms ({} renders)",
            self.backend,
            self.variants,
            self.bytes / 1024,
            self.claims,
            ms(percentile(&self.renders, 0.50)),
            ms(percentile(&self.renders, 0.95)),
            ms(percentile(&self.renders, 0.99)),
            self.renders.len()
        );
    }
}

const BASE: [&str; 6] = [
    "Hello {first_name},",
    "spring has arrived in {region}: take 20% off every garden plan until 30 April.",
    "Our stores open on Saturdays from 9:00 to 18:00 and on Sundays from 10:00 to 16:00.",
    "Delivery is free on every order over 40 EUR this month.",
    "Reply to this email to tell us what you would like to see next season.",
    "You receive this because you opted in to spring offers; unsubscribe at any time.",
];

/// The set: the base, and `count - 1` locales each of whose lines differ from the base's.
fn variants(count: usize) -> anyhow::Result<Vec<Variant>> {
    let none = HostAllowList::default();
    (0..count)
        .map(|i| {
            let locale = if i == 0 {
                "en-GB".to_owned()
            } else {
                format!("l{i:02}-XX")
            };
            let text = BASE
                .iter()
                .map(|line| {
                    if i == 0 {
                        (*line).to_owned()
                    } else {
                        format!("{line} [{locale}]")
                    }
                })
                .collect::<Vec<_>>()
                .join("\n\n");
            let (content, _) = Content::new(&text, "markdown", &none)?;
            Ok(Variant {
                name: VariantName::parse(&locale).map_err(anyhow::Error::msg)?,
                audience: Audience::External,
                target_ref: format!("campaigns/spring-2027/{locale}"),
                content,
            })
        })
        .collect()
}

pub async fn run(options: VariantsBenchOptions) -> anyhow::Result<VariantsReport> {
    let world = world(&options.database_url).await?;
    let backend = world.services.store().backend().as_str().to_owned();
    let set = variants(
        options
            .variants
            .clamp(1, countersign_core::domain::MAX_VARIANTS),
    )?;
    let now = world.services.clock().now();
    let version = ChangeVersion {
        version: 1,
        content: set[0].content.clone(),
        variants: set,
        provenance: Provenance {
            model: "load-generator".to_owned(),
            model_version: "1".to_owned(),
            prompt: "Write the spring offer in every locale.".to_owned(),
            system_prompt: String::new(),
            access_decisions: Vec::new(),
            fields_used: Vec::new(),
            data_sources: Vec::new(),
            tool_calls: Vec::new(),
            raw_output: BASE.join("\n\n"),
            legal_bases: Default::default(),
        },
        submitted_at: now,
    };
    let change = ChangeRequest {
        id: uuid::Uuid::now_v7().to_string(),
        workflow: world.workflow.id,
        step: world.step.id,
        nhi: world.agent.id,
        title: format!("Spring offer in {} locales", version.variants.len()),
        channel: "email".to_owned(),
        audience: Audience::External,
        purpose: "spring_offer".to_owned(),
        target_system: world.system,
        target_ref: version.variants[0].target_ref.clone(),
        status: ChangeStatus::PendingReview,
        tier: world.workflow.tier.number(),
        current_version: 1,
        current_hash: version.signed_hash(),
        open_claims: 0,
        has_rollback_plan: false,
        provenance_ok: true,
        legal_basis_ok: true,
        publication: None,
        callback_url: None,
        created_at: now,
        updated_at: now,
    };
    let actor = Actor::for_nhi(&world.agent, now);
    let store = world.services.store();
    let mut tx = store
        .begin_write(countersign_core::clock::to_millis(now))
        .await?;
    tx.insert_change(&change, &version).await?;
    let seq = tx
        .append_event(&NewEvent::new(
            &actor,
            "change.drafted",
            format!("change:{}", change.id),
            json!({ "title": change.title, "version": 1, "content_hash": change.current_hash }),
        ))
        .await?;
    tx.set_version_event(&change.id, 1, seq).await?;
    let mut claims = 0;
    for (i, variant) in version.variants.iter().enumerate() {
        let text = reviewable_text(&variant.content.text, variant.content.format);
        for found in detect_claims(&text, &CLAIM_RULES) {
            let claim = Claim {
                id: uuid::Uuid::now_v7().to_string(),
                change_id: change.id.clone(),
                version: 1,
                variant: if i == 0 {
                    String::new()
                } else {
                    variant.name.as_str().to_owned()
                },
                span: found.span,
                quote: found.quote,
                rules: found.rules,
                marked_by: None,
                status: ClaimStatus::Open,
                evidence: String::new(),
                comment: String::new(),
                reviewed_by: None,
                reviewed_at: None,
                event_seq: seq,
            };
            tx.insert_claim(&claim, None, countersign_core::clock::to_millis(now))
                .await?;
            claims += 1;
        }
    }
    tx.set_open_claims(&change.id, claims as i64).await?;
    tx.commit().await?;

    let (base, client) = serve_on_loopback(&world).await?;
    let cookie = sign_in(&client, &base).await?;
    let last = version
        .variants
        .last()
        .map(|v| v.name.as_str().to_owned())
        .unwrap_or_default();
    let renders = time_renders(
        &client,
        &format!("{base}/changes/{}", change.id),
        &cookie,
        options.samples,
        &format!("data-name=\"{last}\""),
    )
    .await?;
    Ok(VariantsReport {
        backend,
        variants: version.variants.len(),
        bytes: version.variants.iter().map(|v| v.content.text.len()).sum(),
        claims,
        renders,
    })
}
