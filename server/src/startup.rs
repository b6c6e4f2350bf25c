//! Turning a configuration into a running console.

use crate::auth::{demo, oidc::Oidc};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::outbound::OutboundPolicy;
use crate::sessions::DbSessionStore;
use crate::state::AppState;
use anyhow::Context;
use countersign_core::policy::PolicyEngine;
use countersign_core::secrets::SecretKey;
use countersign_core::services::{Settings, ThrottleSettings};
use countersign_core::store::{self, Store, StoreOptions};
use countersign_core::{Clock, Services, SystemClock};
use leptos::config::{Env, LeptosOptions};
use std::sync::Arc;
use std::time::Duration;

pub fn policy_engine(config: &Config) -> anyhow::Result<PolicyEngine> {
    let engine = match &config.policy_dir {
        Some(dir) => PolicyEngine::from_dir(dir),
        None => PolicyEngine::builtin(),
    };
    engine.context("refusing to start: the authorization policy is invalid")
}

/// The key that encrypts stored signing secrets: `COUNTERSIGN_SECRET_KEY`, or the key file,
/// created (owner-only) with a new random key when missing.
pub fn secret_key(config: &Config) -> anyhow::Result<SecretKey> {
    if let Some(key) = &config.secret_key {
        return SecretKey::from_base64(key.expose())
            .map_err(|e| anyhow::anyhow!("configuration error: COUNTERSIGN_SECRET_KEY: {e}"));
    }
    let path = &config.secret_key_file;
    refuse_if_shared(path)?;
    match std::fs::read_to_string(path) {
        Ok(text) => SecretKey::from_base64(&text).map_err(|e| {
            anyhow::anyhow!(
                "configuration error: COUNTERSIGN_SECRET_KEY_FILE ({}): {e}",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretKey::generate();
            write_owner_only(path, &key.to_base64())
                .with_context(|| format!("cannot create the secret key file {}", path.display()))?;
            tracing::warn!(path = %path.display(), "created a new secret key file; back it up with the database, or stored signing secrets cannot be used");
            Ok(key)
        }
        Err(e) => Err(anyhow::anyhow!(
            "cannot read the secret key file {}: {e}",
            path.display()
        )),
    }
}

/// A key file others can read is a key others have: refused, with how to fix it.
pub(crate) fn refuse_if_shared(path: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            anyhow::bail!(
                "refusing to use the key file {}: it is open to other users (mode {mode:o}); \
                 restrict it to its owner with chmod 600 {0}",
                path.display()
            );
        }
    }
    Ok(())
}

pub(crate) fn write_owner_only(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::connect(config.database_url.expose(), &StoreOptions::default())
        .await
        .with_context(|| format!("cannot open the database at {}", config.database_url))?;
    store
        .migrate()
        .await
        .context("cannot apply database migrations")?;
    Ok(store)
}

/// The operator's allow-list; demo mode adds its own reference system (on loopback).
fn outbound_policy(config: &Config) -> OutboundPolicy {
    let mut allow = config.hardening.outbound_allow.clone();
    if config.demo {
        allow
            .networks
            .push(ipnet::IpNet::from(config.demo_sandbox_bind.ip()));
    }
    OutboundPolicy::new(allow)
}

/// Builds the application state: policy, store (migrated), demo data, identity provider.
pub async fn build_state(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let policy = Arc::new(policy_engine(&config)?);
    tracing::info!(
        policies = policy.policy_count(),
        "authorization policy validated"
    );
    let key = secret_key(&config)?;
    let store = open_store(&config).await?;
    tracing::info!(backend = store.backend().as_str(), database = %config.database_url, "database ready");
    let services = Services::new(store, policy, clock)
        .with_settings(Settings {
            nhi_max_lifetime: chrono::Duration::from_std(config.nhi_max_lifetime)
                .context("COUNTERSIGN_NHI_MAX_LIFETIME is out of range")?,
            token_lifetime: chrono::Duration::from_std(config.token_lifetime)
                .context("COUNTERSIGN_TOKEN_LIFETIME is out of range")?,
            drill_validity: chrono::Duration::from_std(config.drill_validity)
                .context("COUNTERSIGN_DRILL_VALIDITY is out of range")?,
            signoffs: config.signoffs.clone(),
            signoff_lifetime: chrono::Duration::from_std(config.signoff_lifetime)
                .context("COUNTERSIGN_SIGNOFF_LIFETIME is out of range")?,
            // Twice the call's timeout and then some: a live worker never loses its lease.
            delivery_lease: chrono::Duration::from_std(config.delivery_timeout * 2)
                .context("COUNTERSIGN_DELIVERY_TIMEOUT is out of range")?
                + chrono::Duration::seconds(5),
            throttles: ThrottleSettings {
                token_requests_per_minute: config.token_rate_limit,
                sign_ins_per_minute: config.hardening.sign_in_rate_limit,
                failed_sign_ins: config.hardening.failed_sign_in_limit,
                failed_sign_in_window: chrono::Duration::minutes(15),
            },
            reauth_window: chrono::Duration::from_std(config.hardening.reauth_window)
                .context("COUNTERSIGN_REAUTH_WINDOW is out of range")?,
            public_url: config.public_url.to_string(),
            review_deadlines: config.notify.review_deadlines,
            template_tiers: config.template_tiers,
            role_map: config.role_map.clone(),
        })
        .with_decision_batching()
        .with_secret_key(key.clone())
        .with_log_key(crate::log_key::log_key(&config)?)
        .with_connector(Arc::new(crate::connector::HttpConnector::new(
            config.delivery_timeout,
            outbound_policy(&config),
        )?));
    let services = match crate::notify::ChannelNotifier::from_config(
        &config.notify,
        &config.public_url,
        outbound_policy(&config),
        config.delivery_timeout,
    )? {
        Some(notifier) => services.with_notifier(Arc::new(notifier)),
        None => services,
    };

    let demo_people = Arc::new(if config.demo {
        demo::personas()
    } else {
        Vec::new()
    });
    if config.demo {
        let added = services
            .seed_demo_people(&demo_people)
            .await
            .context("cannot seed demo data")?;
        let identities = services
            .seed_demo_identities(&demo::identities())
            .await
            .context("cannot seed demo identities")?;
        services
            .seed_demo_workflow(&format!("http://{}", config.demo_sandbox_bind))
            .await
            .context("cannot seed the demo workflow")?;
        tracing::info!(people = added, identities, "demo mode: sample data ready");
    }

    let oidc = match &config.oidc {
        None => None,
        Some(oidc_config) => {
            let oidc = Arc::new(Oidc::new(oidc_config.clone(), &config.redirect_uri())?);
            match oidc.discover().await {
                Ok(()) => {
                    tracing::info!(issuer = %oidc.issuer(), "identity provider metadata loaded")
                }
                Err(e) => {
                    tracing::error!(error = %e, "identity provider unreachable at start-up; sign-in is unavailable until it answers (retrying every 10 s)");
                }
            }
            oidc.spawn_discovery_retry(Duration::from_secs(10));
            oidc.spawn_key_refresh(Duration::from_secs(3600));
            Some(oidc)
        }
    };

    let leptos_options = LeptosOptions::builder()
        .output_name("countersign")
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.bind)
        .env(Env::PROD)
        .build();

    Ok(AppState {
        services,
        config: Arc::new(config),
        oidc,
        metrics: Arc::new(Metrics::default()),
        leptos_options,
        demo_people,
        flow_key: Arc::new(key),
    })
}

/// Demo mode runs `countersign-sandbox` inside the console, with the demo system's secret, so
/// drills (and later publications) have somewhere real to go.
async fn start_demo_sandbox(services: &Services, bind: std::net::SocketAddr) {
    let systems = services.store().systems().await.unwrap_or_default();
    let Some(system) = systems
        .iter()
        .find(|s| s.name == countersign_core::services::DEMO_SYSTEM)
    else {
        return;
    };
    let secret = match services.signing_secret(system.id).await {
        Ok(Some(secret)) => secret,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "demo sandbox not started: cannot read its secret");
            return;
        }
    };
    let data = format!("countersign-sandbox-data-{}", bind.port());
    let sandbox = match crate::sandbox::Sandbox::new(&secret, data.into()) {
        Ok(sandbox) => sandbox,
        Err(e) => {
            tracing::warn!(error = %e, "demo sandbox not started: cannot create its data directory");
            return;
        }
    };
    match tokio::net::TcpListener::bind(bind).await {
        Ok(listener) => {
            tracing::info!(%bind, "demo mode: reference connected system running");
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, sandbox.router()).await {
                    tracing::warn!(error = %e, "demo sandbox stopped");
                }
            });
        }
        Err(e) => {
            tracing::warn!(error = %e, %bind, "demo sandbox not started: its port is taken (drills against it will fail)")
        }
    }
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let bind = config.bind;
    let public_url = config.public_url.clone();
    let demo = config.demo;
    let (story, agent_every, sandbox) = (
        config.demo_story,
        config.demo_agent_every,
        config.demo_sandbox_bind,
    );
    let state = build_state(config, Arc::new(SystemClock)).await?;
    if demo {
        start_demo_sandbox(&state.services, sandbox).await;
    }
    DbSessionStore::new(state.services.store().clone()).spawn_cleanup(Duration::from_secs(300));
    crate::deliveries::spawn_worker(state.services.clone());
    let witnesses = if state.config.ledger_log.witnesses.is_empty() {
        None
    } else {
        Some(crate::witnessing::Witnessing::new(
            state.config.ledger_log.witnesses.clone(),
            Arc::new(outbound_policy(&state.config)),
        )?)
    };
    crate::log_key::spawn_checkpointer(
        state.services.clone(),
        state.config.ledger_log.checkpoint_interval,
        state.config.ledger_log.checkpoint_dir.clone(),
        witnesses,
    );
    spawn_throttle_sweep(state.services.clone());
    spawn_subject_indexer(state.services.clone());
    spawn_notice_sweep(state.services.clone());
    let state_services = state.services.clone();
    let app = crate::web::build(state);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!(%bind, %public_url, demo, "Countersign is listening");
    if demo && story {
        tell_demo_story(state_services, format!("http://{bind}"), agent_every);
    }
    crate::serve_http::serve(listener, app, shutdown_signal()).await;
    Ok(())
}

/// Ended rate-limit windows are removed every minute; failed sign-ins they counted are summed
/// up in the ledger.
/// Every minute: reminders and escalations that fell due, time-based warnings to security
/// admins, and the daily digests whose hour came.
fn spawn_notice_sweep(services: Services) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(error) = services.sweep_notices().await {
                tracing::warn!(%error, "sweeping for due notices failed");
            }
            if let Err(error) = services.send_due_digests().await {
                tracing::warn!(%error, "queueing daily digests failed");
            }
        }
    });
}

/// How far Investigate's subject index may fall behind the decisions: a subject search catches
/// it up first, so this bounds that catch-up, not staleness. Longer intervals mean larger,
/// rarer batches (see `INDEX_BATCH`), which stall decisions less.
const SUBJECT_INDEX_INTERVAL: Duration = Duration::from_secs(2);

/// Investigate's subject index follows the decisions within a couple of seconds (a subject
/// search catches it up first, so it never answers from a stale index).
pub fn spawn_subject_indexer(services: Services) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SUBJECT_INDEX_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(error) = services.index_decision_subjects().await {
                tracing::warn!(%error, "indexing decisions' subjects failed");
            }
        }
    });
}

fn spawn_throttle_sweep(services: Services) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(error) = services.sweep_throttles().await {
                tracing::warn!(%error, "sweeping rate-limit windows failed");
            }
        }
    });
}

/// Demo mode's story and its agent, once the console answers (the agent calls its API).
fn tell_demo_story(services: Services, api: String, agent_every: Option<Duration>) {
    tokio::spawn(async move {
        match crate::demo_story::tell(&services, &api).await {
            Ok(agent) => {
                if let Some(every) = agent_every {
                    tracing::info!(every = ?every, "demo mode: the demo agent keeps drafting");
                    crate::demo_agent::keep_drafting(agent, every);
                }
            }
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "demo mode: the story could not be told")
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
