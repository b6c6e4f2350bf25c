//! Server functions for the identity registry: thin adapters over `countersign_core` services.

use crate::dto::{ClientSecretShown, IdentitiesView};
use crate::dto_registry::IdentityDetailView;
use crate::error::UiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod convert {
    use crate::dto::{NhiView, OwnerView, PersonView};
    use crate::error::UiError;
    use chrono::{DateTime, NaiveDate, Utc};
    use countersign_core::domain::{Deactivation, Human, HumanId, Nhi, NhiId};

    pub fn date(at: DateTime<Utc>) -> String {
        at.format("%Y-%m-%d").to_string()
    }

    pub fn nhi(nhi: Nhi, now: DateTime<Utc>, reaches: Vec<String>) -> NhiView {
        NhiView {
            reaches,
            id: nhi.id.to_string(),
            kind: nhi.kind.as_str().to_owned(),
            orphaned: nhi.is_orphaned(),
            expired: nhi.is_expired(now),
            expires_on: date(nhi.expires_at),
            expires_in_days: (nhi.expires_at - now).num_days(),
            last_used: nhi.last_used_at.map(date),
            owners: nhi
                .owners
                .into_iter()
                .map(|o| OwnerView {
                    id: o.id.to_string(),
                    name: o.name,
                    active: o.active,
                })
                .collect(),
            name: nhi.name,
            purpose: nhi.purpose,
            state: nhi.state.as_str().to_owned(),
            model: nhi.model,
        }
    }

    pub fn person(human: Human, link_candidate: Option<(String, String)>) -> PersonView {
        let status = match (human.deactivation, human.last_sign_in_at) {
            (Some(Deactivation::ByAdmin), _) => "Deactivated by a security admin".to_owned(),
            (Some(Deactivation::NoRole), _) => "No mapped role at last sign-in".to_owned(),
            (Some(Deactivation::ByDirectory), _) => "Left: deactivated by the directory".to_owned(),
            (None, None) => "Active · not signed in yet".to_owned(),
            (None, Some(at)) => format!("Active · last sign-in {}", date(at)),
        };
        PersonView {
            id: human.id.to_string(),
            active: human.is_active(),
            roles: human.roles.iter().map(|r| r.label().to_owned()).collect(),
            name: human.name,
            email: human.email,
            status,
            link_candidate,
        }
    }

    pub fn human_id(raw: &str) -> Result<HumanId, UiError> {
        crate::api::adapter::parse_id("person", raw)
    }

    pub fn nhi_id(raw: &str) -> Result<NhiId, UiError> {
        crate::api::adapter::parse_id("identity", raw)
    }

    /// The end of the given day, UTC.
    pub fn expiry(raw: &str) -> Result<Option<DateTime<Utc>>, UiError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        let day = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
            crate::error::refuse(UiError::Invalid(
                "expires_at: use a date like 2027-01-31".to_owned(),
            ))
        })?;
        Ok(day.and_hms_opt(23, 59, 59).map(|t| t.and_utc()))
    }
}

/// The registry page: identities (filtered), people, and what the viewer may do.
#[server(prefix = "/ui", endpoint = "identities")]
pub async fn load_identities(
    orphaned: bool,
    expiring: bool,
    unused: bool,
    owner: Option<String>,
    q: Option<String>,
    page: Option<i64>,
) -> Result<IdentitiesView, UiError> {
    use countersign_core::services::IdentityFilter;
    let (services, actor) = super::adapter::request()?;
    let owner = owner
        .filter(|o| !o.is_empty())
        .map(|o| convert::human_id(&o))
        .transpose()?;
    let filter = IdentityFilter {
        orphaned,
        expiring_within_days: expiring.then_some(30),
        unused_for_days: unused.then_some(90),
        owner,
    };
    let core = |e| UiError::from_core(e, &actor);
    let now = services.clock().now();
    let listed = services
        .nhi_list(
            &actor,
            filter,
            q.as_deref().unwrap_or_default(),
            page.unwrap_or(1),
        )
        .await
        .map_err(core)?;
    let nhis = listed.items;
    let people = services.list_people(&actor).await.map_err(core)?;
    let ids: Vec<_> = nhis.iter().map(|n| n.id).collect();
    let privileges = services.privileges_of(&actor, &ids).await.map_err(core)?;
    let system_names: std::collections::HashMap<_, _> = services
        .list_systems(&actor)
        .await
        .map_err(core)?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let reaches = |id| -> Vec<String> {
        let mut names: Vec<String> = privileges
            .get(&id)
            .map(|p| {
                p.steps
                    .iter()
                    .filter_map(|s| s.system.and_then(|s| system_names.get(&s).cloned()))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.dedup();
        names
    };
    Ok(IdentitiesView {
        can_manage: services.can_manage_identities(&actor),
        nhis: nhis
            .into_iter()
            .map(|n| {
                let reaches = reaches(n.id);
                convert::nhi(n, now, reaches)
            })
            .collect(),
        people: {
            let candidates = countersign_core::Services::link_candidates(&people);
            people
                .iter()
                .map(|person| {
                    let candidate = candidates
                        .get(&person.id)
                        .map(|c| (c.id.to_string(), c.name.clone()));
                    convert::person(person.clone(), candidate)
                })
                .collect()
        },
        latest_expiry: convert::date(now + services.nhi_max_lifetime()),
        today: convert::date(now),
        paging: crate::dto_registry::PageInfo {
            total: listed.total,
            page: listed.page,
            pages: listed.pages,
        },
    })
}

/// One identity on its own page (`/identities/{id}`): owners, credentials, the steps it
/// performs and what is in force, its newest access decisions and drafts.
#[server(prefix = "/ui", endpoint = "identity")]
pub async fn load_identity(id: String) -> Result<IdentityDetailView, UiError> {
    use crate::dto_registry::{IdentityChangeView, IdentityDecisionView, IdentityStepView};
    let (services, actor) = super::adapter::request()?;
    let core = |e| UiError::from_core(e, &actor);
    let id = convert::nhi_id(&id)?;
    let detail = services.identity_detail(&actor, id).await.map_err(core)?;
    let system_names = super::effects::system_names(&services, &actor).await;
    let now = services.clock().now();
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    Ok(IdentityDetailView {
        can_manage: services.can_manage_identities(&actor),
        in_force: super::workflow_convert::in_force_lines(&detail.privilege, &system_names),
        steps: detail
            .privilege
            .steps
            .iter()
            .map(|s| IdentityStepView {
                workflow_id: s.workflow_id.to_string(),
                workflow: s.workflow.clone(),
                workflow_state: s.workflow_state.as_str().replace('_', " "),
                step: s.step.clone(),
                grant: [
                    s.system.and_then(|id| system_names.get(&id).cloned()),
                    (!s.actions.is_empty()).then(|| {
                        s.actions
                            .iter()
                            .map(|a| a.as_str().replace('_', " "))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }),
                    (!s.fields.is_empty()).then(|| {
                        format!(
                            "fields {}",
                            s.fields.iter().cloned().collect::<Vec<_>>().join(", ")
                        )
                    }),
                    (!s.purposes.is_empty()).then(|| {
                        format!(
                            "for {}",
                            s.purposes.iter().cloned().collect::<Vec<_>>().join(", ")
                        )
                    }),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
                awaiting_review: s.awaiting_review,
            })
            .collect(),
        decisions: detail
            .decisions
            .into_iter()
            .map(|d| IdentityDecisionView {
                decided: at(d.decided_at),
                workflow_id: d.workflow.to_string(),
                workflow: match (d.workflow_name, d.step_name) {
                    (Some(w), Some(s)) => format!("{w} › {s}"),
                    _ => format!("workflow {}", d.workflow),
                },
                purpose: d.purpose,
                allowed_subjects: d.allowed_subjects,
                denied_subjects: d.denied_subjects,
                fields: d.allowed_fields,
                id: d.id,
            })
            .collect(),
        changes: detail
            .changes
            .into_iter()
            .map(|c| IdentityChangeView {
                status: c.status.as_str().replace('_', " "),
                tier: c.tier,
                created: at(c.created_at),
                title: c.title,
                id: c.id,
            })
            .collect(),
        secret_issued: detail.secret_issued,
        live_tokens: detail.live_tokens,
        nhi: convert::nhi(detail.nhi, now, Vec::new()),
    })
}

// JSON, so that an empty list of owners arrives as an empty list (and is refused by the core).
#[server(prefix = "/ui", endpoint = "register_identity", input = leptos::server_fn::codec::Json)]
pub async fn register_identity(
    kind: String,
    name: String,
    purpose: String,
    model: String,
    owners: Vec<String>,
    expires_on: String,
) -> Result<ClientSecretShown, UiError> {
    use countersign_core::domain::NhiKind;
    use countersign_core::services::RegisterNhi;
    let (services, actor) = super::adapter::request()?;
    let kind = NhiKind::parse(&kind)
        .map_err(|e| crate::error::refuse(UiError::Invalid(format!("kind: {e}"))))?;
    let request = RegisterNhi {
        kind,
        name,
        purpose,
        owners: owners
            .iter()
            .map(|o| convert::human_id(o))
            .collect::<Result<_, _>>()?,
        expires_at: convert::expiry(&expires_on)?,
        model: Some(model),
    };
    let (nhi, secret) = services
        .register_nhi(&actor, request)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(ClientSecretShown {
        message: format!("{} is registered and active.", nhi.name),
        identity: nhi.name,
        client_id: nhi.id.to_string(),
        secret: secret.0,
    })
}

/// A new client secret; the old one and every token issued with it stop working.
#[server(prefix = "/ui", endpoint = "rotate_client_secret")]
pub async fn rotate_client_secret(id: String) -> Result<ClientSecretShown, UiError> {
    let (services, actor) = super::adapter::request()?;
    let (nhi, secret) = services
        .rotate_client_secret(&actor, convert::nhi_id(&id)?)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(ClientSecretShown {
        message: format!(
            "{} has a new client secret; the old one and its tokens no longer work.",
            nhi.name
        ),
        identity: nhi.name,
        client_id: nhi.id.to_string(),
        secret: secret.0,
    })
}

/// `command`: `suspend`, `reactivate` or `revoke`.
#[server(prefix = "/ui", endpoint = "change_identity_state")]
pub async fn change_identity_state(
    id: String,
    command: String,
    reason: String,
) -> Result<String, UiError> {
    use countersign_core::domain::Lifecycle;
    let (services, actor) = super::adapter::request()?;
    let command = match command.as_str() {
        "suspend" => Lifecycle::Suspend,
        "reactivate" => Lifecycle::Reactivate,
        "revoke" => Lifecycle::Revoke,
        other => {
            return Err(crate::error::refuse(UiError::Invalid(format!(
                "command: unknown `{other}`"
            ))))
        }
    };
    let nhi = services
        .change_nhi_state(&actor, convert::nhi_id(&id)?, command, &reason)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(format!("{} is now {}.", nhi.name, nhi.state))
}

#[server(prefix = "/ui", endpoint = "reassign_owners", input = leptos::server_fn::codec::Json)]
pub async fn reassign_identity_owners(
    ids: Vec<String>,
    owners: Vec<String>,
    reason: String,
) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let ids = ids
        .iter()
        .map(|i| convert::nhi_id(i))
        .collect::<Result<Vec<_>, _>>()?;
    let owners = owners
        .iter()
        .map(|o| convert::human_id(o))
        .collect::<Result<Vec<_>, _>>()?;
    let changed = services
        .reassign_owners(&actor, &ids, &owners, &reason)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(format!("Owners changed for {} identities.", changed.len()))
}

#[server(prefix = "/ui", endpoint = "pre_register_person")]
pub async fn pre_register_person(email: String, name: String) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let person = services
        .pre_register_person(&actor, &email, &name)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(format!("{} can now be named as an owner.", person.name))
}

/// Links a pre-registered person to their own sign-in (kept apart because the IdP did not
/// verify the email).
#[server(prefix = "/ui", endpoint = "link_sign_in")]
pub async fn link_sign_in(
    pre_registered: String,
    signed_in: String,
    reason: String,
) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let person = services
        .link_sign_in(
            &actor,
            convert::human_id(&pre_registered)?,
            convert::human_id(&signed_in)?,
            &reason,
        )
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(format!(
        "{} now signs in as themselves; the separate record is deactivated.",
        person.name
    ))
}

#[server(prefix = "/ui", endpoint = "set_person_active")]
pub async fn set_person_active(
    id: String,
    active: bool,
    reason: String,
) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let person = services
        .set_person_active(&actor, convert::human_id(&id)?, active, &reason)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(format!(
        "{} is now {}.",
        person.name,
        if person.is_active() {
            "active"
        } else {
            "deactivated"
        }
    ))
}
