//! What a person's leaving and moving change, inside the caller's transaction: a leaver's
//! sessions end, they are deactivated, and the identities only they owned are orphaned (their
//! tokens stop at the next call: the commit moves the registry generation); a mover's roles
//! follow the directory's groups through the role map.

use super::Services;
use crate::domain::{Deactivation, Human, HumanId, NhiId, RoleSet};
use crate::error::CoreResult;
use crate::store::WriteTx;
use serde_json::{json, Value};

/// Role changes listed in one ledger event at most (the count is always exact).
const ROLE_CHANGES_LISTED: usize = 100;

/// What a departure changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Departure {
    pub sessions_ended: u64,
    /// Identities that no longer have an active owner.
    pub orphaned: Vec<NhiId>,
    /// Whether the person was active until now.
    pub was_active: bool,
}

impl Departure {
    pub fn details(&self) -> Value {
        json!({
            "sessions_ended": self.sessions_ended,
            "orphaned_identities": self.orphaned.iter().map(NhiId::reference).collect::<Vec<_>>(),
        })
    }
}

/// Role changes made by one request, for its ledger event.
#[derive(Debug, Default)]
pub(super) struct RoleChanges {
    pub listed: Vec<Value>,
    pub count: usize,
}

impl RoleChanges {
    pub fn details(&self) -> Value {
        json!({ "count": self.count, "people": self.listed })
    }
}

impl Services {
    /// Ends a person's sessions and deactivates them as `why`; a person a security admin
    /// deactivated stays so (their sessions still end). Identities only they owned are
    /// returned as orphaned.
    pub(super) async fn depart(
        &self,
        tx: &mut Box<dyn WriteTx>,
        human: &Human,
        why: Deactivation,
    ) -> CoreResult<Departure> {
        let was_active = human.is_active();
        // Read before the deactivation: "owned by nobody else active" is about the others.
        let orphaned = if was_active {
            tx.nhis_only_owned_by(human.id).await?
        } else {
            Vec::new()
        };
        if human.deactivation != Some(Deactivation::ByAdmin) {
            tx.set_human_deactivation(human.id, Some(why)).await?;
        }
        let sessions_ended = tx.delete_sessions_of(human.id).await?;
        Ok(Departure {
            sessions_ended,
            orphaned,
            was_active,
        })
    }

    /// The roles the directory's groups give a person now.
    pub(super) async fn directory_roles(
        &self,
        tx: &mut Box<dyn WriteTx>,
        person: HumanId,
    ) -> CoreResult<RoleSet> {
        let groups = tx.directory_group_names_of(person).await?;
        Ok(self
            .settings
            .role_map
            .roles_for(groups.iter().map(String::as_str)))
    }

    /// Brings each person's roles in line with their directory groups; takes effect at their
    /// next request, open sessions included (a session reads the person on every request).
    pub(super) async fn follow_directory_roles(
        &self,
        tx: &mut Box<dyn WriteTx>,
        people: &[HumanId],
        changes: &mut RoleChanges,
    ) -> CoreResult<()> {
        for id in people {
            let Some(human) = tx.human_by_id(*id).await? else {
                continue;
            };
            let roles = self.directory_roles(tx, *id).await?;
            if roles == human.roles {
                continue;
            }
            tx.set_human_roles(*id, &roles).await?;
            changes.count += 1;
            if changes.listed.len() < ROLE_CHANGES_LISTED {
                let names = |set: &RoleSet| set.iter().map(|r| r.as_str()).collect::<Vec<_>>();
                changes.listed.push(json!({
                    "person": id.reference(),
                    "name": human.name,
                    "before": names(&human.roles),
                    "after": names(&roles),
                }));
            }
        }
        Ok(())
    }
}
