//! Standard Webhooks signatures, as the connector contract uses them
//! (`docs/connector-contract.md`): `v1,` + base64 HMAC-SHA256 over `{id}.{timestamp}.{body}`,
//! keyed with the bytes of a `whsec_` secret.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a signed timestamp may be from the receiver's clock.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signing secret is not a whsec_ secret")]
    BadSecret,
    #[error("webhook-timestamp is missing or not a number")]
    BadTimestamp,
    #[error("webhook-timestamp is more than 5 minutes from now")]
    Stale,
    #[error("no signature in webhook-signature verifies")]
    Mismatch,
}

fn key(secret: &str) -> Result<Vec<u8>, SignatureError> {
    let encoded = secret
        .strip_prefix("whsec_")
        .ok_or(SignatureError::BadSecret)?;
    B64.decode(encoded).map_err(|_| SignatureError::BadSecret)
}

fn mac(
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<Hmac<Sha256>, SignatureError> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&key(secret)?).map_err(|_| SignatureError::BadSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac)
}

/// The `webhook-signature` header value.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, SignatureError> {
    let tag = mac(secret, id, timestamp, body)?.finalize().into_bytes();
    Ok(format!("v1,{}", B64.encode(tag)))
}

/// Checks a request's signature headers against the raw body, in constant time.
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now_seconds: i64,
) -> Result<(), SignatureError> {
    let timestamp: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    if (now_seconds - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    for candidate in signatures.split_whitespace() {
        let Some(encoded) = candidate.strip_prefix("v1,") else {
            continue;
        };
        let Ok(tag) = B64.decode(encoded) else {
            continue;
        };
        if mac(secret, id, timestamp, body)?.verify_slice(&tag).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example from the Standard Webhooks specification.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        assert_eq!(
            sign(SECRET, ID, TS, BODY).ok().as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn verification_refuses_other_bodies_secrets_and_stale_times() {
        let header = sign(SECRET, ID, TS, BODY).unwrap_or_default();
        let ts = TS.to_string();
        assert_eq!(verify(SECRET, ID, &ts, &header, BODY, TS + 10), Ok(()));
        assert_eq!(
            verify(SECRET, ID, &ts, &format!("v1,bm9wZQ== {header}"), BODY, TS),
            Ok(())
        );
        assert_eq!(
            verify(SECRET, ID, &ts, &header, b"{}", TS),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, "msg_other", &ts, &header, BODY, TS),
            Err(SignatureError::Mismatch)
        );
        let other = "whsec_c2VjcmV0LXRoYXQtaXMtbm90LXRoZS1zYW1l";
        assert_eq!(
            verify(other, ID, &ts, &header, BODY, TS),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, ID, &ts, &header, BODY, TS + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, ID, "soon", &header, BODY, TS),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            sign("not-a-secret", ID, TS, BODY),
            Err(SignatureError::BadSecret)
        );
    }
}
