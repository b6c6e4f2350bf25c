//! How reviews are done, for security admins: per reviewer, how long the change page was open
//! before the decision, whether the whole text was read and the diff opened, and which
//! approvals were faster than the content's length allows for reading.

use super::Services;
use crate::actor::Actor;
use crate::domain::{HumanId, Signoff, Verdict};
use crate::error::CoreResult;
use crate::policy::{Action, Resource};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// The most sign-offs one report reads.
pub const MAX_REPORTED_SIGNOFFS: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerSummary {
    pub name: String,
    pub signoffs: usize,
    pub approvals: usize,
    pub median_dwell_ms: i64,
    /// Percentages of this reviewer's sign-offs.
    pub read_full_percent: u8,
    pub viewed_diff_percent: u8,
    pub hasty_approvals: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HastyApproval {
    pub change_id: String,
    pub reviewer: String,
    pub role: crate::domain::Role,
    pub at: DateTime<Utc>,
    pub dwell_ms: i64,
    pub words: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewQualityReport {
    pub since: DateTime<Utc>,
    pub signoffs: usize,
    /// Reviewers with the most hasty approvals first.
    pub reviewers: Vec<ReviewerSummary>,
    /// The most recent hasty approvals.
    pub hasty: Vec<HastyApproval>,
}

fn percent(part: usize, whole: usize) -> u8 {
    (part * 100)
        .checked_div(whole)
        .map_or(0, |p| u8::try_from(p).unwrap_or(100))
}

/// Sums sign-offs (each with the number of words it signed) into the report.
pub fn summarise(since: DateTime<Utc>, signoffs: &[(Signoff, i64)]) -> ReviewQualityReport {
    let mut by_reviewer: BTreeMap<HumanId, Vec<&(Signoff, i64)>> = BTreeMap::new();
    for entry in signoffs {
        by_reviewer.entry(entry.0.signer).or_default().push(entry);
    }
    let hasty_of = |(s, words): &(Signoff, i64)| {
        s.verdict == Verdict::Approve && s.quality.is_hasty(usize::try_from(*words).unwrap_or(0))
    };
    let mut reviewers: Vec<ReviewerSummary> = by_reviewer
        .values()
        .map(|entries| {
            let mut dwell: Vec<i64> = entries.iter().map(|(s, _)| s.quality.dwell_ms).collect();
            dwell.sort_unstable();
            let n = entries.len();
            ReviewerSummary {
                name: entries[0].0.signer_name.clone(),
                signoffs: n,
                approvals: entries
                    .iter()
                    .filter(|(s, _)| s.verdict == Verdict::Approve)
                    .count(),
                median_dwell_ms: dwell.get(n / 2).copied().unwrap_or(0),
                read_full_percent: percent(
                    entries
                        .iter()
                        .filter(|(s, _)| s.quality.opened_full_content)
                        .count(),
                    n,
                ),
                viewed_diff_percent: percent(
                    entries
                        .iter()
                        .filter(|(s, _)| s.quality.viewed_diff)
                        .count(),
                    n,
                ),
                hasty_approvals: entries.iter().filter(|e| hasty_of(e)).count(),
            }
        })
        .collect();
    reviewers.sort_by(|a, b| {
        b.hasty_approvals
            .cmp(&a.hasty_approvals)
            .then_with(|| a.name.cmp(&b.name))
    });
    let hasty = signoffs
        .iter()
        .filter(|e| hasty_of(e))
        .take(50)
        .map(|(s, words)| HastyApproval {
            change_id: s.change_id.clone(),
            reviewer: s.signer_name.clone(),
            role: s.role,
            at: s.at,
            dwell_ms: s.quality.dwell_ms,
            words: *words,
        })
        .collect();
    ReviewQualityReport {
        since,
        signoffs: signoffs.len(),
        reviewers,
        hasty,
    }
}

impl Services {
    /// The review-quality report over the last `days` days (1 to 365).
    pub async fn review_quality(
        &self,
        actor: &Actor,
        days: i64,
    ) -> CoreResult<ReviewQualityReport> {
        self.authorize(actor, Action::ViewReviewQuality, &Resource::Console)?;
        let since = self.clock.now() - Duration::days(days.clamp(1, 365));
        let signoffs = self
            .store
            .recent_signoffs(crate::clock::to_millis(since), MAX_REPORTED_SIGNOFFS)
            .await?;
        Ok(summarise(since, &signoffs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Comment, ReviewQuality, Role};

    fn signoff(who: u128, name: &str, verdict: Verdict, dwell_ms: i64, full: bool) -> Signoff {
        Signoff {
            on_behalf_of: None,
            signer_active: true,
            id: format!("{who}-{dwell_ms}"),
            change_id: "c".into(),
            version: 1,
            content_hash: "h".into(),
            signer: uuid::Uuid::from_u128(who).to_string().parse().unwrap(),
            signer_name: name.into(),
            role: Role::Approver,
            verdict,
            comment: Comment::stored(String::new()),
            at: Utc::now(),
            quality: ReviewQuality::new(full, false, dwell_ms),
            event_seq: 1,
        }
    }

    #[test]
    fn fast_approvals_of_long_content_stand_out() {
        let rows = vec![
            (signoff(1, "Ann", Verdict::Approve, 3_000, false), 800),
            (signoff(1, "Ann", Verdict::Approve, 4_000, false), 900),
            (signoff(1, "Ann", Verdict::Reject, 1_000, false), 900),
            (signoff(2, "Bo", Verdict::Approve, 90_000, true), 800),
            (signoff(2, "Bo", Verdict::Approve, 60_000, true), 100),
        ];
        let report = summarise(Utc::now(), &rows);
        assert_eq!(report.signoffs, 5);
        let ann = &report.reviewers[0];
        assert_eq!(
            (ann.name.as_str(), ann.signoffs, ann.approvals),
            ("Ann", 3, 2)
        );
        assert_eq!(
            ann.hasty_approvals, 2,
            "a fast rejection is not a hasty approval"
        );
        assert_eq!(ann.median_dwell_ms, 3_000);
        assert_eq!(ann.read_full_percent, 0);
        let bo = &report.reviewers[1];
        assert_eq!((bo.hasty_approvals, bo.read_full_percent), (0, 100));
        assert_eq!(report.hasty.len(), 2);
        assert!(report.hasty.iter().all(|h| h.reviewer == "Ann"));
    }
}
