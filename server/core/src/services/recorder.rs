//! Group commit for access decisions. Each decision must be durable, with its ledger event, before
//! it is answered; committing each in its own transaction costs one disk flush per decision. The
//! recorder writes every decision waiting at that moment in one transaction and answers each
//! caller once that transaction has committed, so durability is unchanged and the flushes are
//! shared.

use crate::clock::{to_millis, Clock};
use crate::ledger::NewEvent;
use crate::store::{AccessDecisionRow, Store, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most decisions one transaction takes.
const MAX_BATCH: usize = 256;
/// Callers waiting beyond this many are held back (backpressure) until a batch commits.
const QUEUE: usize = 4096;

pub(super) struct PendingDecision {
    pub row: AccessDecisionRow,
    pub event: NewEvent,
}

type Reply = oneshot::Sender<Result<(), String>>;

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

    /// Returns once the decision and its event are committed.
    pub async fn record(&self, decision: PendingDecision) -> Result<(), StoreError> {
        let (reply, done) = oneshot::channel();
        self.sender
            .send((decision, reply))
            .await
            .map_err(|_| StoreError::Unavailable("the decision recorder stopped".to_owned()))?;
        done.await
            .map_err(|_| StoreError::Unavailable("the decision recorder stopped".to_owned()))?
            .map_err(StoreError::Unavailable)
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
        let outcome = write(store.as_ref(), clock.as_ref(), &batch)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, decisions = batch.len(), "recording decisions failed");
                e.to_string()
            });
        for (_, reply) in batch {
            // A caller that gave up no longer needs its answer.
            let _ = reply.send(outcome.clone());
        }
    }
}

async fn write(
    store: &dyn Store,
    clock: &dyn Clock,
    batch: &[(PendingDecision, Reply)],
) -> Result<(), StoreError> {
    let now_ms = to_millis(clock.now());
    let mut tx = store.begin_write(now_ms).await?;
    // Decisions and the identities' last-use times are not what a cached principal holds.
    tx.leaves_registry_unchanged();
    let records: Vec<_> = batch.iter().map(|(d, _)| (&d.row, &d.event)).collect();
    tx.record_decisions(&records).await?;
    let touched: std::collections::BTreeSet<_> = batch.iter().map(|(d, _)| d.row.nhi).collect();
    for nhi in touched {
        tx.touch_nhi(nhi, now_ms).await?;
    }
    tx.commit().await
}
