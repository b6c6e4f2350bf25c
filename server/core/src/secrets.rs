//! Secrets Countersign must use again later (the signing secrets of connected systems) are kept
//! encrypted with XChaCha20-Poly1305 under a key that is not in the database. Each ciphertext is
//! bound to its row (associated data), so it cannot be moved to another row.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the secret key must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("a stored secret cannot be decrypted (wrong key, or the data was altered)")]
    Undecryptable,
}

/// The key-encryption key. Never printed.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self(key)
    }

    pub fn from_base64(text: &str) -> Result<Self, SecretError> {
        let bytes = B64.decode(text.trim()).map_err(|_| SecretError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey)?;
        Ok(Self(key))
    }

    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }

    /// `v1.<nonce>.<ciphertext>`, base64 parts.
    pub fn seal(&self, plaintext: &str, bound_to: &str) -> String {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: bound_to.as_bytes(),
                },
            )
            .unwrap_or_default();
        format!("v1.{}.{}", B64.encode(nonce), B64.encode(sealed))
    }

    pub fn open(&self, sealed: &str, bound_to: &str) -> Result<String, SecretError> {
        let mut parts = sealed.split('.');
        let (Some("v1"), Some(nonce), Some(body), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SecretError::Undecryptable);
        };
        let nonce = B64.decode(nonce).map_err(|_| SecretError::Undecryptable)?;
        let body = B64.decode(body).map_err(|_| SecretError::Undecryptable)?;
        if nonce.len() != 24 {
            return Err(SecretError::Undecryptable);
        }
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let plain = cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &body,
                    aad: bound_to.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| SecretError::Undecryptable)
    }
}

/// A new Standard Webhooks signing secret: `whsec_` and 32 random bytes, base64.
pub fn new_signing_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", B64.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_the_key_and_the_row_they_belong_to() {
        let key = SecretKey::generate();
        let secret = new_signing_secret();
        assert!(secret.starts_with("whsec_") && secret.len() > 40);
        let sealed = key.seal(&secret, "system:a");
        assert!(!sealed.contains(&secret[6..]));
        assert_eq!(key.open(&sealed, "system:a"), Ok(secret));
        assert_eq!(
            key.open(&sealed, "system:b"),
            Err(SecretError::Undecryptable)
        );
        assert_eq!(
            SecretKey::generate().open(&sealed, "system:a"),
            Err(SecretError::Undecryptable)
        );
        let round =
            SecretKey::from_base64(&key.to_base64()).map(|k| k.open(&sealed, "system:a").is_ok());
        assert_eq!(round, Ok(true));
        assert_eq!(
            SecretKey::from_base64("c2hvcnQ=").err(),
            Some(SecretError::BadKey)
        );
        assert!(!format!("{key:?}").contains(&key.to_base64()));
    }
}
