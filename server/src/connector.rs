//! The HTTP connector: carries signed calls to connected systems per
//! `docs/connector-contract.md`. What to send and how to judge the answer is decided in the core.

use async_trait::async_trait;
use countersign_core::connector::{Connector, Delivery, DeliveryError, Endpoint, Receipt};
use countersign_core::webhooks;
use std::sync::Arc;
use std::time::Duration;

use crate::outbound::OutboundPolicy;

/// Largest answer read from a connected system.
const MAX_ANSWER_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct HttpConnector {
    http: reqwest::Client,
    timeout: Duration,
    policy: Arc<OutboundPolicy>,
}

impl HttpConnector {
    /// Calls go only where `policy` allows: no redirects are followed, no proxy from the
    /// environment is used (it would resolve names itself), and names resolve through the
    /// policy's resolver.
    pub fn new(timeout: Duration, policy: OutboundPolicy) -> anyhow::Result<Self> {
        let policy = Arc::new(policy);
        Ok(Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .dns_resolver(policy.resolver())
                .timeout(timeout)
                .build()?,
            timeout,
            policy,
        })
    }

    /// The answer's body, read until [`MAX_ANSWER_BYTES`] and no further.
    async fn read_limited(
        &self,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, DeliveryError> {
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(&e))? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(DeliveryError::WrongReceipt(
                    "the answer is larger than 1 MiB".to_owned(),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport(&self, e: &reqwest::Error) -> DeliveryError {
        if e.is_timeout() {
            return DeliveryError::Timeout(self.timeout.as_secs());
        }
        let mut source: Option<&dyn std::error::Error> = Some(e);
        while let Some(inner) = source {
            if let Some(refused) = inner.downcast_ref::<crate::outbound::Refused>() {
                return DeliveryError::Blocked(refused.0.clone());
            }
            source = inner.source();
        }
        DeliveryError::Unreachable(chain(e))
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
        self.policy
            .check_url(&url)
            .map_err(|refused| DeliveryError::Blocked(refused.0))?;
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
            .map_err(|e| self.transport(&e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = self.read_limited(response).await?;
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
