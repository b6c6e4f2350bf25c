//! The minute sweep for what time alone makes true: a change near or past its review deadline,
//! an identity about to expire, a drill gone stale, a kill switch some system has not confirmed.
//! Each fact is reported once (its key in `reported_facts`), with its ledger event and its
//! notices in one transaction; the clock is injected, so tests move time instead of waiting.

use super::admin_notices::{AdminNotice, REVOCATION_GRACE_MINUTES};
use super::Services;
use crate::actor::Actor;
use crate::domain::{ChangeRequest, ChangeStatus, NoticeKind, WorkflowState, EXPIRY_WARNING_DAYS};
use crate::error::CoreResult;
use crate::ledger::NewEvent;
use crate::store::{NhiFilter, WriteTx};
use chrono::Duration;
use serde_json::json;
use std::collections::BTreeSet;

/// The most pending changes one sweep looks at.
const CHANGES_SWEPT: i64 = 1_000;

/// What one sweep reported.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub reminders: usize,
    pub overdue: usize,
    pub expiring: usize,
    pub drills_overdue: usize,
    pub revocations_incomplete: usize,
}

impl Services {
    /// Reports each fact that became true since the last sweep.
    #[tracing::instrument(skip_all)]
    pub async fn sweep_notices(&self) -> CoreResult<SweepReport> {
        let mut report = SweepReport::default();
        let now = self.clock.now();
        let deadlines = self.settings.review_deadlines;
        let pending = self
            .store
            .changes_in_status(ChangeStatus::PendingReview, None, CHANGES_SWEPT)
            .await?;
        // A version is never older than its change: most changes are ruled out unread.
        let candidates: Vec<ChangeRequest> = pending
            .into_iter()
            .filter(|c| deadlines.remind_at(c.tier, c.created_at) <= now)
            .collect();
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        for known in candidates {
            let Some(submitted) = self
                .store
                .change_versions(&known.id)
                .await?
                .into_iter()
                .find(|v| v.version == known.current_version)
                .map(|v| v.submitted_at)
            else {
                continue;
            };
            let Some(change) = tx.change_by_id(&known.id).await? else {
                continue;
            };
            if change.status != ChangeStatus::PendingReview
                || change.current_version != known.current_version
            {
                continue;
            }
            let due = deadlines.due(change.tier, submitted);
            let (kind, action) = if now >= due {
                (NoticeKind::ReviewOverdue, "change.review_overdue")
            } else if now >= deadlines.remind_at(change.tier, submitted) {
                (NoticeKind::ReviewReminder, "change.review_reminded")
            } else {
                continue;
            };
            let key = format!(
                "{}:{}:v{}",
                kind.as_str(),
                change.id,
                change.current_version
            );
            if !tx.report_fact(&key, self.now_ms()).await? {
                continue;
            }
            let roles = self.roles_still_needed(&mut tx, &change).await?;
            let seq = tx
                .append_event(&NewEvent::new(
                    &Actor::System,
                    action,
                    format!("change:{}", change.id),
                    json!({
                        "version": change.current_version,
                        "tier": change.tier,
                        "due": due.to_rfc3339(),
                        "deadline_hours": deadlines.for_tier(change.tier).num_minutes() as f64 / 60.0,
                        "roles_still_needed": roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                    }),
                ))
                .await?;
            self.notify_review(&mut tx, &change, kind, submitted, seq)
                .await?;
            match kind {
                NoticeKind::ReviewOverdue => report.overdue += 1,
                _ => report.reminders += 1,
            }
        }
        report.expiring = self.sweep_expiring(&mut tx).await?;
        report.drills_overdue = self.sweep_drills(&mut tx).await?;
        report.revocations_incomplete = self.sweep_revocations(&mut tx).await?;
        // Every report wrote its ledger event; a sweep that found nothing writes nothing.
        if report != SweepReport::default() {
            tx.commit().await?;
            self.wake_outbox();
        }
        Ok(report)
    }

    async fn sweep_expiring(&self, tx: &mut Box<dyn WriteTx>) -> CoreResult<usize> {
        let now = self.clock.now();
        let horizon = now + Duration::days(EXPIRY_WARNING_DAYS);
        let filter = NhiFilter {
            expiring_before_ms: Some(crate::clock::to_millis(horizon)),
            ..NhiFilter::default()
        };
        let mut reported = 0;
        for nhi in self.store.nhis(&filter).await? {
            if nhi.expires_at <= now {
                continue;
            }
            let key = format!(
                "identity_expiring:{}:{}",
                nhi.id,
                crate::clock::to_millis(nhi.expires_at)
            );
            if !tx.report_fact(&key, self.now_ms()).await? {
                continue;
            }
            let seq = tx
                .append_event(&NewEvent::new(
                    &Actor::System,
                    "nhi.expiry_warned",
                    nhi.id.reference(),
                    json!({ "name": nhi.name, "expires_at": nhi.expires_at.to_rfc3339() }),
                ))
                .await?;
            self.notify_admins(
                tx,
                AdminNotice {
                    kind: NoticeKind::IdentityExpiring,
                    subject: nhi.id.reference(),
                    title: format!(
                        "{} expires on {}: extend it or let it go",
                        nhi.name,
                        nhi.expires_at.format("%a %-d %b %Y")
                    ),
                    concerning: nhi.name.clone(),
                    link: format!("/identities/{}", nhi.id),
                    dedupe_key: key,
                    due: Some(nhi.expires_at),
                    except: None,
                },
                seq,
            )
            .await?;
            reported += 1;
        }
        Ok(reported)
    }

    async fn sweep_drills(&self, tx: &mut Box<dyn WriteTx>) -> CoreResult<usize> {
        let now = self.clock.now();
        let in_use: BTreeSet<_> = self
            .store
            .workflows()
            .await?
            .iter()
            .filter(|w| w.state == WorkflowState::Active)
            .flat_map(|w| w.steps.iter().filter_map(|s| s.grant.system))
            .collect();
        let mut reported = 0;
        for drill in self.store.latest_drills().await? {
            let stale = drill.started_at + self.settings.drill_validity < now;
            if !in_use.contains(&drill.system_id) || !drill.passed || !stale {
                continue;
            }
            let key = format!("drill_overdue:{}:{}", drill.system_id, drill.id);
            if !tx.report_fact(&key, self.now_ms()).await? {
                continue;
            }
            let name = tx
                .system_by_id(drill.system_id)
                .await?
                .map(|s| s.name)
                .unwrap_or_default();
            let due = drill.started_at + self.settings.drill_validity;
            let seq = tx
                .append_event(&NewEvent::new(
                    &Actor::System,
                    "system.drill_overdue",
                    drill.system_id.reference(),
                    json!({ "last_drill": drill.started_at.to_rfc3339(), "due": due.to_rfc3339() }),
                ))
                .await?;
            self.notify_admins(
                tx,
                AdminNotice {
                    kind: NoticeKind::DrillOverdue,
                    subject: drill.system_id.reference(),
                    title: format!("The revocation drill against {name} is overdue"),
                    concerning: name,
                    link: "/systems".to_owned(),
                    dedupe_key: key,
                    due: Some(due),
                    except: None,
                },
                seq,
            )
            .await?;
            reported += 1;
        }
        Ok(reported)
    }

    async fn sweep_revocations(&self, tx: &mut Box<dyn WriteTx>) -> CoreResult<usize> {
        let before = self.now_ms() - REVOCATION_GRACE_MINUTES * 60_000;
        let mut reported = 0;
        for (id, workflow, requested_at_ms) in tx.incomplete_revocations(before).await? {
            let key = format!("revocation_incomplete:{id}");
            if !tx.report_fact(&key, self.now_ms()).await? {
                continue;
            }
            let Ok(workflow_id) = workflow.parse::<crate::domain::WorkflowId>() else {
                continue;
            };
            let name = tx
                .workflow_by_id(workflow_id)
                .await?
                .map(|w| w.name)
                .unwrap_or_default();
            let unconfirmed = tx.unconfirmed_revoke_calls(&id).await?;
            let seq = tx
                .append_event(&NewEvent::new(
                    &Actor::System,
                    "workflow.revocation_incomplete",
                    workflow_id.reference(),
                    json!({
                        "revocation": id,
                        "requested_at": crate::clock::from_millis(requested_at_ms).to_rfc3339(),
                        "unconfirmed_systems": unconfirmed,
                    }),
                ))
                .await?;
            self.notify_admins(
                tx,
                AdminNotice {
                    kind: NoticeKind::RevocationIncomplete,
                    subject: workflow_id.reference(),
                    title: format!(
                        "The kill switch on “{name}” is not confirmed by {unconfirmed} system{}",
                        if unconfirmed == 1 { "" } else { "s" }
                    ),
                    concerning: name,
                    link: "/deliveries".to_owned(),
                    dedupe_key: key,
                    due: None,
                    except: None,
                },
                seq,
            )
            .await?;
            reported += 1;
        }
        Ok(reported)
    }
}
