//! `countersign-load investigate`: writes a large ledger of access decisions (each about a few
//! of many customers) through the store's own write path, with changes citing some of them,
//! then times the server render of the Investigate page — `GET /investigate?…` for a signed-in
//! security admin, over HTTP on loopback, each search recorded in the ledger as in production —
//! for a subject named by many decisions, an ordinary customer, a target and a change.

use crate::loadtest::{world, World};
use crate::queue_bench::{percentile, serve_on_loopback, sign_in_as, time_renders};
use anyhow::Context;
use countersign_core::domain::{
    Audience, ChangeRequest, ChangeStatus, ChangeVersion, Content, HostAllowList, Provenance,
};
use countersign_core::ledger::NewEvent;
use countersign_core::services::{AccessDecision, AllowedSubject, DeniedSubject};
use countersign_core::store::AccessDecisionRow;
use countersign_core::Actor;
use serde_json::json;
use std::time::{Duration, Instant};

pub struct InvestigateBenchOptions {
    pub database_url: String,
    pub decisions: usize,
    pub customers: usize,
    pub subjects_per_decision: usize,
    pub samples: usize,
}

/// The subject many decisions name (one in every `TRACED_EVERY`).
const TRACED: &str = "crm-traced";
const TRACED_EVERY: usize = 5_000;
/// Changes citing the newest decisions about the traced subject.
const CITING_CHANGES: usize = 60;
const BATCH: usize = 5_000;

pub struct InvestigateReport {
    pub backend: String,
    pub decisions: usize,
    /// Subjects named, over all decisions (what the index holds, as posting lists).
    pub index_rows: usize,
    pub seed_time: Duration,
    /// How long the subject indexer took to index every seeded decision.
    pub index_time: Duration,
    /// (what was searched, sorted render times).
    pub searches: Vec<(String, Vec<Duration>)>,
}

impl InvestigateReport {
    pub fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{}: {} access decisions seeded in {:.1} s; their {} subject mentions indexed \
             behind them in {:.1} s ({:.0} decisions/s)",
            self.backend,
            self.decisions,
            self.seed_time.as_secs_f64(),
            self.index_rows,
            self.index_time.as_secs_f64(),
            self.decisions as f64 / self.index_time.as_secs_f64().max(1e-9)
        );
        for (name, times) in &self.searches {
            println!(
                "  {name:<44} p50 {:.1} ms · p95 {:.1} ms · p99 {:.1} ms ({} renders)",
                ms(percentile(times, 0.50)),
                ms(percentile(times, 0.95)),
                ms(percentile(times, 0.99)),
                times.len()
            );
        }
    }
}

/// A small deterministic generator, so every run seeds the same ledger.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

fn answer(id: &str, subjects: &[String], expires: chrono::DateTime<chrono::Utc>) -> AccessDecision {
    let (allowed, denied): (Vec<&String>, Vec<&String>) =
        subjects.iter().partition(|s| s.len() % 3 != 0);
    AccessDecision {
        decision_id: id.to_owned(),
        allowed_fields: vec!["first_name".to_owned(), "region".to_owned()],
        denied_fields: Vec::new(),
        allowed_subjects: allowed
            .into_iter()
            .map(|s| AllowedSubject {
                subject: s.clone(),
                legal_basis: "consent".to_owned(),
            })
            .collect(),
        denied_subjects: denied
            .into_iter()
            .map(|s| DeniedSubject {
                subject: s.clone(),
                reason: "no_consent".to_owned(),
            })
            .collect(),
        expires_at: expires,
    }
}

/// Writes the decisions, oldest first, one second apart, in transactions of `BATCH`; returns
/// the ids of the decisions about the traced subject, newest first.
async fn seed_decisions(
    world: &World,
    options: &InvestigateBenchOptions,
) -> anyhow::Result<Vec<String>> {
    let store = world.services.store();
    let now_ms = countersign_core::clock::to_millis(world.services.clock().now());
    let start_ms = now_ms - options.decisions as i64 * 1000;
    let actor = Actor::for_nhi(&world.agent, world.services.clock().now());
    let mut random = Lcg(42);
    let mut traced = Vec::new();
    let mut n = 0;
    while n < options.decisions {
        let end = (n + BATCH).min(options.decisions);
        let mut tx = store.begin_write(now_ms).await?;
        tx.leaves_registry_unchanged();
        for i in n..end {
            let decided_at_ms = start_ms + i as i64 * 1000;
            let id = uuid::Uuid::now_v7().to_string();
            let mut subjects: Vec<String> = Vec::with_capacity(options.subjects_per_decision);
            while subjects.len() < options.subjects_per_decision {
                let s = format!("crm-{:06}", random.next(options.customers));
                if !subjects.contains(&s) {
                    subjects.push(s);
                }
            }
            if i % TRACED_EVERY == TRACED_EVERY - 1 {
                subjects[0] = TRACED.to_owned();
                traced.push(id.clone());
            }
            let decision = answer(
                &id,
                &subjects,
                countersign_core::clock::from_millis(decided_at_ms + 3_600_000),
            );
            tx.insert_access_decision(&AccessDecisionRow {
                id: id.clone(),
                nhi: world.agent.id,
                workflow: world.workflow.id,
                step: world.step.id,
                purpose: "spring_offer".to_owned(),
                request_json: json!({
                    "purpose": "spring_offer",
                    "fields": ["first_name", "region"],
                    "subjects": subjects,
                })
                .to_string(),
                response_json: serde_json::to_string(&decision)?,
                decided_at_ms,
                expires_at_ms: decided_at_ms + 3_600_000,
            })
            .await?;
            // Each decision is on the ledger, as a served one is (the subject index follows it).
            tx.append_event(&NewEvent::new(
                &actor,
                "access.decided",
                format!("decision:{id}"),
                json!({ "purpose": "spring_offer", "subjects_asked": subjects.len() }),
            ))
            .await?;
        }
        tx.commit().await?;
        n = end;
    }
    traced.reverse();
    Ok(traced)
}

/// A change citing each of `decisions`, at `campaigns/investigate-N`; returns the newest's id.
async fn seed_changes(world: &World, decisions: &[String]) -> anyhow::Result<String> {
    let store = world.services.store();
    let now = world.services.clock().now();
    let actor = Actor::for_nhi(&world.agent, now);
    let mut tx = store
        .begin_write(countersign_core::clock::to_millis(now))
        .await?;
    let mut newest = String::new();
    for (i, decision) in decisions.iter().enumerate().rev() {
        let text = format!("Hello {{first_name}}, spring has arrived in {{region}} (#{i}).");
        let (content, _) = Content::new(&text, "text", &HostAllowList::default())?;
        let version = ChangeVersion {
            version: 1,
            content: content.clone(),
            variants: Vec::new(),
            provenance: Provenance {
                model: "load-generator".to_owned(),
                model_version: "1".to_owned(),
                prompt: "Write the spring offer.".to_owned(),
                system_prompt: String::new(),
                access_decisions: vec![decision.clone()],
                fields_used: vec!["first_name".to_owned(), "region".to_owned()],
                data_sources: Vec::new(),
                tool_calls: Vec::new(),
                raw_output: text.clone(),
                legal_bases: [(decision.clone(), "consent".to_owned())].into(),
            },
            submitted_at: now,
        };
        let change = ChangeRequest {
            id: uuid::Uuid::now_v7().to_string(),
            workflow: world.workflow.id,
            step: world.step.id,
            nhi: world.agent.id,
            title: format!("Spring offer #{i}"),
            channel: "email".to_owned(),
            audience: Audience::External,
            purpose: "spring_offer".to_owned(),
            target_system: world.system,
            target_ref: format!("campaigns/investigate-{i}"),
            status: ChangeStatus::PendingReview,
            tier: world.workflow.tier.number(),
            current_version: 1,
            current_hash: content.hash.clone(),
            open_claims: 0,
            has_rollback_plan: false,
            provenance_ok: true,
            legal_basis_ok: true,
            publication: None,
            callback_url: None,
            created_at: now,
            updated_at: now,
        };
        tx.insert_change(&change, &version).await?;
        let seq = tx
            .append_event(&NewEvent::new(
                &actor,
                "change.drafted",
                format!("change:{}", change.id),
                json!({ "title": change.title, "version": 1, "content_hash": content.hash }),
            ))
            .await?;
        tx.set_version_event(&change.id, 1, seq).await?;
        newest = change.id;
    }
    tx.commit().await?;
    Ok(newest)
}

pub async fn run(options: InvestigateBenchOptions) -> anyhow::Result<InvestigateReport> {
    let world = world(&options.database_url).await?;
    let backend = world.services.store().backend().as_str().to_owned();
    let started = Instant::now();
    let traced = seed_decisions(&world, &options)
        .await
        .context("seeding decisions")?;
    let citing = &traced[..traced.len().min(CITING_CHANGES)];
    let newest_change = seed_changes(&world, citing)
        .await
        .context("seeding changes")?;
    let seed_time = started.elapsed();
    let indexing = Instant::now();
    world.services.index_decision_subjects().await?;
    let index_time = indexing.elapsed();

    let (base, client) = serve_on_loopback(&world).await?;
    let cookie = sign_in_as(&client, &base, "priya", "/investigate").await?;
    let ordinary = "crm-004242";
    let mut searches = Vec::new();
    for (name, query, expect) in [
        (
            format!("subject named by {} decisions", traced.len()),
            format!("kind=subject&q={TRACED}"),
            "trace-decision",
        ),
        (
            "an ordinary customer".to_owned(),
            format!("kind=subject&q={ordinary}"),
            "trace-decision",
        ),
        (
            "a target reference".to_owned(),
            "kind=target&q=campaigns/investigate-0".to_owned(),
            "data-testid=\"chain\"",
        ),
        (
            "a change".to_owned(),
            format!("kind=change&q={newest_change}"),
            "data-testid=\"chain\"",
        ),
    ] {
        let times = time_renders(
            &client,
            &format!("{base}/investigate?{query}"),
            &cookie,
            options.samples,
            expect,
        )
        .await
        .with_context(|| name.clone())?;
        searches.push((name, times));
    }
    Ok(InvestigateReport {
        backend,
        decisions: options.decisions,
        index_rows: options.decisions * options.subjects_per_decision,
        seed_time,
        index_time,
        searches,
    })
}
