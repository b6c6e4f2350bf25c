//! `countersign-load queue`: fills a database with pending changes (and ledger events) through
//! the store's own write path, then times the server render of the queue page — `GET /queue` for
//! a signed-in approver, over HTTP on loopback — at two sizes, to show how it grows.

use crate::loadtest::{world, World};
use anyhow::{bail, Context};
use countersign_core::domain::{
    Audience, ChangeRequest, ChangeStatus, ChangeVersion, Content, Provenance,
};
use countersign_core::ledger::NewEvent;
use countersign_core::Actor;
use serde_json::json;
use std::time::{Duration, Instant};

pub struct QueueBenchOptions {
    pub database_url: String,
    /// Pending changes at the first measurement, and at the second.
    pub changes: usize,
    pub grow_to: usize,
    /// Ledger events at the first measurement (the changes' own events count).
    pub events: usize,
    /// Page renders timed at each size.
    pub samples: usize,
}

pub struct Measurement {
    pub changes: usize,
    pub events: i64,
    pub seed_time: Duration,
    /// Sorted render times of the first page ("needs my role"), and of "all, newest first".
    pub mine: Vec<Duration>,
    pub all_newest: Vec<Duration>,
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

impl Measurement {
    pub fn print(&self, backend: &str) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{backend}: {} pending changes, {} ledger events (seeded in {:.1} s)",
            self.changes,
            self.events,
            self.seed_time.as_secs_f64()
        );
        for (name, times) in [
            ("queue, needs my role", &self.mine),
            ("queue, all, newest first", &self.all_newest),
        ] {
            println!(
                "  {name:<26} p50 {:.2} ms · p95 {:.2} ms · p99 {:.2} ms ({} renders)",
                ms(percentile(times, 0.50)),
                ms(percentile(times, 0.95)),
                ms(percentile(times, 0.99)),
                times.len()
            );
        }
    }

    pub fn p95(&self) -> Duration {
        percentile(&self.mine, 0.95)
    }
}

const BODY: &str = "Hello {first_name}, spring has arrived in {region}. Take 20% off every plan \
until 30 April, and tell us what you would like to see next season. Reply to this email to \
unsubscribe from spring offers.";

/// Writes `count` changes (each with its version and `change.drafted` event), in transactions
/// of a few thousand, numbered from `from`.
async fn seed_changes(world: &World, from: usize, count: usize) -> anyhow::Result<()> {
    let store = world.services.store();
    let start_ms = countersign_core::clock::to_millis(world.services.clock().now());
    let actor = Actor::for_nhi(&world.agent, world.services.clock().now());
    let mut n = from;
    while n < from + count {
        let batch_end = (n + 2_000).min(from + count);
        let mut tx = store.begin_write(start_ms).await?;
        for i in n..batch_end {
            // Spread over time, oldest first, one second apart.
            let created =
                countersign_core::clock::from_millis(start_ms - (10_000_000 - i as i64) * 1000);
            let text = format!("{BODY} (#{i})");
            let (content, _) = Content::new(
                &text,
                "text",
                &countersign_core::domain::HostAllowList::default(),
            )?;
            let change = ChangeRequest {
                id: uuid::Uuid::now_v7().to_string(),
                workflow: world.workflow.id,
                step: world.step.id,
                nhi: world.agent.id,
                title: format!("Spring offer, region {}", i % 97),
                channel: if i % 3 == 0 { "sms" } else { "email" }.to_owned(),
                audience: if i % 5 == 0 {
                    Audience::Internal
                } else {
                    Audience::External
                },
                purpose: "spring_offer".to_owned(),
                target_system: world.system,
                target_ref: format!("campaigns/spring-{i}"),
                status: ChangeStatus::PendingReview,
                tier: world.workflow.tier.number(),
                current_version: 1,
                current_hash: content.hash.clone(),
                open_claims: 1,
                has_rollback_plan: i % 2 == 0,
                provenance_ok: true,
                legal_basis_ok: i % 3 != 0,
                publication: None,
                callback_url: None,
                created_at: created,
                updated_at: created,
            };
            let version = ChangeVersion {
                version: 1,
                content,
                variants: Vec::new(),
                provenance: Provenance {
                    model: "load-generator".to_owned(),
                    model_version: "1".to_owned(),
                    prompt: "Write the spring offer.".to_owned(),
                    system_prompt: String::new(),
                    access_decisions: Vec::new(),
                    fields_used: Vec::new(),
                    data_sources: Vec::new(),
                    tool_calls: Vec::new(),
                    raw_output: text.clone(),
                    legal_bases: Default::default(),
                },
                submitted_at: created,
            };
            tx.insert_change(&change, &version).await?;
            let seq = tx.append_event(&NewEvent::new(
                &actor,
                "change.drafted",
                format!("change:{}", change.id),
                json!({ "title": change.title, "version": 1, "content_hash": version.content.hash }),
            ))
            .await?;
            tx.set_version_event(&change.id, 1, seq).await?;
        }
        tx.commit().await?;
        n = batch_end;
    }
    Ok(())
}

/// Appends ledger events until the ledger holds `total`.
async fn seed_events(world: &World, total: i64) -> anyhow::Result<()> {
    crate::ledger_bench::fill(&world.services, total).await
}

/// Serves the world's console on a free loopback port: its base URL, and a client that does not
/// follow redirects.
pub(crate) async fn serve_on_loopback(world: &World) -> anyhow::Result<(String, reqwest::Client)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = crate::web::build(world.state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    Ok((base, client))
}

/// A session cookie for the demo approver persona.
pub(crate) async fn sign_in(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    sign_in_as(client, base, "amira", "/queue").await
}

/// A session cookie for a demo persona (`amira`, `priya`, …).
pub(crate) async fn sign_in_as(
    client: &reqwest::Client,
    base: &str,
    persona: &str,
    next: &str,
) -> anyhow::Result<String> {
    let reply = client
        .post(format!("{base}/auth/demo"))
        .form(&[("persona", persona), ("next", next)])
        .send()
        .await?;
    let cookie = reply
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    if cookie.is_empty() {
        bail!(
            "the demo sign-in set no session cookie (status {})",
            reply.status()
        );
    }
    Ok(cookie)
}

pub(crate) async fn time_renders(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    samples: usize,
    expect: &str,
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(samples);
    for n in 0..samples + 5 {
        let started = Instant::now();
        let reply = client
            .get(url)
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await?;
        let status = reply.status();
        let page = reply.text().await?;
        let took = started.elapsed();
        if !status.is_success() || !page.contains(expect) {
            bail!("GET {url} answered {status} without `{expect}`");
        }
        // The first few warm the caches and the connection.
        if n >= 5 {
            times.push(took);
        }
    }
    times.sort();
    Ok(times)
}

pub async fn run(options: QueueBenchOptions) -> anyhow::Result<(String, Vec<Measurement>)> {
    let world = world(&options.database_url).await?;
    let backend = world.services.store().backend().as_str().to_owned();
    let (base, client) = serve_on_loopback(&world).await?;

    let mut measurements = Vec::new();
    let mut seeded = 0usize;
    for (target, events) in [
        (options.changes, options.events as i64),
        (options.grow_to, 0),
    ] {
        if target <= seeded && !measurements.is_empty() {
            continue;
        }
        let started = Instant::now();
        seed_changes(&world, seeded, target - seeded)
            .await
            .context("seeding changes")?;
        seed_events(&world, events)
            .await
            .context("seeding the ledger")?;
        let seed_time = started.elapsed();
        seeded = target;
        let cookie = sign_in(&client, &base).await?;
        let mine = time_renders(
            &client,
            &format!("{base}/queue"),
            &cookie,
            options.samples,
            "queue-row",
        )
        .await?;
        let all_newest = time_renders(
            &client,
            &format!("{base}/queue?view=all&sort=newest"),
            &cookie,
            options.samples,
            "queue-row",
        )
        .await?;
        measurements.push(Measurement {
            changes: target,
            events: world.services.store().event_count().await?,
            seed_time,
            mine,
            all_newest,
        });
    }
    Ok((backend, measurements))
}
