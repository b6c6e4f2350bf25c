//! The notices a change sends as it moves: to the roles it still needs when a version waits for
//! sign-off, and to its drafting identity's owners when it is approved, rejected, sent back,
//! published, fails to publish or is rolled back. Called inside the transaction of the event.

use super::Services;
use crate::domain::{ChangeRequest, ChangeStatus, Notice, NoticeKind, Role};
use crate::error::CoreResult;
use crate::store::WriteTx;

impl Services {
    /// When a change waiting for sign-off is due (its tier's deadline from its current
    /// version); `None` once it no longer waits. A pending change's `updated_at` is when its
    /// current version arrived: nothing else moves it while it stays pending.
    pub fn review_due(&self, change: &ChangeRequest) -> Option<chrono::DateTime<chrono::Utc>> {
        (change.status == ChangeStatus::PendingReview).then(|| {
            self.settings
                .review_deadlines
                .due(change.tier, change.updated_at)
        })
    }

    /// "For: the workflow, drafted by the identity".
    async fn concerning(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change: &ChangeRequest,
    ) -> CoreResult<String> {
        let workflow = tx
            .workflow_by_id(change.workflow)
            .await?
            .map(|w| w.name)
            .unwrap_or_else(|| "an unknown workflow".to_owned());
        let drafter = tx
            .nhi_by_id(change.nhi)
            .await?
            .map(|n| n.name)
            .unwrap_or_else(|| "an unknown identity".to_owned());
        Ok(format!("{workflow}, drafted by {drafter}"))
    }

    /// The roles the change's tier needs that its standing approvals do not yet fill.
    pub(super) async fn roles_still_needed(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change: &ChangeRequest,
    ) -> CoreResult<Vec<Role>> {
        let signoffs = tx.signoffs_in_tx(&change.id).await?;
        let quorum = crate::domain::Quorum::count(
            &self.signoff_rule(change),
            &signoffs,
            &change.current_hash,
            self.clock.now(),
            self.settings.signoff_lifetime,
        );
        Ok(quorum
            .roles
            .iter()
            .filter(|p| !p.met())
            .map(|p| p.role)
            .collect())
    }

    /// A version waits for sign-off (`kind` is a first notice, a reminder or the overdue
    /// escalation): the people in the roles still needed hear it, except those separation of
    /// duties keeps from signing.
    pub(super) async fn notify_review(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change: &ChangeRequest,
        kind: NoticeKind,
        submitted: chrono::DateTime<chrono::Utc>,
        event_seq: i64,
    ) -> CoreResult<usize> {
        let roles = self.roles_still_needed(tx, change).await?;
        if roles.is_empty() {
            return Ok(0);
        }
        let (excluded, _, _) = self.duty_facts_in_tx(tx, change).await?;
        let due = self.settings.review_deadlines.due(change.tier, submitted);
        let names: Vec<&str> = roles.iter().map(|r| r.label()).collect();
        let title = match kind {
            NoticeKind::ReviewReminder => format!(
                "Reminder: “{}” still waits for a sign-off ({})",
                change.title,
                names.join(", ")
            ),
            NoticeKind::ReviewOverdue => format!(
                "Overdue: “{}” passed its review deadline without a sign-off ({})",
                change.title,
                names.join(", ")
            ),
            _ => format!(
                "“{}” (version {}) waits for a sign-off ({})",
                change.title,
                change.current_version,
                names.join(", ")
            ),
        };
        let notice = Notice {
            kind,
            subject: format!("change:{}", change.id),
            title,
            concerning: self.concerning(tx, change).await?,
            due: Some(due),
            link: format!("/changes/{}", change.id),
            dedupe_key: format!(
                "{}:{}:v{}",
                kind.as_str(),
                change.id,
                change.current_version
            ),
            roles,
            drafter: None,
            // Those kept from signing are not asked to sign; an escalation to security admins
            // reaches them all.
            exclude: if kind.audience() == crate::domain::AudienceKind::NeededReviewers {
                excluded.iter().map(|e| e.person).collect()
            } else {
                Vec::new()
            },
        };
        self.notify(tx, &notice, event_seq).await
    }

    /// The change moved to `status`: its drafting identity's owners hear how it went.
    pub(super) async fn notify_outcome(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change: &ChangeRequest,
        status: ChangeStatus,
        detail: Option<&str>,
        event_seq: i64,
    ) -> CoreResult<usize> {
        let Some(kind) = super::notifications::kind_for_status(status) else {
            return Ok(0);
        };
        let what = match status {
            ChangeStatus::Approved => "was approved and is being published",
            ChangeStatus::Rejected => "was rejected",
            ChangeStatus::ChangesRequested => "was sent back for changes",
            ChangeStatus::Published => "was published",
            ChangeStatus::PublishFailed => "failed to publish",
            _ => "was rolled back",
        };
        let mut title = format!("“{}” {what}", change.title);
        if let Some(detail) = detail.filter(|d| !d.is_empty()) {
            let short: String = detail.chars().take(200).collect();
            title.push_str(&format!(": {short}"));
        }
        let notice = Notice {
            kind,
            subject: format!("change:{}", change.id),
            title,
            concerning: self.concerning(tx, change).await?,
            due: None,
            link: format!("/changes/{}", change.id),
            dedupe_key: format!("{}:{}:{event_seq}", kind.as_str(), change.id),
            roles: Vec::new(),
            drafter: Some(change.nhi),
            exclude: Vec::new(),
        };
        self.notify(tx, &notice, event_seq).await
    }
}
