//! Client secrets and access tokens for non-human identities. A client secret is kept only as an
//! Argon2id hash (slow on purpose: a leaked table does not yield secrets); an access token is 256
//! random bits, so a SHA-256 hash is enough to keep it unusable if the table leaks.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The longest an access token may live.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 900;

const SECRET_PREFIX: &str = "cssec_";
const TOKEN_PREFIX: &str = "cstok_";
/// Longer input is refused before any hashing: nobody's real secret is this long.
const MAX_SECRET_LEN: usize = 256;

fn random_b64() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    B64.encode(bytes)
}

pub fn new_client_secret() -> String {
    format!("{SECRET_PREFIX}{}", random_b64())
}

pub fn new_access_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_b64())
}

/// The PHC string stored for a client secret.
pub fn hash_client_secret(secret: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    match Argon2::default().hash_password(secret.as_bytes(), &salt) {
        Ok(hash) => hash.to_string(),
        // Only reachable with invalid parameters, which the defaults are not; an unusable hash
        // fails every verification rather than panicking.
        Err(_) => String::new(),
    }
}

/// Whether `secret` matches the stored hash. `None` (no such client, or no secret issued) still
/// costs one Argon2 verification, so response times do not reveal which client ids exist.
pub fn verify_client_secret(secret: &str, stored: Option<&str>) -> bool {
    static DECOY: OnceLock<String> = OnceLock::new();
    let secret = if secret.len() > MAX_SECRET_LEN {
        ""
    } else {
        secret
    };
    let (hash, real) = match stored {
        Some(hash) => (hash, true),
        None => (
            DECOY
                .get_or_init(|| hash_client_secret("decoy secret for unknown clients"))
                .as_str(),
            false,
        ),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(secret.as_bytes(), &parsed)
        .is_ok();
    matches && real
}

/// The stored form of an access token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether a presented string has the shape of one of our tokens (checked before any lookup).
pub fn looks_like_token(token: &str) -> bool {
    token.len() == TOKEN_PREFIX.len() + 43
        && token.starts_with(TOKEN_PREFIX)
        && token[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_verify_only_against_their_own_hash() {
        let secret = new_client_secret();
        let hash = hash_client_secret(&secret);
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains(&secret[SECRET_PREFIX.len()..]));
        assert!(verify_client_secret(&secret, Some(&hash)));
        assert!(!verify_client_secret("cssec_wrong", Some(&hash)));
        assert!(!verify_client_secret(&secret, None));
        assert!(!verify_client_secret(&secret, Some("not a phc string")));
        assert!(!verify_client_secret(&"x".repeat(10_000), Some(&hash)));
    }

    #[test]
    fn tokens_have_one_shape_and_a_stable_hash() {
        let token = new_access_token();
        assert!(looks_like_token(&token), "{token}");
        assert!(!looks_like_token("cstok_short"));
        assert!(!looks_like_token(&format!("{token}x")));
        assert_eq!(token_hash(&token), token_hash(&token));
        assert_ne!(token_hash(&token), token_hash(&new_access_token()));
        assert_eq!(token_hash(&token).len(), 64);
    }
}
