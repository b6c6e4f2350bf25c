//! Read-only machine tokens for auditors' tools: a security admin issues one (shown once, kept
//! only as a hash) so that a tool can fetch the ledger's checkpoints and proofs without a
//! person's session. A token reads proofs and nothing else; it ends when it expires, when it is
//! revoked, or when the person who issued it is deactivated.

use super::freshness::Sensitive;
use super::systems::RevealedSecret;
use super::{CredentialError, Services};
use crate::actor::Actor;
use crate::credentials::{looks_like_auditor_token, new_auditor_token, token_hash};
use crate::domain::AuditorTokenId;
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::store::{AuditorTokenRow, NewAuditorToken};
use serde_json::json;

/// The longest an auditor's token may live: an engagement, not a standing key.
pub const MAX_AUDITOR_TOKEN_DAYS: i64 = 90;

/// What a token is called on the Audit page and in the ledger ("External audit 2026 — Acme").
fn token_name(raw: &str) -> CoreResult<String> {
    let name: String = raw.trim().chars().filter(|c| !c.is_control()).collect();
    if (3..=80).contains(&name.chars().count()) {
        Ok(name)
    } else {
        Err(CoreError::invalid(
            "name",
            "name must be 3 to 80 characters: say whose tool it is",
        ))
    }
}

impl Services {
    /// Issues a token for an auditor's tool, valid for `days` (1 to 90). The token is returned
    /// once and never stored.
    #[tracing::instrument(skip_all)]
    pub async fn issue_auditor_token(
        &self,
        actor: &Actor,
        name: &str,
        days: i64,
    ) -> CoreResult<(AuditorTokenRow, RevealedSecret)> {
        self.authorize(actor, Action::ManageAuditorTokens, &Resource::Ledger)?;
        let Actor::Human { id: issuer, .. } = actor else {
            return Err(CoreError::Refused(
                "only people issue auditors' tokens".to_owned(),
            ));
        };
        let name = token_name(name)?;
        if !(1..=MAX_AUDITOR_TOKEN_DAYS).contains(&days) {
            return Err(CoreError::invalid(
                "days",
                format!("a token lives 1 to {MAX_AUDITOR_TOKEN_DAYS} days"),
            ));
        }
        let authenticated_at = self.require_recent_sign_in(actor, Sensitive::AuditorToken)?;
        let token = new_auditor_token();
        let now = self.now_ms();
        let row = NewAuditorToken {
            id: AuditorTokenId::new(),
            name,
            token_hash: token_hash(&token),
            issued_by: *issuer,
            issued_at_ms: now,
            expires_at_ms: now + days * 86_400_000,
        };
        let mut tx = self.store.begin_write(now).await?;
        tx.insert_auditor_token(&row).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "auditor_token.issued",
            row.id.reference(),
            json!({
                "name": row.name,
                "expires_at": crate::clock::from_millis(row.expires_at_ms).to_rfc3339(),
                "authenticated_at": crate::clock::from_millis(authenticated_at).to_rfc3339(),
            }),
        ))
        .await?;
        tx.commit().await?;
        let issued = AuditorTokenRow {
            id: row.id,
            name: row.name,
            issued_by: *issuer,
            issued_by_name: actor.label(),
            issuer_active: true,
            issued_at_ms: row.issued_at_ms,
            expires_at_ms: row.expires_at_ms,
            revoked_at_ms: None,
        };
        Ok((issued, RevealedSecret(token)))
    }

    /// Ends a token at once.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_auditor_token(&self, actor: &Actor, id: AuditorTokenId) -> CoreResult<()> {
        self.authorize(actor, Action::ManageAuditorTokens, &Resource::Ledger)?;
        let Actor::Human { id: by, .. } = actor else {
            return Err(CoreError::Refused(
                "only people revoke auditors' tokens".to_owned(),
            ));
        };
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let Some((name, was_live)) = tx.revoke_auditor_token(id, *by, self.now_ms()).await? else {
            return Err(CoreError::NotFound("auditor token"));
        };
        if !was_live {
            return Err(CoreError::Conflict(format!(
                "the token \"{name}\" was already revoked"
            )));
        }
        tx.append_event(&NewEvent::new(
            actor,
            "auditor_token.revoked",
            id.reference(),
            json!({ "name": name }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every auditor's token, newest first: who may read the ledger's proofs by machine.
    pub async fn auditor_tokens(&self, actor: &Actor) -> CoreResult<Vec<AuditorTokenRow>> {
        self.authorize(actor, Action::ViewAudit, &Resource::Ledger)?;
        Ok(self.store.auditor_tokens().await?)
    }

    /// The auditor's tool a presented token stands for, checked as the registry is now.
    pub async fn authenticate_auditor_token(&self, token: &str) -> Result<Actor, CredentialError> {
        let invalid = |why: &str| CredentialError::InvalidToken(why.to_owned());
        if !looks_like_auditor_token(token) {
            return Err(invalid("the auditor token is malformed"));
        }
        let row = self
            .store
            .auditor_token_by_hash(&token_hash(token))
            .await?
            .ok_or_else(|| invalid("the auditor token is unknown"))?;
        if row.revoked_at_ms.is_some() {
            return Err(invalid("the auditor token was revoked"));
        }
        if row.expires_at_ms <= self.now_ms() {
            return Err(invalid("the auditor token has expired"));
        }
        if !row.issuer_active {
            return Err(invalid(
                "the person who issued the auditor token is no longer active",
            ));
        }
        Ok(Actor::AuditorToken {
            id: row.id,
            name: row.name,
        })
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
            token_name("  Acme audit\u{7}  ").unwrap_or_default(),
            "Acme audit"
        );
    }
}
