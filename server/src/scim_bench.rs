//! `countersign-load scim`: a directory's first full sync over HTTP on loopback — 10,000 users,
//! then 200 groups carrying their memberships, each a SCIM request answered with its ledger
//! event as in production — and the time to deactivate a person who alone owns 100
//! identities (their sessions end, every identity is orphaned and security admins told, in one
//! transaction).

use crate::loadtest::world;
use crate::queue_bench::{percentile, serve_on_loopback};
use anyhow::Context;
use countersign_core::domain::NhiKind;
use countersign_core::services::RegisterNhi;
use futures_util::{stream, StreamExt};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub struct ScimBenchOptions {
    pub database_url: String,
    pub users: usize,
    pub groups: usize,
    pub concurrency: usize,
    /// Identities the leaver alone owns.
    pub identities: usize,
}

pub struct ScimReport {
    pub backend: String,
    pub users: usize,
    pub groups: usize,
    pub memberships: usize,
    pub concurrency: usize,
    pub users_time: Duration,
    pub groups_time: Duration,
    pub user_latencies: Vec<Duration>,
    pub identities: usize,
    pub deactivation: Duration,
    pub orphaned: usize,
}

impl ScimReport {
    pub fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let total = self.users_time + self.groups_time;
        println!(
            "{}: {} users and {} groups ({} memberships) provisioned over SCIM in {:.1} s \
             ({} connections): users {:.1} s ({:.0}/s, p50 {:.1} ms, p99 {:.1} ms), groups {:.1} s",
            self.backend,
            self.users,
            self.groups,
            self.memberships,
            total.as_secs_f64(),
            self.concurrency,
            self.users_time.as_secs_f64(),
            self.users as f64 / self.users_time.as_secs_f64().max(1e-9),
            ms(percentile(&self.user_latencies, 0.50)),
            ms(percentile(&self.user_latencies, 0.99)),
            self.groups_time.as_secs_f64(),
        );
        println!(
            "{}: deactivating a person who alone owns {} identities took {:.1} ms ({} orphaned, \
             security admins told)",
            self.backend,
            self.identities,
            ms(self.deactivation),
            self.orphaned
        );
    }
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let response = client
        .request(method, url)
        .bearer_auth(token)
        .header("content-type", "application/scim+json")
        .body(body.to_string())
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "SCIM answered {status}: {text}");
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn run(options: ScimBenchOptions) -> anyhow::Result<ScimReport> {
    let world = world(&options.database_url).await?;
    let (base, client) = serve_on_loopback(&world).await?;
    let services = &world.services;
    let admin = world.admin.clone().authenticated_at(services.now_ms());
    let token = services
        .create_directory_token(&admin, "Benchmark directory")
        .await
        .context("a directory token")?
        .1
         .0;
    let users_url = format!("{base}/scim/v2/Users");

    let started = Instant::now();
    let results: Vec<anyhow::Result<(String, Duration)>> =
        stream::iter(0..options.users)
            .map(|n| {
                let (client, url, token) = (client.clone(), users_url.clone(), token.clone());
                async move {
                    let at = Instant::now();
                    let created = send(
                        &client,
                        reqwest::Method::POST,
                        url,
                        &token,
                        json!({
                            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                            "userName": format!("person{n:05}@example.com"),
                            "externalId": format!("00u{n:07}"),
                            "name": { "givenName": "Person", "familyName": format!("{n:05}") },
                            "emails": [{ "primary": true, "type": "work", "value": format!("person{n:05}@example.com") }],
                            "active": true
                        }),
                    )
                    .await?;
                    let id = created["id"].as_str().context("a user id")?.to_owned();
                    Ok((id, at.elapsed()))
                }
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
    let users_time = started.elapsed();
    let mut ids = Vec::with_capacity(options.users);
    let mut user_latencies = Vec::with_capacity(options.users);
    for result in results {
        let (id, took) = result?;
        ids.push(id);
        user_latencies.push(took);
    }
    user_latencies.sort();
    ids.sort();

    let per_group = ids.len() / options.groups.max(1);
    let groups_url = format!("{base}/scim/v2/Groups");
    let started = Instant::now();
    let groups: Vec<anyhow::Result<usize>> = stream::iter(0..options.groups)
        .map(|g| {
            let members: Vec<Value> = ids[g * per_group..(g + 1) * per_group]
                .iter()
                .map(|id| json!({ "value": id }))
                .collect();
            let (client, url, token) = (client.clone(), groups_url.clone(), token.clone());
            async move {
                let count = members.len();
                send(
                    &client,
                    reqwest::Method::POST,
                    url,
                    &token,
                    json!({
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                        "displayName": format!("team-{g:03}"),
                        "members": members
                    }),
                )
                .await?;
                Ok(count)
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    let groups_time = started.elapsed();
    let memberships = groups.into_iter().sum::<anyhow::Result<usize>>()?;

    // The leaver: provisioned, then the sole owner of many identities.
    let leaver = send(
        &client,
        reqwest::Method::POST,
        users_url.clone(),
        &token,
        json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "leaver@example.com", "externalId": "00u-leaver" }),
    )
    .await?;
    let leaver_id = leaver["id"].as_str().context("the leaver's id")?.to_owned();
    let owner = leaver_id.parse().context("a person id")?;
    for n in 0..options.identities {
        services
            .register_nhi(
                &admin,
                RegisterNhi {
                    kind: NhiKind::Agent,
                    name: format!("leaver-agent-{n:03}"),
                    purpose: "Drafts campaign variants for the benchmark.".to_owned(),
                    owners: vec![owner],
                    expires_at: Some(services.clock().now() + chrono::Duration::days(30)),
                    model: Some("claude-sonnet-4.5 (Anthropic)".to_owned()),
                },
            )
            .await?;
    }
    let started = Instant::now();
    let answer = send(
        &client,
        reqwest::Method::PATCH,
        format!("{users_url}/{leaver_id}"),
        &token,
        json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "replace", "value": { "active": false } }] }),
    )
    .await?;
    let deactivation = started.elapsed();
    anyhow::ensure!(
        answer.get("active") == Some(&Value::Bool(false)),
        "the leaver is still active: {answer}"
    );
    let orphaned = services
        .store()
        .nhis(&countersign_core::store::NhiFilter {
            orphaned: true,
            ..Default::default()
        })
        .await?
        .len();
    Ok(ScimReport {
        backend: services.store().backend().as_str().to_owned(),
        users: ids.len(),
        groups: options.groups,
        memberships,
        concurrency: options.concurrency,
        users_time,
        groups_time,
        user_latencies,
        identities: options.identities,
        deactivation,
        orphaned,
    })
}
