//! C2SP checkpoints (<https://c2sp.org/tlog-checkpoint>): the signed head of a log —
//! its origin, its size and the base64 of its root hash, one per line, in a signed note.

use crate::merkle::Hash;
use crate::note::{Note, NoteError, SignerKey, VerifierKey};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's unique name, e.g. `countersign.example.com/ledger`.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("not a checkpoint: {0}")]
    Malformed(&'static str),
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error("the checkpoint is of log `{got}`, not `{want}`")]
    WrongOrigin { got: String, want: String },
}

impl Checkpoint {
    /// The note text: origin, size, root.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }

    /// Reads a checkpoint's text (extension lines after the root are allowed and ignored).
    pub fn parse_body(text: &str) -> Result<Checkpoint, CheckpointError> {
        let mut lines = text.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty() && !o.contains(char::is_whitespace))
            .ok_or(CheckpointError::Malformed(
                "the first line is the log's origin",
            ))?;
        let size = lines
            .next()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()) && (s == &"0" || !s.starts_with('0')))
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or(CheckpointError::Malformed(
                "the second line is the tree size in decimal",
            ))?;
        let root = lines
            .next()
            .and_then(|r| STANDARD.decode(r).ok())
            .and_then(|r| <Hash>::try_from(r.as_slice()).ok())
            .ok_or(CheckpointError::Malformed(
                "the third line is the base64 of a 32-byte root",
            ))?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
        })
    }

    /// The checkpoint signed by `key` (whose name is the origin, by convention).
    pub fn sign(&self, key: &SignerKey) -> Result<String, NoteError> {
        key.sign(&self.body())
    }

    /// Opens a signed checkpoint: the note must carry a valid signature by `key`, and the log
    /// must be the one the key speaks for.
    pub fn open(note: &str, key: &VerifierKey) -> Result<(Checkpoint, Note), CheckpointError> {
        let note = Note::parse(note)?;
        note.verify(key)?;
        let checkpoint = Checkpoint::parse_body(&note.text)?;
        if checkpoint.origin != key.name() {
            return Err(CheckpointError::WrongOrigin {
                got: checkpoint.origin,
                want: key.name().to_owned(),
            });
        }
        Ok((checkpoint, note))
    }
}
