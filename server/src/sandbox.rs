//! `countersign-sandbox`: the reference connected system. It implements the connector contract
//! (`docs/connector-contract.md`): verifies every signature, applies each idempotency key once,
//! keeps published versions on disk, and answers with receipts. Demo mode and the tests use it;
//! integrators can read it as a worked example.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use countersign_core::webhooks;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;

#[derive(Clone)]
pub struct Sandbox {
    secret: Arc<str>,
    dir: Arc<PathBuf>,
    /// One call at a time: the files are the state.
    lock: Arc<Mutex<()>>,
    /// Every signed call's idempotency key as it arrived, repeats included (since start-up).
    received: Arc<std::sync::Mutex<Vec<String>>>,
    /// Simulated slowness per call.
    delay: std::time::Duration,
}

impl Sandbox {
    pub fn new(secret: &str, dir: PathBuf) -> std::io::Result<Self> {
        for sub in ["receipts", "targets", "revoked"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        Ok(Self {
            secret: secret.into(),
            dir: Arc::new(dir),
            lock: Arc::new(Mutex::new(())),
            received: Arc::default(),
            delay: std::time::Duration::ZERO,
        })
    }

    /// A system that takes `delay` over every call (applied inside its one-call-at-a-time lock).
    pub fn with_delay(mut self, delay: std::time::Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn router(self) -> Router {
        Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/countersign/log", get(log))
            .route("/countersign/{call}", post(call))
            .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
            .with_state(self)
    }
}

/// An RFC 9457 problem answer.
#[derive(Debug)]
struct Problem {
    status: StatusCode,
    title: &'static str,
    detail: String,
}

fn problem(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Problem {
    Problem {
        status,
        title,
        detail: detail.into(),
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        (
            self.status,
            [("content-type", "application/problem+json")],
            Json(json!({ "type": "about:blank", "title": self.title, "status": self.status.as_u16(), "detail": self.detail })),
        )
            .into_response()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Applied {
    body_sha256: String,
    receipt: Value,
}

fn storage_failed(error: std::io::Error) -> Problem {
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Storage failed",
        error.to_string(),
    )
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Idempotency keys this system has applied, oldest first, and every signed call received since
/// it started, repeats included (for tests and demos).
async fn log(State(sandbox): State<Sandbox>) -> Response {
    let _guard = sandbox.lock.lock().await;
    let mut entries: Vec<(std::time::SystemTime, String)> = Vec::new();
    if let Ok(dir) = std::fs::read_dir(sandbox.dir.join("receipts")) {
        for entry in dir.flatten() {
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            let name = entry
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".json")
                .to_owned();
            entries.push((modified, name));
        }
    }
    entries.sort();
    let received = sandbox
        .received
        .lock()
        .map(|keys| keys.clone())
        .unwrap_or_default();
    Json(json!({
        "applied": entries.into_iter().map(|(_, key)| key).collect::<Vec<_>>(),
        "received": received,
    }))
    .into_response()
}

async fn call(
    State(sandbox): State<Sandbox>,
    Path(call): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let id = header("webhook-id");
    if let Err(e) = webhooks::verify(
        &sandbox.secret,
        &id,
        &header("webhook-timestamp"),
        &header("webhook-signature"),
        &body,
        chrono::Utc::now().timestamp(),
    ) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Signature does not verify",
            e.to_string(),
        )
        .into_response();
    }
    if let Ok(mut keys) = sandbox.received.lock() {
        keys.push(id.clone());
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "Malformed request",
            "the body is not JSON",
        )
        .into_response();
    };
    let text = |key: &str| {
        request
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if text("type") != call || !matches!(call.as_str(), "publish" | "rollback" | "revoke") {
        return problem(
            StatusCode::NOT_FOUND,
            "Unknown call",
            format!("no `{call}` call of type `{}`", text("type")),
        )
        .into_response();
    }
    if text("idempotency_key") != id
        || !id.starts_with("msg_")
        || id.len() > 80
        || id.contains(['/', '\\', '.'])
    {
        return problem(
            StatusCode::BAD_REQUEST,
            "Malformed request",
            "idempotency_key must equal webhook-id (msg_…)",
        )
        .into_response();
    }

    let _guard = sandbox.lock.lock().await;
    if !sandbox.delay.is_zero() {
        tokio::time::sleep(sandbox.delay).await;
    }
    let applied_path = sandbox.dir.join("receipts").join(format!("{id}.json"));
    let body_sha256 = hex_sha256(&body_without_signature_noise(&request));
    if let Ok(existing) = std::fs::read(&applied_path) {
        return match serde_json::from_slice::<Applied>(&existing) {
            Ok(applied) if applied.body_sha256 == body_sha256 => (
                StatusCode::OK,
                [("idempotent-replayed", "true")],
                Json(applied.receipt),
            )
                .into_response(),
            Ok(_) => problem(
                StatusCode::CONFLICT,
                "Idempotency key reused",
                "this key was applied with another body",
            )
            .into_response(),
            Err(e) => problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Stored receipt unreadable",
                e.to_string(),
            )
            .into_response(),
        };
    }
    let dry_run = request
        .get("dry_run")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let outcome = match call.as_str() {
        "publish" => publish(&sandbox, &request, dry_run),
        "rollback" => rollback(&sandbox, &request, dry_run),
        _ => revoke(&sandbox, &request, dry_run),
    };
    let mut receipt = match outcome {
        Ok(receipt) => receipt,
        Err(problem) => return problem.into_response(),
    };
    receipt["receipt_id"] = json!(format!("rcpt_{}", uuid::Uuid::now_v7()));
    receipt["idempotency_key"] = json!(id);
    receipt["received_at"] =
        json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let applied = Applied {
        body_sha256,
        receipt: receipt.clone(),
    };
    if let Err(e) = write_atomically(
        &applied_path,
        &serde_json::to_vec(&applied).unwrap_or_default(),
    ) {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cannot store the receipt",
            e.to_string(),
        )
        .into_response();
    }
    (StatusCode::OK, Json(receipt)).into_response()
}

/// The body as applied (the same call re-sent is byte-identical, so hashing it whole is enough).
fn body_without_signature_noise(request: &Value) -> Vec<u8> {
    serde_json::to_vec(request).unwrap_or_default()
}

fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, bytes)?;
    std::fs::File::open(&temp)?.sync_all()?;
    std::fs::rename(temp, path)
}

fn target_dir(sandbox: &Sandbox, request: &Value) -> Result<PathBuf, Problem> {
    let reference = request
        .pointer("/target/reference")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if reference.is_empty() || reference.len() > 500 {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "Malformed request",
            "target.reference is required",
        ));
    }
    let dir = sandbox
        .dir
        .join("targets")
        .join(hex_sha256(reference.as_bytes()));
    std::fs::create_dir_all(&dir).map_err(storage_failed)?;
    Ok(dir)
}

fn current_version(dir: &std::path::Path) -> Option<String> {
    std::fs::read_to_string(dir.join("current"))
        .ok()
        .filter(|v| !v.is_empty())
}

fn publish(sandbox: &Sandbox, request: &Value, dry_run: bool) -> Result<Value, Problem> {
    let body = request
        .pointer("/content/body")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let claimed = request
        .pointer("/content/sha256")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let actual = hex_sha256(body.as_bytes());
    if claimed != actual {
        return Err(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Content hash mismatch",
            "content.sha256 is not the SHA-256 of content.body",
        ));
    }
    let dir = target_dir(sandbox, request)?;
    let previous = current_version(&dir);
    if dry_run {
        return Ok(
            json!({ "status": "dry_run_ok", "version": null, "previous_version": previous, "content_sha256": actual }),
        );
    }
    let number = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("v-"))
                .count()
        })
        .unwrap_or(0)
        + 1;
    let version = format!("v-{number}");
    let stored = json!({ "version": version, "content": request.get("content"), "change_id": request.get("change_id") });
    write_atomically(
        &dir.join(format!("{version}.json")),
        &serde_json::to_vec_pretty(&stored).unwrap_or_default(),
    )
    .and_then(|()| write_atomically(&dir.join("current"), version.as_bytes()))
    .map_err(storage_failed)?;
    Ok(
        json!({ "status": "published", "version": version, "previous_version": previous, "content_sha256": actual }),
    )
}

fn rollback(sandbox: &Sandbox, request: &Value, dry_run: bool) -> Result<Value, Problem> {
    let dir = target_dir(sandbox, request)?;
    let restore = request
        .get("restore_version")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(version) = &restore {
        if version.contains(['/', '\\']) || !dir.join(format!("{version}.json")).exists() {
            return Err(problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unknown version",
                format!("no version `{version}` at this target"),
            ));
        }
    }
    if dry_run {
        return Ok(json!({ "status": "dry_run_ok", "version": restore }));
    }
    let previous = current_version(&dir);
    write_atomically(
        &dir.join("current"),
        restore.clone().unwrap_or_default().as_bytes(),
    )
    .map_err(storage_failed)?;
    Ok(json!({ "status": "rolled_back", "version": restore, "previous_version": previous }))
}

fn revoke(sandbox: &Sandbox, request: &Value, dry_run: bool) -> Result<Value, Problem> {
    if dry_run {
        return Ok(json!({ "status": "dry_run_ok" }));
    }
    let workflow = request
        .get("workflow_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if workflow.is_empty()
        || !workflow
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "Malformed request",
            "workflow_id is required",
        ));
    }
    write_atomically(
        &sandbox.dir.join("revoked").join(format!("{workflow}.json")),
        &serde_json::to_vec(request).unwrap_or_default(),
    )
    .map_err(storage_failed)?;
    Ok(json!({ "status": "revoked" }))
}
