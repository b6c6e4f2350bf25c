//! The bearer tokens a corporate directory provisions with (SCIM). A security admin creates one
//! on the Directory sync page (shown once, kept only as a hash), rotates it (the old one stops
//! at once and names its successor) or revokes it. A token works while it is live, whoever
//! created it (see `authenticate_directory_token`); each use is noted as its last use.

use super::freshness::Sensitive;
use super::systems::RevealedSecret;
use super::{CredentialError, Services};
use crate::actor::Actor;
use crate::credentials::{looks_like_directory_token, new_directory_token, token_hash};
use crate::domain::{DirectoryTokenId, HumanId};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::store::{DirectoryTokenRow, NewDirectoryToken, WriteTx};
use serde_json::json;

/// Live tokens at once at most: one per directory, and one more while a rotation is rolled out.
pub const MAX_LIVE_DIRECTORY_TOKENS: usize = 5;

/// What a token is called ("Entra ID production").
fn token_name(raw: &str) -> CoreResult<String> {
    let name: String = raw.trim().chars().filter(|c| !c.is_control()).collect();
    if (3..=80).contains(&name.chars().count()) {
        Ok(name)
    } else {
        Err(CoreError::invalid(
            "name",
            "name must be 3 to 80 characters: say which directory uses it",
        ))
    }
}

impl Services {
    fn directory_admin(&self, actor: &Actor) -> CoreResult<HumanId> {
        self.authorize(actor, Action::ManageDirectory, &Resource::Console)?;
        match actor {
            Actor::Human { id, .. } => Ok(*id),
            _ => Err(CoreError::Refused(
                "only people manage the directory's tokens".to_owned(),
            )),
        }
    }

    async fn insert_token(
        &self,
        tx: &mut Box<dyn WriteTx>,
        name: String,
        by: HumanId,
    ) -> CoreResult<(NewDirectoryToken, String)> {
        let token = new_directory_token();
        let row = NewDirectoryToken {
            id: DirectoryTokenId::new(),
            name,
            token_hash: token_hash(&token),
            created_by: by,
            created_at_ms: self.now_ms(),
        };
        tx.insert_directory_token(&row).await?;
        Ok((row, token))
    }

    fn created_row(&self, row: NewDirectoryToken, actor: &Actor) -> DirectoryTokenRow {
        DirectoryTokenRow {
            id: row.id,
            name: row.name,
            created_by: row.created_by,
            created_by_name: actor.label(),
            creator_active: true,
            created_at_ms: row.created_at_ms,
            last_used_at_ms: None,
            revoked_at_ms: None,
            replaced_by: None,
        }
    }

    /// Creates a token for a directory; returned once, never stored.
    #[tracing::instrument(skip_all)]
    pub async fn create_directory_token(
        &self,
        actor: &Actor,
        name: &str,
    ) -> CoreResult<(DirectoryTokenRow, RevealedSecret)> {
        let by = self.directory_admin(actor)?;
        let name = token_name(name)?;
        let authenticated_at = self.require_recent_sign_in(actor, Sensitive::DirectoryToken)?;
        let live = self
            .store
            .directory_tokens()
            .await?
            .iter()
            .filter(|t| t.revoked_at_ms.is_none())
            .count();
        if live >= MAX_LIVE_DIRECTORY_TOKENS {
            return Err(CoreError::Conflict(format!(
                "{live} directory tokens are live; revoke one before creating another"
            )));
        }
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let (row, token) = self.insert_token(&mut tx, name, by).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "directory.token_created",
            row.id.reference(),
            json!({
                "name": row.name,
                "authenticated_at": crate::clock::from_millis(authenticated_at).to_rfc3339(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok((self.created_row(row, actor), RevealedSecret(token)))
    }

    /// Replaces a live token with a new one of the same name; the old one stops at once.
    #[tracing::instrument(skip_all)]
    pub async fn rotate_directory_token(
        &self,
        actor: &Actor,
        id: DirectoryTokenId,
    ) -> CoreResult<(DirectoryTokenRow, RevealedSecret)> {
        let by = self.directory_admin(actor)?;
        let authenticated_at = self.require_recent_sign_in(actor, Sensitive::DirectoryToken)?;
        let old = self
            .store
            .directory_tokens()
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(CoreError::NotFound("directory token"))?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let (row, token) = self.insert_token(&mut tx, old.name.clone(), by).await?;
        match tx
            .revoke_directory_token(id, by, self.now_ms(), Some(row.id))
            .await?
        {
            Some((_, true)) => {}
            Some((name, false)) => {
                return Err(CoreError::Conflict(format!(
                    "the token \"{name}\" was already revoked; create a new one instead"
                )))
            }
            None => return Err(CoreError::NotFound("directory token")),
        }
        tx.append_event(&NewEvent::new(
            actor,
            "directory.token_rotated",
            id.reference(),
            json!({
                "name": old.name,
                "replaced_by": row.id.reference(),
                "authenticated_at": crate::clock::from_millis(authenticated_at).to_rfc3339(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok((self.created_row(row, actor), RevealedSecret(token)))
    }

    /// Ends a token at once.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_directory_token(
        &self,
        actor: &Actor,
        id: DirectoryTokenId,
    ) -> CoreResult<()> {
        let by = self.directory_admin(actor)?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let Some((name, live)) = tx
            .revoke_directory_token(id, by, self.now_ms(), None)
            .await?
        else {
            return Err(CoreError::NotFound("directory token"));
        };
        if !live {
            return Err(CoreError::Conflict(format!(
                "the token \"{name}\" was already revoked"
            )));
        }
        tx.append_event(&NewEvent::new(
            actor,
            "directory.token_revoked",
            id.reference(),
            json!({ "name": name }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every directory token, newest first.
    pub async fn directory_tokens(&self, actor: &Actor) -> CoreResult<Vec<DirectoryTokenRow>> {
        self.authorize(actor, Action::ManageDirectory, &Resource::Console)?;
        Ok(self.store.directory_tokens().await?)
    }

    /// The directory a presented token stands for. A token that was revoked or rotated away
    /// is refused and the attempt recorded: someone still holds a key that was taken back.
    pub async fn authenticate_directory_token(
        &self,
        token: &str,
    ) -> Result<Actor, CredentialError> {
        let invalid = |why: &str| CredentialError::InvalidToken(why.to_owned());
        if !looks_like_directory_token(token) {
            return Err(invalid("the directory token is malformed"));
        }
        let row = self
            .store
            .directory_token_by_hash(&token_hash(token))
            .await?
            .ok_or_else(|| invalid("the directory token is unknown"))?;
        if row.revoked_at_ms.is_some() {
            let why = if row.replaced_by.is_some() {
                "the directory token was rotated; use its replacement"
            } else {
                "the directory token was revoked"
            };
            self.record_refused_directory_token(&row, why).await?;
            return Err(invalid(why));
        }
        // Unlike an auditor's token, the directory's outlives the admin who created it: it
        // lives in the directory's configuration, and it is what deprovisions leavers — the
        // creator's own departure must not stop every departure after it. The page shows the
        // creator has left, so it can be rotated.
        self.store
            .touch_directory_token(row.id, self.now_ms())
            .await?;
        Ok(Actor::Directory {
            id: row.id,
            name: row.name,
        })
    }

    /// One ledger event per ended token per minute at most: a misconfigured directory retries
    /// every few seconds, and the first refusal says what the next ones would.
    async fn record_refused_directory_token(
        &self,
        row: &DirectoryTokenRow,
        why: &str,
    ) -> Result<(), CredentialError> {
        let now = self.now_ms();
        let window = now - now.rem_euclid(60_000);
        let hits = self
            .store
            .throttle_hit(
                &format!("directory-token-refused:{}:{window}", row.id),
                window + 60_000,
            )
            .await?;
        if hits > 1 {
            return Ok(());
        }
        let mut tx = self.store.begin_write(now).await?;
        tx.append_event(&NewEvent::new(
            &Actor::Anonymous,
            "directory.token_refused",
            row.id.reference(),
            json!({ "name": row.name, "why": why }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bounded_and_cleaned() {
        assert!(token_name("ab").is_err());
        assert!(token_name(&"x".repeat(81)).is_err());
        assert_eq!(
            token_name("  Entra ID\u{7} prod ").unwrap_or_default(),
            "Entra ID prod"
        );
    }
}
