use super::Services;
use crate::actor::Actor;
use crate::domain::{Deactivation, DisplayName, Email, ExternalIdentity, Human, HumanId, RoleSet};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::store::NewHuman;
use serde_json::json;

/// What the IdP (or demo mode) vouched for, already verified by the adapter.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub identity: ExternalIdentity,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Whether the IdP vouches that the person controls `email` (`email_verified`). Only a
    /// verified email links a sign-in to a person pre-registered by that email.
    pub email_verified: bool,
    /// Roles from the groups claim through the role map.
    pub roles: RoleSet,
    /// How many groups the IdP sent (recorded, not the names: they can be many and sensitive).
    pub groups_seen: usize,
    /// A fresh sign-in asked for before a dangerous action (recorded as such).
    pub reauthentication: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInOutcome {
    /// The person may use the console as `actor`.
    Granted { actor: Actor },
    /// The person is known but holds no role (or was deactivated): show "no access".
    NoAccess { human_id: HumanId, name: String },
}

/// The console's areas, shown in navigation when policy allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Queue,
    Workflows,
    Identities,
    DataAccess,
    Audit,
    ReviewQuality,
    Deliveries,
    /// The framework map (OWASP, CSA MAESTRO, NIST) with live statuses.
    Compliance,
    /// Review latency.
    Flow,
    /// Incident tracing.
    Investigate,
    /// SCIM provisioning from the corporate directory (Directory sync).
    Directory,
}

impl Area {
    pub const ALL: [Area; 11] = [
        Area::Queue,
        Area::Workflows,
        Area::Identities,
        Area::DataAccess,
        Area::ReviewQuality,
        Area::Flow,
        Area::Deliveries,
        Area::Compliance,
        Area::Audit,
        Area::Investigate,
        Area::Directory,
    ];

    fn action(self) -> (Action, Resource) {
        match self {
            Area::Queue => (Action::ViewQueue, Resource::Console),
            Area::Workflows => (Action::ViewWorkflows, Resource::Console),
            Area::Identities => (Action::ViewIdentities, Resource::Console),
            Area::DataAccess => (Action::ManageConsent, Resource::Console),
            Area::Audit => (Action::ViewAudit, Resource::Ledger),
            Area::Compliance => (Action::ViewCompliance, Resource::Console),
            Area::ReviewQuality => (Action::ViewReviewQuality, Resource::Console),
            Area::Deliveries => (Action::ManageDeliveries, Resource::Console),
            Area::Flow => (Action::ViewFlow, Resource::Console),
            Area::Investigate => (Action::Investigate, Resource::Console),
            Area::Directory => (Action::ManageDirectory, Resource::Console),
        }
    }
}

fn actor_for(human: &Human) -> Actor {
    Actor::Human {
        id: human.id,
        name: human.name.clone(),
        roles: human.roles.clone(),
        active: human.is_active(),
        authenticated_at_ms: None,
    }
}

impl Services {
    /// Records a verified sign-in: creates or updates the person, decides whether they may enter,
    /// and writes the event, all in one transaction.
    #[tracing::instrument(skip_all, fields(issuer = %sign_in.identity.issuer()))]
    pub async fn sign_in(&self, sign_in: SignIn) -> CoreResult<SignInOutcome> {
        let now = self.clock.now();
        let email = sign_in
            .email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(|e| CoreError::invalid("email", e.to_string()))?;
        let name = sign_in
            .name
            .as_deref()
            .and_then(|n| DisplayName::parse(n).ok())
            .map(|n| n.as_str().to_owned())
            .or_else(|| email.as_ref().map(|e| e.as_str().to_owned()))
            .unwrap_or_else(|| sign_in.identity.subject().to_owned());

        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let mut existing = tx
            .human_by_external(sign_in.identity.issuer(), sign_in.identity.subject())
            .await?;
        let mut linked_pre_registration = false;
        let mut link_withheld = false;
        if existing.is_none() {
            // A person the directory provisioned signs in as the IdP subject equal to their
            // SCIM external id: the directory and the IdP name the same account.
            if let Some(provisioned) = tx
                .unlinked_human_by_directory_id(sign_in.identity.subject())
                .await?
            {
                tx.link_human(
                    provisioned.id,
                    sign_in.identity.issuer(),
                    sign_in.identity.subject(),
                )
                .await?;
                existing = Some(provisioned);
                linked_pre_registration = true;
            }
        }
        if existing.is_none() {
            // A person pre-registered by email becomes this IdP identity at first sign-in, if the
            // IdP vouches for the email: otherwise anyone who could set that address on an IdP
            // account would inherit the pre-registered person's identities.
            if let Some(email) = &email {
                let pre = tx.unlinked_human_by_email(email.as_str()).await?;
                if pre.is_some() && !sign_in.email_verified {
                    link_withheld = true;
                } else if let Some(pre) = pre {
                    tx.link_human(
                        pre.id,
                        sign_in.identity.issuer(),
                        sign_in.identity.subject(),
                    )
                    .await?;
                    existing = Some(pre);
                    linked_pre_registration = true;
                }
            }
        }
        // The directory owns the people it provisioned: their roles follow its groups, their
        // name and email its record, and only it (or a security admin) deactivates them.
        let directory_user = match &existing {
            Some(human) => tx.is_directory_user(human.id).await?,
            None => false,
        };
        let (roles, name, email) = match existing.as_ref().filter(|_| directory_user) {
            Some(human) => (
                self.directory_roles(&mut tx, human.id).await?,
                human.name.clone(),
                human.email.clone(),
            ),
            None => (sign_in.roles.clone(), name, email.map(String::from)),
        };
        let deactivation = match existing.as_ref().and_then(|h| h.deactivation) {
            Some(Deactivation::ByAdmin) => Some(Deactivation::ByAdmin),
            Some(Deactivation::ByDirectory) if directory_user => Some(Deactivation::ByDirectory),
            _ if directory_user => None,
            _ if roles.is_empty() => Some(Deactivation::NoRole),
            _ => None,
        };
        let human = Human {
            id: existing.as_ref().map_or_else(HumanId::new, |h| h.id),
            name,
            email,
            roles,
            deactivation,
            created_at: existing.as_ref().map_or(now, |h| h.created_at),
            last_sign_in_at: Some(now),
        };
        if existing.is_some() {
            tx.update_human_at_sign_in(&human).await?;
        } else {
            tx.insert_human(&NewHuman {
                human: human.clone(),
                issuer: Some(sign_in.identity.issuer().to_owned()),
                subject: Some(sign_in.identity.subject().to_owned()),
            })
            .await?;
        }

        let actor = actor_for(&human).authenticated_at(now.timestamp_millis());
        let allowed = self
            .policy
            .authorize(&actor, Action::EnterConsole, &Resource::Console);
        let details = json!({
            "issuer": sign_in.identity.issuer(),
            "roles": human.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "groups_seen": sign_in.groups_seen,
            "email_verified": sign_in.email_verified,
            "pre_registration_link_withheld": link_withheld,
            "reauthentication": sign_in.reauthentication,
            "first_sign_in": existing.is_none() || linked_pre_registration,
            "linked_pre_registration": linked_pre_registration,
            "deactivation": human.deactivation.map(|d| d.as_str()),
            "directory_user": directory_user,
        });
        let (action, outcome) = match allowed {
            Ok(_) => (
                "auth.sign_in",
                SignInOutcome::Granted {
                    actor: actor.clone(),
                },
            ),
            Err(_) => (
                "auth.sign_in_no_access",
                SignInOutcome::NoAccess {
                    human_id: human.id,
                    name: human.name.clone(),
                },
            ),
        };
        let seq = tx
            .append_event(&NewEvent::new(
                &actor,
                action,
                human.id.reference(),
                details,
            ))
            .await?;
        let newly_without_role = human.deactivation == Some(Deactivation::NoRole)
            && existing.as_ref().is_some_and(|h| h.deactivation.is_none());
        if newly_without_role {
            let orphaned = tx.nhis_only_owned_by(human.id).await?;
            let why = format!("{} signed in without a role", human.name);
            self.notify_orphaned(&mut tx, &orphaned, &why, seq).await?;
        }
        tx.commit().await?;
        self.wake_outbox();
        Ok(outcome)
    }

    /// The IdP says a person's sign-in there ended (OpenID Connect Back-Channel Logout, its
    /// logout token already verified by the adapter): every session of theirs here ends, with
    /// the event, in one transaction. A token is honoured once (`token_id` is its `jti`).
    /// `Ok(None)` when the IdP named nobody this console knows.
    #[tracing::instrument(skip_all)]
    pub async fn end_sessions_for_idp_logout(
        &self,
        issuer: &str,
        subject: &str,
        token_id: &str,
    ) -> CoreResult<Option<u64>> {
        let now = self.now_ms();
        let token: String = token_id.chars().take(128).collect();
        // Logout tokens live minutes; a replay within a day is refused.
        let seen = self
            .store
            .throttle_hit(&format!("logout-token:{token}"), now + 86_400_000)
            .await?;
        if seen > 1 {
            return Err(CoreError::Conflict(
                "this logout token was already used".to_owned(),
            ));
        }
        let mut tx = self.store.begin_write(now).await?;
        let Some(human) = tx.human_by_external(issuer, subject).await? else {
            return Ok(None);
        };
        let ended = tx.delete_sessions_of(human.id).await?;
        tx.append_event(&NewEvent::new(
            &Actor::Anonymous,
            "auth.idp_logout",
            human.id.reference(),
            json!({ "issuer": issuer, "sessions_ended": ended }),
        ))
        .await?;
        tx.commit().await?;
        Ok(Some(ended))
    }

    #[tracing::instrument(skip_all)]
    pub async fn sign_out(&self, actor: &Actor, reason: &str) -> CoreResult<()> {
        self.authorize(actor, Action::SignOut, &Resource::Console)?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "auth.sign_out",
            actor.reference(),
            json!({ "reason": reason }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor behind a session, as of now: a person deactivated since they signed in, or
    /// whose roles are gone, no longer acts.
    pub async fn session_actor(&self, human_id: HumanId) -> CoreResult<Option<Actor>> {
        let Some(human) = self.store.human(human_id).await? else {
            return Ok(None);
        };
        Ok(Some(actor_for(&human)))
    }

    /// Whether the actor may use the console at all (a person with no role may not).
    pub fn may_enter(&self, actor: &Actor) -> bool {
        self.policy
            .authorize(actor, Action::EnterConsole, &Resource::Console)
            .is_ok()
    }

    /// The areas policy lets this actor see: navigation is shown from this, never from role
    /// checks in the UI.
    pub fn areas(&self, actor: &Actor) -> Vec<Area> {
        Area::ALL
            .into_iter()
            .filter(|area| {
                let (action, resource) = area.action();
                self.policy.authorize(actor, action, &resource).is_ok()
            })
            .collect()
    }

    /// Refuses unless the actor may see the area; for pages that have no data of their own yet.
    pub fn authorize_area(&self, actor: &Actor, area: Area) -> CoreResult<()> {
        let (action, resource) = area.action();
        self.authorize(actor, action, &resource).map(|_| ())
    }
}
