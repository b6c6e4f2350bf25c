//! What an agent may do with its own changes besides drafting them: list them, and withdraw one
//! nobody has finished reviewing. Both are open only to the identity that drafted the change,
//! in the step it drafted it, and withdrawal only while drafting there is still allowed.

use super::{Services, TokenPrincipal};
use crate::domain::{ChangeStatus, Reason};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// The most changes one page lists.
pub const MAX_CHANGES_LISTED: i64 = 100;

/// One of the agent's changes, as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DraftedChange {
    pub change_id: String,
    pub title: String,
    pub status: String,
    pub version: i64,
    pub open_claims: i64,
    pub has_rollback_plan: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page of the agent's changes, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DraftedChanges {
    pub changes: Vec<DraftedChange>,
    /// Pass as `before` for the next page; absent on the last one.
    pub next: Option<String>,
}

/// `<created_at ms>_<change id>`: where a page ended.
fn parse_cursor(raw: &str) -> CoreResult<(i64, String)> {
    raw.split_once('_')
        .and_then(|(at, id)| Some((at.parse().ok()?, id)))
        .filter(|(_, id)| !id.is_empty() && id.len() <= 64)
        .map(|(at, id)| (at, id.to_owned()))
        .ok_or_else(|| CoreError::invalid("before", "not a cursor this list returned"))
}

impl Services {
    /// `GET /api/v1/changes`: the changes this identity drafted in its token's step.
    pub async fn changes_drafted(
        &self,
        principal: &TokenPrincipal,
        status: Option<&str>,
        before: Option<&str>,
        limit: Option<i64>,
    ) -> CoreResult<DraftedChanges> {
        let status = status
            .filter(|s| !s.is_empty())
            .map(|raw| {
                ChangeStatus::parse(raw).ok_or_else(|| {
                    CoreError::invalid(
                        "status",
                        format!(
                            "expected one of {}",
                            ChangeStatus::ALL.map(|s| s.as_str()).join(", ")
                        ),
                    )
                })
            })
            .transpose()?;
        let limit = limit.unwrap_or(20);
        if !(1..=MAX_CHANGES_LISTED).contains(&limit) {
            return Err(CoreError::invalid(
                "limit",
                format!("1 to {MAX_CHANGES_LISTED}"),
            ));
        }
        let before = before
            .filter(|b| !b.is_empty())
            .map(parse_cursor)
            .transpose()?;
        let mut rows = self
            .store
            .changes_drafted_by(
                principal.nhi.id,
                principal.step.id,
                status,
                before,
                limit + 1,
            )
            .await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = more
            .then(|| rows.last())
            .flatten()
            .map(|c| format!("{}_{}", crate::clock::to_millis(c.created_at), c.id));
        Ok(DraftedChanges {
            changes: rows
                .into_iter()
                .map(|c| DraftedChange {
                    change_id: c.id,
                    title: c.title,
                    status: c.status.as_str().to_owned(),
                    version: c.current_version,
                    open_claims: c.open_claims,
                    has_rollback_plan: c.has_rollback_plan,
                    created_at: c.created_at,
                    updated_at: c.updated_at,
                })
                .collect(),
            next,
        })
    }

    /// `POST /api/v1/changes/{id}/withdraw`: the drafting identity takes back a change still in
    /// review; it leaves every queue and can no longer be approved or revised.
    #[tracing::instrument(skip_all, fields(nhi = %principal.nhi.id, change = id))]
    pub async fn withdraw_draft(
        &self,
        principal: &TokenPrincipal,
        id: &str,
        reason: &str,
    ) -> CoreResult<()> {
        let reason =
            Reason::parse(reason).map_err(|e| CoreError::invalid("reason", e.to_string()))?;
        let known = self.own_change(principal, id).await?;
        // Taking a draft back is part of the right to draft here, and ends with it.
        self.may_draft(principal, &known.purpose)?;
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let change = tx
            .change_by_id(id)
            .await?
            .ok_or(CoreError::NotFound("change"))?;
        if !change.status.accepts_versions() {
            return Err(CoreError::Conflict(format!(
                "a change that is {} can no longer be withdrawn",
                change.status.as_str().replace('_', " ")
            )));
        }
        self.recheck_drafting_in_tx(&mut tx, principal, &change.purpose)
            .await?;
        tx.set_change_status(id, ChangeStatus::Cancelled, self.now_ms())
            .await?;
        tx.append_event(&NewEvent::new(
            &principal.actor,
            "change.withdrawn",
            format!("change:{id}"),
            json!({
                "reason": reason.as_str(),
                "version": change.current_version,
                "content_hash": change.current_hash,
                "previous_status": change.status.as_str(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
