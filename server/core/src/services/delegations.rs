//! Delegation while away. An approver or legal reviewer names a colleague who holds the same
//! role for a period; during it their review notices go to the colleague, who may sign for them
//! ("Kim for Dana"). Separation of duties judges the delegate in their own right, delegation
//! does not chain, and security admins see and may end every delegation.

use super::Services;
use crate::actor::Actor;
use crate::domain::{check_period, Delegation, HumanId, Role};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::store::WriteTx;
use chrono::{DateTime, Utc};
use serde_json::json;

/// What a person asks for.
#[derive(Debug, Clone)]
pub struct SetAway {
    pub role: Role,
    pub delegate: HumanId,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub reason: String,
}

/// The away panel: one's own away periods, whom one stands in for, whom one could name, and
/// (for security admins) every delegation not over.
#[derive(Debug, Clone)]
pub struct AwayOverview {
    pub mine: Vec<Delegation>,
    pub standing_in_for: Vec<Delegation>,
    /// For each delegable role the person holds: the active people who hold it too.
    pub candidates: Vec<(Role, Vec<(HumanId, String)>)>,
    pub all: Option<Vec<Delegation>>,
}

fn me(actor: &Actor) -> CoreResult<HumanId> {
    match actor {
        Actor::Human { id, .. } => Ok(*id),
        _ => Err(CoreError::Unauthenticated),
    }
}

impl Services {
    /// `delegate` stands in for `principal` in `role` at this transaction's now.
    pub(super) async fn stands_in_for(
        &self,
        tx: &mut Box<dyn WriteTx>,
        delegate: HumanId,
        principal: HumanId,
        role: Role,
    ) -> CoreResult<Option<Delegation>> {
        let now = self.clock.now();
        Ok(tx
            .delegations_of(delegate, self.now_ms())
            .await?
            .into_iter()
            .find(|d| {
                d.delegate == delegate
                    && d.principal == principal
                    && d.role == role
                    && d.active_at(now)
            }))
    }

    #[tracing::instrument(skip_all)]
    pub async fn set_away(&self, actor: &Actor, input: SetAway) -> CoreResult<Delegation> {
        self.authorize(actor, Action::DelegateRole, &Resource::Console)?;
        let principal = me(actor)?;
        if !actor.has_role(input.role) {
            return Err(CoreError::invalid(
                "role",
                format!("you do not hold the {} role", input.role.label()),
            ));
        }
        let now = self.clock.now();
        let reason = check_period(
            principal,
            input.delegate,
            input.role,
            input.from,
            input.until,
            &input.reason,
            now,
        )
        .map_err(|e| {
            let field = match e {
                crate::domain::DelegationError::ToOneself => "delegate",
                crate::domain::DelegationError::BadReason => "reason",
                crate::domain::DelegationError::NotDelegable => "role",
                _ => "period",
            };
            CoreError::invalid(field, e.to_string())
        })?;
        let from = input.from.max(now);
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let delegate = tx
            .human_by_id(input.delegate)
            .await?
            .filter(|h| h.is_active())
            .ok_or_else(|| CoreError::invalid("delegate", "no such active person"))?;
        if !delegate.roles.contains(input.role) {
            return Err(CoreError::invalid(
                "delegate",
                format!(
                    "{} does not hold the {} role",
                    delegate.name,
                    input.role.label()
                ),
            ));
        }
        for existing in tx.delegations_of(principal, self.now_ms()).await? {
            if !existing.overlaps(from, input.until) {
                continue;
            }
            if existing.principal == principal && existing.role == input.role {
                return Err(CoreError::Conflict(format!(
                    "you are already away as {} then (delegated to {} until {})",
                    input.role.label(),
                    existing.delegate_name,
                    existing.ends_at.format("%-d %b %H:%M UTC")
                )));
            }
            if existing.delegate == principal {
                return Err(CoreError::invalid(
                    "delegate",
                    format!(
                        "delegation cannot chain: you stand in for {} then",
                        existing.principal_name
                    ),
                ));
            }
        }
        for theirs in tx.delegations_of(delegate.id, self.now_ms()).await? {
            if theirs.principal == delegate.id && theirs.overlaps(from, input.until) {
                return Err(CoreError::invalid(
                    "delegate",
                    format!(
                        "delegation cannot chain: {} is away then (delegated to {})",
                        delegate.name, theirs.delegate_name
                    ),
                ));
            }
        }
        let delegation = Delegation {
            id: uuid::Uuid::now_v7().to_string(),
            principal,
            principal_name: actor.label(),
            delegate: delegate.id,
            delegate_name: delegate.name.clone(),
            role: input.role,
            starts_at: from,
            ends_at: input.until,
            reason,
            ended_at: None,
        };
        tx.insert_delegation(&delegation, self.now_ms()).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "delegation.set",
            principal.reference(),
            json!({
                "delegation": delegation.id,
                "role": delegation.role.as_str(),
                "delegate": delegation.delegate.reference(),
                "delegate_name": delegation.delegate_name,
                "from": delegation.starts_at.to_rfc3339(),
                "until": delegation.ends_at.to_rfc3339(),
                "reason": delegation.reason,
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(delegation)
    }

    /// Ends an away period now: its principal, or a security admin.
    #[tracing::instrument(skip_all)]
    pub async fn end_away(&self, actor: &Actor, id: &str) -> CoreResult<()> {
        let person = me(actor)?;
        // Who may end anything at all is asked before whether it exists.
        if self
            .authorize(actor, Action::DelegateRole, &Resource::Console)
            .is_err()
        {
            self.authorize(actor, Action::ManageDelegations, &Resource::Console)?;
        }
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let delegation = tx
            .delegation_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("delegation"))?;
        if delegation.principal == person {
            self.authorize(actor, Action::DelegateRole, &Resource::Console)?;
        } else {
            self.authorize(actor, Action::ManageDelegations, &Resource::Console)?;
        }
        let now = self.clock.now();
        if delegation.ended_at.is_some() || delegation.ends_at <= now {
            return Err(CoreError::Conflict(
                "this delegation is already over".to_owned(),
            ));
        }
        tx.end_delegation(id, person, self.now_ms()).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "delegation.ended",
            delegation.principal.reference(),
            json!({
                "delegation": delegation.id,
                "role": delegation.role.as_str(),
                "delegate": delegation.delegate.reference(),
                "by_principal": delegation.principal == person,
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn away_overview(&self, actor: &Actor) -> CoreResult<AwayOverview> {
        let person = me(actor)?;
        self.authorize(actor, Action::EnterConsole, &Resource::Console)?;
        let current = self.store.current_delegations(self.now_ms()).await?;
        let admin = self
            .authorize(actor, Action::ManageDelegations, &Resource::Console)
            .is_ok();
        let may_delegate = self
            .authorize(actor, Action::DelegateRole, &Resource::Console)
            .is_ok();
        let mut candidates = Vec::new();
        if may_delegate {
            let people = self.store.humans().await?;
            for role in [Role::Approver, Role::Legal] {
                if actor.has_role(role) {
                    candidates.push((
                        role,
                        people
                            .iter()
                            .filter(|p| p.id != person && p.is_active() && p.roles.contains(role))
                            .map(|p| (p.id, p.name.clone()))
                            .collect(),
                    ));
                }
            }
        }
        Ok(AwayOverview {
            mine: current
                .iter()
                .filter(|d| d.principal == person)
                .cloned()
                .collect(),
            standing_in_for: current
                .iter()
                .filter(|d| d.delegate == person)
                .cloned()
                .collect(),
            candidates,
            all: admin.then_some(current),
        })
    }
}
