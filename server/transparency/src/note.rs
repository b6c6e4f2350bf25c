//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys, in the encodings the Go
//! reference (`golang.org/x/mod/sumdb/note`) and transparency-log witnesses use:
//!
//! - a verifier key is `name+keyid+base64(0x01 ‖ public key)`;
//! - a signer key is `PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed)`;
//! - the key id is the first four bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key);
//! - a note is its text (ending in a newline), a blank line, and lines
//!   `— name base64(keyid ‖ signature)`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

const ALG_ED25519: u8 = 0x01;
const SIGNATURE_PREFIX: &str = "\u{2014} ";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the key name must be non-empty and contain no spaces, newlines or '+'")]
    BadName,
    #[error("the key is not of the form {0}")]
    BadKey(&'static str),
    #[error("the key's id does not match its name and public key")]
    WrongKeyId,
    #[error("the note's text must end with a newline and contain no blank line at its end")]
    BadText,
    #[error("the note is malformed: {0}")]
    Malformed(&'static str),
    #[error("the note carries no signature by {0}")]
    NotSigned(String),
    #[error("{0}'s signature on the note does not verify")]
    BadSignature(String),
}

/// A key name is a log's or witness's identity: no whitespace, no '+'.
fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains('+') {
        return Err(NoteError::BadName);
    }
    Ok(())
}

pub fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    typed_key_id(name, ALG_ED25519, public)
}

/// The first four bytes of SHA-256(name ‖ "\n" ‖ key type ‖ public key): the signed-note key id
/// (type 0x01) and the cosignature key id (type 0x04) alike.
pub(crate) fn typed_key_id(name: &str, key_type: u8, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([key_type]);
    h.update(public);
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Who can check a note: a name and an Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key: VerifyingKey,
}

impl VerifierKey {
    pub fn new(name: &str, public: &[u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key = VerifyingKey::from_bytes(public)
            .map_err(|_| NoteError::BadKey("an Ed25519 public key"))?;
        Ok(VerifierKey {
            name: name.to_owned(),
            key,
        })
    }

    /// Reads `name+keyid+base64(0x01 ‖ key)`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        const FORM: &str = "name+keyid+base64 key";
        let text = text.trim();
        // The base64 part may itself contain '+': split from the left twice.
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(material)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NoteError::BadKey(FORM));
        };
        let id = parse_id(id).ok_or(NoteError::BadKey(FORM))?;
        let bytes = STANDARD
            .decode(material)
            .map_err(|_| NoteError::BadKey(FORM))?;
        let [ALG_ED25519, rest @ ..] = bytes.as_slice() else {
            return Err(NoteError::BadKey("an Ed25519 key (algorithm 1)"));
        };
        let public: [u8; 32] = rest
            .try_into()
            .map_err(|_| NoteError::BadKey("a 32-byte Ed25519 key"))?;
        let key = VerifierKey::new(name, &public)?;
        if key.id() != id {
            return Err(NoteError::WrongKeyId);
        }
        Ok(key)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn id(&self) -> [u8; 4] {
        key_id(&self.name, self.key.as_bytes())
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Checks `signature` (64 bytes) over `text`.
    fn verifies(&self, text: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(text, &signature).is_ok()
    }
}

impl std::fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut material = vec![ALG_ED25519];
        material.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex::encode(self.id()),
            STANDARD.encode(material)
        )
    }
}

fn parse_id(hex_id: &str) -> Option<[u8; 4]> {
    if hex_id.len() != 8 || hex_id.chars().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    hex::decode(hex_id).ok()?.try_into().ok()
}

/// Who signs notes: a name and an Ed25519 private key. Its Debug output shows no secret.
pub struct SignerKey {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignerKey({} <private>)", self.name)
    }
}

impl SignerKey {
    /// A new random key.
    pub fn generate(name: &str) -> Result<Self, NoteError> {
        use rand::RngCore;
        check_name(name)?;
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        Ok(SignerKey {
            name: name.to_owned(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Reads `PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed)`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        const FORM: &str = "PRIVATE+KEY+name+keyid+base64 seed";
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::BadKey(FORM))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(material)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NoteError::BadKey(FORM));
        };
        check_name(name)?;
        let id = parse_id(id).ok_or(NoteError::BadKey(FORM))?;
        let bytes = STANDARD
            .decode(material)
            .map_err(|_| NoteError::BadKey(FORM))?;
        let [ALG_ED25519, rest @ ..] = bytes.as_slice() else {
            return Err(NoteError::BadKey("an Ed25519 key (algorithm 1)"));
        };
        let seed: [u8; 32] = rest
            .try_into()
            .map_err(|_| NoteError::BadKey("a 32-byte Ed25519 seed"))?;
        let signer = SignerKey {
            name: name.to_owned(),
            key: SigningKey::from_bytes(&seed),
        };
        if signer.verifier().id() != id {
            return Err(NoteError::WrongKeyId);
        }
        Ok(signer)
    }

    /// The key in the form `parse` reads (a secret: store it owner-only).
    pub fn to_private_string(&self) -> String {
        let mut material = vec![ALG_ED25519];
        material.extend_from_slice(&self.key.to_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex::encode(self.verifier().id()),
            STANDARD.encode(material)
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// The signature line this key adds to `text`: `— name base64(keyid ‖ signature)`.
    pub fn signature_line(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let signature = self.key.sign(text.as_bytes());
        let mut blob = self.verifier().id().to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        Ok(format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(blob)
        ))
    }

    /// `text` signed: the text, a blank line, this key's signature line.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        Ok(format!("{text}\n{}", self.signature_line(text)?))
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') || text.ends_with("\n\n") || text.contains('\r') {
        return Err(NoteError::BadText);
    }
    Ok(())
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: [u8; 4],
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The line as it appears in the note, newline included.
    pub fn line(&self) -> String {
        let mut blob = self.key_id.to_vec();
        blob.extend_from_slice(&self.signature);
        format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(blob)
        )
    }
}

/// A note split into its text and signatures (not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    pub fn parse(note: &str) -> Result<Note, NoteError> {
        let split = note
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let text = &note[..=split];
        let lines = &note[split + 2..];
        check_text(text)?;
        if !lines.ends_with('\n') {
            return Err(NoteError::Malformed(
                "the signatures must end with a newline",
            ));
        }
        let mut signatures = Vec::new();
        for line in lines.lines() {
            let rest = line
                .strip_prefix(SIGNATURE_PREFIX)
                .ok_or(NoteError::Malformed(
                    "a signature line must start with an em dash",
                ))?;
            let (name, blob) = rest.split_once(' ').ok_or(NoteError::Malformed(
                "a signature line is `— name signature`",
            ))?;
            check_name(name)?;
            let blob = STANDARD
                .decode(blob)
                .map_err(|_| NoteError::Malformed("a signature is not base64"))?;
            if blob.len() < 5 {
                return Err(NoteError::Malformed("a signature is too short"));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id: [blob[0], blob[1], blob[2], blob[3]],
                signature: blob[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(NoteError::Malformed("no signature"));
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Checks the signature of `key` on the text: the note must carry one with the key's name
    /// and id, and it must verify.
    pub fn verify(&self, key: &VerifierKey) -> Result<(), NoteError> {
        let id = key.id();
        let signature = self
            .signatures
            .iter()
            .find(|s| s.name == key.name && s.key_id == id)
            .ok_or_else(|| NoteError::NotSigned(key.name.clone()))?;
        if key.verifies(self.text.as_bytes(), &signature.signature) {
            Ok(())
        } else {
            Err(NoteError::BadSignature(key.name.clone()))
        }
    }

    /// The note written out again: text, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.text);
        for signature in &self.signatures {
            out.push_str(&signature.line());
        }
        out
    }
}
