//! Short-lived credentials for service accounts and agents (OAuth 2.0 client credentials): a
//! token is bound to one step of one workflow and is checked against the live registry on every
//! use, so it stops working the moment its identity or workflow may no longer act.

use super::freshness::Sensitive;
use super::principal_cache::Resolved;
use super::{RevealedSecret, Services};
use crate::actor::Actor;
use crate::credentials::{
    check_client_secret, hash_client_secret, looks_like_token, new_access_token, new_client_secret,
    token_hash, verify_legacy_secret, SecretCheck, LEGACY_VERIFICATIONS, MAX_TOKEN_LIFETIME_SECS,
};
use crate::domain::{FieldCategory, Nhi, NhiId, NhiState, Performer, Step, StepId, Workflow};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::store::{AccessTokenRow, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// Argon2 verifications of old-form secrets are slow on purpose; only this many run at once,
/// so a flood of token requests cannot take every CPU.
static LEGACY_PERMITS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(LEGACY_VERIFICATIONS);

/// Verifies a secret stored in the old Argon2id form, waiting briefly for a permit.
async fn verify_legacy(secret: &str, phc: String) -> Result<bool, CredentialError> {
    let permit =
        tokio::time::timeout(std::time::Duration::from_secs(2), LEGACY_PERMITS.acquire()).await;
    let Ok(Ok(_permit)) = permit else {
        return Err(CredentialError::Busy);
    };
    let secret = secret.to_owned();
    Ok(
        tokio::task::spawn_blocking(move || verify_legacy_secret(&secret, &phc))
            .await
            .unwrap_or(false),
    )
}

/// Why a token request or a token was refused, in RFC 6749 / RFC 6750 terms. The description is
/// safe to show the client: it names what was wrong and nothing internal.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// Unknown client, no secret issued, or a wrong secret (RFC 6749 `invalid_client`).
    #[error("client authentication failed")]
    InvalidClient,
    /// Too many old-form secrets are being verified right now; try again shortly.
    #[error("the console is busy verifying credentials; try again in a few seconds")]
    Busy,
    /// The identity authenticated but may not get tokens now (`unauthorized_client`).
    #[error("{0}")]
    UnauthorizedClient(String),
    /// The scope is missing, malformed, or names a step the client may not act in.
    #[error("{0}")]
    InvalidScope(String),
    /// The bearer token is unknown, expired, or no longer usable (RFC 6750 `invalid_token`).
    #[error("{0}")]
    InvalidToken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CoreError> for CredentialError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Store(e) => CredentialError::Store(e),
            other => CredentialError::Store(StoreError::Corrupt(other.to_string())),
        }
    }
}

/// A freshly issued token: shown to the client once, never stored.
#[derive(Debug)]
pub struct IssuedToken {
    pub access_token: RevealedSecret,
    pub expires_in: i64,
    pub scope: String,
}

/// Who presented a valid token, and for what.
#[derive(Debug, Clone)]
pub struct TokenPrincipal {
    pub actor: Actor,
    pub nhi: Nhi,
    pub workflow: Arc<Workflow>,
    pub step: Step,
    /// The fields the step's connected system exposes, with their categories.
    pub field_categories: Arc<HashMap<String, FieldCategory>>,
    pub expires_at: DateTime<Utc>,
    /// The token's hash and the registry generation this principal was read at: an access
    /// decision confirms the generation at its commit and reads the principal again if it moved.
    pub(super) token_hash: String,
    pub(super) registry_generation: i64,
}

/// The hash a well-formed bearer token is stored under.
fn checked_token_hash(token: &str) -> Result<String, CredentialError> {
    if looks_like_token(token) {
        Ok(token_hash(token))
    } else {
        Err(CredentialError::InvalidToken(
            "the access token is malformed".to_owned(),
        ))
    }
}

/// `step:<id>`, the only scope there is.
fn parse_scope(raw: Option<&str>) -> Result<StepId, CredentialError> {
    let raw = raw.map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Err(CredentialError::InvalidScope(
            "scope is required: ask for one step as scope=step:<step id>".to_owned(),
        ));
    }
    if raw.split_whitespace().count() > 1 {
        return Err(CredentialError::InvalidScope(
            "a token is bound to exactly one step: ask for one scope=step:<step id>".to_owned(),
        ));
    }
    raw.strip_prefix("step:")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| {
            CredentialError::InvalidScope(format!(
                "scope must be step:<step id>, not \"{}\"",
                raw.chars().take(60).collect::<String>()
            ))
        })
}

/// Why an identity may not act, in words, or `None` when it may.
fn unusable(nhi: &Nhi, now: DateTime<Utc>) -> Option<String> {
    if nhi.state != NhiState::Active {
        Some(format!("{} is {}", nhi.name, nhi.state))
    } else if nhi.is_expired(now) {
        Some(format!(
            "{} expired on {}",
            nhi.name,
            nhi.expires_at.format("%Y-%m-%d")
        ))
    } else if nhi.is_orphaned() {
        Some(format!(
            "{} has no active human owner; a security admin must assign one",
            nhi.name
        ))
    } else {
        None
    }
}

/// Why a step may not be acted in by this identity, in words.
fn out_of_scope(nhi: &Nhi, workflow: &Workflow, step: &Step) -> String {
    if step.performer != Performer::Nhi(nhi.id) {
        format!(
            "{} does not perform step \"{}\" of \"{}\"",
            nhi.name, step.name, workflow.name
        )
    } else {
        format!(
            "workflow \"{}\" is {}, not active",
            workflow.name,
            workflow.state.as_str().replace('_', " ")
        )
    }
}

impl Services {
    /// The configured token lifetime, never more than 15 minutes.
    pub fn token_lifetime(&self) -> Duration {
        self.settings
            .token_lifetime
            .min(Duration::seconds(MAX_TOKEN_LIFETIME_SECS))
    }

    /// Issues a new client secret for an identity, replacing (and ending every token of) the
    /// previous one. The secret is returned once and kept only as a hash.
    #[tracing::instrument(skip_all, fields(nhi = %id))]
    pub async fn rotate_client_secret(
        &self,
        actor: &Actor,
        id: NhiId,
    ) -> CoreResult<(Nhi, RevealedSecret)> {
        self.authorize(actor, Action::ManageIdentities, &Resource::Console)?;
        self.require_recent_sign_in(actor, Sensitive::ClientSecretRotation)?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let nhi = tx
            .nhi_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("identity"))?;
        if nhi.state == NhiState::Revoked {
            return Err(CoreError::Conflict(format!(
                "{} is revoked: a revoked identity gets no new secret",
                nhi.name
            )));
        }
        let secret = new_client_secret();
        let hash = hash_client_secret(&secret);
        tx.set_nhi_secret_hash(id, &hash, self.now_ms()).await?;
        if let Actor::Human { id: person, .. } = actor {
            // Whoever holds a secret can act as the identity: separation of duties remembers.
            tx.record_stewardship(&crate::domain::Stewardship {
                nhi: id,
                person: *person,
                kind: crate::domain::StewardshipKind::SecretIssued,
                at_ms: self.now_ms(),
            })
            .await?;
        }
        let ended = tx.delete_access_tokens_of(id).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "identity.secret_rotated",
            id.reference(),
            json!({ "name": nhi.name, "tokens_ended": ended }),
        ))
        .await?;
        tx.commit().await?;
        Ok((nhi, RevealedSecret(secret)))
    }

    /// OAuth 2.0 client credentials grant: authenticates the identity by its secret and issues a
    /// token bound to the step named in `scope`. Refusals after authentication are recorded.
    #[tracing::instrument(skip_all)]
    pub async fn issue_token(
        &self,
        client_id: &str,
        client_secret: &str,
        scope: Option<&str>,
    ) -> Result<IssuedToken, CredentialError> {
        let id: Option<NhiId> = client_id.trim().parse().ok();
        let (nhi, stored) = match id {
            Some(id) => (
                self.store.nhi(id).await?,
                self.store.nhi_secret_hash(id).await?,
            ),
            None => (None, None),
        };
        let stored = if nhi.is_some() { stored } else { None };
        let authenticated = match check_client_secret(client_secret, stored.as_deref()) {
            SecretCheck::Decided(matches) => matches,
            SecretCheck::Legacy { phc } => verify_legacy(client_secret, phc).await?,
        };
        let nhi = match nhi {
            Some(nhi) if authenticated => nhi,
            Some(nhi) => {
                self.record_refusal(&nhi, "wrong client secret", None)
                    .await?;
                return Err(CredentialError::InvalidClient);
            }
            None => return Err(CredentialError::InvalidClient),
        };

        let now = self.clock.now();
        if let Some(reason) = unusable(&nhi, now) {
            self.record_refusal(&nhi, &reason, None).await?;
            return Err(CredentialError::UnauthorizedClient(reason));
        }
        let step_id = match parse_scope(scope) {
            Ok(step) => step,
            Err(error) => {
                self.record_refusal(&nhi, &error.to_string(), None).await?;
                return Err(error);
            }
        };
        let found = self.store.workflow_by_step(step_id).await?.and_then(|w| {
            w.steps
                .iter()
                .find(|s| s.id == step_id)
                .cloned()
                .map(|s| (w, s))
        });
        let Some((workflow, step)) = found else {
            let reason = format!("no step {step_id}");
            self.record_refusal(&nhi, &reason, None).await?;
            return Err(CredentialError::InvalidScope(reason));
        };
        let actor = Actor::for_nhi(&nhi, now);
        if self
            .authorize(
                &actor,
                Action::ObtainCredential,
                &Resource::step(&workflow, &step),
            )
            .is_err()
        {
            let reason = out_of_scope(&nhi, &workflow, &step);
            self.record_refusal(&nhi, &reason, Some(step_id)).await?;
            return Err(CredentialError::InvalidScope(reason));
        }

        let token = new_access_token();
        let lifetime = self.token_lifetime();
        let expires_at = now + lifetime;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        tx.delete_expired_access_tokens(self.now_ms()).await?;
        tx.insert_access_token(&AccessTokenRow {
            token_hash: token_hash(&token),
            nhi: nhi.id,
            workflow: workflow.id,
            step: step.id,
            issued_at_ms: self.now_ms(),
            expires_at_ms: crate::clock::to_millis(expires_at),
        })
        .await?;
        tx.touch_nhi(nhi.id, self.now_ms()).await?;
        tx.append_event(&NewEvent::new(
            &actor,
            "credential.issued",
            nhi.id.reference(),
            json!({
                "workflow": workflow.id.reference(),
                "step": step.id.reference(),
                "step_name": step.name,
                "expires_at": expires_at.to_rfc3339(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(IssuedToken {
            access_token: RevealedSecret(token),
            expires_in: lifetime.num_seconds(),
            scope: format!("step:{}", step.id),
        })
    }

    /// A refused token request by an identity that exists, in the ledger: repeated refusals are
    /// a signal security admins look for.
    async fn record_refusal(
        &self,
        nhi: &Nhi,
        reason: &str,
        step: Option<StepId>,
    ) -> Result<(), CredentialError> {
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        tx.append_event(&NewEvent::new(
            &Actor::for_nhi(nhi, self.clock.now()),
            "credential.refused",
            nhi.id.reference(),
            json!({ "reason": reason, "step": step.map(|s| s.reference()) }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Resolves a bearer token to the identity and step it is bound to, checking the registry as
    /// it is now: suspension, revocation, expiry, orphaning or the workflow leaving `active` end
    /// the token at once.
    pub async fn authenticate_token(&self, token: &str) -> Result<TokenPrincipal, CredentialError> {
        self.authenticate_hash(&checked_token_hash(token)?).await
    }

    /// The same for an access decision, without reading the store when this process already
    /// holds the token's principal at the newest registry generation it knows of. The decision's
    /// commit confirms that generation (`decide_access`), so a change committed meanwhile, here
    /// or by another process, still ends the token before anything is recorded or answered.
    pub async fn authenticate_token_for_decision(
        &self,
        token: &str,
    ) -> Result<TokenPrincipal, CredentialError> {
        let hash = checked_token_hash(token)?;
        match self.principals.newest(&hash) {
            Some((generation, resolved)) => self.principal_now(hash, generation, resolved),
            None => self.authenticate_hash(&hash).await,
        }
    }

    /// The exact check: the registry generation read first, then the principal.
    pub(super) async fn authenticate_hash(
        &self,
        hash: &str,
    ) -> Result<TokenPrincipal, CredentialError> {
        // Read before the registry so that a change committed meanwhile has a newer generation
        // and replaces what is cached here at the next request.
        let generations = self.store.generations().await?;
        self.consents.observe(generations.consent);
        let generation = generations.registry;
        let resolved = match self.principals.get(hash, generation) {
            Some(resolved) => resolved,
            None => {
                let resolved = self.resolve_token(hash).await?;
                self.principals
                    .put(hash.to_owned(), generation, resolved.clone());
                resolved
            }
        };
        self.principal_now(hash.to_owned(), generation, resolved)
    }

    /// What is checked at every use, cached or not: expiry, the identity's standing, and Cedar.
    fn principal_now(
        &self,
        token_hash: String,
        registry_generation: i64,
        resolved: Resolved,
    ) -> Result<TokenPrincipal, CredentialError> {
        let invalid = |why: &str| CredentialError::InvalidToken(why.to_owned());
        let Resolved {
            token: row,
            nhi,
            workflow,
            step,
            fields,
        } = resolved;
        let now = self.clock.now();
        let expires_at = crate::clock::from_millis(row.expires_at_ms);
        if expires_at <= now {
            return Err(invalid("the access token has expired"));
        }
        if let Some(reason) = unusable(&nhi, now) {
            return Err(CredentialError::InvalidToken(reason));
        }
        let actor = Actor::for_nhi(&nhi, now);
        if self
            .authorize(
                &actor,
                Action::UseCredential,
                &Resource::step(&workflow, &step),
            )
            .is_err()
        {
            return Err(CredentialError::InvalidToken(out_of_scope(
                &nhi, &workflow, &step,
            )));
        }
        Ok(TokenPrincipal {
            actor,
            nhi,
            workflow,
            step,
            field_categories: fields,
            expires_at,
            token_hash,
            registry_generation,
        })
    }

    /// What the token with this hash stands for, read from the registry.
    async fn resolve_token(&self, hash: &str) -> Result<Resolved, CredentialError> {
        let invalid = |why: &str| CredentialError::InvalidToken(why.to_owned());
        let token = self
            .store
            .access_token(hash)
            .await?
            .ok_or_else(|| invalid("the access token is unknown or was ended"))?;
        let nhi = self
            .store
            .nhi(token.nhi)
            .await?
            .ok_or_else(|| invalid("the identity no longer exists"))?;
        let workflow = self
            .store
            .workflow(token.workflow)
            .await?
            .ok_or_else(|| invalid("the workflow no longer exists"))?;
        let step = workflow
            .steps
            .iter()
            .find(|s| s.id == token.step)
            .cloned()
            .ok_or_else(|| invalid("the step no longer exists"))?;
        let fields = Arc::new(self.step_field_categories(&step).await?);
        Ok(Resolved {
            token,
            nhi,
            workflow: Arc::new(workflow),
            step,
            fields,
        })
    }
}
