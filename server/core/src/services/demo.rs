use super::Services;
use crate::actor::Actor;
use crate::domain::{Human, HumanId, RoleSet};
use crate::error::CoreResult;
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::store::NewHuman;
use serde_json::json;

/// The issuer recorded for demo personas, so they never collide with a real IdP's subjects.
pub const DEMO_ISSUER: &str = "urn:countersign:demo";

/// A sample person for demo mode.
#[derive(Debug, Clone)]
pub struct DemoPerson {
    pub key: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub roles: RoleSet,
    pub blurb: &'static str,
}

impl Services {
    /// Adds the demo people who are not there yet, in one transaction with one event each.
    /// Running it again changes nothing.
    #[tracing::instrument(skip_all)]
    pub async fn seed_demo_people(&self, people: &[DemoPerson]) -> CoreResult<usize> {
        self.authorize(&Actor::System, Action::SeedDemo, &Resource::Console)?;
        let now = self.clock.now();
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let mut added = 0;
        for person in people {
            if tx
                .human_by_external(DEMO_ISSUER, person.key)
                .await?
                .is_some()
            {
                continue;
            }
            let human = Human {
                id: HumanId::new(),
                name: person.name.to_owned(),
                email: Some(person.email.to_owned()),
                roles: person.roles.clone(),
                deactivation: None,
                created_at: now,
                last_sign_in_at: None,
            };
            tx.insert_human(&NewHuman {
                human: human.clone(),
                issuer: Some(DEMO_ISSUER.to_owned()),
                subject: Some(person.key.to_owned()),
            })
            .await?;
            tx.append_event(&NewEvent::new(
                &Actor::System,
                "demo.person_seeded",
                human.id.reference(),
                json!({ "name": person.name, "roles": person.roles.to_csv() }),
            ))
            .await?;
            added += 1;
        }
        if added > 0 {
            tx.commit().await?;
        }
        Ok(added)
    }
}

/// A sample service account or agent for demo mode, owned by demo people (by key).
#[derive(Debug, Clone)]
pub struct DemoIdentity {
    pub name: &'static str,
    pub kind: crate::domain::NhiKind,
    pub purpose: &'static str,
    pub model: Option<&'static str>,
    pub owner_keys: &'static [&'static str],
    pub expires_in_days: i64,
}

/// The key of a demo person who has left: their identities are orphaned.
pub const DEPARTED_KEY: &str = "jonas";

impl Services {
    /// Adds the demo identities that are not there yet, and a departed owner whose agent is
    /// orphaned. Running it again changes nothing.
    #[tracing::instrument(skip_all)]
    pub async fn seed_demo_identities(&self, identities: &[DemoIdentity]) -> CoreResult<usize> {
        use crate::domain::{Deactivation, Nhi, NhiId, NhiState, Owner};
        self.authorize(&Actor::System, Action::SeedDemo, &Resource::Console)?;
        let now = self.clock.now();
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let mut changed = false;
        if tx
            .human_by_external(DEMO_ISSUER, DEPARTED_KEY)
            .await?
            .is_none()
        {
            changed = true;
            let departed = Human {
                id: HumanId::new(),
                name: "Jonas Weber".to_owned(),
                email: Some("jonas.weber@example.com".to_owned()),
                roles: RoleSet::default(),
                deactivation: Some(Deactivation::ByAdmin),
                created_at: now,
                last_sign_in_at: None,
            };
            tx.insert_human(&NewHuman {
                human: departed.clone(),
                issuer: Some(DEMO_ISSUER.to_owned()),
                subject: Some(DEPARTED_KEY.to_owned()),
            })
            .await?;
            tx.append_event(&NewEvent::new(
                &Actor::System,
                "demo.person_seeded",
                departed.id.reference(),
                json!({ "name": departed.name, "roles": "", "deactivated": "left the company" }),
            ))
            .await?;
        }
        let mut added = 0;
        for identity in identities {
            if tx.nhi_name_taken(identity.name).await? {
                continue;
            }
            let mut owners = Vec::new();
            for key in identity.owner_keys {
                if let Some(human) = tx.human_by_external(DEMO_ISSUER, key).await? {
                    owners.push(Owner {
                        active: human.is_active(),
                        id: human.id,
                        name: human.name,
                        email: human.email,
                    });
                }
            }
            let nhi = Nhi {
                id: NhiId::new(),
                kind: identity.kind,
                name: identity.name.to_owned(),
                purpose: identity.purpose.to_owned(),
                state: NhiState::Active,
                expires_at: now + chrono::Duration::days(identity.expires_in_days),
                model: identity.model.map(str::to_owned),
                created_by: owners.first().map_or_else(HumanId::new, |o| o.id),
                created_at: now,
                last_used_at: None,
                owners,
            };
            tx.insert_nhi(&nhi).await?;
            tx.append_event(&NewEvent::new(
                &Actor::System,
                "demo.identity_seeded",
                nhi.id.reference(),
                json!({ "name": nhi.name, "kind": nhi.kind.as_str() }),
            ))
            .await?;
            added += 1;
        }
        if changed || added > 0 {
            tx.commit().await?;
        }
        Ok(added)
    }
}
