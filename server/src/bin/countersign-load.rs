//! `countersign-load`: the benchmarks a reader can rerun, on loopback.
//! `decisions` — a bounded HTTP load run against the access-decision API;
//! `queue` — fills the gate with pending changes and times the queue page's server render;
//! `investigate` — times the Investigate page over a ledger of a million decisions;
//! `registry` — times the workflows, workflow and identities pages of a large registry;
//! `variants` — times the server render of a change page carrying a set of many locales;
//! `killswitch` — revokes a workflow with many credentials and systems and times the refusal and
//! the receipts. See `server/src/loadtest.rs`, `queue_bench.rs`, `killswitch_bench.rs` and the
//! README's Performance section. `fixture` serves a console for the API conformance run.

use clap::{Parser, Subcommand};
use countersign::investigate_bench::{self, InvestigateBenchOptions};
use countersign::killswitch_bench::{self, KillSwitchOptions};
use countersign::loadtest::{run, LoadOptions};
use countersign::queue_bench::{self, QueueBenchOptions};
use countersign::registry_bench::{self, RegistryBenchOptions};
use countersign::variants_bench::{self, VariantsBenchOptions};
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Countersign's benchmarks, on loopback")]
struct Args {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// POST /api/v1/access-decisions, 100 subjects x 10 fields.
    Decisions {
        /// `sqlite` (a fresh temporary file) or the URL of an empty PostgreSQL database.
        #[arg(long, default_value = "sqlite")]
        database: String,
        /// Stop after this many decisions.
        #[arg(long, default_value_t = 100_000)]
        requests: usize,
        /// Concurrent connections.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Stop after this many seconds at the latest.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Drive a console already serving the load world (`countersign-load fixture --consent`,
        /// in another process, say pinned to another core) instead of one in this process.
        #[arg(long, requires = "token")]
        target: Option<String>,
        /// The step token to ask with, as the fixture printed it.
        #[arg(long, requires = "target")]
        token: Option<String>,
    },
    /// GET /queue for a signed-in approver with many pending changes, at two sizes.
    Queue {
        /// `sqlite` (a fresh temporary file) or the URL of an empty PostgreSQL database.
        #[arg(long, default_value = "sqlite")]
        database: String,
        /// Pending changes at the first measurement.
        #[arg(long, default_value_t = 100_000)]
        changes: usize,
        /// Pending changes at the second measurement.
        #[arg(long, default_value_t = 1_000_000)]
        grow_to: usize,
        /// Ledger events at the first measurement.
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// Renders timed at each size.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// GET /changes/{id} for a signed-in approver, the change a variant set of many locales.
    Variants {
        /// `sqlite` (a fresh temporary file) or the URL of an empty PostgreSQL database.
        #[arg(long, default_value = "sqlite")]
        database: String,
        /// Variants in the set (at most 50).
        #[arg(long, default_value_t = 50)]
        variants: usize,
        /// Renders timed.
        #[arg(long, default_value_t = 100)]
        samples: usize,
    },
    /// GET /investigate for a signed-in security admin, over a large ledger of decisions.
    Investigate {
        /// `sqlite` (a fresh temporary file) or the URL of an empty PostgreSQL database.
        #[arg(long, default_value = "sqlite")]
        database: String,
        /// Access decisions stored.
        #[arg(long, default_value_t = 1_000_000)]
        decisions: usize,
        /// Distinct customers the decisions are about.
        #[arg(long, default_value_t = 100_000)]
        customers: usize,
        /// Customers each decision names.
        #[arg(long, default_value_t = 5)]
        subjects: usize,
        /// Renders timed per search.
        #[arg(long, default_value_t = 100)]
        samples: usize,
    },
    /// The workflows page, a workflow's page and the identities page of a large registry.
    Registry {
        /// `sqlite` (a fresh temporary file) or the URL of an empty PostgreSQL database.
        #[arg(long, default_value = "sqlite")]
        database: String,
        /// Workflows, each with its own two identities.
        #[arg(long, default_value_t = 1_000)]
        workflows: usize,
        /// Identities in all (at least two per workflow).
        #[arg(long, default_value_t = 5_000)]
        identities: usize,
        /// Renders timed per page.
        #[arg(long, default_value_t = 20)]
        samples: usize,
    },
    /// Revoke a workflow with many live credentials and connected systems.
    Killswitch {
        /// `sqlite` (a fresh temporary file) or the URL of an empty PostgreSQL database.
        #[arg(long, default_value = "sqlite")]
        database: String,
        /// Live access tokens of the workflow.
        #[arg(long, default_value_t = 1_000)]
        credentials: usize,
        /// Connected systems the workflow touches (each a reference system on loopback).
        #[arg(long, default_value_t = 10)]
        systems: usize,
        /// Workflows revoked, one after another.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Bad input at volume: the queue page timed alone and while sign-in, token and draft
    /// endpoints are flooded.
    Flood {
        /// Flooding connections per endpoint.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Queue renders timed alone and during the flood.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// The verifiable ledger: audited writes with and without checkpoints; tree building and
    /// `audit verify` over a large ledger.
    Ledger {
        /// `sqlite` (a fresh temporary file) or the URL of an empty PostgreSQL database.
        #[arg(long, default_value = "sqlite")]
        database: String,
        /// Single-event transactions timed, without and then with the checkpointer.
        #[arg(long, default_value_t = 2_000)]
        writes: usize,
        /// Events in the ledger for the tree and verify measurements.
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
    },
    /// A directory's first full sync over SCIM (users, then groups with their members), and
    /// deactivating a person who alone owns many identities.
    Scim {
        /// `sqlite` (a fresh temporary file) or the URL of an empty PostgreSQL database.
        #[arg(long, default_value = "sqlite")]
        database: String,
        #[arg(long, default_value_t = 10_000)]
        users: usize,
        #[arg(long, default_value_t = 200)]
        groups: usize,
        /// Concurrent connections, as a directory's provisioning engine opens them.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Identities the leaver alone owns.
        #[arg(long, default_value_t = 100)]
        identities: usize,
    },
    /// A change's evidence pack when the change cites a decision over many customers.
    Evidence {
        /// `sqlite` (a fresh temporary file) or the URL of an empty PostgreSQL database.
        #[arg(long, default_value = "sqlite")]
        database: String,
        /// Customers the cited access decision covers (at most 1,000).
        #[arg(long, default_value_t = 1_000)]
        subjects: usize,
        /// Packs timed after the first.
        #[arg(long, default_value_t = 50)]
        samples: usize,
    },
    /// Not a benchmark: serve a console with the load world on loopback and print, as one JSON
    /// line, its URL and an agent's credentials (for the API conformance run).
    Fixture {
        /// 0: any free port.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// `sqlite` (a fresh temporary file) or the URL of an empty PostgreSQL database.
        #[arg(long, default_value = "sqlite")]
        database: String,
        /// Import the decision benchmark's 1,000 customers' consent.
        #[arg(long)]
        consent: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Args::parse().bench {
        Bench::Decisions {
            target: Some(target),
            token: Some(token),
            requests,
            concurrency,
            seconds,
            ..
        } => {
            let drive = countersign::loadtest::drive(
                &target,
                &token,
                concurrency.max(1),
                requests,
                Duration::from_secs(seconds.max(1)),
            )
            .await?;
            countersign::loadtest::print_drive(&target, concurrency.max(1), &drive);
        }
        Bench::Decisions {
            database,
            requests,
            concurrency,
            seconds,
            ..
        } => {
            let report = run(LoadOptions {
                database_url: database,
                requests,
                concurrency: concurrency.max(1),
                max_duration: Duration::from_secs(seconds.max(1)),
            })
            .await?;
            report.print();
        }
        Bench::Queue {
            database,
            changes,
            grow_to,
            events,
            samples,
        } => {
            let (backend, measurements) = queue_bench::run(QueueBenchOptions {
                database_url: database,
                changes: changes.max(1),
                grow_to,
                events,
                samples: samples.max(1),
            })
            .await?;
            for m in &measurements {
                m.print(&backend);
            }
            if let [first, last] = measurements.as_slice() {
                let growth = last.p95().as_secs_f64() / first.p95().as_secs_f64().max(1e-9) - 1.0;
                println!(
                    "{backend}: first-page p95 grew {:+.0} % from {} to {} changes",
                    growth * 100.0,
                    first.changes,
                    last.changes
                );
            }
        }
        Bench::Variants {
            database,
            variants,
            samples,
        } => {
            variants_bench::run(VariantsBenchOptions {
                database_url: database,
                variants: variants.max(1),
                samples: samples.max(1),
            })
            .await?
            .print();
        }
        Bench::Investigate {
            database,
            decisions,
            customers,
            subjects,
            samples,
        } => {
            investigate_bench::run(InvestigateBenchOptions {
                database_url: database,
                decisions: decisions.max(1),
                customers: customers.max(subjects.clamp(1, 100) * 2),
                subjects_per_decision: subjects.clamp(1, 100),
                samples: samples.max(1),
            })
            .await?
            .print();
        }
        Bench::Registry {
            database,
            workflows,
            identities,
            samples,
        } => {
            registry_bench::run(RegistryBenchOptions {
                database_url: database,
                workflows: workflows.max(1),
                identities,
                samples: samples.max(1),
            })
            .await?
            .print();
        }
        Bench::Killswitch {
            database,
            credentials,
            systems,
            runs,
        } => {
            killswitch_bench::run(KillSwitchOptions {
                database_url: database,
                credentials: credentials.max(1),
                systems: systems.max(1),
                runs: runs.max(1),
            })
            .await?
            .print();
        }
        Bench::Flood {
            concurrency,
            samples,
        } => {
            countersign::flood_bench::run(countersign::flood_bench::FloodOptions {
                concurrency: concurrency.max(1),
                samples: samples.max(1),
            })
            .await?
            .print();
        }
        Bench::Ledger {
            database,
            writes,
            events,
        } => {
            countersign::ledger_bench::run(countersign::ledger_bench::LedgerBenchOptions {
                database_url: database,
                writes: writes.max(1),
                events: events.max(1),
            })
            .await?
        }
        Bench::Evidence {
            database,
            subjects,
            samples,
        } => {
            let line = countersign::evidence_bench::run(
                countersign::evidence_bench::EvidenceBenchOptions {
                    database_url: database,
                    subjects,
                    samples,
                },
            )
            .await?;
            println!("{line}");
        }
        Bench::Scim {
            database,
            users,
            groups,
            concurrency,
            identities,
        } => {
            countersign::scim_bench::run(countersign::scim_bench::ScimBenchOptions {
                database_url: database,
                users: users.max(1),
                groups: groups.max(1),
                concurrency: concurrency.max(1),
                identities,
            })
            .await?
            .print();
        }
        Bench::Fixture {
            port,
            database,
            consent,
        } => countersign::api_fixture::serve(port, &database, consent).await?,
    }
    Ok(())
}

// The console allocates many small, short-lived values per request; mimalloc handles that with
// less contention than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
