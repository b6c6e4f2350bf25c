//! Bad input at volume: while one client floods the sign-in, token and draft endpoints on
//! loopback, an approver's queue page is timed, before and during the flood. The console must
//! refuse the flood cheaply and keep answering everyone else.

use crate::loadtest::world;
use crate::queue_bench::{percentile, sign_in, time_renders};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct FloodOptions {
    /// Concurrent flooding connections per endpoint.
    pub concurrency: usize,
    /// Queue renders timed before and during the flood.
    pub samples: usize,
}

pub struct FloodReport {
    pub baseline: Vec<Duration>,
    pub flooded: Vec<Duration>,
    pub flood_elapsed: Duration,
    /// (endpoint, status) → answers.
    pub answers: BTreeMap<(&'static str, u16), usize>,
}

impl FloodReport {
    pub fn print(&self) {
        let line = |name: &str, times: &[Duration]| {
            println!(
                "queue page {name}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} renders)",
                percentile(times, 0.50).as_secs_f64() * 1e3,
                percentile(times, 0.95).as_secs_f64() * 1e3,
                times.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
                times.len()
            );
        };
        line("alone", &self.baseline);
        line("during the flood", &self.flooded);
        let total: usize = self.answers.values().sum();
        println!(
            "flood: {total} requests in {:.1} s ({:.0}/s)",
            self.flood_elapsed.as_secs_f64(),
            total as f64 / self.flood_elapsed.as_secs_f64().max(1e-9)
        );
        for ((endpoint, status), count) in &self.answers {
            println!("  {endpoint}: {count} answered {status}");
        }
    }
}

pub async fn run(options: FloodOptions) -> anyhow::Result<FloodReport> {
    let world = world("sqlite").await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = crate::web::build(world.state.clone());
    tokio::spawn(crate::serve_http::serve(
        listener,
        router,
        std::future::pending(),
    ));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = sign_in(&client, &base).await?;
    let queue = format!("{base}/queue");
    let baseline = time_renders(&client, &queue, &cookie, options.samples, "Queue").await?;

    let scope = format!("step:{}", world.step.id);
    let token = world
        .services
        .issue_token(&world.agent.id.to_string(), &world.secret, Some(&scope))
        .await
        .map_err(|e| anyhow::anyhow!("the flood's token was refused: {e}"))?
        .access_token
        .0;
    let stop = Arc::new(AtomicBool::new(false));
    let answers: Arc<Mutex<BTreeMap<(&'static str, u16), usize>>> = Arc::default();
    let big_draft = serde_json::json!({
        "title": "Flood", "channel": "email", "audience": "external", "purpose": "spring_offer",
        "target": { "system": world.system.to_string(), "reference": "flood" },
        "content": "Guaranteed best results. ".repeat(8_000), "format": "text",
        "provenance": { "model": "m", "model_version": "1", "prompt": "p", "raw_output": "o" },
    })
    .to_string();
    let mut flooders = Vec::new();
    for kind in 0..3 {
        for n in 0..options.concurrency {
            let (client, base, stop, answers) =
                (client.clone(), base.clone(), stop.clone(), answers.clone());
            let (token, client_id, draft) =
                (token.clone(), world.agent.id.to_string(), big_draft.clone());
            flooders.push(tokio::spawn(async move {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let (endpoint, request) = match kind {
                        0 => (
                            "POST /auth/demo (no such persona)",
                            client
                                .post(format!("{base}/auth/demo"))
                                .form(&[("persona", "mallory")]),
                        ),
                        1 => {
                            // Half wrong secrets for the real client, half ids nobody has.
                            let id = if i.is_multiple_of(2) {
                                client_id.clone()
                            } else {
                                uuid::Uuid::now_v7().to_string()
                            };
                            (
                                "POST /api/v1/token (wrong secret)",
                                client.post(format!("{base}/api/v1/token")).form(&[
                                    ("grant_type", "client_credentials"),
                                    ("client_id", id.as_str()),
                                    ("client_secret", &format!("cssec_{n:043}")),
                                    ("scope", "step:x"),
                                ]),
                            )
                        }
                        _ => (
                            "POST /api/v1/drafts (200 KB, not a drafting step)",
                            client
                                .post(format!("{base}/api/v1/drafts"))
                                .bearer_auth(&token)
                                .header("content-type", "application/json")
                                .body(draft.clone()),
                        ),
                    };
                    let status = match request.send().await {
                        Ok(reply) => reply.status().as_u16(),
                        Err(_) => 0,
                    };
                    *answers
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .entry((endpoint, status))
                        .or_default() += 1;
                }
            }));
        }
    }
    let started = Instant::now();
    // Let the flood build up before timing.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let flooded = time_renders(&client, &queue, &cookie, options.samples, "Queue").await;
    stop.store(true, Ordering::Relaxed);
    let flood_elapsed = started.elapsed();
    for flooder in flooders {
        let _ = flooder.await;
    }
    let answers = std::mem::take(&mut *answers.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(FloodReport {
        baseline,
        flooded: flooded?,
        flood_elapsed,
        answers,
    })
}
