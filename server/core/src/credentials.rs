//! Client secrets and access tokens for non-human identities. Both are 256 random bits, so a
//! SHA-256 hash keeps them unusable if the table leaks: a slow password hash protects guessable
//! secrets, and these are not guessable. A fast hash also means an unauthenticated caller cannot
//! make the token endpoint burn CPU. Secrets issued before this were stored as Argon2id hashes;
//! those still verify, but at most [`LEGACY_VERIFICATIONS`] at once across the process.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The longest an access token may live.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 900;

const SECRET_PREFIX: &str = "cssec_";
const TOKEN_PREFIX: &str = "cstok_";
const AUDITOR_TOKEN_PREFIX: &str = "csaud_";
const DIRECTORY_TOKEN_PREFIX: &str = "csscim_";
/// How a stored client secret hash in the current form begins.
const SECRET_HASH_PREFIX: &str = "$sha256$";
/// Argon2 verifications of secrets stored in the old form that may run at once.
pub const LEGACY_VERIFICATIONS: usize = 2;

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

/// The one spelling of a client id (an identity's id) used for every lookup and rate limit;
/// `None` when it is not an id at all. Ids parse in several spellings (braces, upper case, a
/// `urn:uuid:` prefix), and each must count against the same limit.
pub fn canonical_client_id(raw: &str) -> Option<String> {
    if raw.len() > 64 {
        return None;
    }
    raw.parse::<crate::domain::NhiId>()
        .ok()
        .map(|id| id.to_string())
}

/// The stored form of a client secret.
pub fn hash_client_secret(secret: &str) -> String {
    format!("{SECRET_HASH_PREFIX}{}", token_hash(secret))
}

/// How a presented secret is to be checked against what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretCheck {
    /// Decided already (a fast hash, or a malformed secret): no further work.
    Decided(bool),
    /// Stored in the old Argon2id form: verify with [`verify_legacy_secret`], off the async
    /// threads and under the process-wide limit.
    Legacy { phc: String },
}

/// Checks `secret` against the stored hash (`None`: no such client, or no secret issued).
/// Anything that is not the shape of a secret we issue is refused before any hashing.
pub fn check_client_secret(secret: &str, stored: Option<&str>) -> SecretCheck {
    if !looks_like(secret, SECRET_PREFIX) {
        return SecretCheck::Decided(false);
    }
    match stored {
        Some(hash) if hash.starts_with(SECRET_HASH_PREFIX) => {
            SecretCheck::Decided(constant_time_eq(
                &hash.as_bytes()[SECRET_HASH_PREFIX.len()..],
                token_hash(secret).as_bytes(),
            ))
        }
        Some(hash) if hash.starts_with("$argon2") => SecretCheck::Legacy {
            phc: hash.to_owned(),
        },
        // Hash the secret anyway, so an unknown client costs what a known one does.
        _ => SecretCheck::Decided(token_hash(secret).is_empty()),
    }
}

/// Verifies a secret against an Argon2id PHC string (secrets issued by older versions).
pub fn verify_legacy_secret(secret: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(secret.as_bytes(), &parsed)
        .is_ok()
}

/// An Argon2id PHC string, as older versions stored; kept so their secrets can be tested.
pub fn legacy_hash(secret: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .unwrap_or_default()
}

/// Compares without an early exit, so timing does not reveal how much matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn looks_like(value: &str, prefix: &str) -> bool {
    value.len() == prefix.len() + 43
        && value.starts_with(prefix)
        && value[prefix.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The stored form of an access token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether a presented string has the shape of one of our tokens (checked before any lookup).
pub fn looks_like_token(token: &str) -> bool {
    looks_like(token, TOKEN_PREFIX)
}

/// A read-only machine token for an auditor's tool: as random as an access token, and told
/// apart from one by its prefix before any lookup.
pub fn new_auditor_token() -> String {
    format!("{AUDITOR_TOKEN_PREFIX}{}", random_b64())
}

pub fn looks_like_auditor_token(token: &str) -> bool {
    looks_like(token, AUDITOR_TOKEN_PREFIX)
}

/// The bearer token a corporate directory provisions with (SCIM).
pub fn new_directory_token() -> String {
    format!("{DIRECTORY_TOKEN_PREFIX}{}", random_b64())
}

pub fn looks_like_directory_token(token: &str) -> bool {
    looks_like(token, DIRECTORY_TOKEN_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_verify_only_against_their_own_hash() {
        let secret = new_client_secret();
        let hash = hash_client_secret(&secret);
        assert!(hash.starts_with(SECRET_HASH_PREFIX));
        assert!(!hash.contains(&secret[SECRET_PREFIX.len()..]));
        assert_eq!(
            check_client_secret(&secret, Some(&hash)),
            SecretCheck::Decided(true)
        );
        let other = new_client_secret();
        assert_eq!(
            check_client_secret(&other, Some(&hash)),
            SecretCheck::Decided(false)
        );
        assert_eq!(
            check_client_secret(&secret, None),
            SecretCheck::Decided(false)
        );
        for bad in [
            "cssec_wrong",
            "",
            &"x".repeat(10_000),
            &format!("{secret}x"),
        ] {
            assert_eq!(
                check_client_secret(bad, Some(&hash)),
                SecretCheck::Decided(false)
            );
        }
        assert_eq!(
            check_client_secret(&secret, Some("not a hash")),
            SecretCheck::Decided(false)
        );
    }

    #[test]
    fn client_ids_have_one_spelling() {
        let id = crate::domain::NhiId::new();
        let canonical = id.to_string();
        for spelling in [
            canonical.clone(),
            canonical.to_uppercase(),
            format!("{{{canonical}}}"),
            format!("urn:uuid:{canonical}"),
            canonical.replace('-', ""),
        ] {
            assert_eq!(
                canonical_client_id(&spelling).as_deref(),
                Some(canonical.as_str()),
                "{spelling}"
            );
        }
        assert_eq!(canonical_client_id("not-an-id"), None);
        assert_eq!(canonical_client_id(&"a".repeat(100)), None);
    }

    #[test]
    fn secrets_stored_by_older_versions_still_verify() {
        let secret = new_client_secret();
        let phc = legacy_hash(&secret);
        let SecretCheck::Legacy { phc: found } = check_client_secret(&secret, Some(&phc)) else {
            panic!("an Argon2id hash is verified the old way");
        };
        assert!(verify_legacy_secret(&secret, &found));
        assert!(!verify_legacy_secret(&new_client_secret(), &found));
        assert!(!verify_legacy_secret(&secret, "$argon2id$garbage"));
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
