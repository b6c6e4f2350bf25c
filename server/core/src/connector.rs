//! The edge between the console and connected systems. The core decides what to send and judges
//! the receipt; an implementation of [`Connector`] (HTTP in the server) only carries the call,
//! signed per `docs/connector-contract.md`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The contract's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    Publish,
    Rollback,
    Revoke,
    /// An agent's callback URL: any 2xx answer acknowledges it; no receipt is expected.
    Callback,
}

impl Endpoint {
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Publish => "countersign/publish",
            Endpoint::Rollback => "countersign/rollback",
            Endpoint::Revoke => "countersign/revoke",
            Endpoint::Callback => "",
        }
    }

    /// The URL a call of this kind goes to.
    pub fn url(self, base: &str) -> String {
        match self {
            Endpoint::Callback => base.to_owned(),
            _ => format!("{}/{}", base.trim_end_matches('/'), self.path()),
        }
    }

    /// The receipt status a successful call of this kind carries.
    pub fn success_status(self) -> &'static str {
        match self {
            Endpoint::Publish => "published",
            Endpoint::Rollback => "rolled_back",
            Endpoint::Revoke => "revoked",
            Endpoint::Callback => "acknowledged",
        }
    }
}

/// One signed call to one system.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub base_url: String,
    pub endpoint: Endpoint,
    pub idempotency_key: String,
    pub body: Value,
    /// The system's `whsec_` signing secret.
    pub secret: String,
}

/// What a system answers a successful call with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub receipt_id: String,
    pub idempotency_key: String,
    pub status: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub previous_version: Option<String>,
    #[serde(default)]
    pub content_sha256: Option<String>,
    #[serde(default)]
    pub received_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum DeliveryError {
    #[error("no answer within {0} seconds")]
    Timeout(u64),
    #[error("cannot reach the system: {0}")]
    Unreachable(String),
    #[error("the system refused the call with {status}: {detail}")]
    Refused { status: u16, detail: String },
    #[error("the system answered with a wrong receipt: {0}")]
    WrongReceipt(String),
    /// The destination is an internal address the operator has not allowed (permanent).
    #[error("outbound call refused: {0}")]
    Blocked(String),
    /// 429 or 503 with `Retry-After` in seconds: temporary, and not before that.
    #[error("the system asked to wait {retry_after_secs} s ({status}): {detail}")]
    Throttled {
        status: u16,
        retry_after_secs: u64,
        detail: String,
    },
}

impl DeliveryError {
    /// Worth retrying later (the contract's temporary failures).
    pub fn is_temporary(&self) -> bool {
        match self {
            DeliveryError::Timeout(_)
            | DeliveryError::Unreachable(_)
            | DeliveryError::Throttled { .. } => true,
            DeliveryError::Refused { status, .. } => matches!(status, 408 | 429 | 500..=599),
            DeliveryError::WrongReceipt(_) | DeliveryError::Blocked(_) => false,
        }
    }
}

#[async_trait]
pub trait Connector: Send + Sync + 'static {
    async fn deliver(&self, delivery: &Delivery) -> Result<Receipt, DeliveryError>;
}

impl Receipt {
    /// What stands for a receipt when an agent's callback URL answered 2xx.
    pub fn acknowledged(idempotency_key: &str) -> Self {
        Self {
            receipt_id: format!("ack_{idempotency_key}"),
            idempotency_key: idempotency_key.to_owned(),
            status: Endpoint::Callback.success_status().to_owned(),
            version: None,
            previous_version: None,
            content_sha256: None,
            received_at: None,
        }
    }
}

/// Checks a receipt against the call it answers (contract: *Receipts*).
pub fn check_receipt(
    delivery: &Delivery,
    dry_run: bool,
    receipt: &Receipt,
) -> Result<(), DeliveryError> {
    if receipt.idempotency_key != delivery.idempotency_key {
        return Err(DeliveryError::WrongReceipt(format!(
            "it answers `{}`, not `{}`",
            receipt.idempotency_key, delivery.idempotency_key
        )));
    }
    let expected = if dry_run {
        "dry_run_ok"
    } else {
        delivery.endpoint.success_status()
    };
    if receipt.status != expected {
        return Err(DeliveryError::WrongReceipt(format!(
            "status `{}` where `{expected}` was expected",
            receipt.status
        )));
    }
    if receipt.receipt_id.trim().is_empty() {
        return Err(DeliveryError::WrongReceipt(
            "it has no receipt_id".to_owned(),
        ));
    }
    if let Some(sent) = delivery
        .body
        .pointer("/content/sha256")
        .and_then(Value::as_str)
    {
        if receipt.content_sha256.as_deref() != Some(sent) {
            return Err(DeliveryError::WrongReceipt(
                "content_sha256 does not match the content sent".to_owned(),
            ));
        }
    }
    Ok(())
}

/// A new idempotency key (`msg_` + UUIDv7), also the `webhook-id`.
pub fn new_idempotency_key() -> String {
    format!("msg_{}", uuid::Uuid::now_v7())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn delivery() -> Delivery {
        Delivery {
            base_url: "https://x.example".to_owned(),
            endpoint: Endpoint::Publish,
            idempotency_key: "msg_1".to_owned(),
            body: json!({"content": {"sha256": "abc"}}),
            secret: "whsec_x".to_owned(),
        }
    }

    fn receipt() -> Receipt {
        Receipt {
            receipt_id: "rcpt_1".to_owned(),
            idempotency_key: "msg_1".to_owned(),
            status: "published".to_owned(),
            version: Some("v-1".to_owned()),
            previous_version: None,
            content_sha256: Some("abc".to_owned()),
            received_at: None,
        }
    }

    #[test]
    fn receipts_must_answer_the_call_they_claim_to() {
        assert_eq!(check_receipt(&delivery(), false, &receipt()), Ok(()));
        let cases = [
            (
                Receipt {
                    idempotency_key: "msg_2".into(),
                    ..receipt()
                },
                "answers `msg_2`",
            ),
            (
                Receipt {
                    status: "revoked".into(),
                    ..receipt()
                },
                "status `revoked`",
            ),
            (
                Receipt {
                    content_sha256: Some("zzz".into()),
                    ..receipt()
                },
                "content_sha256",
            ),
            (
                Receipt {
                    receipt_id: " ".into(),
                    ..receipt()
                },
                "no receipt_id",
            ),
        ];
        for (bad, expected) in cases {
            let error = check_receipt(&delivery(), false, &bad)
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{error}");
        }
        assert!(
            check_receipt(&delivery(), true, &receipt()).is_err(),
            "a dry run answers dry_run_ok"
        );
    }

    #[test]
    fn only_temporary_failures_are_retried() {
        assert!(DeliveryError::Timeout(10).is_temporary());
        assert!(DeliveryError::Refused {
            status: 503,
            detail: String::new()
        }
        .is_temporary());
        assert!(!DeliveryError::Refused {
            status: 401,
            detail: String::new()
        }
        .is_temporary());
        assert!(!DeliveryError::WrongReceipt(String::new()).is_temporary());
        assert!(DeliveryError::Throttled {
            status: 429,
            retry_after_secs: 30,
            detail: String::new()
        }
        .is_temporary());
    }
}
