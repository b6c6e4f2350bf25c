//! `countersign-load registry`: a real organisation's registry — many workflows, each a chain of
//! its own identities, and more identities besides — written through the store's own write path,
//! then the server render of the pages a security admin reads it on, over HTTP on loopback: the
//! workflows list (first page, a later page, a search), one workflow's page, the identities
//! list (first and a later page) and one identity's page.

use crate::loadtest::world;
use crate::queue_bench::{percentile, serve_on_loopback, sign_in_as, time_renders};
use anyhow::Context;
use countersign_core::domain::{
    Nhi, NhiId, NhiKind, NhiState, Performer, StepId, WorkflowId, WorkflowState,
};
use countersign_core::ledger::NewEvent;
use countersign_core::Actor;
use serde_json::json;
use std::time::{Duration, Instant};

pub struct RegistryBenchOptions {
    pub database_url: String,
    pub workflows: usize,
    pub identities: usize,
    pub samples: usize,
}

pub struct RegistryReport {
    pub backend: String,
    pub workflows: usize,
    pub identities: usize,
    pub seed_time: Duration,
    /// (page, bytes of HTML, sorted render times).
    pub pages: Vec<(String, usize, Vec<Duration>)>,
}

impl RegistryReport {
    pub fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{}: {} workflows, {} identities (seeded in {:.1} s)",
            self.backend,
            self.workflows,
            self.identities,
            self.seed_time.as_secs_f64()
        );
        for (name, bytes, times) in &self.pages {
            println!(
                "  {name:<28} {:>6} KiB  p50 {:.1} ms · p95 {:.1} ms · p99 {:.1} ms ({} renders)",
                bytes / 1024,
                ms(percentile(times, 0.50)),
                ms(percentile(times, 0.95)),
                ms(percentile(times, 0.99)),
                times.len()
            );
        }
    }
}

const BATCH: usize = 500;

pub async fn run(options: RegistryBenchOptions) -> anyhow::Result<RegistryReport> {
    let world = world(&options.database_url).await?;
    let backend = world.services.store().backend().as_str().to_owned();
    let Actor::Human { id: admin, .. } = world.admin else {
        anyhow::bail!("the load world's admin is not a person");
    };
    let store = world.services.store();
    let now = world.services.clock().now();
    let now_ms = countersign_core::clock::to_millis(now);
    let started = Instant::now();

    // Identities: two per workflow perform its steps; the rest are registered and idle.
    let total = options.identities.max(options.workflows * 2);
    let mut ids: Vec<NhiId> = Vec::with_capacity(total);
    for from in (0..total).step_by(BATCH) {
        let mut tx = store.begin_write(now_ms).await?;
        for n in from..(from + BATCH).min(total) {
            let nhi = Nhi {
                id: NhiId::new(),
                kind: if n % 2 == 0 {
                    NhiKind::ServiceAccount
                } else {
                    NhiKind::Agent
                },
                name: format!("load-identity-{n:05}"),
                purpose: format!("Serves campaign workflow {}.", n / 2),
                state: NhiState::Active,
                expires_at: now + chrono::Duration::days(60),
                model: (n % 2 == 1).then(|| "claude-sonnet-4.5 (Anthropic)".to_owned()),
                created_by: admin,
                created_at: now,
                last_used_at: None,
                owners: Vec::new(),
            };
            tx.insert_nhi(&nhi).await?;
            tx.replace_nhi_owners(nhi.id, &[admin], now_ms).await?;
            ids.push(nhi.id);
        }
        tx.append_event(&NewEvent::new(
            &world.admin,
            "load.identities_seeded",
            "load:registry",
            json!({ "from": from }),
        ))
        .await?;
        tx.commit().await?;
    }

    // Workflows: the load world's chain, each with its own reader and drafter.
    let mut first: Option<WorkflowId> = None;
    for from in (0..options.workflows).step_by(BATCH) {
        let mut tx = store.begin_write(now_ms).await?;
        for n in from..(from + BATCH).min(options.workflows) {
            let mut workflow = world.workflow.clone();
            workflow.id = WorkflowId::new();
            workflow.name = format!("Campaign {n:04}");
            workflow.purpose = format!("Email campaign {n} to customers who opted in.");
            workflow.state = WorkflowState::Draft;
            let mut performers = [ids[2 * n], ids[2 * n + 1]].into_iter();
            for step in &mut workflow.steps {
                step.id = StepId::new();
                if let Performer::Nhi(_) = step.performer {
                    step.performer = Performer::Nhi(performers.next().unwrap_or(ids[2 * n]));
                }
            }
            first.get_or_insert(workflow.id);
            tx.insert_workflow(&workflow).await?;
        }
        tx.append_event(&NewEvent::new(
            &world.admin,
            "load.workflows_seeded",
            "load:registry",
            json!({ "from": from }),
        ))
        .await?;
        tx.commit().await?;
    }
    let seed_time = started.elapsed();
    let first = first.context("no workflow seeded")?;

    let (base, client) = serve_on_loopback(&world).await?;
    let cookie = sign_in_as(&client, &base, "priya", "/workflows").await?;
    let mut pages = Vec::new();
    let performer = ids[0];
    for (name, path, expect) in [
        ("workflows page", "/workflows".to_owned(), "workflow-row"),
        (
            "workflows, page 20",
            "/workflows?page=20".to_owned(),
            "workflow-row",
        ),
        (
            "workflows, searched",
            "/workflows?q=campaign+0999".to_owned(),
            "workflow-row",
        ),
        (
            "one workflow's page",
            format!("/workflows/{first}"),
            "workflow-card",
        ),
        ("identities page", "/identities".to_owned(), "nhi-row"),
        (
            "identities, page 60",
            "/identities?page=60".to_owned(),
            "nhi-row",
        ),
        (
            "one identity's page",
            format!("/identities/{performer}"),
            "identity-name",
        ),
    ] {
        let url = format!("{base}{path}");
        let bytes = client
            .get(&url)
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await?
            .text()
            .await?
            .len();
        let times = time_renders(&client, &url, &cookie, options.samples, expect)
            .await
            .with_context(|| name.to_owned())?;
        pages.push((name.to_owned(), bytes, times));
    }
    Ok(RegistryReport {
        backend,
        workflows: options.workflows,
        identities: total,
        seed_time,
        pages,
    })
}
