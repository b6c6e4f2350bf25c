//! The ledger's log key: the Ed25519 key that signs checkpoints, kept outside the database the
//! way the secret key is — from `COUNTERSIGN_LOG_KEY`, or an owner-only file created at first
//! start. Whoever can write the database cannot sign as the log.

use crate::config::Config;
use anyhow::Context;
use countersign_transparency::{SignerKey, VerifierKey};
use std::time::Duration;

pub fn log_key(config: &Config) -> anyhow::Result<SignerKey> {
    let settings = &config.ledger_log;
    let key = if let Some(text) = &settings.key {
        SignerKey::parse(text.expose())
            .map_err(|e| anyhow::anyhow!("configuration error: COUNTERSIGN_LOG_KEY: {e}"))?
    } else {
        let path = &settings.key_file;
        crate::startup::refuse_if_shared(path)?;
        match std::fs::read_to_string(path) {
            Ok(text) => SignerKey::parse(&text).map_err(|e| {
                anyhow::anyhow!(
                    "configuration error: COUNTERSIGN_LOG_KEY_FILE ({}): {e}",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SignerKey::generate(&settings.origin).map_err(|e| {
                    anyhow::anyhow!("configuration error: COUNTERSIGN_LOG_ORIGIN: {e}")
                })?;
                crate::startup::write_owner_only(path, &format!("{}\n", key.to_private_string()))
                    .with_context(|| format!("cannot create the log key file {}", path.display()))?;
                tracing::warn!(path = %path.display(), key = %key.verifier(), "created a new log key; back it up apart from the database and give auditors its public key (countersign audit key)");
                key
            }
            Err(e) => anyhow::bail!("cannot read the log key file {}: {e}", path.display()),
        }
    };
    if key.name() != settings.origin {
        anyhow::bail!(
            "the log key is for the log `{}`, but this console's log is `{}`: set \
             COUNTERSIGN_LOG_ORIGIN={} (a log keeps its name for life)",
            key.name(),
            settings.origin,
            key.name()
        );
    }
    Ok(key)
}

/// The public half of the configured log key, if there is one (nothing is created).
pub fn existing_verifier(config: &Config) -> anyhow::Result<Option<VerifierKey>> {
    let settings = &config.ledger_log;
    if settings.key.is_none() && !settings.key_file.exists() {
        return Ok(None);
    }
    Ok(Some(log_key(config)?.verifier()))
}

/// Checkpoints the ledger at once and then every `interval`, for as long as the console runs,
/// anchors the latest checkpoint in `anchor_dir` and asks the witnesses to cosign it. Every console process runs one; the
/// ledger's lock orders them and a size is signed once.
pub fn spawn_checkpointer(
    services: countersign_core::Services,
    interval: Duration,
    anchor_dir: Option<std::path::PathBuf>,
    witnesses: Option<crate::witnessing::Witnessing>,
) {
    tokio::spawn(async move {
        loop {
            if let Err(error) = services.checkpoint_ledger().await {
                tracing::error!(%error, "ledger checkpoint failed");
            }
            if let Some(dir) = &anchor_dir {
                match services.store().latest_checkpoint().await {
                    Ok(Some(latest)) => match crate::anchor::write(dir, &latest) {
                        Ok(true) => {
                            tracing::info!(size = latest.tree_size, dir = %dir.display(), "checkpoint anchored")
                        }
                        Ok(false) => {}
                        Err(error) => tracing::error!(%error, "checkpoint not anchored"),
                    },
                    Ok(None) => {}
                    Err(error) => tracing::error!(%error, "cannot read the latest checkpoint"),
                }
            }
            if let Some(witnesses) = &witnesses {
                if let Err(error) = witnesses.cosign_latest(&services).await {
                    tracing::warn!(%error, "witnesses not asked");
                }
            }
            tokio::time::sleep(interval).await;
        }
    });
}
