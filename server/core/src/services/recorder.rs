//! Group commit for access decisions. Each decision must be durable, with its ledger event, before
//! it is answered; committing each in its own transaction costs one disk flush per decision. The
//! recorder writes every decision waiting at that moment in one transaction and answers each
//! caller once that transaction has committed, so durability is unchanged and the flushes are
//! shared.
//!
//! Each decision was made with a principal and consent records of some generation (see
//! `principal_cache`, `consent_cache`); the transaction confirms them under the ledger head's lock
//! and records only the decisions whose generations are still the store's. The others are handed
//! back as stale, to be made again: nothing decided with a revoked grant or a withdrawn consent
//! is recorded or answered.

use crate::clock::{to_millis, Clock};
use crate::ledger::NewEvent;
use crate::store::{AccessDecisionRow, Generations, Store, StoreError, WriteTx};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most decisions one transaction takes.
const MAX_BATCH: usize = 256;
/// Callers waiting beyond this many are held back (backpressure) until a batch commits.
const QUEUE: usize = 4096;

pub(super) struct PendingDecision {
    pub row: AccessDecisionRow,
    pub event: NewEvent,
    pub made_with: MadeWith,
}

/// The generations a decision was made with: the principal's registry generation, and the
/// consent generation of the records read (none when no consent was read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct MadeWith {
    pub registry: i64,
    pub consent: Option<i64>,
}

impl MadeWith {
    /// Whether the decision still holds at a commit that found `now`.
    pub fn holds_at(self, now: Generations) -> bool {
        self.registry == now.registry && self.consent.is_none_or(|c| c == now.consent)
    }
}

/// Why a decision was not recorded.
#[derive(Debug, Clone)]
pub(super) enum NotRecorded {
    /// What it was made with changed before its commit: these are the store's generations now.
    Stale(Generations),
    /// The store failed (logged here, named vaguely to the caller).
    Failed(String),
}

impl From<StoreError> for NotRecorded {
    fn from(error: StoreError) -> Self {
        NotRecorded::Failed(error.to_string())
    }
}

type Reply = oneshot::Sender<Result<(), NotRecorded>>;

pub(super) struct DecisionRecorder {
    sender: mpsc::Sender<(PendingDecision, Reply)>,
}

impl DecisionRecorder {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, clock, receiver));
        Self { sender }
    }

    /// Returns once the decision and its event are committed, or why they were not.
    pub async fn record(&self, decision: PendingDecision) -> Result<(), NotRecorded> {
        let stopped = || NotRecorded::Failed("the decision recorder stopped".to_owned());
        let (reply, done) = oneshot::channel();
        self.sender
            .send((decision, reply))
            .await
            .map_err(|_| stopped())?;
        done.await.map_err(|_| stopped())?
    }
}

async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    mut receiver: mpsc::Receiver<(PendingDecision, Reply)>,
) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        match write(store.as_ref(), clock.as_ref(), &batch).await {
            Ok(now) => {
                for (decision, reply) in batch {
                    let outcome = if decision.made_with.holds_at(now) {
                        Ok(())
                    } else {
                        Err(NotRecorded::Stale(now))
                    };
                    // A caller that gave up no longer needs its answer.
                    let _ = reply.send(outcome);
                }
            }
            Err(error) => {
                tracing::error!(error = %error, decisions = batch.len(), "recording decisions failed");
                let failed = NotRecorded::from(error);
                for (_, reply) in batch {
                    let _ = reply.send(Err(failed.clone()));
                }
            }
        }
    }
}

/// Records the decisions of the batch that still hold and returns the generations found.
async fn write(
    store: &dyn Store,
    clock: &dyn Clock,
    batch: &[(PendingDecision, Reply)],
) -> Result<Generations, StoreError> {
    let now_ms = to_millis(clock.now());
    let decisions: Vec<&PendingDecision> = batch.iter().map(|(d, _)| d).collect();
    let tx = store.begin_write(now_ms).await?;
    record_holding(tx, &decisions, now_ms).await
}

/// In `tx`: records those of `decisions` that still hold at its generations, with their events
/// and the identities' last use, and commits; with none holding, writes nothing.
pub(super) async fn record_holding(
    mut tx: Box<dyn WriteTx>,
    decisions: &[&PendingDecision],
    now_ms: i64,
) -> Result<Generations, StoreError> {
    let now = tx.generations();
    let holding: Vec<&&PendingDecision> = decisions
        .iter()
        .filter(|d| d.made_with.holds_at(now))
        .collect();
    if holding.is_empty() {
        // Dropped: rolled back, nothing was written.
        return Ok(now);
    }
    // Decisions and the identities' last-use times are not what a cached principal holds.
    tx.leaves_registry_unchanged();
    let records: Vec<_> = holding.iter().map(|d| (&d.row, &d.event)).collect();
    tx.record_decisions(&records).await?;
    let touched: std::collections::BTreeSet<_> = holding.iter().map(|d| d.row.nhi).collect();
    for nhi in touched {
        tx.touch_nhi(nhi, now_ms).await?;
    }
    tx.commit().await?;
    Ok(now)
}
