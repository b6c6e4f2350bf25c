//! `countersign-load ledger`: what the verifiable log costs and how fast it is checked.
//! Audited writes (one event per transaction, the write path of every command) per second
//! without and with a checkpointer signing every 100 ms (the default is once a minute); then a
//! ledger of N events: the time to build its Merkle tree and sign a checkpoint, and the time
//! `audit verify` takes over it (chain, tree, checkpoints).

use countersign_core::ledger::NewEvent;
use countersign_core::policy::PolicyEngine;
use countersign_core::services::CheckpointSource;
use countersign_core::store::{self, StoreOptions};
use countersign_core::{Actor, Services, SystemClock};
use countersign_transparency::SignerKey;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct LedgerBenchOptions {
    /// `sqlite` (a fresh temporary file) or the URL of an empty PostgreSQL database.
    pub database_url: String,
    /// Single-event transactions timed, without and then with the checkpointer.
    pub writes: usize,
    /// Events in the ledger for the tree and verify measurements.
    pub events: usize,
}

/// One-event transactions per second.
async fn audited_writes(services: &Services, n: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    for i in 0..n {
        let mut tx = services.store().begin_write(0).await?;
        tx.leaves_registry_unchanged();
        tx.append_event(&NewEvent::new(
            &Actor::System,
            "bench.write",
            "ledger",
            json!({ "n": i }),
        ))
        .await?;
        tx.commit().await?;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Appends filler events, 10,000 per transaction, until the ledger holds `total`.
pub(crate) async fn fill(services: &Services, total: i64) -> anyhow::Result<()> {
    let store = services.store();
    let mut have = store.event_count().await?;
    while have < total {
        let batch = (total - have).min(10_000);
        let mut tx = store.begin_write(0).await?;
        tx.leaves_registry_unchanged();
        for i in 0..batch {
            tx.append_event(&NewEvent::new(
                &Actor::System,
                "bench.filler",
                "ledger",
                json!({ "n": have + i }),
            ))
            .await?;
        }
        tx.commit().await?;
        have += batch;
    }
    Ok(())
}

pub async fn run(options: LedgerBenchOptions) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = if options.database_url == "sqlite" {
        format!("sqlite://{}/ledger.db", dir.path().display())
    } else {
        options.database_url.clone()
    };
    let store = store::connect(&url, &StoreOptions::default()).await?;
    store.migrate().await?;
    let backend = store.backend().as_str();
    let key = SignerKey::generate("bench.local/ledger")?;
    let verifier = key.verifier();
    let services = Services::new(
        store,
        Arc::new(PolicyEngine::builtin()?),
        Arc::new(SystemClock),
    )
    .with_log_key(key);

    let plain = audited_writes(&services, options.writes).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let checkpointer = {
        let services = services.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut signed = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if let Ok(Some(_)) = services.checkpoint_ledger().await {
                    signed += 1;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            signed
        })
    };
    let checkpointed = audited_writes(&services, options.writes).await?;
    stop.store(true, Ordering::Relaxed);
    let signed = checkpointer.await?;
    println!(
        "{backend}: audited writes (one event per transaction): {plain:.0}/s without checkpoints, \
         {checkpointed:.0}/s with a checkpoint signed every 100 ms ({signed} signed meanwhile)"
    );

    let fill_started = Instant::now();
    fill(&services, options.events as i64).await?;
    let fill_time = fill_started.elapsed();
    let tree_started = Instant::now();
    let checkpoint = services
        .checkpoint_ledger()
        .await?
        .ok_or_else(|| anyhow::anyhow!("no checkpoint was signed"))?;
    let tree_time = tree_started.elapsed();
    let verify_started = Instant::now();
    let outcome = services
        .verify_log(
            &Actor::System,
            &verifier,
            vec![CheckpointSource {
                origin: "the bench's copy".to_owned(),
                note: checkpoint.note.clone(),
            }],
        )
        .await?;
    let verify_time = verify_started.elapsed();
    anyhow::ensure!(outcome.intact(), "the bench's ledger does not verify");
    let per_second = |d: Duration| outcome.events as f64 / d.as_secs_f64();
    println!(
        "{backend}: {} events (filled in {:.1} s); tree built and checkpoint signed in {:.1} s \
         ({:.0} events/s); audit verify (chain, tree, {} checkpoints) in {:.1} s ({:.0} events/s)",
        outcome.events,
        fill_time.as_secs_f64(),
        tree_time.as_secs_f64(),
        per_second(tree_time),
        outcome.matched.len(),
        verify_time.as_secs_f64(),
        per_second(verify_time),
    );
    Ok(())
}
