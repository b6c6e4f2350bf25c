//! A connected system that misbehaves on demand, as a real HTTP server on loopback: it answers
//! 500, answers too late, answers with a receipt for another call, or works. It checks no
//! signatures; the reference system (`countersign-sandbox`) covers the contract itself.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Behaviour {
    Works = 0,
    Fails500 = 1,
    TooSlow = 2,
    WrongReceipt = 3,
    /// 429 with `Retry-After: 90`.
    Throttles = 4,
}

/// A call as it arrived: its signature headers and raw body.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: Vec<u8>,
}

#[derive(Clone, Default)]
pub struct Faulty {
    behaviour: Arc<AtomicU8>,
    calls: Arc<AtomicUsize>,
    received: Arc<std::sync::Mutex<Vec<Received>>>,
}

impl Faulty {
    pub fn set(&self, behaviour: Behaviour) {
        self.behaviour.store(behaviour as u8, Ordering::SeqCst);
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Serves on a free loopback port; returns the base URL.
    pub async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/countersign/{call}", post(answer))
            .with_state(self.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        url
    }
}

async fn answer(
    State(faulty): State<Faulty>,
    headers: HeaderMap,
    raw: Bytes,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    faulty.calls.fetch_add(1, Ordering::SeqCst);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    faulty.received.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: raw.to_vec(),
    });
    let call: Value = serde_json::from_slice(&raw).unwrap_or_default();
    let key = call["idempotency_key"].as_str().unwrap_or_default();
    let status = match call["type"].as_str() {
        Some("publish") => "published",
        Some("rollback") => "rolled_back",
        _ => "revoked",
    };
    match faulty.behaviour.load(Ordering::SeqCst) {
        1 => (StatusCode::INTERNAL_SERVER_ERROR, "database on fire").into_response(),
        2 => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            (StatusCode::GATEWAY_TIMEOUT, "late").into_response()
        }
        3 => Json(json!({
            "receipt_id": "rcpt_other",
            "idempotency_key": "msg_someone_else",
            "status": status,
        }))
        .into_response(),
        4 => (
            StatusCode::TOO_MANY_REQUESTS,
            [(axum::http::header::RETRY_AFTER, "90")],
            "slow down",
        )
            .into_response(),
        _ => Json(json!({
            "receipt_id": format!("rcpt_{key}"),
            "idempotency_key": key,
            "status": status,
            "version": "v-1",
            "previous_version": null,
            "content_sha256": call["content"]["sha256"],
        }))
        .into_response(),
    }
}
