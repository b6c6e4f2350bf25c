//! Delegation while away: one's own away periods, whom one stands in for, and for security
//! admins every delegation not over.

use crate::dto_notices::AwayView;
use crate::error::UiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn view_of(
    d: countersign_core::domain::Delegation,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::dto_notices::DelegationView {
    let when = |at: chrono::DateTime<chrono::Utc>| at.format("%a %-d %b, %H:%M UTC").to_string();
    crate::dto_notices::DelegationView {
        in_force: d.active_at(now),
        id: d.id,
        principal: d.principal_name,
        delegate: d.delegate_name,
        role: d.role.label().to_owned(),
        from: when(d.starts_at),
        until: when(d.ends_at),
        reason: d.reason,
    }
}

#[server(prefix = "/ui", endpoint = "away")]
pub async fn away() -> Result<AwayView, UiError> {
    let (services, actor) = super::adapter::request()?;
    let overview = services
        .away_overview(&actor)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let now = services.clock().now();
    Ok(AwayView {
        mine: overview.mine.into_iter().map(|d| view_of(d, now)).collect(),
        standing_in_for: overview
            .standing_in_for
            .into_iter()
            .map(|d| view_of(d, now))
            .collect(),
        candidates: overview
            .candidates
            .into_iter()
            .map(|(role, people)| crate::dto_notices::DelegableRole {
                role: role.as_str().to_owned(),
                label: role.label().to_owned(),
                people: people
                    .into_iter()
                    .map(|(id, name)| (id.to_string(), name))
                    .collect(),
            })
            .collect(),
        all: overview
            .all
            .map(|all| all.into_iter().map(|d| view_of(d, now)).collect()),
    })
}

/// `YYYY-MM-DDTHH:MM` (a datetime-local field), read as UTC.
#[cfg(feature = "ssr")]
fn instant(field: &str, raw: &str) -> Result<chrono::DateTime<chrono::Utc>, UiError> {
    chrono::NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M")
        .map(|t| t.and_utc())
        .map_err(|_| {
            crate::error::refuse(UiError::Invalid(format!(
                "{field}: `{}` is not a date and time",
                raw.chars().take(20).collect::<String>()
            )))
        })
}

/// Sets an away period with its delegate; `from` empty means now.
#[server(prefix = "/ui", endpoint = "set_away")]
pub async fn set_away(
    role: String,
    delegate: String,
    from: Option<String>,
    until: String,
    reason: String,
) -> Result<String, UiError> {
    use countersign_core::services::SetAway;
    let (services, actor) = super::adapter::request()?;
    let role = role.parse().map_err(|_| {
        crate::error::refuse(UiError::Invalid(
            "role: choose approver or legal".to_owned(),
        ))
    })?;
    let from = match from.filter(|f| !f.trim().is_empty()) {
        Some(raw) => instant("from", &raw)?,
        None => services.clock().now(),
    };
    let delegation = services
        .set_away(
            &actor,
            SetAway {
                role,
                delegate: super::adapter::parse_id("delegate", &delegate)?,
                from,
                until: instant("until", &until)?,
                reason,
            },
        )
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(format!(
        "Saved: {} stands in for you as {} until {}.",
        delegation.delegate_name,
        delegation.role.label(),
        delegation.ends_at.format("%a %-d %b, %H:%M UTC")
    ))
}

#[server(prefix = "/ui", endpoint = "end_away")]
pub async fn end_away(id: String) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    services
        .end_away(&actor, &id)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok("Ended: notices and sign-offs are yours again.".to_owned())
}
