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
