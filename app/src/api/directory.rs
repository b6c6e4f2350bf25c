//! The Directory sync page's server functions: thin adapters over the core's directory
//! commands (security admins only; the core decides).

use crate::dto_directory::{DirectoryTokenShown, DirectoryView};
use crate::error::UiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn when(ms: i64) -> String {
    countersign_core::clock::from_millis(ms)
        .format("%Y-%m-%d %H:%M UTC")
        .to_string()
}

/// Everything the Directory sync page shows.
#[server(prefix = "/ui", endpoint = "directory")]
pub async fn directory() -> Result<DirectoryView, UiError> {
    use crate::dto_directory::{
        DirectoryChangeView, DirectoryTokenView, OrphanView, OutsidePersonView,
    };
    let (services, actor) = super::adapter::request()?;
    let overview = services
        .directory_overview(&actor)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let what = |action: &str| {
        match action {
            "directory.user_provisioned" => "Provisioned",
            "directory.user_updated" => "Updated",
            "directory.user_deactivated" => "Deactivated",
            "directory.user_reactivated" => "Reactivated",
            "directory.user_deleted" => "Deleted",
            "directory.group_provisioned" => "Group created",
            "directory.group_changed" | "directory.group_replaced" => "Group changed",
            "directory.group_deleted" => "Group deleted",
            "directory.token_created" => "Token created",
            "directory.token_rotated" => "Token rotated",
            "directory.token_revoked" => "Token revoked",
            "directory.token_refused" => "Old token refused",
            _ => "Changed",
        }
        .to_owned()
    };
    Ok(DirectoryView {
        scim_url: overview.scim_url,
        tokens: overview
            .tokens
            .into_iter()
            .map(|t| DirectoryTokenView {
                id: t.id.to_string(),
                state: match (t.revoked_at_ms, &t.replaced_by, t.creator_active) {
                    (Some(_), Some(_), _) => "rotated",
                    (Some(_), None, _) => "revoked",
                    (None, _, false) => "active (its creator has left: consider rotating it)",
                    (None, _, true) => "active",
                }
                .to_owned(),
                name: t.name,
                created_by: t.created_by_name,
                created_at: when(t.created_at_ms),
                last_used: t.last_used_at_ms.map_or_else(|| "never".to_owned(), when),
            })
            .collect(),
        users: overview.users,
        active_users: overview.active_users,
        groups: overview.groups,
        last_sync: overview.last_sync_at_ms.map(when),
        changes: overview
            .changes
            .into_iter()
            .map(|c| DirectoryChangeView {
                at: when(c.at_ms),
                departure: matches!(
                    c.action.as_str(),
                    "directory.user_deactivated" | "directory.user_deleted"
                ),
                what: what(&c.action),
                about: c.about,
                effects: c.effects,
            })
            .collect(),
        orphaned: overview
            .orphaned
            .into_iter()
            .map(|n| OrphanView {
                id: n.id.to_string(),
                kind: n.kind.as_str().replace('_', " "),
                name: n.name,
            })
            .collect(),
        outside: overview
            .outside
            .into_iter()
            .map(|h| OutsidePersonView {
                status: if h.is_active() {
                    "active"
                } else {
                    "deactivated"
                }
                .to_owned(),
                name: h.name,
                email: h.email,
            })
            .collect(),
    })
}

/// Creates a token for a directory; it is shown once.
#[server(prefix = "/ui", endpoint = "create_directory_token")]
pub async fn create_directory_token(name: String) -> Result<DirectoryTokenShown, UiError> {
    let (services, actor) = super::adapter::request()?;
    let (row, token) = services
        .create_directory_token(&actor, &name)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(DirectoryTokenShown {
        name: row.name,
        token: token.0,
        scim_url: scim_url(&services),
        rotated: false,
    })
}

#[cfg(feature = "ssr")]
fn scim_url(services: &countersign_core::Services) -> String {
    format!(
        "{}/scim/v2",
        services.settings().public_url.trim_end_matches('/')
    )
}

/// Replaces a token with a new one; the old one stops at once.
#[server(prefix = "/ui", endpoint = "rotate_directory_token")]
pub async fn rotate_directory_token(id: String) -> Result<DirectoryTokenShown, UiError> {
    let (services, actor) = super::adapter::request()?;
    let (row, token) = services
        .rotate_directory_token(&actor, super::adapter::parse_id("id", &id)?)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(DirectoryTokenShown {
        name: row.name,
        token: token.0,
        scim_url: scim_url(&services),
        rotated: true,
    })
}

/// Ends a token at once.
#[server(prefix = "/ui", endpoint = "revoke_directory_token")]
pub async fn revoke_directory_token(id: String) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    services
        .revoke_directory_token(&actor, super::adapter::parse_id("id", &id)?)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok("Token revoked: the directory can no longer provision with it.".to_owned())
}
