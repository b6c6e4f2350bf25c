//! `countersign-load killswitch`: the kill switch on a workflow with 1,000 live credentials and
//! 10 connected systems (reference systems in-process, each on its own loopback port), with the
//! real console serving HTTP and its delivery worker running. Each run times, from the click
//! (the service call starting):
//! - the first refusal: `GET /api/v1/me` with one of the workflow's tokens answers 401;
//! - the last receipt: every system has confirmed its revoke call (`completed_at`).

use crate::loadtest::world;
use anyhow::{bail, Context};
use countersign_core::domain::{
    Grant, GrantAction, NhiKind, Performer, Step, StepKind, SystemId, Workflow,
};
use countersign_core::services::{DefineWorkflow, RegisterNhi, RegisterSystem, RevokeInput};
use countersign_core::store::AccessTokenRow;
use countersign_core::{Actor, Services};
use std::time::{Duration, Instant};

pub struct KillSwitchOptions {
    pub database_url: String,
    pub credentials: usize,
    pub systems: usize,
    pub runs: usize,
}

pub struct Run {
    pub revoke_call: Duration,
    pub first_refusal: Duration,
    pub last_receipt: Duration,
    /// As the console recorded it: `completed_at - requested_at`.
    pub recorded: Duration,
}

pub struct Report {
    pub backend: String,
    pub credentials: usize,
    pub systems: usize,
    pub runs: Vec<Run>,
}

impl Report {
    pub fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{}: kill switch on a workflow with {} credentials and {} connected systems",
            self.backend, self.credentials, self.systems
        );
        for (n, run) in self.runs.iter().enumerate() {
            println!(
                "  run {}: revoke committed in {:.1} ms · next API call refused at {:.1} ms · all {} receipts at {:.1} ms (recorded {:.0} ms)",
                n + 1,
                ms(run.revoke_call),
                ms(run.first_refusal),
                self.systems,
                ms(run.last_receipt),
                ms(run.recorded)
            );
        }
        let worst = |f: fn(&Run) -> Duration| self.runs.iter().map(f).max().unwrap_or_default();
        println!(
            "  worst of {}: refused at {:.1} ms (goal ≤ 100 ms) · all receipts at {:.1} ms (goal ≤ 2000 ms)",
            self.runs.len(),
            ms(worst(|r| r.first_refusal)),
            ms(worst(|r| r.last_receipt))
        );
    }
}

/// A workflow whose steps read from `systems` (one step each) and publish to the first, its
/// agent, and `credentials` access tokens issued to it.
async fn armed_workflow(
    services: &Services,
    admin: &Actor,
    owner: countersign_core::domain::HumanId,
    systems: &[SystemId],
    n: usize,
    credentials: usize,
) -> anyhow::Result<(Workflow, Vec<String>)> {
    let (agent, _) = services
        .register_nhi(
            admin,
            RegisterNhi {
                kind: NhiKind::Agent,
                name: format!("killswitch-agent-{n}"),
                purpose: "Holds the credentials the kill switch ends.".to_owned(),
                owners: vec![owner],
                expires_at: Some(services.clock().now() + chrono::Duration::days(30)),
                model: Some("benchmark".to_owned()),
            },
        )
        .await?;
    let grant = |system: SystemId, action: GrantAction, fields: &[&str]| Grant {
        system: Some(system),
        actions: [action].into_iter().collect(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        purposes: ["spring_offer".to_owned()].into_iter().collect(),
        human_review: true,
    };
    let mut steps: Vec<Step> = systems
        .iter()
        .enumerate()
        .map(|(i, system)| {
            Step::new(
                format!("Read system {i}"),
                StepKind::ReadCustomerData,
                Performer::Nhi(agent.id),
                Some(owner),
                grant(*system, GrantAction::Read, &["email"]),
            )
        })
        .collect();
    steps.push(Step::new(
        "Publish",
        StepKind::Publish,
        Performer::Publisher,
        Some(owner),
        Grant {
            human_review: false,
            ..grant(systems[0], GrantAction::Publish, &[])
        },
    ));
    let workflow = services
        .define_workflow(
            admin,
            DefineWorkflow {
                name: format!("Kill switch {n}"),
                purpose: "Revoked under measurement.".to_owned(),
                owner,
                steps,
            },
        )
        .await?;
    let workflow = services.activate_workflow(admin, workflow.id).await?;
    // The credentials, as the token endpoint stores them (only their hashes).
    let now = countersign_core::clock::to_millis(services.clock().now());
    let mut tokens = Vec::with_capacity(credentials);
    let mut tx = services.store().begin_write(now).await?;
    for i in 0..credentials {
        let token = countersign_core::credentials::new_access_token();
        tx.insert_access_token(&AccessTokenRow {
            token_hash: countersign_core::credentials::token_hash(&token),
            nhi: agent.id,
            workflow: workflow.id,
            step: workflow.steps[i % systems.len()].id,
            issued_at_ms: now,
            expires_at_ms: now + 15 * 60 * 1000,
        })
        .await?;
        tokens.push(token);
    }
    tx.append_event(&countersign_core::ledger::NewEvent::new(
        admin,
        "benchmark.credentials_issued",
        workflow.id.reference(),
        serde_json::json!({ "tokens": credentials }),
    ))
    .await?;
    tx.commit().await?;
    Ok((workflow, tokens))
}

pub async fn run(options: KillSwitchOptions) -> anyhow::Result<Report> {
    let world = world(&options.database_url).await?;
    let services = world.services.clone();
    let admin = world.admin.clone();
    let Actor::Human { id: owner, .. } = admin else {
        bail!("the benchmark admin is not a person");
    };
    let backend = services.store().backend().as_str().to_owned();

    // Ten reference systems, each on its own port, each drilled.
    let sandboxes = tempfile::tempdir()?;
    let mut systems = Vec::new();
    for i in 0..options.systems {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (system, secret) = services
            .register_system(
                &admin,
                RegisterSystem {
                    name: format!("Reference system {i}"),
                    kind: "campaign".to_owned(),
                    base_url: format!("http://127.0.0.1:{port}"),
                    fields: "email:contact".to_owned(),
                },
            )
            .await?;
        let sandbox =
            crate::sandbox::Sandbox::new(&secret.0, sandboxes.path().join(format!("s{i}")))?;
        tokio::spawn(async move { axum::serve(listener, sandbox.router()).await });
        let drill = services.run_revocation_drill(&admin, system.id).await?;
        if !drill.passed {
            bail!("system {i} failed its drill: {:?}", drill.error);
        }
        systems.push(system.id);
    }

    // The console over HTTP on loopback, with its delivery worker.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = crate::web::build(world.state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    crate::deliveries::spawn_worker(services.clone());
    let http = reqwest::Client::new();

    let mut runs = Vec::new();
    for n in 0..options.runs {
        let (workflow, tokens) =
            armed_workflow(&services, &admin, owner, &systems, n, options.credentials).await?;
        let probe = &tokens[(n * 7919) % tokens.len()];
        let me = |token: &str| {
            http.get(format!("{base}/api/v1/me"))
                .bearer_auth(token)
                .send()
        };
        // Warm: the token works and its principal is cached, as in a busy console.
        let status = me(probe).await?.status();
        if status != 200 {
            bail!("a live token was refused before the revocation: {status}");
        }

        let click = Instant::now();
        let view = services
            .revoke_workflow(
                &admin,
                workflow.id,
                RevokeInput {
                    reason: "kill switch benchmark".to_owned(),
                    revoke_identities: false,
                    roll_back_live: false,
                },
            )
            .await
            .context("the kill switch")?;
        let revoke_call = click.elapsed();
        let refused = me(probe).await?.status();
        let first_refusal = click.elapsed();
        if refused != 401 {
            bail!("the token still worked after the revocation: {refused}");
        }
        let last_receipt = loop {
            let current = services
                .revocation(&admin, workflow.id)
                .await?
                .context("the revocation")?;
            if current.is_complete() {
                break click.elapsed();
            }
            if click.elapsed() > Duration::from_secs(30) {
                bail!(
                    "only {} of {} systems confirmed after 30 s",
                    current.confirmed(),
                    view.calls.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        let done = services
            .revocation(&admin, workflow.id)
            .await?
            .context("the revocation")?;
        runs.push(Run {
            revoke_call,
            first_refusal,
            last_receipt,
            recorded: done
                .revocation
                .time_to_last_confirmation()
                .and_then(|d| d.to_std().ok())
                .unwrap_or_default(),
        });
    }
    Ok(Report {
        backend,
        credentials: options.credentials,
        systems: options.systems,
        runs,
    })
}
