//! `countersign serve | migrate | audit verify | audit key`.

use crate::config::{Config, Mode};
use crate::startup;
use clap::{Parser, Subcommand};
use countersign_core::services::LedgerVerification;
use countersign_core::{Actor, Services, SystemClock};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "countersign",
    version,
    about = "Countersign: agents draft, humans countersign, only the console publishes."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the console.
    Serve {
        /// TOML configuration file; COUNTERSIGN_* environment variables override it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Seed sample data and sign in as demo personas instead of through an IdP
        /// (loopback addresses only).
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Audit ledger tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; print the number of events verified or the first broken link.
    Verify {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print the log's public key (give it to auditors and witnesses), creating the log key if
    /// there is none yet.
    Key {
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let (config_path, mode) = match &cli.command {
        Command::Serve { config, demo } => {
            (config.clone(), if *demo { Mode::Demo } else { Mode::Serve })
        }
        Command::Migrate { config }
        | Command::Audit {
            command: AuditCommand::Verify { config } | AuditCommand::Key { config },
        } => (config.clone(), Mode::Maintenance),
    };
    let config = match Config::load(config_path.as_deref(), mode) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.command {
            Command::Serve { .. } => startup::serve(config).await.map(|()| ExitCode::SUCCESS),
            Command::Migrate { .. } => {
                startup::open_store(&config).await?;
                println!("migrations applied");
                Ok(ExitCode::SUCCESS)
            }
            Command::Audit {
                command: AuditCommand::Verify { .. },
            } => verify(&config).await,
            Command::Audit {
                command: AuditCommand::Key { .. },
            } => {
                println!("{}", crate::log_key::log_key(&config)?.verifier());
                Ok(ExitCode::SUCCESS)
            }
        }
    });
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn verify(config: &Config) -> anyhow::Result<ExitCode> {
    let policy = Arc::new(startup::policy_engine(config)?);
    let store = startup::open_store(config).await?;
    let services = Services::new(store, policy, Arc::new(SystemClock));
    match services.verify_ledger(&Actor::System).await? {
        LedgerVerification::Intact { events } => {
            println!("ledger intact: {events} events verified");
            Ok(ExitCode::SUCCESS)
        }
        LedgerVerification::Broken { verified, link } => {
            println!(
                "ledger BROKEN at event {}: {} ({verified} events before it verified)",
                link.seq, link.problem
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
