//! The HTTP connector: carries signed calls to connected systems per
//! `docs/connector-contract.md`. What to send and how to judge the answer is decided in the core.

use async_trait::async_trait;
use countersign_core::connector::{Connector, Delivery, DeliveryError, Endpoint, Receipt};
use countersign_core::webhooks;
use std::time::Duration;

/// Largest answer read from a connected system.
const MAX_ANSWER_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct HttpConnector {
    http: reqwest::Client,
    timeout: Duration,
}

impl HttpConnector {
    pub fn new(timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(timeout)
                .build()?,
            timeout,
        })
    }
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[async_trait]
impl Connector for HttpConnector {
    async fn deliver(&self, delivery: &Delivery) -> Result<Receipt, DeliveryError> {
        let body = serde_json::to_vec(&delivery.body).map_err(|e| DeliveryError::Refused {
            status: 0,
            detail: format!("cannot encode the call: {e}"),
        })?;
        let timestamp = chrono::Utc::now().timestamp();
        let signature = webhooks::sign(
            &delivery.secret,
            &delivery.idempotency_key,
            timestamp,
            &body,
        )
        .map_err(|e| DeliveryError::Refused {
            status: 0,
            detail: e.to_string(),
        })?;
        let url = delivery.endpoint.url(&delivery.base_url);
        let response = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.idempotency_key)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    DeliveryError::Timeout(self.timeout.as_secs())
                } else {
                    DeliveryError::Unreachable(chain(&e))
                }
            })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                DeliveryError::Timeout(self.timeout.as_secs())
            } else {
                DeliveryError::Unreachable(chain(&e))
            }
        })?;
        if bytes.len() > MAX_ANSWER_BYTES {
            return Err(DeliveryError::WrongReceipt(
                "the answer is larger than 1 MiB".to_owned(),
            ));
        }
        if !status.is_success() {
            let detail = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .map(|problem| {
                    let field = |k: &str| {
                        problem
                            .get(k)
                            .and_then(|v| v.as_str())
                            .unwrap_or("")
                            .to_owned()
                    };
                    format!("{} {}", field("title"), field("detail"))
                        .trim()
                        .to_owned()
                })
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(200).collect());
            return Err(match retry_after {
                Some(retry_after_secs) if matches!(status.as_u16(), 429 | 503) => {
                    DeliveryError::Throttled {
                        status: status.as_u16(),
                        retry_after_secs,
                        detail,
                    }
                }
                _ => DeliveryError::Refused {
                    status: status.as_u16(),
                    detail,
                },
            });
        }
        if delivery.endpoint == Endpoint::Callback {
            return Ok(Receipt::acknowledged(&delivery.idempotency_key));
        }
        serde_json::from_slice::<Receipt>(&bytes)
            .map_err(|e| DeliveryError::WrongReceipt(format!("it is not a receipt ({e})")))
    }
}
