//! Witnesses (<https://c2sp.org/tlog-witness>) and their cosignatures
//! (<https://c2sp.org/tlog-cosignature>, Ed25519 `cosignature/v1`): a witness remembers the
//! latest checkpoint it cosigned for each log and cosigns a new one only with a consistency
//! proof from it, so a log cannot show one history to the witness and another to anyone else.

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::merkle::{self, Hash};
use crate::note::{Note, NoteSignature, VerifierKey};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

const ALG_COSIGNATURE_V1: u8 = 0x04;
/// The protocol's limit on consistency proof lines.
const MAX_PROOF_LINES: usize = 63;

fn cosigner_key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    crate::note::typed_key_id(name, ALG_COSIGNATURE_V1, public)
}

/// What a cosignature signs: a header, the time, the checkpoint's body.
fn cosigned_message(body: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{body}").into_bytes()
}

/// A witness's signing key.
pub struct Cosigner {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cosigner({} <private>)", self.name)
    }
}

impl Cosigner {
    pub fn new(name: &str, seed: [u8; 32]) -> Self {
        Cosigner {
            name: name.to_owned(),
            key: SigningKey::from_bytes(&seed),
        }
    }

    pub fn generate(name: &str) -> Self {
        use rand::RngCore;
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        Cosigner::new(name, seed)
    }

    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    pub fn verifier(&self) -> CosignerKey {
        CosignerKey {
            name: self.name.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// The cosignature line for a checkpoint body at `timestamp` (seconds since the epoch).
    pub fn cosign(&self, body: &str, timestamp: u64) -> NoteSignature {
        let signature = self.key.sign(&cosigned_message(body, timestamp));
        let mut blob = timestamp.to_be_bytes().to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        NoteSignature {
            name: self.name.clone(),
            key_id: cosigner_key_id(&self.name, self.key.verifying_key().as_bytes()),
            signature: blob,
        }
    }
}

/// A witness's public key (vkey type 0x04).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignerKey {
    name: String,
    key: VerifyingKey,
}

impl CosignerKey {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn id(&self) -> [u8; 4] {
        cosigner_key_id(&self.name, self.key.as_bytes())
    }

    /// Reads `name+keyid+base64(0x04 ‖ key)`.
    pub fn parse(text: &str) -> Option<CosignerKey> {
        let mut parts = text.trim().splitn(3, '+');
        let (name, id, material) = (parts.next()?, parts.next()?, parts.next()?);
        let bytes = STANDARD.decode(material).ok()?;
        let [ALG_COSIGNATURE_V1, rest @ ..] = bytes.as_slice() else {
            return None;
        };
        let public: [u8; 32] = rest.try_into().ok()?;
        let key = CosignerKey {
            name: name.to_owned(),
            key: VerifyingKey::from_bytes(&public).ok()?,
        };
        (hex::encode(key.id()) == id && !name.is_empty() && !name.contains(char::is_whitespace))
            .then_some(key)
    }

    /// The time a valid cosignature of this witness on `note` was made, if it carries one.
    pub fn verify(&self, note: &Note) -> Option<u64> {
        let id = self.id();
        note.signatures
            .iter()
            .filter(|s| s.name == self.name && s.key_id == id && s.signature.len() == 72)
            .find_map(|s| {
                let timestamp = u64::from_be_bytes(s.signature[..8].try_into().ok()?);
                let signature = ed25519_dalek::Signature::from_slice(&s.signature[8..]).ok()?;
                self.key
                    .verify_strict(&cosigned_message(&note.text, timestamp), &signature)
                    .ok()
                    .map(|()| timestamp)
            })
    }
}

impl std::fmt::Display for CosignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut material = vec![ALG_COSIGNATURE_V1];
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

/// An `add-checkpoint` request: the size the log believes the witness last cosigned, the
/// consistency proof from it, the new signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    pub old_size: u64,
    pub proof: Vec<Hash>,
    pub checkpoint: String,
}

impl AddCheckpoint {
    pub fn encode(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for hash in &self.proof {
            body.push_str(&STANDARD.encode(hash));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body
    }

    pub fn parse(body: &str) -> Result<AddCheckpoint, WitnessError> {
        let bad = |why: &str| WitnessError::BadRequest(why.to_owned());
        let (head, checkpoint) = body
            .split_once("\n\n")
            .ok_or_else(|| bad("no empty line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines.next().unwrap_or_default();
        let old_size = old
            .strip_prefix("old ")
            .filter(|n| *n == "0" || (!n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| bad("the first line is `old <size>`"))?;
        let mut proof = Vec::new();
        for line in lines {
            let hash = STANDARD
                .decode(line)
                .ok()
                .and_then(|h| Hash::try_from(h.as_slice()).ok())
                .ok_or_else(|| bad("a proof line is not the base64 of a 32-byte hash"))?;
            proof.push(hash);
        }
        if proof.len() > MAX_PROOF_LINES {
            return Err(bad("more than 63 proof lines"));
        }
        Ok(AddCheckpoint {
            old_size,
            proof,
            checkpoint: checkpoint.to_owned(),
        })
    }
}

/// Why a witness refuses, with the status the protocol gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unknown log `{0}`")]
    UnknownLog(String),
    #[error("no signature by a key this witness trusts for the log")]
    Unsigned,
    /// The witness last cosigned another size (given back so the log can retry).
    #[error("the witness last cosigned {0} entries of this log")]
    SizeMismatch(u64),
    #[error("same size, another root: the log forked")]
    Fork,
    #[error("the consistency proof does not verify: {0}")]
    Inconsistent(String),
}

impl WitnessError {
    pub fn status(&self) -> u16 {
        match self {
            WitnessError::BadRequest(_) => 400,
            WitnessError::Unsigned => 403,
            WitnessError::UnknownLog(_) => 404,
            WitnessError::SizeMismatch(_) | WitnessError::Fork => 409,
            WitnessError::Inconsistent(_) => 422,
        }
    }
}

/// What a witness remembers of a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub size: u64,
    pub root: Hash,
}

/// The witness's decision on a request, given the log's key and what it last cosigned. On
/// success: what to remember now, and the checkpoint opened.
pub fn judge(
    request: &AddCheckpoint,
    log_key: Option<&VerifierKey>,
    seen: Option<Seen>,
) -> Result<(Seen, Checkpoint), WitnessError> {
    let note = Note::parse(&request.checkpoint)
        .map_err(|e| WitnessError::BadRequest(format!("the checkpoint: {e}")))?;
    let origin = note.text.split('\n').next().unwrap_or_default().to_owned();
    let key = log_key.ok_or_else(|| WitnessError::UnknownLog(origin.clone()))?;
    let checkpoint = match Checkpoint::open(&request.checkpoint, key) {
        Ok((checkpoint, _)) => checkpoint,
        Err(CheckpointError::WrongOrigin { got, .. }) => return Err(WitnessError::UnknownLog(got)),
        Err(CheckpointError::Malformed(why)) => {
            return Err(WitnessError::BadRequest(why.to_owned()))
        }
        Err(CheckpointError::Note(_)) => return Err(WitnessError::Unsigned),
    };
    if request.old_size > checkpoint.size {
        return Err(WitnessError::BadRequest(
            "the old size is larger than the checkpoint's".to_owned(),
        ));
    }
    let known = seen.map_or(0, |s| s.size);
    if request.old_size != known {
        return Err(WitnessError::SizeMismatch(known));
    }
    match seen {
        None => {
            if !request.proof.is_empty() {
                return Err(WitnessError::Inconsistent(
                    "a proof from size 0 must be empty".to_owned(),
                ));
            }
        }
        Some(seen) if seen.size == checkpoint.size => {
            if seen.root != checkpoint.root {
                return Err(WitnessError::Fork);
            }
        }
        Some(seen) => merkle::verify_consistency(
            seen.size,
            checkpoint.size,
            &seen.root,
            &checkpoint.root,
            &request.proof,
        )
        .map_err(|e| WitnessError::Inconsistent(e.to_string()))?,
    }
    Ok((
        Seen {
            size: checkpoint.size,
            root: checkpoint.root,
        },
        checkpoint,
    ))
}
