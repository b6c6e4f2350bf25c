//! Rotating the log key: a `ledger.key_rotated` event carries a statement naming the old and the
//! new key, signed by both. The old key's signature is what lets an auditor who trusts the old
//! key trust the new one; the new key's lets one who was given the new key trust the history the
//! old key signed. Whoever can write the database cannot forge either.

use super::Services;
use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use countersign_transparency::{Note, SignerKey, VerifierKey};
use serde_json::json;

/// The action of a rotation event.
pub const KEY_ROTATED: &str = "ledger.key_rotated";

/// The statement both keys sign.
fn statement(old: &VerifierKey, new: &VerifierKey, size: u64) -> String {
    format!(
        "countersign log key rotation\n{}\nold {old}\nnew {new}\nafter {size}\n",
        old.name()
    )
}

/// The (old, new) keys a rotation statement names, when both signed it.
pub fn rotation(note_text: &str) -> Option<(VerifierKey, VerifierKey)> {
    let note = Note::parse(note_text).ok()?;
    let mut lines = note.text.lines();
    if lines.next()? != "countersign log key rotation" {
        return None;
    }
    let _origin = lines.next()?;
    let old = VerifierKey::parse(lines.next()?.strip_prefix("old ")?).ok()?;
    let new = VerifierKey::parse(lines.next()?.strip_prefix("new ")?).ok()?;
    if old.name() != new.name() || note.verify(&old).is_err() || note.verify(&new).is_err() {
        return None;
    }
    Some((old, new))
}

impl Services {
    /// Hands the log over to `new`: records the rotation (signed by the current key and by
    /// `new`), and has the current key sign a checkpoint that holds it. The console signs with
    /// `new` from its next start.
    #[tracing::instrument(skip_all)]
    pub async fn rotate_log_key(&self, actor: &Actor, new: &SignerKey) -> CoreResult<i64> {
        self.authorize(actor, Action::RotateLogKey, &Resource::Ledger)?;
        let old = self
            .log_key
            .clone()
            .ok_or_else(|| CoreError::Conflict("there is no log key to rotate".to_owned()))?;
        if new.name() != old.name() {
            return Err(CoreError::invalid(
                "key",
                format!(
                    "the new key is for the log `{}`; this log is `{}` and keeps its name",
                    new.name(),
                    old.name()
                ),
            ));
        }
        if new.verifier().id() == old.verifier().id() {
            return Err(CoreError::invalid("key", "the new key is the current key"));
        }
        let size = self.store.event_count().await?;
        let text = statement(
            &old.verifier(),
            &new.verifier(),
            u64::try_from(size).unwrap_or(0),
        );
        let sign = |key: &SignerKey| {
            key.signature_line(&text)
                .map_err(|e| CoreError::invalid("key", e.to_string()))
        };
        let note = format!("{text}\n{}{}", sign(&old)?, sign(new)?);
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let seq = tx
            .append_event(&NewEvent::new(
                actor,
                KEY_ROTATED,
                format!("ledger:{}", old.name()),
                json!({
                    "old_key": old.verifier().to_string(),
                    "new_key": new.verifier().to_string(),
                    "statement": note,
                }),
            ))
            .await?;
        tx.commit().await?;
        // The old key vouches for the history up to and including its hand-over.
        self.checkpoint_ledger().await?;
        Ok(seq)
    }
}
