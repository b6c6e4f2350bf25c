//! `countersign-witness`: a small transparency-log witness (C2SP tlog-witness). It keeps, per
//! log it is told to trust, the size and root it last cosigned (a file each, replaced
//! atomically), checks every new checkpoint's signature and consistency proof against them, and
//! answers with its cosignature. The check and the update happen under one lock, so two
//! requests can never roll a log back.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use countersign_transparency::witness::{judge, AddCheckpoint, Cosigner, Seen, WitnessError};
use countersign_transparency::VerifierKey;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;

/// A checkpoint request is a few lines; anything larger is not one.
const BODY_LIMIT: usize = 16 * 1024;

pub struct Witness {
    cosigner: Cosigner,
    /// Trusted log keys by origin.
    logs: HashMap<String, VerifierKey>,
    state_dir: PathBuf,
    lock: Mutex<()>,
}

impl Witness {
    pub fn new(cosigner: Cosigner, logs: Vec<VerifierKey>, state_dir: PathBuf) -> Self {
        Witness {
            cosigner,
            logs: logs.into_iter().map(|k| (k.name().to_owned(), k)).collect(),
            state_dir,
            lock: Mutex::new(()),
        }
    }

    fn state_file(&self, origin: &str) -> PathBuf {
        // Origins are names like `host/ledger`: hex keeps them one safe file name.
        self.state_dir.join(format!("{}.seen", hex::encode(origin)))
    }

    fn read_seen(&self, origin: &str) -> std::io::Result<Option<Seen>> {
        match std::fs::read_to_string(self.state_file(origin)) {
            Ok(text) => {
                let mut lines = text.lines();
                let size = lines.next().and_then(|s| s.parse().ok());
                let root = lines
                    .next()
                    .and_then(|r| STANDARD.decode(r).ok())
                    .and_then(|r| <[u8; 32]>::try_from(r.as_slice()).ok());
                match (size, root) {
                    (Some(size), Some(root)) => Ok(Some(Seen { size, root })),
                    _ => Err(std::io::Error::other("the witness's state file is damaged")),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn write_seen(&self, origin: &str, seen: Seen) -> std::io::Result<()> {
        use std::io::Write;
        std::fs::create_dir_all(&self.state_dir)?;
        let path = self.state_file(origin);
        let temp = path.with_extension("tmp");
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(format!("{}\n{}\n", seen.size, STANDARD.encode(seen.root)).as_bytes())?;
        file.sync_all()?;
        std::fs::rename(temp, path)
    }

    /// One add-checkpoint request: the cosignature line, or the refusal.
    pub async fn add_checkpoint(&self, body: &str) -> Result<String, WitnessError> {
        let request = AddCheckpoint::parse(body)?;
        let origin = request
            .checkpoint
            .split('\n')
            .next()
            .unwrap_or_default()
            .to_owned();
        // An unknown log is refused before anything is read for it.
        let Some(log_key) = self.logs.get(&origin) else {
            return Err(WitnessError::UnknownLog(origin));
        };
        let _guard = self.lock.lock().await;
        let seen = self
            .read_seen(&origin)
            .map_err(|e| WitnessError::BadRequest(format!("witness state unreadable: {e}")))?;
        let (now_seen, checkpoint) = judge(&request, Some(log_key), seen)?;
        self.write_seen(&origin, now_seen)
            .map_err(|e| WitnessError::BadRequest(format!("witness state not saved: {e}")))?;
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        tracing::info!(%origin, size = checkpoint.size, "checkpoint cosigned");
        Ok(self.cosigner.cosign(&checkpoint.body(), timestamp).line())
    }
}

async fn add_checkpoint(State(witness): State<Arc<Witness>>, body: Bytes) -> Response {
    let Ok(body) = std::str::from_utf8(&body) else {
        return (StatusCode::BAD_REQUEST, "the body is not UTF-8\n").into_response();
    };
    match witness.add_checkpoint(body).await {
        Ok(line) => (StatusCode::OK, line).into_response(),
        Err(WitnessError::SizeMismatch(size)) => (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/x.tlog.size")],
            format!("{size}\n"),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "checkpoint refused");
            (
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST),
                format!("{error}\n"),
            )
                .into_response()
        }
    }
}

pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT))
        .with_state(witness)
}
