//! Server functions: thin adapters that resolve the actor, make one core call and return DTOs.

use crate::dto::{AuditPageView, LedgerCheckView, LogStatusView, SessionView, SignInChoices};
use crate::error::UiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub(crate) mod adapter {
    use crate::error::UiError;
    use countersign_core::{Actor, Services};
    use leptos::prelude::use_context;

    /// The services and the actor of the current request (put there by the server's session
    /// middleware; anonymous when absent).
    pub fn request() -> Result<(Services, Actor), UiError> {
        let services = use_context::<Services>().ok_or(UiError::Unavailable)?;
        let actor = use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Actor>().cloned())
            .unwrap_or(Actor::Anonymous);
        Ok((services, actor))
    }

    /// Parses an id sent by the page, naming the field when it is not one.
    pub fn parse_id<T: std::str::FromStr>(field: &str, raw: &str) -> Result<T, UiError> {
        raw.parse().map_err(|_| {
            crate::error::refuse(UiError::Invalid(format!(
                "{field}: `{raw}` is not a valid id"
            )))
        })
    }

    pub fn area_key(area: countersign_core::services::Area) -> &'static str {
        use countersign_core::services::Area;
        match area {
            Area::Queue => "queue",
            Area::Workflows => "workflows",
            Area::Identities => "identities",
            Area::DataAccess => "data-access",
            Area::ReviewQuality => "review-quality",
            Area::Deliveries => "deliveries",
            Area::Compliance => "compliance",
            Area::Audit => "audit",
            Area::Flow => "flow",
            Area::Investigate => "investigate",
            Area::Directory => "directory",
        }
    }
}

/// The signed-in person, or `None`.
#[server(prefix = "/ui", endpoint = "session")]
pub async fn current_session() -> Result<Option<SessionView>, UiError> {
    use countersign_core::Actor;
    let (services, actor) = adapter::request()?;
    let Actor::Human { name, roles, .. } = &actor else {
        return Ok(None);
    };
    Ok(Some(SessionView {
        name: name.clone(),
        roles: roles.iter().map(|r| r.label().to_owned()).collect(),
        areas: services
            .areas(&actor)
            .into_iter()
            .map(adapter::area_key)
            .map(str::to_owned)
            .collect(),
        may_export_evidence: services
            .authorize(
                &actor,
                countersign_core::policy::Action::ExportEvidence,
                &countersign_core::policy::Resource::Ledger,
            )
            .is_ok(),
        unread_notices: services.unread_notifications(&actor).await.unwrap_or(0),
    }))
}

/// How people can sign in here (SSO, demo personas).
#[server(prefix = "/ui", endpoint = "sign_in_choices")]
pub async fn load_sign_in_choices() -> Result<SignInChoices, UiError> {
    use_context::<SignInChoices>().ok_or(UiError::Unavailable)
}

/// Succeeds when the signed-in person may see `area`.
#[server(prefix = "/ui", endpoint = "area_access")]
pub async fn area_access(area: String) -> Result<(), UiError> {
    use countersign_core::services::Area;
    let (services, actor) = adapter::request()?;
    let area = Area::ALL
        .into_iter()
        .find(|a| adapter::area_key(*a) == area)
        .ok_or_else(|| crate::error::refuse(UiError::NotFound(format!("area `{area}`"))))?;
    services
        .authorize_area(&actor, area)
        .map_err(|e| UiError::from_core(e, &actor))
}

/// One page of the ledger as filtered, newest first; `before` continues below that sequence
/// number.
#[server(prefix = "/ui", endpoint = "audit_page")]
pub async fn audit_page(
    before: Option<i64>,
    actor: Option<String>,
    action: Option<String>,
    subject: Option<String>,
    from: Option<String>,
    to: Option<String>,
    flagged: Option<bool>,
) -> Result<AuditPageView, UiError> {
    use crate::dto::AuditEventView;
    use countersign_core::services::AuditQuery;
    let query = AuditQuery {
        actor: actor.unwrap_or_default(),
        action: action.unwrap_or_default(),
        subject: subject.unwrap_or_default(),
        from: from.unwrap_or_default(),
        to: to.unwrap_or_default(),
        flagged: flagged.unwrap_or(false),
    };
    let (services, actor) = adapter::request()?;
    let page = services
        .audit_search(&actor, &query, before, 50)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let provable_up_to = page.checkpoint_size.unwrap_or(0);
    Ok(AuditPageView {
        events: page
            .events
            .into_iter()
            .map(|event| {
                let subject_href = match event.subject.split_once(':') {
                    Some(("change", id)) => Some(format!("/changes/{id}")),
                    Some(("workflow", id)) => Some(format!("/workflows/{id}")),
                    Some(("nhi", id)) => Some(format!("/identities/{id}")),
                    Some(("human", _)) => Some("/identities".to_owned()),
                    Some(("system", _)) => Some("/systems".to_owned()),
                    _ => None,
                };
                AuditEventView {
                    seq: event.seq,
                    at: event
                        .at()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    details: serde_json::from_str::<serde_json::Value>(&event.details)
                        .ok()
                        .and_then(|v| serde_json::to_string_pretty(&v).ok())
                        .unwrap_or(event.details),
                    subject_name: page.names.get(&event.subject).cloned(),
                    subject_href,
                    provable: u64::try_from(event.seq).is_ok_and(|s| s <= provable_up_to),
                    actor_label: event.actor_label,
                    actor_ref: event.actor_ref,
                    action: event.action,
                    subject: event.subject,
                    prev_hash: event.prev_hash,
                    hash: event.hash,
                }
            })
            .collect(),
        next_before: page.next_before,
        total: page.total,
        checkpoint_size: page.checkpoint_size,
    })
}

/// An event's inclusion proof in the latest signed checkpoint.
#[server(prefix = "/ui", endpoint = "event_proof")]
pub async fn event_proof(seq: i64) -> Result<crate::dto::EventProofView, UiError> {
    use base64::Engine as _;
    let b64 = |h: &[u8; 32]| base64::engine::general_purpose::STANDARD.encode(h);
    let (services, actor) = adapter::request()?;
    let found = services
        .event_inclusion(&actor, seq, None)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let checkpoint = services
        .latest_cosigned_checkpoint(&actor)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?
        .filter(|c| c.checkpoint.tree_size == found.tree_size)
        .map(|c| c.note())
        .unwrap_or_default();
    Ok(crate::dto::EventProofView {
        seq: found.seq,
        leaf_index: found.leaf_index,
        tree_size: found.tree_size,
        leaf_hash: b64(&found.leaf_hash),
        proof: found.proof.iter().map(b64).collect(),
        checkpoint,
    })
}

/// Recomputes the ledger's hash chain.
#[server(prefix = "/ui", endpoint = "verify_ledger")]
pub async fn verify_ledger() -> Result<LedgerCheckView, UiError> {
    use countersign_core::services::LedgerVerification;
    let (services, actor) = adapter::request()?;
    let outcome = services
        .verify_ledger(&actor)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(match outcome {
        LedgerVerification::Intact { events } => LedgerCheckView::Intact { events },
        LedgerVerification::Broken { verified, link } => LedgerCheckView::Broken {
            seq: link.seq,
            problem: link.problem,
            verified,
        },
    })
}
pub mod auditor_tokens;
pub mod away;
pub mod changes;
pub mod compliance;
pub mod data_access;
pub mod directory;
pub mod effects;
pub mod flow;
pub mod gate;
pub mod identities;
pub mod investigate;
pub mod notices;
pub mod review_quality;
pub mod systems;
pub mod templates;
pub mod workflow_builder;
pub mod workflow_convert;
pub mod workflows;

/// The log's public key and latest signed checkpoint.
#[server(prefix = "/ui", endpoint = "log_status")]
pub async fn log_status() -> Result<LogStatusView, UiError> {
    use crate::dto::CheckpointView;
    let (services, actor) = adapter::request()?;
    let status = services
        .log_status(&actor)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(LogStatusView {
        public_key: status.public_key,
        events: status.events,
        checkpoint: status.latest.map(|c| CheckpointView {
            size: c.tree_size,
            signed_at: countersign_core::clock::from_millis(c.signed_at_ms)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            note: c.note,
        }),
    })
}
