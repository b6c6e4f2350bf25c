//! The delivery worker: delivers the outbox in the background for as long as the console runs.
//! Every console process runs one; they share the work through leases in the database.

use countersign_core::Services;
use std::time::Duration;

/// How often a worker looks for effects queued by other processes and retries falling due.
const POLL: Duration = Duration::from_secs(1);

pub fn spawn_worker(services: Services) {
    tokio::spawn(async move {
        tracing::info!("delivery worker started");
        loop {
            match services.deliver_due_effects().await {
                // A full batch: there may be more due right away.
                Ok(n) if n as i64 >= countersign_core::services::DELIVERY_BATCH => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "delivery pass failed; retrying"),
            }
            services.wait_for_effects(POLL).await;
        }
    });
}
