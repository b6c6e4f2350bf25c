//! `countersign-load`: a bounded HTTP load run against the access-decision API on loopback.
//! See `server/src/loadtest.rs` and the README's Performance section.

use clap::Parser;
use countersign::loadtest::{run, LoadOptions};
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Load run: POST /api/v1/access-decisions, 100 subjects x 10 fields, on loopback")]
struct Args {
    /// `sqlite` (a fresh temporary file) or the URL of an empty PostgreSQL database.
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// Stop after this many decisions.
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Stop after this many seconds at the latest.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let report = run(LoadOptions {
        database_url: args.database,
        requests: args.requests,
        concurrency: args.concurrency.max(1),
        max_duration: Duration::from_secs(args.seconds.max(1)),
    })
    .await?;
    report.print();
    Ok(())
}

// The console allocates many small, short-lived values per request; mimalloc handles that with
// less contention than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
