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

impl Services {
    /// A demo persona as the registry knows them now, for the story demo mode tells at its
    /// first start (their actions go through the same commands as anyone's, in their name).
    pub async fn demo_persona(&self, key: &str) -> CoreResult<Actor> {
        self.authorize(&Actor::System, Action::SeedDemo, &Resource::Console)?;
        // A read inside a write transaction that is never committed: nothing is written.
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let human = tx
            .human_by_external(DEMO_ISSUER, key)
            .await?
            .ok_or(crate::error::CoreError::NotFound("demo person"))?;
        Ok(Actor::Human {
            id: human.id,
            active: human.is_active(),
            name: human.name,
            roles: human.roles,
            // The demo story acts for its people at start-up, as if each had just signed in.
            authenticated_at_ms: Some(self.now_ms()),
        })
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

/// The demo's connected system and workflow: "Campaign Manager" at `base_url` and the
/// "Spring offer email" workflow (service account reads CRM contact fields → agent drafts →
/// approver reviews → Countersign publishes).
pub const DEMO_SYSTEM: &str = "Campaign Manager";
pub const DEMO_WORKFLOW: &str = "Spring offer email";

impl Services {
    /// Adds the demo system and workflow when missing; returns the system's id (to start the
    /// reference system with its secret).
    #[tracing::instrument(skip_all)]
    pub async fn seed_demo_workflow(&self, base_url: &str) -> CoreResult<crate::domain::SystemId> {
        use crate::domain::{
            ConnectedSystem, DataField, Grant, GrantAction, Performer, Step, StepId, StepKind,
            SystemId, Workflow, WorkflowId, WorkflowState,
        };
        self.authorize(&Actor::System, Action::SeedDemo, &Resource::Console)?;
        let now = self.clock.now();
        let systems = self.store.systems().await?;
        let nhis = self.store.nhis(&Default::default()).await?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let priya = tx
            .human_by_external(DEMO_ISSUER, "priya")
            .await?
            .ok_or(crate::error::CoreError::NotFound("demo person priya"))?;
        let amira = tx
            .human_by_external(DEMO_ISSUER, "amira")
            .await?
            .ok_or(crate::error::CoreError::NotFound("demo person amira"))?;
        let mut changed = false;
        let system_id = match systems.iter().find(|s| s.name == DEMO_SYSTEM) {
            Some(system) => system.id,
            None => {
                let fields = DataField::parse_list(
                    "email:contact\nfirst_name:contact\nregion:none\nlast_purchase:behavioural",
                )
                .map_err(|e| crate::error::CoreError::invalid("fields", e.to_string()))?;
                let system = ConnectedSystem {
                    id: SystemId::new(),
                    name: DEMO_SYSTEM.to_owned(),
                    kind: crate::domain::SystemKind::Campaign,
                    base_url: base_url.to_owned(),
                    fields,
                    secret_version: 1,
                    created_by: priya.id,
                    created_at: now,
                };
                let secret = crate::secrets::new_signing_secret();
                let sealed = self.secret_key()?.seal(&secret, &system.id.reference());
                tx.insert_system(&system, &sealed).await?;
                // The demo's campaigns link to the shop and its image CDN; nothing else.
                tx.set_system_content_hosts(system.id, "www.example.com\ncdn.example.com")
                    .await?;
                tx.append_event(&NewEvent::new(
                    &Actor::System,
                    "demo.system_seeded",
                    system.id.reference(),
                    json!({ "name": system.name, "base_url": system.base_url }),
                ))
                .await?;
                // Committed before the workflow is checked against the registry.
                tx.commit().await?;
                tx = self.store.begin_write(self.now_ms()).await?;
                system.id
            }
        };
        let performer = |name: &str| {
            nhis.iter()
                .find(|n| n.name == name)
                .map(|n| Performer::Nhi(n.id))
                .ok_or(crate::error::CoreError::NotFound("demo identity"))
        };
        if !tx.workflow_name_taken(DEMO_WORKFLOW).await? {
            let grant = |system: Option<SystemId>,
                         actions: &[GrantAction],
                         fields: &[&str],
                         review: bool| Grant {
                system,
                actions: actions.iter().copied().collect(),
                fields: fields.iter().map(|f| (*f).to_owned()).collect(),
                purposes: ["spring_offer".to_owned()].into_iter().collect(),
                human_review: review,
            };
            let steps = vec![
                Step {
                    id: StepId::new(),
                    pending_grant: None,
                    name: "Read CRM contacts".to_owned(),
                    kind: StepKind::ReadCustomerData,
                    performer: performer("crm-contact-reader")?,
                    owner: Some(priya.id),
                    grant: grant(
                        Some(system_id),
                        &[GrantAction::Read],
                        &["email", "first_name", "region"],
                        false,
                    ),
                },
                Step {
                    id: StepId::new(),
                    pending_grant: None,
                    name: "Draft the offer email".to_owned(),
                    kind: StepKind::DraftContent,
                    performer: performer("spring-offer-drafter")?,
                    owner: Some(priya.id),
                    // It reads the first name and region itself, so its drafts cite its own
                    // access decisions.
                    grant: grant(
                        Some(system_id),
                        &[GrantAction::Read, GrantAction::Draft],
                        &["first_name", "region"],
                        true,
                    ),
                },
                Step {
                    id: StepId::new(),
                    pending_grant: None,
                    name: "Approver review".to_owned(),
                    kind: StepKind::HumanReview,
                    performer: Performer::Human(amira.id),
                    owner: Some(amira.id),
                    grant: grant(None, &[], &[], true),
                },
                Step {
                    id: StepId::new(),
                    pending_grant: None,
                    name: "Publish to Campaign Manager".to_owned(),
                    kind: StepKind::Publish,
                    performer: Performer::Publisher,
                    owner: Some(priya.id),
                    grant: grant(Some(system_id), &[GrantAction::Publish], &[], false),
                },
            ];
            let facts = self.check_steps(&steps).await?;
            let (tier, _) = crate::domain::risk_tier(&steps, &facts);
            let workflow = Workflow {
                id: WorkflowId::new(),
                name: DEMO_WORKFLOW.to_owned(),
                purpose: "Email the spring offer to opted-in customers in each region.".to_owned(),
                owner: priya.id,
                state: WorkflowState::Draft,
                tier,
                steps,
                created_by: priya.id,
                created_at: now,
            };
            tx.insert_workflow(&workflow).await?;
            tx.append_event(&NewEvent::new(
                &Actor::System,
                "demo.workflow_seeded",
                workflow.id.reference(),
                json!({ "name": workflow.name, "tier": tier.number() }),
            ))
            .await?;
            // A few customers' consent: granted, withdrawn, granted for another purpose only.
            let day = |d: i64| Some(now - chrono::Duration::days(d));
            let consent = |subject: &str, purpose: &str, granted, withdrawn| {
                crate::domain::ConsentRecord::new(
                    subject,
                    purpose,
                    "consent",
                    granted,
                    withdrawn,
                    "demo CRM export",
                    now,
                )
            };
            let records = [
                consent("crm-1001", "spring_offer", day(40), None),
                consent("crm-1002", "spring_offer", day(40), None),
                consent("crm-1003", "spring_offer", day(40), day(3)),
                consent("crm-1004", "newsletter", day(40), None),
            ]
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| crate::error::CoreError::invalid("demo", e.to_string()))?;
            let batch = uuid::Uuid::now_v7().to_string();
            tx.insert_consent_records(&batch, &records, "system:countersign", self.now_ms())
                .await?;
            tx.append_event(&NewEvent::new(
                &Actor::System,
                "consent.recorded",
                format!("consent_batch:{batch}"),
                json!({ "via": "demo", "records": records.len() }),
            ))
            .await?;
            changed = true;
        }
        if changed {
            tx.commit().await?;
        }
        Ok(system_id)
    }
}
