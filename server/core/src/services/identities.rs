//! The identity registry: service accounts and agents with named human owners, their lifecycle,
//! and the people who can own them.

use super::freshness::Sensitive;
use super::Services;
use crate::actor::Actor;
use crate::domain::{
    Deactivation, DisplayName, Email, Human, HumanId, Lifecycle, Nhi, NhiId, NhiKind, NhiName,
    NhiState, Owner, Purpose, Reason,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::store::{NewHuman, NhiFilter, WriteTx};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

pub const MAX_OWNERS: usize = 20;
pub const MAX_BULK: usize = 200;

/// A request to register a service account or an agent.
#[derive(Debug, Clone)]
pub struct RegisterNhi {
    pub kind: NhiKind,
    pub name: String,
    pub purpose: String,
    pub owners: Vec<HumanId>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Agents: model and provider.
    pub model: Option<String>,
}

/// The registry's filters, as people ask for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdentityFilter {
    pub orphaned: bool,
    pub expiring_within_days: Option<u32>,
    pub unused_for_days: Option<u32>,
    pub owner: Option<HumanId>,
}

fn invalid(field: &'static str, error: impl ToString) -> CoreError {
    CoreError::invalid(field, error.to_string())
}

impl Services {
    fn may_manage(&self, actor: &Actor) -> CoreResult<()> {
        self.authorize(actor, Action::ManageIdentities, &Resource::Console)
            .map(|_| ())
    }

    pub fn can_manage_identities(&self, actor: &Actor) -> bool {
        self.may_manage(actor).is_ok()
    }

    /// Checks and loads the owners named for an identity: at least one, each an active person.
    async fn active_owners(tx: &mut Box<dyn WriteTx>, ids: &[HumanId]) -> CoreResult<Vec<Owner>> {
        let mut unique: Vec<HumanId> = Vec::new();
        for id in ids {
            if !unique.contains(id) {
                unique.push(*id);
            }
        }
        if unique.is_empty() {
            return Err(CoreError::invalid(
                "owners",
                "name at least one human owner",
            ));
        }
        if unique.len() > MAX_OWNERS {
            return Err(CoreError::invalid(
                "owners",
                format!("at most {MAX_OWNERS} owners"),
            ));
        }
        let mut owners = Vec::with_capacity(unique.len());
        for id in unique {
            let human = tx
                .human_by_id(id)
                .await?
                .ok_or_else(|| CoreError::invalid("owners", format!("no person with id {id}")))?;
            if !human.is_active() {
                return Err(CoreError::invalid(
                    "owners",
                    format!("{} is deactivated and cannot own an identity", human.name),
                ));
            }
            owners.push(Owner {
                id: human.id,
                name: human.name,
                email: human.email,
                active: true,
            });
        }
        Ok(owners)
    }

    #[tracing::instrument(skip_all, fields(kind = ?request.kind))]
    /// Registers an identity and issues its client secret, returned once and kept only as a hash.
    pub async fn register_nhi(
        &self,
        actor: &Actor,
        request: RegisterNhi,
    ) -> CoreResult<(Nhi, super::RevealedSecret)> {
        self.may_manage(actor)?;
        let Actor::Human { id: creator, .. } = actor else {
            return Err(CoreError::Unauthenticated);
        };
        let name = NhiName::parse(&request.name).map_err(|e| invalid("name", e))?;
        let purpose = Purpose::parse(&request.purpose).map_err(|e| invalid("purpose", e))?;
        let model = match request.model.as_deref().map(str::trim) {
            Some(model) if model.chars().count() > 120 => {
                return Err(CoreError::invalid("model", "at most 120 characters"))
            }
            Some("") | None => None,
            Some(model) => Some(model.to_owned()),
        };
        if request.kind == NhiKind::Agent && model.is_none() {
            return Err(CoreError::invalid(
                "model",
                "an agent needs its model and provider, e.g. \"claude-sonnet-4.5 (Anthropic)\"",
            ));
        }
        let now = self.clock.now();
        let expires_at = request
            .expires_at
            .ok_or_else(|| CoreError::invalid("expires_at", "an expiry date is required"))?;
        if expires_at <= now {
            return Err(CoreError::invalid("expires_at", "must be in the future"));
        }
        let max = self.settings.nhi_max_lifetime;
        if expires_at > now + max {
            return Err(CoreError::invalid(
                "expires_at",
                format!("must be within {} days from now", max.num_days()),
            ));
        }

        let mut tx = self.store.begin_write(self.now_ms()).await?;
        if tx.nhi_name_taken(name.as_str()).await? {
            return Err(CoreError::Conflict(format!(
                "an identity named \"{}\" already exists",
                name.as_str()
            )));
        }
        let owners = Self::active_owners(&mut tx, &request.owners).await?;
        let nhi = Nhi {
            id: NhiId::new(),
            kind: request.kind,
            name: name.as_str().to_owned(),
            purpose: purpose.as_str().to_owned(),
            state: NhiState::Active,
            expires_at,
            model,
            created_by: *creator,
            created_at: now,
            last_used_at: None,
            owners,
        };
        tx.insert_nhi(&nhi).await?;
        let secret = crate::credentials::new_client_secret();
        let hash = crate::credentials::hash_client_secret(&secret);
        tx.set_nhi_secret_hash(nhi.id, &hash, self.now_ms()).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "identity.registered",
            nhi.id.reference(),
            json!({
                "kind": nhi.kind.as_str(),
                "name": nhi.name,
                "purpose": nhi.purpose,
                "model": nhi.model,
                "expires_at": nhi.expires_at.to_rfc3339(),
                "owners": nhi.owners.iter().map(|o| o.id.reference()).collect::<Vec<_>>(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok((nhi, super::RevealedSecret(secret)))
    }

    pub async fn list_nhis(&self, actor: &Actor, filter: IdentityFilter) -> CoreResult<Vec<Nhi>> {
        self.authorize(actor, Action::ViewIdentities, &Resource::Console)?;
        Ok(self.store.nhis(&self.nhi_filter(&filter)).await?)
    }

    /// The store's filter for the page's: days counted from now.
    pub(super) fn nhi_filter(&self, filter: &IdentityFilter) -> NhiFilter {
        let now = self.clock.now();
        let days = |d: u32| crate::clock::to_millis(now + Duration::days(i64::from(d)));
        let ago = |d: u32| crate::clock::to_millis(now - Duration::days(i64::from(d)));
        NhiFilter {
            orphaned: filter.orphaned,
            expiring_before_ms: filter.expiring_within_days.map(days),
            unused_since_ms: filter.unused_for_days.map(ago),
            owner: filter.owner,
            ..Default::default()
        }
    }

    /// Suspends, reactivates or revokes an identity, with a reason.
    #[tracing::instrument(skip_all, fields(nhi = %id, command = command.as_str()))]
    pub async fn change_nhi_state(
        &self,
        actor: &Actor,
        id: NhiId,
        command: Lifecycle,
        reason: &str,
    ) -> CoreResult<Nhi> {
        self.may_manage(actor)?;
        let reason = Reason::parse(reason).map_err(|e| invalid("reason", e))?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let mut nhi = tx
            .nhi_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("identity"))?;
        let before = nhi.state;
        let after = before
            .apply(command)
            .map_err(|e| CoreError::Conflict(e.to_string()))?;
        tx.set_nhi_state(id, after, reason.as_str(), self.now_ms())
            .await?;
        tx.append_event(&NewEvent::new(
            actor,
            match command {
                Lifecycle::Suspend => "identity.suspended",
                Lifecycle::Reactivate => "identity.reactivated",
                Lifecycle::Revoke => "identity.revoked",
            },
            id.reference(),
            json!({ "name": nhi.name, "from": before.as_str(), "to": after.as_str(), "reason": reason.as_str() }),
        ))
        .await?;
        tx.commit().await?;
        nhi.state = after;
        Ok(nhi)
    }

    /// Replaces the owners of one or many identities (reassigning orphans), with a reason.
    #[tracing::instrument(skip_all, fields(count = ids.len()))]
    pub async fn reassign_owners(
        &self,
        actor: &Actor,
        ids: &[NhiId],
        owners: &[HumanId],
        reason: &str,
    ) -> CoreResult<Vec<Nhi>> {
        self.may_manage(actor)?;
        self.require_recent_sign_in(actor, Sensitive::OwnerChange)?;
        let reason = Reason::parse(reason).map_err(|e| invalid("reason", e))?;
        if ids.is_empty() {
            return Err(CoreError::invalid(
                "identities",
                "select at least one identity",
            ));
        }
        if ids.len() > MAX_BULK {
            return Err(CoreError::invalid(
                "identities",
                format!("at most {MAX_BULK} at once"),
            ));
        }
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let new_owners = Self::active_owners(&mut tx, owners).await?;
        let owner_ids: Vec<HumanId> = new_owners.iter().map(|o| o.id).collect();
        let mut changed = Vec::with_capacity(ids.len());
        for id in ids {
            let mut nhi = tx
                .nhi_by_id(*id)
                .await?
                .ok_or(CoreError::NotFound("identity"))?;
            if nhi.state == NhiState::Revoked {
                return Err(CoreError::Conflict(format!(
                    "\"{}\" is revoked; a revoked identity keeps its last owners",
                    nhi.name
                )));
            }
            tx.replace_nhi_owners(*id, &owner_ids, self.now_ms())
                .await?;
            tx.append_event(&NewEvent::new(
                actor,
                "identity.owners_changed",
                id.reference(),
                json!({
                    "name": nhi.name,
                    "before": nhi.owners.iter().map(|o| o.id.reference()).collect::<Vec<_>>(),
                    "after": owner_ids.iter().map(HumanId::reference).collect::<Vec<_>>(),
                    "was_orphaned": nhi.is_orphaned(),
                    "reason": reason.as_str(),
                }),
            ))
            .await?;
            nhi.owners = new_owners.clone();
            changed.push(nhi);
        }
        tx.commit().await?;
        Ok(changed)
    }

    pub async fn list_people(&self, actor: &Actor) -> CoreResult<Vec<Human>> {
        self.authorize(actor, Action::ViewIdentities, &Resource::Console)?;
        Ok(self.store.humans().await?)
    }

    /// Records a person by email before their first sign-in, so they can be named as an owner.
    /// Their first sign-in with that email binds the record to their IdP identity.
    #[tracing::instrument(skip_all)]
    pub async fn pre_register_person(
        &self,
        actor: &Actor,
        email: &str,
        name: &str,
    ) -> CoreResult<Human> {
        self.may_manage(actor)?;
        let email = Email::parse(email).map_err(|e| invalid("email", e))?;
        let name = DisplayName::parse(name).map_err(|e| invalid("name", e))?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        if tx.email_taken(email.as_str()).await? {
            return Err(CoreError::Conflict(format!(
                "{} is already known to the console",
                email.as_str()
            )));
        }
        let human = Human {
            id: HumanId::new(),
            name: name.as_str().to_owned(),
            email: Some(email.as_str().to_owned()),
            roles: Default::default(),
            deactivation: None,
            created_at: self.clock.now(),
            last_sign_in_at: None,
        };
        tx.insert_human(&NewHuman {
            human: human.clone(),
            issuer: None,
            subject: None,
        })
        .await?;
        tx.append_event(&NewEvent::new(
            actor,
            "person.pre_registered",
            human.id.reference(),
            json!({ "name": human.name, "email": human.email }),
        ))
        .await?;
        tx.commit().await?;
        Ok(human)
    }

    /// Deactivates or reactivates a person. Deactivating orphans the identities they alone own;
    /// the event lists them.
    #[tracing::instrument(skip_all, fields(person = %id, active))]
    pub async fn set_person_active(
        &self,
        actor: &Actor,
        id: HumanId,
        active: bool,
        reason: &str,
    ) -> CoreResult<Human> {
        self.may_manage(actor)?;
        self.require_recent_sign_in(actor, Sensitive::PersonActivation)?;
        let reason = Reason::parse(reason).map_err(|e| invalid("reason", e))?;
        if matches!(actor, Actor::Human { id: me, .. } if *me == id) && !active {
            return Err(CoreError::invalid(
                "person",
                "you cannot deactivate yourself; ask another security admin",
            ));
        }
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let mut human = tx
            .human_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("person"))?;
        let deactivation = if active {
            // A person without a role stays without access until a sign-in brings one.
            (human.roles.is_empty() && human.last_sign_in_at.is_some())
                .then_some(Deactivation::NoRole)
        } else {
            Some(Deactivation::ByAdmin)
        };
        if deactivation == human.deactivation {
            return Err(CoreError::Conflict(format!(
                "{} is already {}",
                human.name,
                if active { "active" } else { "deactivated" }
            )));
        }
        let orphaned = if active {
            Vec::new()
        } else {
            tx.nhis_only_owned_by(id).await?
        };
        tx.set_human_deactivation(id, deactivation).await?;
        let seq = tx.append_event(&NewEvent::new(
            actor,
            if active {
                "person.reactivated"
            } else {
                "person.deactivated"
            },
            id.reference(),
            json!({
                "name": human.name,
                "reason": reason.as_str(),
                "orphaned_identities": orphaned.iter().map(NhiId::reference).collect::<Vec<_>>(),
            }),
        ))
        .await?;
        let why = format!("{} was deactivated", human.name);
        self.notify_orphaned(&mut tx, &orphaned, &why, seq).await?;
        tx.commit().await?;
        self.wake_outbox();
        human.deactivation = deactivation;
        Ok(human)
    }
}
