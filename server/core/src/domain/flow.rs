//! Review latency: how long changes take from draft to their first sign-off, to approval and to
//! publication, as percentiles per tier, per workflow and per week — the cost of governance a
//! customer sees, and where templates would help.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

/// One change as the flow report needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRow {
    pub workflow: super::WorkflowId,
    pub tier: i64,
    pub created_at: DateTime<Utc>,
    pub first_signoff_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    /// Approved by policy under a template.
    pub pre_approved: bool,
    /// Waiting for people now (pending review or sent back).
    pub waiting: bool,
}

/// The stages a change goes through, each timed from its draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    FirstSignoff,
    Approval,
    Publication,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::FirstSignoff, Stage::Approval, Stage::Publication];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::FirstSignoff => "first_signoff",
            Stage::Approval => "approval",
            Stage::Publication => "publication",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::FirstSignoff => "to first sign-off",
            Stage::Approval => "to approval",
            Stage::Publication => "to publication",
        }
    }

    fn of(self, row: &FlowRow) -> Option<Duration> {
        let at = match self {
            Stage::FirstSignoff => row.first_signoff_at,
            Stage::Approval => row.approved_at,
            Stage::Publication => row.published_at,
        }?;
        Some((at - row.created_at).max(Duration::zero()))
    }
}

/// Percentiles of one stage over a group of changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Latency {
    /// Changes that reached the stage.
    pub count: usize,
    pub p50: Option<Duration>,
    pub p95: Option<Duration>,
}

/// Nearest-rank percentile of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn latency(rows: &[&FlowRow], stage: Stage) -> Latency {
    let mut times: Vec<Duration> = rows.iter().filter_map(|r| stage.of(r)).collect();
    times.sort();
    Latency {
        count: times.len(),
        p50: percentile(&times, 0.50),
        p95: percentile(&times, 0.95),
    }
}

/// Every stage's latency over one group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupFlow {
    pub drafted: usize,
    pub pre_approved: usize,
    /// Reviewed by people (every change not approved by policy), by stage.
    pub reviewed: [Latency; 3],
}

impl GroupFlow {
    fn of(rows: &[&FlowRow]) -> Self {
        let people: Vec<&FlowRow> = rows.iter().copied().filter(|r| !r.pre_approved).collect();
        Self {
            drafted: rows.len(),
            pre_approved: rows.len() - people.len(),
            reviewed: Stage::ALL.map(|stage| latency(&people, stage)),
        }
    }

    pub fn stage(&self, stage: Stage) -> Latency {
        self.reviewed[stage as usize]
    }
}

/// The flow of changes drafted since a date.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlowReport {
    pub since: Option<DateTime<Utc>>,
    pub overall: GroupFlow,
    pub by_tier: Vec<(i64, GroupFlow)>,
    pub by_workflow: Vec<(super::WorkflowId, GroupFlow)>,
    /// Weeks (Monday, UTC) newest first.
    pub by_week: Vec<(NaiveDate, GroupFlow)>,
    /// Pre-approved changes: time from draft to publication.
    pub pre_approved_publication: Latency,
    pub waiting: usize,
    pub oldest_waiting_since: Option<DateTime<Utc>>,
}

fn week_of(at: DateTime<Utc>) -> NaiveDate {
    let day = at.date_naive();
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// The report over `rows` (changes drafted since `since`); `waiting` counts every change waiting
/// now, whenever drafted, and is passed in with the oldest.
pub fn flow_report(
    rows: &[FlowRow],
    since: DateTime<Utc>,
    waiting: usize,
    oldest_waiting_since: Option<DateTime<Utc>>,
) -> FlowReport {
    let all: Vec<&FlowRow> = rows.iter().collect();
    let group = |key: &dyn Fn(&FlowRow) -> bool| -> GroupFlow {
        let rows: Vec<&FlowRow> = all.iter().copied().filter(|r| key(r)).collect();
        GroupFlow::of(&rows)
    };
    let mut tiers: Vec<i64> = rows.iter().map(|r| r.tier).collect();
    tiers.sort_unstable();
    tiers.dedup();
    let mut workflows: Vec<super::WorkflowId> = rows.iter().map(|r| r.workflow).collect();
    workflows.sort();
    workflows.dedup();
    let mut weeks: Vec<NaiveDate> = rows.iter().map(|r| week_of(r.created_at)).collect();
    weeks.sort_unstable_by(|a, b| b.cmp(a));
    weeks.dedup();
    let pre: Vec<&FlowRow> = all.iter().copied().filter(|r| r.pre_approved).collect();
    FlowReport {
        since: Some(since),
        overall: GroupFlow::of(&all),
        by_tier: tiers
            .into_iter()
            .map(|t| (t, group(&|r| r.tier == t)))
            .collect(),
        by_workflow: workflows
            .into_iter()
            .map(|w| (w, group(&|r| r.workflow == w)))
            .collect(),
        by_week: weeks
            .into_iter()
            .map(|w| (w, group(&|r| week_of(r.created_at) == w)))
            .collect(),
        pre_approved_publication: latency(&pre, Stage::Publication),
        waiting,
        oldest_waiting_since,
    }
}

/// "42 s", "3 min", "5.2 h", "2.1 d".
pub fn human_duration(d: Duration) -> String {
    let s = d.num_seconds();
    if s < 90 {
        format!("{s} s")
    } else if s < 90 * 60 {
        format!("{} min", (s as f64 / 60.0).round())
    } else if s < 36 * 3600 {
        format!("{:.1} h", s as f64 / 3600.0)
    } else {
        format!("{:.1} d", s as f64 / 86_400.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::domain::WorkflowId;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::hours(hours)
    }

    fn row(
        w: WorkflowId,
        tier: i64,
        created: i64,
        signed: Option<i64>,
        approved: Option<i64>,
        published: Option<i64>,
    ) -> FlowRow {
        FlowRow {
            workflow: w,
            tier,
            created_at: at(created),
            first_signoff_at: signed.map(at),
            approved_at: approved.map(at),
            published_at: published.map(at),
            pre_approved: false,
            waiting: approved.is_none(),
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let d: Vec<Duration> = (1..=20).map(Duration::hours).collect();
        assert_eq!(percentile(&d, 0.5), Some(Duration::hours(10)));
        assert_eq!(percentile(&d, 0.95), Some(Duration::hours(19)));
        assert_eq!(percentile(&d[..1], 0.95), Some(Duration::hours(1)));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn the_report_groups_by_tier_workflow_and_week_and_keeps_templates_apart() {
        let (a, b) = (WorkflowId::new(), WorkflowId::new());
        let mut rows = vec![
            row(a, 2, 0, Some(2), Some(4), Some(5)),
            row(a, 2, 1, Some(2), Some(9), Some(10)),
            row(b, 1, 0, Some(1), Some(1), None),
            row(b, 1, 200, None, None, None),
        ];
        let mut templated = row(a, 2, 3, None, Some(3), Some(3));
        templated.pre_approved = true;
        rows.push(templated);
        let report = flow_report(&rows, at(-24), 1, Some(at(200)));
        assert_eq!(
            (report.overall.drafted, report.overall.pre_approved),
            (5, 1)
        );
        let approval = report.overall.stage(Stage::Approval);
        assert_eq!(approval.count, 3, "people's approvals only");
        assert_eq!(approval.p50, Some(Duration::hours(4)));
        assert_eq!(approval.p95, Some(Duration::hours(8)));
        assert_eq!(report.by_tier.len(), 2);
        let tier2 = &report.by_tier[1].1;
        assert_eq!(
            tier2.stage(Stage::FirstSignoff).p50,
            Some(Duration::hours(1))
        );
        assert_eq!(report.by_workflow.len(), 2);
        assert_eq!(
            report.by_week.len(),
            2,
            "the last change is in the next week"
        );
        assert!(
            report.by_week[0].0 > report.by_week[1].0,
            "newest week first"
        );
        assert_eq!(report.pre_approved_publication.p50, Some(Duration::zero()));
        assert_eq!(human_duration(Duration::seconds(42)), "42 s");
        assert_eq!(human_duration(Duration::hours(5)), "5.0 h");
        assert_eq!(human_duration(Duration::days(3)), "3.0 d");
    }
}
