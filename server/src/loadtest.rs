//! `countersign-load`: a bounded HTTP load run against `POST /api/v1/access-decisions` on
//! loopback, with the real console (its router, services, store and durable ledger) and the
//! reference connected system in-process. It sets up one active workflow whose reading step may
//! read 10 fields, 1,000 customers' consent, and a token, then asks for decisions about 100
//! subjects × 10 fields from many connections and reports throughput and latency. It also
//! times raw Cedar evaluation of the same question, and the service call without HTTP.

use crate::config::{Config, Mode};
use crate::startup::build_state;
use anyhow::{bail, Context};
use countersign_core::domain::{
    ExternalIdentity, Grant, GrantAction, NhiKind, Performer, Role, Step, StepKind,
};
use countersign_core::policy::{Action, Resource};
use countersign_core::services::{
    AccessRequest, DefineWorkflow, RegisterNhi, RegisterSystem, SignIn, SignInOutcome, DEMO_ISSUER,
};
use countersign_core::{Actor, SystemClock};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct LoadOptions {
    /// `sqlite` for a fresh file, or a PostgreSQL URL to an existing, empty database.
    pub database_url: String,
    pub requests: usize,
    pub concurrency: usize,
    pub max_duration: Duration,
}

const FIELDS: [&str; 10] = [
    "email",
    "first_name",
    "last_name",
    "region",
    "city",
    "language",
    "last_purchase",
    "loyalty_tier",
    "preferred_channel",
    "signup_date",
];
const SUBJECTS: usize = 1000;
const PER_REQUEST: usize = 100;

pub struct Report {
    pub backend: String,
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
    pub cedar_per_decision: Duration,
    pub service_per_decision: Duration,
    /// The server's handling without the commit's wait, decisions prepared back to back (the
    /// median of rounds alternating with raw Cedar's).
    pub handling_per_decision: Duration,
    /// Raw Cedar timed again right beside the handling.
    pub cedar_beside: Duration,
    /// Parts of one decision, timed alone: token check, consent query.
    pub token_check: Duration,
    /// The token check that reads the registry generation (every other API route's).
    pub token_check_exact: Duration,
    pub consent_query: Duration,
    /// Decisions the subject index was behind when the run ended, and how long it took to
    /// catch up.
    pub index_behind: usize,
    pub index_catch_up: Duration,
}

impl Report {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index.min(self.latencies.len() - 1)]
    }

    pub fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!("backend            {}", self.backend);
        println!(
            "requests           {} ({} errors) in {:.1} s",
            self.requests,
            self.errors,
            self.elapsed.as_secs_f64()
        );
        println!(
            "throughput         {:.0} decisions/s (each 100 subjects x 10 fields, recorded in the ledger)",
            self.requests as f64 / self.elapsed.as_secs_f64()
        );
        println!(
            "latency            p50 {:.2} ms · p95 {:.2} ms · p99 {:.2} ms · max {:.2} ms",
            ms(self.percentile(0.50)),
            ms(self.percentile(0.95)),
            ms(self.percentile(0.99)),
            ms(self.percentile(1.0))
        );
        println!(
            "raw Cedar          {:.3} ms per decision (10 field evaluations, one linked policy set)",
            ms(self.cedar_per_decision)
        );
        println!(
            "service, no HTTP   {:.3} ms per decision (one at a time: validation, Cedar, consent query, durable write)",
            ms(self.service_per_decision)
        );
        println!(
            "handling           {:.3} ms per decision without the commit's wait (token, parse, Cedar, consent, row and event, answer) = {:.1}x raw Cedar ({:.3} ms, timed beside it; medians of alternating rounds)",
            ms(self.handling_per_decision),
            self.handling_per_decision.as_secs_f64() / self.cedar_beside.as_secs_f64().max(1e-9),
            ms(self.cedar_beside)
        );
        println!(
            "  of which         token check {:.3} ms (confirmed at the commit; {:.3} ms reading the registry generation) · consent query when not kept (100 subjects) {:.3} ms",
            ms(self.token_check),
            ms(self.token_check_exact),
            ms(self.consent_query)
        );
        println!(
            "subject index      {} decisions behind when the run ended, caught up in {:.2} s",
            self.index_behind,
            self.index_catch_up.as_secs_f64()
        );
    }
}

/// The console and the world both benchmarks start from: a security admin, an agent with a
/// client secret, the reference connected system (in-process, on loopback) that passed its
/// drill, and an active workflow whose first step reads [`FIELDS`].
pub struct World {
    pub state: crate::state::AppState,
    pub services: countersign_core::Services,
    pub admin: Actor,
    pub agent: countersign_core::domain::Nhi,
    pub secret: String,
    pub workflow: countersign_core::domain::Workflow,
    pub step: Step,
    pub system: countersign_core::domain::SystemId,
    _dir: tempfile::TempDir,
}

pub async fn world(database_url: &str) -> anyhow::Result<World> {
    let dir = tempfile::tempdir().context("a temporary directory")?;
    let database_url = if database_url == "sqlite" {
        format!("sqlite://{}/load.db", dir.path().display())
    } else {
        database_url.to_owned()
    };
    let env: HashMap<String, String> = HashMap::from([
        ("COUNTERSIGN_DATABASE_URL".to_owned(), database_url.clone()),
        (
            "COUNTERSIGN_SECRET_KEY_FILE".to_owned(),
            format!("{}/load.key", dir.path().display()),
        ),
        ("COUNTERSIGN_LOG_FORMAT".to_owned(), "text".to_owned()),
        (
            "COUNTERSIGN_TOKEN_RATE_LIMIT".to_owned(),
            "10000".to_owned(),
        ),
        (
            "COUNTERSIGN_MAX_BODY_BYTES".to_owned(),
            "1048576".to_owned(),
        ),
    ]);
    let config = Config::from_sources(None, &env, Mode::Demo)?;
    let state = build_state(config, Arc::new(SystemClock)).await?;
    let services = state.services.clone();

    // A security admin sets up the world.
    let SignInOutcome::Granted { actor: admin } = services
        .sign_in(SignIn {
            identity: ExternalIdentity::new(DEMO_ISSUER, "load-admin")?,
            name: Some("Load Admin".to_owned()),
            email: Some("load.admin@example.com".to_owned()),
            roles: [Role::SecurityAdmin].into_iter().collect(),
            groups_seen: 0,
            reauthentication: false,
            email_verified: true,
        })
        .await?
    else {
        bail!("the load admin was not let in");
    };
    let Actor::Human { id: owner, .. } = admin else {
        bail!("the load admin is not a person");
    };
    let (agent, secret) = services
        .register_nhi(
            &admin,
            RegisterNhi {
                kind: NhiKind::Agent,
                name: "load-reader".to_owned(),
                purpose: "Asks for access decisions under load.".to_owned(),
                owners: vec![owner],
                expires_at: Some(services.clock().now() + chrono::Duration::days(30)),
                model: Some("load-generator".to_owned()),
            },
        )
        .await?;
    let sandbox_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sandbox_port = sandbox_listener.local_addr()?.port();
    let fields = FIELDS
        .iter()
        .map(|f| format!("{f}:contact"))
        .collect::<Vec<_>>()
        .join("\n");
    let (system, signing) = services
        .register_system(
            &admin,
            RegisterSystem {
                name: "Load CRM".to_owned(),
                kind: "crm".to_owned(),
                base_url: format!("http://127.0.0.1:{sandbox_port}"),
                fields,
            },
        )
        .await?;
    let sandbox = crate::sandbox::Sandbox::new(&signing.0, dir.path().join("sandbox"))?;
    tokio::spawn(async move { axum::serve(sandbox_listener, sandbox.router()).await });
    let drill = services.run_revocation_drill(&admin, system.id).await?;
    if !drill.passed {
        bail!(
            "the drill against the in-process sandbox failed: {:?}",
            drill.error
        );
    }
    let grant = |actions: &[GrantAction], fields: &[&str], review: bool| Grant {
        system: Some(system.id),
        actions: actions.iter().copied().collect(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        purposes: ["spring_offer".to_owned()].into_iter().collect(),
        human_review: review,
    };
    let workflow = services
        .define_workflow(
            &admin,
            DefineWorkflow {
                name: "Load workflow".to_owned(),
                purpose: "Access decisions under load.".to_owned(),
                owner,
                steps: vec![
                    Step::new(
                        "Read customers",
                        StepKind::ReadCustomerData,
                        Performer::Nhi(agent.id),
                        Some(owner),
                        grant(&[GrantAction::Read], &FIELDS, true),
                    ),
                    Step::new(
                        "Publish",
                        StepKind::Publish,
                        Performer::Publisher,
                        Some(owner),
                        grant(&[GrantAction::Publish], &[], false),
                    ),
                ],
            },
        )
        .await?;
    let workflow = services.activate_workflow(&admin, workflow.id).await?;
    let step = workflow.steps[0].clone();
    Ok(World {
        state,
        services,
        admin,
        agent,
        secret: secret.0,
        workflow,
        step,
        system: system.id,
        _dir: dir,
    })
}

/// The consent of [`SUBJECTS`] customers for `spring_offer`, one in ten withdrawn.
pub async fn import_consent(
    services: &countersign_core::Services,
    admin: &Actor,
) -> anyhow::Result<()> {
    let mut csv = String::from("subject,purpose,legal_basis,granted_at,withdrawn_at,source\n");
    for n in 0..SUBJECTS {
        let withdrawn = if n % 10 == 0 { "2026-02-01" } else { "" };
        csv.push_str(&format!(
            "crm-{n:05},spring_offer,consent,2026-01-01,{withdrawn},load\n"
        ));
    }
    let imported = services.import_consent_csv(admin, &csv, true).await?;
    if !imported.errors.is_empty() {
        bail!("consent import failed: {:?}", imported.errors.first());
    }
    Ok(())
}

/// The body of the `n`th request: 100 of the customers, all ten fields.
fn body_for(n: usize) -> String {
    let subjects: Vec<String> = (0..PER_REQUEST)
        .map(|i| format!("crm-{:05}", (n * 37 + i * 13) % SUBJECTS))
        .collect();
    serde_json::json!({ "purpose": "spring_offer", "fields": FIELDS, "subjects": subjects })
        .to_string()
}

/// What the HTTP load run measured.
pub struct Drive {
    pub latencies: Vec<Duration>,
    pub errors: usize,
    pub elapsed: Duration,
}

/// The load run's figures alone (the console in another process).
pub fn print_drive(target: &str, concurrency: usize, drive: &Drive) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |p: f64| {
        drive
            .latencies
            .get(((drive.latencies.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    println!("target             {target} ({concurrency} connections)");
    println!(
        "requests           {} ({} errors) in {:.1} s",
        drive.latencies.len(),
        drive.errors,
        drive.elapsed.as_secs_f64()
    );
    println!(
        "throughput         {:.0} decisions/s",
        drive.latencies.len() as f64 / drive.elapsed.as_secs_f64()
    );
    println!(
        "latency            p50 {:.2} ms · p95 {:.2} ms · p99 {:.2} ms · max {:.2} ms",
        ms(at(0.50)),
        ms(at(0.95)),
        ms(at(0.99)),
        ms(at(1.0))
    );
}

/// Asks `base` for decisions from `concurrency` connections, bounded in count and in time.
pub async fn drive(
    base: &str,
    token: &str,
    concurrency: usize,
    requests: usize,
    max_duration: Duration,
) -> anyhow::Result<Drive> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let deadline = Instant::now() + max_duration;
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let next = next.clone();
        let url = format!("{base}/api/v1/access-decisions");
        let token = token.to_owned();
        let bodies: Vec<String> = (0..64).map(body_for).collect();
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= requests || Instant::now() >= deadline {
                    break;
                }
                let sent = Instant::now();
                let reply = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(bodies[n % bodies.len()].clone())
                    .send()
                    .await;
                match reply {
                    Ok(reply) if reply.status().is_success() => {
                        let _ = reply.bytes().await;
                        latencies.push(sent.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    while let Some(done) = workers.join_next().await {
        let (mine, failed) = done?;
        latencies.extend(mine);
        errors += failed;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Ok(Drive {
        latencies,
        errors,
        elapsed,
    })
}

/// Alternating rounds of handling and raw Cedar, and decisions in each.
const HANDLING_ROUNDS: usize = 15;
const PER_ROUND: usize = 40;

fn median(rounds: &mut [Duration]) -> Duration {
    rounds.sort_unstable();
    rounds.get(rounds.len() / 2).copied().unwrap_or_default()
}

pub async fn run(options: LoadOptions) -> anyhow::Result<Report> {
    let World {
        state,
        services,
        admin,
        agent,
        secret,
        workflow,
        step,
        system: _,
        _dir,
    } = world(&options.database_url).await?;
    let backend = services.store().backend().as_str().to_owned();
    import_consent(&services, &admin).await?;

    // The console on loopback.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = crate::web::build(state);
    tokio::spawn(async move { axum::serve(listener, router).await });
    // As a console runs: the subject index follows the decisions (its cost is in the figures).
    crate::startup::spawn_subject_indexer(services.clone());

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency)
        .build()?;
    let token: serde_json::Value = client
        .post(format!("{base}/api/v1/token"))
        .basic_auth(agent.id.to_string(), Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", &format!("step:{}", step.id)),
        ])
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .context("no access token in the token response")?
        .to_owned();

    // Raw Cedar for the same question, and the service without HTTP.
    let principal = services.authenticate_token(&token).await?;
    let resource = Resource::step(&workflow, &step);
    let contexts: Vec<Vec<(&str, &str)>> = FIELDS
        .iter()
        .map(|f| {
            vec![
                ("purpose", "spring_offer"),
                ("field", *f),
                ("field_category", "contact"),
            ]
        })
        .collect();
    let rounds = 2000;
    let started = Instant::now();
    for _ in 0..rounds {
        let decisions = services.policy().authorize_each(
            &principal.actor,
            Action::ReadData,
            &resource,
            &contexts,
        );
        if decisions.iter().any(|d| d.is_err()) {
            bail!("Cedar denied a granted field");
        }
    }
    let cedar_per_decision = started.elapsed() / rounds;
    let samples = 200;
    let started = Instant::now();
    for n in 0..samples {
        let request: AccessRequest = serde_json::from_str(&body_for(n))?;
        services.decide_access(&principal, request).await?;
    }
    let service_per_decision = started.elapsed() / samples as u32;
    // The server's handling, the commit's wait aside: the token check, the request parsed, the
    // decision prepared (Cedar, consent, the row and event) and the answer encoded, back to back
    // as Cedar is timed, then each recorded. Handling and Cedar alternate in rounds, in the same
    // run, and each is the median of its rounds: a round the subject indexer or the machine's
    // neighbours interrupt moves neither.
    let mut handling_rounds = Vec::with_capacity(HANDLING_ROUNDS);
    let mut cedar_rounds = Vec::with_capacity(HANDLING_ROUNDS);
    for round in 0..HANDLING_ROUNDS {
        let bodies: Vec<String> = (0..PER_ROUND)
            .map(|n| body_for(round * PER_ROUND + n))
            .collect();
        let mut prepared = Vec::with_capacity(PER_ROUND);
        let started = Instant::now();
        for body in &bodies {
            let principal = services.authenticate_token_for_decision(&token).await?;
            let request: AccessRequest = serde_json::from_str(body)?;
            let decision = services
                .prepare_access_decision(&principal, request)
                .await?;
            // The reply is the stored answer's text (`decide_access_json`).
            std::hint::black_box(decision.answer_json().to_owned());
            prepared.push(decision);
        }
        handling_rounds.push(started.elapsed() / PER_ROUND as u32);
        for decision in prepared {
            services
                .record_access_decision(&principal, decision)
                .await?;
        }
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            std::hint::black_box(services.policy().authorize_each(
                &principal.actor,
                Action::ReadData,
                &resource,
                &contexts,
            ));
        }
        cedar_rounds.push(started.elapsed() / PER_ROUND as u32);
    }
    let handling_per_decision = median(&mut handling_rounds);
    let cedar_beside = median(&mut cedar_rounds);
    let started = Instant::now();
    for _ in 0..samples {
        services.authenticate_token_for_decision(&token).await?;
    }
    let token_check = started.elapsed() / samples as u32;
    let started = Instant::now();
    for _ in 0..samples {
        services.authenticate_token(&token).await?;
    }
    let token_check_exact = started.elapsed() / samples as u32;
    let subjects: Vec<String> = (0..PER_REQUEST).map(|i| format!("crm-{i:05}")).collect();
    let started = Instant::now();
    for _ in 0..samples {
        services
            .store()
            .consent_events_for(&subjects, "spring_offer")
            .await?;
    }
    let consent_query = started.elapsed() / samples as u32;

    // The load run: bounded in count and in time.
    let Drive {
        latencies,
        errors,
        elapsed,
    } = drive(
        &base,
        &token,
        options.concurrency,
        options.requests,
        options.max_duration,
    )
    .await?;
    let started = Instant::now();
    let index_behind = services.index_decision_subjects().await?;
    let index_catch_up = started.elapsed();
    Ok(Report {
        backend,
        requests: latencies.len(),
        errors,
        elapsed,
        latencies,
        cedar_per_decision,
        service_per_decision,
        handling_per_decision,
        cedar_beside,
        token_check,
        token_check_exact,
        consent_query,
        index_behind,
        index_catch_up,
    })
}
