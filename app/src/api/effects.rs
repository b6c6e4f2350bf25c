//! Server functions for effects on connected systems: roll a change back, pull a workflow's kill
//! switch and follow its receipts, clone a revoked workflow, and retry dead-lettered deliveries.
//! Thin adapters: every rule is the core's.

use crate::dto_effects::{DeliveriesView, RevocationView};
use crate::error::UiError;
use leptos::prelude::*;

/// Names of connected systems, to say where each delivery went.
#[cfg(feature = "ssr")]
pub(super) async fn system_names(
    services: &countersign_core::Services,
    actor: &countersign_core::Actor,
) -> std::collections::HashMap<countersign_core::domain::SystemId, String> {
    services
        .list_systems(actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect()
}

#[cfg(feature = "ssr")]
pub(super) fn delivery_dto(
    effect: &countersign_core::domain::Effect,
    systems: &std::collections::HashMap<countersign_core::domain::SystemId, String>,
    change_title: Option<&str>,
) -> crate::dto_effects::DeliveryView {
    use super::gate::when;
    use countersign_core::domain::OutboxState;
    let receipt = effect.parsed_receipt();
    crate::dto_effects::DeliveryView {
        id: effect.id.clone(),
        kind: effect.kind.as_str().to_owned(),
        state: effect.state.as_str().to_owned(),
        destination: effect
            .system
            .and_then(|s| systems.get(&s).cloned())
            .unwrap_or_else(|| effect.destination.clone()),
        attempts: effect.attempts,
        last_error: effect.last_error.clone(),
        next_attempt: (effect.state == OutboxState::Pending).then(|| when(effect.next_attempt_at)),
        receipt_id: receipt.as_ref().map(|r| r.receipt_id.clone()),
        receipt_version: receipt.and_then(|r| r.version),
        reason: effect.reason.clone(),
        requested_by: effect.requested_by_label.clone(),
        created: when(effect.created_at),
        finished: effect.finished_at.map(when),
        change: effect
            .change_id
            .clone()
            .map(|id| (id, change_title.unwrap_or_default().to_owned())),
        workflow: effect.workflow.map(|w| w.to_string()),
    }
}

/// The publication panel of a change page.
#[cfg(feature = "ssr")]
pub(super) async fn change_effects(
    services: &countersign_core::Services,
    actor: &countersign_core::Actor,
    change: &countersign_core::domain::ChangeRequest,
    effects: &[countersign_core::domain::Effect],
) -> Result<crate::dto_effects::ChangeEffectsView, countersign_core::CoreError> {
    use super::gate::when;
    use countersign_core::domain::rollback_under_way;
    let systems = system_names(services, actor).await;
    Ok(crate::dto_effects::ChangeEffectsView {
        publication: change
            .publication
            .as_ref()
            .map(|p| crate::dto_effects::PublicationView {
                version: p.version.clone(),
                replaced: p.replaced.clone(),
                at: when(p.at),
            }),
        rollback_under_way: rollback_under_way(effects),
        deliveries: effects
            .iter()
            .map(|e| delivery_dto(e, &systems, None))
            .collect(),
        may_roll_back: services.can_roll_back(actor, change, effects).await,
    })
}

#[cfg(feature = "ssr")]
pub(super) fn revocation_dto(
    view: &countersign_core::services::RevocationView,
    systems: &std::collections::HashMap<countersign_core::domain::SystemId, String>,
) -> RevocationView {
    use super::gate::when;
    let r = &view.revocation;
    RevocationView {
        reason: r.reason.clone(),
        requested_by: r.requested_by_name.clone(),
        requested_at: when(r.requested_at),
        identities_to: r.identities_to.as_str().to_owned(),
        tokens_ended: r.tokens_ended,
        identities: r.identities,
        changes_cancelled: r.changes_cancelled,
        rollbacks_queued: r.rollbacks_queued,
        systems: r.systems,
        confirmed: view.confirmed(),
        complete: view.is_complete(),
        took: r.time_to_last_confirmation().map(|d| {
            let ms = d.num_milliseconds();
            if ms < 1_000 {
                format!("{ms} ms")
            } else if ms < 60_000 {
                format!("{:.1} s", ms as f64 / 1000.0)
            } else {
                format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
            }
        }),
        calls: view
            .calls
            .iter()
            .map(|c| delivery_dto(c, systems, None))
            .collect(),
        event_seq: r.event_seq,
    }
}

#[server(prefix = "/ui", endpoint = "roll_back")]
pub async fn roll_back(change: String, reason: String) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    services
        .roll_back_change(&actor, &change, &reason)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok("Rollback requested: the system restores what was live before, and its receipt will appear below.".to_owned())
}

#[server(prefix = "/ui", endpoint = "revoke_workflow")]
pub async fn revoke_workflow(
    workflow: String,
    reason: String,
    revoke_identities: bool,
    roll_back_live: bool,
) -> Result<String, UiError> {
    use countersign_core::services::RevokeInput;
    let (services, actor) = super::adapter::request()?;
    let id = super::adapter::parse_id("workflow", &workflow)?;
    let view = services
        .revoke_workflow(
            &actor,
            id,
            RevokeInput {
                reason,
                revoke_identities,
                roll_back_live,
            },
        )
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let r = &view.revocation;
    Ok(format!(
        "Revoked. {} token(s) ended, {} identit{} {}, {} change(s) cancelled; revoke calls queued to {} system(s).",
        r.tokens_ended,
        r.identities,
        if r.identities == 1 { "y" } else { "ies" },
        r.identities_to.as_str(),
        r.changes_cancelled,
        r.systems
    ))
}

/// A workflow's revocation as it stands now (the page polls it until every system confirmed).
#[server(prefix = "/ui", endpoint = "revocation")]
pub async fn load_revocation(workflow: String) -> Result<Option<RevocationView>, UiError> {
    let (services, actor) = super::adapter::request()?;
    let id = super::adapter::parse_id("workflow", &workflow)?;
    let view = services
        .revocation(&actor, id)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let systems = system_names(&services, &actor).await;
    Ok(view.map(|v| revocation_dto(&v, &systems)))
}

#[server(prefix = "/ui", endpoint = "clone_workflow")]
pub async fn clone_workflow(
    workflow: String,
    name: String,
) -> Result<crate::dto_registry::DefinedView, UiError> {
    let (services, actor) = super::adapter::request()?;
    let id = super::adapter::parse_id("workflow", &workflow)?;
    let clone = services
        .clone_workflow(&actor, id, &name)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(crate::dto_registry::DefinedView {
        id: clone.id.to_string(),
        message: format!(
            "Cloned into the draft “{}”: review its steps and checklist, then activate it.",
            clone.name
        ),
    })
}

#[server(prefix = "/ui", endpoint = "deliveries")]
pub async fn load_deliveries() -> Result<DeliveriesView, UiError> {
    use countersign_core::domain::OutboxState;
    let (services, actor) = super::adapter::request()?;
    let core = |e| UiError::from_core(e, &actor);
    let dead = services
        .deliveries(&actor, OutboxState::Dead)
        .await
        .map_err(core)?;
    let pending = services
        .deliveries(&actor, OutboxState::Pending)
        .await
        .map_err(core)?;
    let systems = system_names(&services, &actor).await;
    let dto = |(e, title): &(countersign_core::domain::Effect, Option<String>)| {
        delivery_dto(e, &systems, title.as_deref())
    };
    Ok(DeliveriesView {
        dead: dead.iter().map(dto).collect(),
        pending: pending.iter().map(dto).collect(),
        listed: usize::try_from(countersign_core::services::DELIVERIES_LISTED)
            .unwrap_or(usize::MAX),
    })
}

#[server(prefix = "/ui", endpoint = "retry_delivery")]
pub async fn retry_delivery(id: String) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let effect = services
        .retry_effect(&actor, &id)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(format!(
        "The {} call is queued again and will be delivered in a moment.",
        effect.kind.as_str()
    ))
}
