//! A sign-in whose email the IdP did not verify is kept apart from the person pre-registered by
//! that email (see `sign_in`). A security admin who has checked that it is the same person links
//! them: the pre-registered person takes over the sign-in's IdP identity and signs in as
//! themselves from then on (owning what they were named owner of); the separate record is
//! deactivated and its sessions end. One transaction, one ledger event.

use super::freshness::Sensitive;
use super::Services;
use crate::actor::Actor;
use crate::domain::{Deactivation, Human, HumanId, Reason};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use serde_json::json;

impl Services {
    /// For each pre-registered person who has not signed in, the signed-in person they could be
    /// linked to: someone who signed in with the same email address (only a withheld link leaves
    /// two such records) and was not set aside by an admin (a record already linked away is).
    /// One pass over the people, indexed by email.
    pub fn link_candidates(people: &[Human]) -> std::collections::HashMap<HumanId, &Human> {
        let signed_in: std::collections::HashMap<String, &Human> = people
            .iter()
            .filter(|p| {
                p.last_sign_in_at.is_some() && p.deactivation != Some(Deactivation::ByAdmin)
            })
            .filter_map(|p| Some((p.email.as_deref()?.to_ascii_lowercase(), p)))
            .collect();
        people
            .iter()
            .filter(|p| p.last_sign_in_at.is_none())
            .filter_map(|p| {
                let other = signed_in.get(&p.email.as_deref()?.to_ascii_lowercase())?;
                (other.id != p.id).then_some((p.id, *other))
            })
            .collect()
    }

    #[tracing::instrument(skip_all, fields(pre_registered = %pre_registered, signed_in = %signed_in))]
    pub async fn link_sign_in(
        &self,
        actor: &Actor,
        pre_registered: HumanId,
        signed_in: HumanId,
        reason: &str,
    ) -> CoreResult<Human> {
        self.authorize(actor, Action::ManageIdentities, &Resource::Console)?;
        self.require_recent_sign_in(actor, Sensitive::PersonLink)?;
        let reason =
            Reason::parse(reason).map_err(|e| CoreError::invalid("reason", e.to_string()))?;
        if matches!(actor, Actor::Human { id, .. } if *id == signed_in) {
            return Err(CoreError::invalid(
                "person",
                "you cannot link your own sign-in; ask another security admin",
            ));
        }
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let pre = tx
            .human_by_id(pre_registered)
            .await?
            .ok_or(CoreError::NotFound("person"))?;
        let other = tx
            .human_by_id(signed_in)
            .await?
            .ok_or(CoreError::NotFound("person"))?;
        if tx.external_identity_of(pre.id).await?.is_some() {
            return Err(CoreError::Conflict(format!(
                "{} already signs in as themselves",
                pre.name
            )));
        }
        let same_email = matches!(
            (pre.email.as_deref(), other.email.as_deref()),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b)
        );
        if !same_email {
            return Err(CoreError::invalid(
                "person",
                "only a sign-in with the pre-registered email address can be linked",
            ));
        }
        if !tx.move_external_identity(other.id, pre.id).await? {
            return Err(CoreError::Conflict(format!(
                "{} has no sign-in to link",
                other.name
            )));
        }
        tx.set_human_deactivation(other.id, Some(Deactivation::ByAdmin))
            .await?;
        let sessions_ended = tx.delete_sessions_of(other.id).await?;
        tx.append_event(&NewEvent::new(
            actor,
            "person.sign_in_linked",
            pre.id.reference(),
            json!({
                "signed_in_record": other.id.reference(),
                "reason": reason.as_str(),
                "sessions_ended": sessions_ended,
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(pre)
    }
}
