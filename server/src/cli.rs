//! `countersign serve | migrate | audit verify | audit key`.

use crate::config::{Config, Mode};
use crate::startup;
use base64::Engine;
use clap::{Parser, Subcommand};
use countersign_core::services::{CheckpointSource, LedgerVerification};
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
    /// Workflows as code: export them as TOML, apply a file back through the console's commands.
    Workflows {
        #[command(subcommand)]
        command: WorkflowsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum WorkflowsCommand {
    /// Write every workflow (steps, owners, grants, purposes) as TOML.
    Export {
        #[arg(long)]
        config: Option<PathBuf>,
        /// The security admin this is done as (their email); the policy judges their roles.
        #[arg(long = "as", value_name = "EMAIL")]
        acting_as: String,
        /// Write here instead of to standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Show what a file would change (and the tier each change leads to); with --yes, apply it
    /// through the same commands as the console, so drift rules and reviews apply and every
    /// change is in the ledger.
    Apply {
        file: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long = "as", value_name = "EMAIL")]
        acting_as: String,
        /// Apply the plan (without it, only print it).
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain and the Merkle tree, and check them against every signed
    /// checkpoint found (the database's, the anchor directory's, files given here): print the
    /// events verified, or every contradiction by name.
    Verify {
        #[arg(long)]
        config: Option<PathBuf>,
        /// The log's public key (`name+id+key`, as `audit key` prints it); the configured log
        /// key's public half when omitted.
        #[arg(long)]
        key: Option<String>,
        /// A signed checkpoint kept elsewhere (repeatable).
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
    },
    /// Print the log's public key (give it to auditors and witnesses), creating the log key if
    /// there is none yet.
    Key {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Hand the log over to a new key: the hand-over is a ledger event signed by the old key and
    /// the new one, checkpointed by the old key; the old key file is kept beside the new one.
    /// Restart the console afterwards to sign with the new key.
    RotateKey {
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
            command:
                AuditCommand::Verify { config, .. }
                | AuditCommand::Key { config }
                | AuditCommand::RotateKey { config },
        }
        | Command::Workflows {
            command:
                WorkflowsCommand::Export { config, .. } | WorkflowsCommand::Apply { config, .. },
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
                command:
                    AuditCommand::Verify {
                        key, checkpoints, ..
                    },
            } => verify(&config, key.as_deref(), &checkpoints).await,
            Command::Audit {
                command: AuditCommand::Key { .. },
            } => {
                println!("{}", crate::log_key::log_key(&config)?.verifier());
                Ok(ExitCode::SUCCESS)
            }
            Command::Audit {
                command: AuditCommand::RotateKey { .. },
            } => rotate_key(&config).await,
            Command::Workflows { command } => workflows(&config, command).await,
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

async fn workflows(config: &Config, command: WorkflowsCommand) -> anyhow::Result<ExitCode> {
    let policy = Arc::new(startup::policy_engine(config)?);
    let store = startup::open_store(config).await?;
    let services = Services::new(store, policy, Arc::new(SystemClock));
    let refused = |e: countersign_core::CoreError| anyhow::anyhow!("{e}");
    match command {
        WorkflowsCommand::Export { acting_as, out, .. } => {
            let actor = services
                .command_line_actor(&acting_as)
                .await
                .map_err(refused)?;
            let file = services.export_workflows(&actor).await.map_err(refused)?;
            let text = format!(
                "# Countersign workflows, exported {}. Apply with: countersign workflows apply FILE --as EMAIL\n\n{}",
                chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
                file.to_toml()
            );
            match out {
                Some(path) => {
                    std::fs::write(&path, text)
                        .map_err(|e| anyhow::anyhow!("--out {}: {e}", path.display()))?;
                    eprintln!(
                        "{} workflows written to {}",
                        file.workflows.len(),
                        path.display()
                    );
                }
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        WorkflowsCommand::Apply {
            file,
            acting_as,
            yes,
            ..
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let spec = countersign_core::domain::WorkflowsFile::parse(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let actor = services
                .command_line_actor(&acting_as)
                .await
                .map_err(refused)?;
            let plan = services
                .plan_workflows(&actor, &spec)
                .await
                .map_err(refused)?;
            for name in &plan.unchanged {
                println!("= \"{name}\" unchanged");
            }
            for change in &plan.changes {
                println!("{change}");
            }
            if plan.changes.is_empty() {
                println!("nothing to apply");
                return Ok(ExitCode::SUCCESS);
            }
            if !yes {
                println!("plan only: run again with --yes to apply it");
                return Ok(ExitCode::SUCCESS);
            }
            for line in services
                .apply_workflow_plan(&actor, plan)
                .await
                .map_err(refused)?
            {
                println!("applied: {line}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn rotate_key(config: &Config) -> anyhow::Result<ExitCode> {
    if config.ledger_log.key.is_some() {
        anyhow::bail!(
            "the log key comes from COUNTERSIGN_LOG_KEY: rotate-key rotates key files; unset it and \
             use COUNTERSIGN_LOG_KEY_FILE"
        );
    }
    let old = crate::log_key::log_key(config)?;
    let new = countersign_transparency::SignerKey::generate(old.name())
        .map_err(|e| anyhow::anyhow!("cannot make a new key: {e}"))?;
    let path = &config.ledger_log.key_file;
    // The new key is on disk before the ledger names it, and in place only after.
    let staged = path.with_extension("key.new");
    let _ = std::fs::remove_file(&staged);
    crate::startup::write_owner_only(&staged, &format!("{}\n", new.to_private_string()))?;
    let policy = Arc::new(startup::policy_engine(config)?);
    let store = startup::open_store(config).await?;
    let (old_public, new_public) = (old.verifier(), new.verifier());
    let services = Services::new(store, policy, Arc::new(SystemClock)).with_log_key(old);
    let seq = match services.rotate_log_key(&Actor::System, &new).await {
        Ok(seq) => seq,
        Err(error) => {
            let _ = std::fs::remove_file(&staged);
            return Err(error.into());
        }
    };
    let retired = path.with_extension(format!("key.retired-{}", hex::encode(old_public.id())));
    std::fs::rename(path, &retired)?;
    std::fs::rename(&staged, path)?;
    println!(
        "log key rotated at ledger event {seq}: {old_public} -> {new_public}\n\
         the old key is kept at {}; restart the console to sign with the new key, and give \
         auditors and witnesses the new public key (audit verify accepts either)",
        retired.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn verify(config: &Config, key: Option<&str>, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let policy = Arc::new(startup::policy_engine(config)?);
    let store = startup::open_store(config).await?;
    let services = Services::new(store, policy, Arc::new(SystemClock));
    let key = match key {
        Some(text) => Some(
            countersign_transparency::VerifierKey::parse(text)
                .map_err(|e| anyhow::anyhow!("--key: {e}"))?,
        ),
        None => crate::log_key::existing_verifier(config)?,
    };
    let Some(key) = key else {
        if !files.is_empty() {
            anyhow::bail!(
                "no log key to check checkpoints with: give --key (from `countersign audit key`)"
            );
        }
        // No log yet: the chain is all there is to check.
        return match services.verify_ledger(&Actor::System).await? {
            LedgerVerification::Intact { events } => {
                println!(
                    "ledger intact: {events} events verified (no log key: no checkpoint to check)"
                );
                Ok(ExitCode::SUCCESS)
            }
            LedgerVerification::Broken { verified, link } => {
                println!(
                    "ledger BROKEN at event {}: {} ({verified} events before it verified)",
                    link.seq, link.problem
                );
                Ok(ExitCode::FAILURE)
            }
        };
    };
    let mut sources = Vec::new();
    if let Some(dir) = &config.ledger_log.checkpoint_dir {
        if dir.exists() {
            sources.extend(crate::anchor::read_all(dir)?);
        }
    }
    for file in files {
        sources.push(CheckpointSource {
            origin: file.display().to_string(),
            note: std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("--checkpoint {}: {e}", file.display()))?,
        });
    }
    let outcome = services.verify_log(&Actor::System, &key, sources).await?;
    let root = base64::engine::general_purpose::STANDARD.encode(outcome.root);
    if outcome.intact() {
        let latest = outcome
            .matched
            .iter()
            .max_by_key(|(_, size)| *size)
            .map(|(origin, size)| format!("; latest: {size} events, {origin}"))
            .unwrap_or_default();
        println!(
            "ledger intact: {} events verified, Merkle root {root}; consistent with {} signed checkpoints{latest}",
            outcome.events,
            outcome.matched.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "ledger NOT intact: {} events, Merkle root {root}",
        outcome.events
    );
    if let Some(link) = &outcome.broken_link {
        println!("  chain broken at event {}: {}", link.seq, link.problem);
    }
    for contradiction in &outcome.contradictions {
        println!(
            "  contradicted by {}: {}",
            contradiction.source, contradiction.problem
        );
    }
    Ok(ExitCode::FAILURE)
}
