//! Where the ledger's log key lives, what the log is called and how often it is checkpointed.

use super::{duration, err, ConfigError, Secret};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct LedgerLog {
    /// The log key itself (`PRIVATE+KEY+…`), when the operator passes it in the environment.
    pub key: Option<Secret>,
    /// Otherwise the owner-only file holding it (created at first start).
    pub key_file: PathBuf,
    /// The log's name in its checkpoints (`countersign.example.com/ledger`): the public URL's
    /// host and port unless set.
    pub origin: String,
    /// The shortest time between two checkpoints.
    pub checkpoint_interval: Duration,
    /// A directory outside the database where every checkpoint is also written, one file each,
    /// never overwritten (`COUNTERSIGN_CHECKPOINT_DIR`; none when unset).
    pub checkpoint_dir: Option<PathBuf>,
    /// Witnesses asked to cosign each checkpoint (`COUNTERSIGN_WITNESSES`: `URL KEY; …`).
    pub witnesses: Vec<crate::witnessing::WitnessTarget>,
}

pub(super) fn parse(
    get: &dyn Fn(&str) -> Option<String>,
    public_url: &url::Url,
    secret_key_file: &Path,
) -> Result<LedgerLog, ConfigError> {
    let name = |key: &str| format!("COUNTERSIGN_{key}");
    let origin = match get("LOG_ORIGIN") {
        Some(origin) => origin,
        None => {
            let host = public_url.host_str().unwrap_or("localhost");
            match public_url.port() {
                Some(port) => format!("{host}:{port}/ledger"),
                None => format!("{host}/ledger"),
            }
        }
    };
    if origin.is_empty()
        || origin.len() > 200
        || origin.contains(|c: char| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(err(
            &name("LOG_ORIGIN"),
            "must be 1 to 200 characters without spaces or '+', e.g. countersign.example.com/ledger",
        ));
    }
    let checkpoint_interval = duration(&get("CHECKPOINT_INTERVAL").unwrap_or_else(|| "1m".into()))
        .map_err(|p| err(&name("CHECKPOINT_INTERVAL"), p))?;
    if checkpoint_interval < Duration::from_secs(1)
        || checkpoint_interval > Duration::from_secs(86_400)
    {
        return Err(err(&name("CHECKPOINT_INTERVAL"), "must be from 1s to 24h"));
    }
    Ok(LedgerLog {
        key: get("LOG_KEY").map(Secret::new),
        key_file: get("LOG_KEY_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| beside(secret_key_file)),
        origin,
        checkpoint_interval,
        checkpoint_dir: get("CHECKPOINT_DIR").map(PathBuf::from),
        witnesses: crate::witnessing::parse_targets(&get("WITNESSES").unwrap_or_default())
            .map_err(|p| err(&name("WITNESSES"), p))?,
    })
}

/// `countersign.key` → `countersign-log.key`, in the same directory: each console's secret key
/// file has its own log key beside it.
fn beside(secret_key_file: &Path) -> PathBuf {
    let stem = secret_key_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "countersign".to_owned());
    secret_key_file.with_file_name(format!("{stem}-log.key"))
}
