//! Machine tokens for auditors' tools (the ledger's proof API), on the Audit page.

use crate::dto::{AuditorTokenShown, AuditorTokensView};
use crate::error::UiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn when(ms: i64) -> String {
    countersign_core::clock::from_millis(ms).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Every auditor's token and whether the signed-in person may issue them.
#[server(prefix = "/ui", endpoint = "auditor_tokens")]
pub async fn auditor_tokens() -> Result<AuditorTokensView, UiError> {
    use crate::dto::AuditorTokenView;
    use countersign_core::policy::{Action, Resource};
    let (services, actor) = super::adapter::request()?;
    let rows = services
        .auditor_tokens(&actor)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let now = services.now_ms();
    Ok(AuditorTokensView {
        tokens: rows
            .into_iter()
            .map(|row| AuditorTokenView {
                id: row.id.to_string(),
                state: if row.revoked_at_ms.is_some() {
                    "revoked"
                } else if row.expires_at_ms <= now {
                    "expired"
                } else if !row.issuer_active {
                    "issuer inactive"
                } else {
                    "active"
                }
                .to_owned(),
                name: row.name,
                issued_by: row.issued_by_name,
                issued_at: when(row.issued_at_ms),
                expires_at: when(row.expires_at_ms),
            })
            .collect(),
        can_manage: services
            .authorize(&actor, Action::ManageAuditorTokens, &Resource::Ledger)
            .is_ok(),
        max_days: countersign_core::services::MAX_AUDITOR_TOKEN_DAYS,
    })
}

/// Issues a token for an auditor's tool; it is shown once.
#[server(prefix = "/ui", endpoint = "issue_auditor_token")]
pub async fn issue_auditor_token(name: String, days: String) -> Result<AuditorTokenShown, UiError> {
    let (services, actor) = super::adapter::request()?;
    let days: i64 = days.trim().parse().map_err(|_| {
        crate::error::refuse(UiError::Invalid(format!(
            "days: `{}` is not a whole number of days",
            days.chars().take(20).collect::<String>()
        )))
    })?;
    let (row, token) = services
        .issue_auditor_token(&actor, &name, days)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(AuditorTokenShown {
        name: row.name,
        token: token.0,
        expires_at: when(row.expires_at_ms),
    })
}

/// Ends an auditor's token at once.
#[server(prefix = "/ui", endpoint = "revoke_auditor_token")]
pub async fn revoke_auditor_token(id: String) -> Result<String, UiError> {
    let (services, actor) = super::adapter::request()?;
    services
        .revoke_auditor_token(&actor, super::adapter::parse_id("id", &id)?)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok("Token revoked: it no longer works.".to_owned())
}
