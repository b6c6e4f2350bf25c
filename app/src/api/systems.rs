//! Server functions for connected systems.

use crate::dto::{SecretShown, SystemsView};
use crate::error::UiError;
use leptos::prelude::*;

/// Every connected system, or only those `workflow`'s steps use (on its own page).
#[server(prefix = "/ui", endpoint = "systems")]
pub async fn load_systems(workflow: Option<String>) -> Result<SystemsView, UiError> {
    use crate::dto::{DrillView, FieldView, SystemView};
    let (services, actor) = super::adapter::request()?;
    // A workflow's page shows only the systems its steps use.
    let systems = match workflow {
        Some(id) => {
            services
                .systems_used_by(&actor, super::adapter::parse_id("workflow", &id)?)
                .await
        }
        None => services.list_systems(&actor).await,
    }
    .map_err(|e| UiError::from_core(e, &actor))?;
    let drills = services
        .latest_drills(&actor)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let drill_of = |id| {
        drills
            .iter()
            .find(|d| d.system_id == id)
            .map(|d| DrillView {
                passed: d.passed,
                at: d.started_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                duration_ms: d.duration_ms,
                detail: if d.passed {
                    d.receipt
                        .as_deref()
                        .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
                        .and_then(|r| r["receipt_id"].as_str().map(|id| format!("receipt {id}")))
                        .unwrap_or_default()
                } else {
                    d.error.clone().unwrap_or_default()
                },
            })
    };
    let mut hosts = Vec::with_capacity(systems.len());
    for system in &systems {
        hosts.push(
            services
                .content_hosts(&actor, system.id)
                .await
                .map_err(|e| UiError::from_core(e, &actor))?
                .hosts()
                .to_vec(),
        );
    }
    Ok(SystemsView {
        can_manage: services.can_manage_systems(&actor),
        systems: systems
            .into_iter()
            .zip(hosts)
            .map(|(s, content_hosts)| SystemView {
                content_hosts,
                last_drill: drill_of(s.id),
                id: s.id.to_string(),
                kind: s.kind.as_str().to_owned(),
                base_url: s.base_url,
                fields: s
                    .fields
                    .into_iter()
                    .map(|f| FieldView {
                        name: f.name,
                        category: f.category.as_str().to_owned(),
                    })
                    .collect(),
                secret_version: s.secret_version,
                created_on: s.created_at.format("%Y-%m-%d").to_string(),
                name: s.name,
            })
            .collect(),
    })
}

#[server(prefix = "/ui", endpoint = "register_system")]
pub async fn register_system(
    name: String,
    kind: String,
    base_url: String,
    fields: String,
) -> Result<SecretShown, UiError> {
    use countersign_core::services::RegisterSystem;
    let (services, actor) = super::adapter::request()?;
    let (system, secret) = services
        .register_system(
            &actor,
            RegisterSystem {
                name,
                kind,
                base_url,
                fields,
            },
        )
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(SecretShown {
        system: system.name,
        secret: secret.0,
        version: system.secret_version,
    })
}

#[server(prefix = "/ui", endpoint = "rotate_system_secret")]
pub async fn rotate_system_secret(id: String, reason: String) -> Result<SecretShown, UiError> {
    let (services, actor) = super::adapter::request()?;
    let id = super::adapter::parse_id("system", &id)?;
    let (system, secret) = services
        .rotate_system_secret(&actor, id, &reason)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(SecretShown {
        system: system.name,
        secret: secret.0,
        version: system.secret_version,
    })
}

/// Runs a revocation drill (a signed dry-run revoke call) against a system now.
#[server(prefix = "/ui", endpoint = "run_drill")]
pub async fn run_drill(id: String) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    let id = super::adapter::parse_id("system", &id)?;
    let drill = services
        .run_revocation_drill(&actor, id)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(if drill.passed {
        format!("Drill passed in {} ms.", drill.duration_ms)
    } else {
        format!(
            "Drill failed after {} ms: {}",
            drill.duration_ms,
            drill.error.unwrap_or_default()
        )
    })
}

/// Replaces the hosts content for a system may link to and load images from; answers the list
/// as saved.
#[server(prefix = "/ui", endpoint = "set_content_hosts")]
pub async fn set_content_hosts(id: String, hosts: String) -> Result<Vec<String>, UiError> {
    let (services, actor) = super::adapter::request()?;
    let id = super::adapter::parse_id("system", &id)?;
    let hosts = services
        .set_content_hosts(&actor, id, &hosts)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(hosts.hosts().to_vec())
}
