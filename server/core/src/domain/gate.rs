//! The approval gate's arithmetic: which sign-offs still stand (bound to the current content,
//! not expired), and whether they meet the tier's quorum — AND across the required roles, M of N
//! within a role, each person counted once. Who may sign at all (roles, separation of duties) is
//! Cedar's question; this module only counts.

use super::{HumanId, Role, SignoffRule};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The longest comment a sign-off or a claim review takes.
pub const MAX_COMMENT: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    #[error("unknown decision `{0}` (expected approve, reject or request_changes)")]
    UnknownVerdict(String),
    #[error("a comment is required to {0}")]
    CommentRequired(&'static str),
    #[error("the comment is longer than {MAX_COMMENT} characters")]
    CommentTooLong,
}

/// What a reviewer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Reject,
    RequestChanges,
}

impl Verdict {
    pub const ALL: [Verdict; 3] = [Verdict::Approve, Verdict::Reject, Verdict::RequestChanges];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Reject => "reject",
            Verdict::RequestChanges => "request_changes",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Approve => "Approved",
            Verdict::Reject => "Rejected",
            Verdict::RequestChanges => "Requested changes",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, GateError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == raw)
            .ok_or_else(|| GateError::UnknownVerdict(raw.chars().take(30).collect()))
    }
}

/// A reviewer's comment: trimmed, bounded, and required to reject or to request changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment(String);

impl Comment {
    pub fn for_verdict(raw: &str, verdict: Verdict) -> Result<Self, GateError> {
        let text = raw.trim();
        if text.chars().count() > MAX_COMMENT {
            return Err(GateError::CommentTooLong);
        }
        if text.is_empty() {
            match verdict {
                Verdict::Reject => return Err(GateError::CommentRequired("reject")),
                Verdict::RequestChanges => {
                    return Err(GateError::CommentRequired("request changes"))
                }
                Verdict::Approve => {}
            }
        }
        Ok(Self(text.to_owned()))
    }

    /// A comment read back from the store, already checked when it was written.
    pub fn stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the console served one reviewer of one version: when they first opened it, and when
/// the whole text and the diff were sent to them (milliseconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewView {
    pub first_view_ms: i64,
    pub full_text_ms: Option<i64>,
    pub diff_ms: Option<i64>,
}

/// Which part of a change the console served a reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// The page (the text too, when it fits the page whole).
    Page { whole_text: bool },
    /// The rest of the text, asked for by the reviewer.
    FullText,
    /// What changed since the previous version.
    Diff,
}

impl ReviewView {
    /// The figures a sign-off at `now_ms` records: measured by the server from what it served,
    /// never from numbers the browser sends.
    pub fn quality(view: Option<&ReviewView>, now_ms: i64) -> ReviewQuality {
        match view {
            None => ReviewQuality::default(),
            Some(v) => ReviewQuality::new(
                v.full_text_ms.is_some(),
                v.diff_ms.is_some(),
                now_ms - v.first_view_ms,
            ),
        }
    }
}

/// How the reviewer looked at the change before deciding, as the console measured it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewQuality {
    /// The whole content was served to the reviewer (in the page, or when they asked for it).
    pub opened_full_content: bool,
    /// The diff against the previous version was served to the reviewer.
    pub viewed_diff: bool,
    /// From the first time the console served this version to the reviewer to the decision.
    pub dwell_ms: i64,
}

impl ReviewQuality {
    /// The longest dwell recorded: a tab left open for a day says nothing more than an hour.
    pub const MAX_DWELL_MS: i64 = 3_600_000;

    pub fn new(opened_full_content: bool, viewed_diff: bool, dwell_ms: i64) -> Self {
        Self {
            opened_full_content,
            viewed_diff,
            dwell_ms: dwell_ms.clamp(0, Self::MAX_DWELL_MS),
        }
    }

    /// An approval faster than a quick reader could read the content: about 25 words a second,
    /// never less than five seconds. Shown to security admins; it blocks nothing.
    pub fn is_hasty(&self, words: usize) -> bool {
        let floor_ms = ((words as i64) * 40).max(5_000);
        self.dwell_ms < floor_ms
    }
}

/// One immutable sign-off row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signoff {
    pub id: String,
    pub change_id: String,
    pub version: i64,
    /// The exact content signed.
    pub content_hash: String,
    pub signer: HumanId,
    pub signer_name: String,
    pub role: Role,
    pub verdict: Verdict,
    pub comment: Comment,
    pub at: DateTime<Utc>,
    pub quality: ReviewQuality,
    /// The ledger event recording it.
    pub event_seq: i64,
    /// The away reviewer the signer stood in for, with their name ("Kim for Dana").
    #[serde(default)]
    pub on_behalf_of: Option<(HumanId, String)>,
    /// Whether the signer is an active person now: a leaver's sign-offs stop counting.
    #[serde(default = "active")]
    pub signer_active: bool,
}

fn active() -> bool {
    true
}

/// Whether a sign-off still counts toward the quorum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignoffStanding {
    Stands,
    /// The content it signed was replaced by a new version.
    Voided,
    /// Older than the configured sign-off lifetime.
    Expired,
    /// The signer has left (deactivated by the directory or a security admin).
    SignerLeft,
}

impl SignoffStanding {
    pub fn label(self) -> &'static str {
        match self {
            SignoffStanding::Stands => "stands",
            SignoffStanding::Voided => "voided by a new version",
            SignoffStanding::Expired => "expired",
            SignoffStanding::SignerLeft => "signer no longer active",
        }
    }
}

impl Signoff {
    pub fn standing(
        &self,
        current_hash: &str,
        now: DateTime<Utc>,
        lifetime: Duration,
    ) -> SignoffStanding {
        if self.content_hash != current_hash {
            SignoffStanding::Voided
        } else if self.at + lifetime <= now {
            SignoffStanding::Expired
        } else if !self.signer_active {
            SignoffStanding::SignerLeft
        } else {
            SignoffStanding::Stands
        }
    }
}

/// One required role's progress toward the quorum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleProgress {
    pub role: Role,
    pub need: u8,
    /// The people whose standing approvals count for this role.
    pub approvals: Vec<HumanId>,
}

impl RoleProgress {
    pub fn met(&self) -> bool {
        self.approvals.len() >= usize::from(self.need)
    }
}

/// Where a change stands against its tier's rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quorum {
    pub roles: Vec<RoleProgress>,
}

impl Quorum {
    /// Counts the standing approvals of the current content. A person counts once, for the role
    /// they signed as; a second standing approval by the same person (it cannot be written, but
    /// the count does not rely on that) adds nothing.
    pub fn count(
        rule: &SignoffRule,
        signoffs: &[Signoff],
        current_hash: &str,
        now: DateTime<Utc>,
        lifetime: Duration,
    ) -> Self {
        let mut counted: BTreeSet<HumanId> = BTreeSet::new();
        let mut roles: Vec<RoleProgress> = rule
            .required()
            .map(|(role, need)| RoleProgress {
                role,
                need,
                approvals: Vec::new(),
            })
            .collect();
        for signoff in signoffs {
            if signoff.verdict != Verdict::Approve
                || signoff.standing(current_hash, now, lifetime) != SignoffStanding::Stands
                || counted.contains(&signoff.signer)
            {
                continue;
            }
            if let Some(progress) = roles.iter_mut().find(|p| p.role == signoff.role) {
                progress.approvals.push(signoff.signer);
                counted.insert(signoff.signer);
            }
        }
        Self { roles }
    }

    pub fn met(&self) -> bool {
        self.roles.iter().all(RoleProgress::met)
    }

    /// Approvals counted, and approvals needed, over all roles: the queue's "have/need" badge.
    pub fn have_need(&self) -> (usize, usize) {
        let have = self
            .roles
            .iter()
            .map(|p| p.approvals.len().min(usize::from(p.need)))
            .sum();
        let need = self.roles.iter().map(|p| usize::from(p.need)).sum();
        (have, need)
    }
}

/// Whether this person already has a standing sign-off on the current content.
pub fn has_standing_signoff(
    signoffs: &[Signoff],
    person: HumanId,
    current_hash: &str,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> bool {
    signoffs.iter().any(|s| {
        s.signer == person && s.standing(current_hash, now, lifetime) == SignoffStanding::Stands
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T09:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::minutes(minutes)
    }

    fn person(n: u128) -> HumanId {
        uuid::Uuid::from_u128(n).to_string().parse().unwrap()
    }

    fn signoff(who: u128, role: Role, verdict: Verdict, hash: &str, minute: i64) -> Signoff {
        Signoff {
            on_behalf_of: None,
            signer_active: true,
            id: format!("s-{who}-{minute}"),
            change_id: "c".to_owned(),
            version: 1,
            content_hash: hash.to_owned(),
            signer: person(who),
            signer_name: format!("Person {who}"),
            role,
            verdict,
            comment: Comment::stored(String::new()),
            at: at(minute),
            quality: ReviewQuality::default(),
            event_seq: 1,
        }
    }

    #[test]
    fn quorum_is_and_across_roles_and_m_of_n_within_a_role() {
        use Role::{Approver as A, Legal as L};
        use Verdict::{Approve as Y, Reject as N, RequestChanges as R};
        let lifetime = Duration::days(7);
        // (rule, sign-offs as (person, role, verdict, hash, minute), met, have/need)
        type Row = (
            &'static str,
            Vec<(u128, Role, Verdict, &'static str, i64)>,
            bool,
            (usize, usize),
        );
        let cases: Vec<Row> = vec![
            ("approver:1", vec![], false, (0, 1)),
            ("approver:1", vec![(1, A, Y, "h", 0)], true, (1, 1)),
            ("approver:1", vec![(1, A, N, "h", 0)], false, (0, 1)),
            ("approver:1", vec![(1, A, R, "h", 0)], false, (0, 1)),
            // AND across roles.
            ("approver:1,legal:1", vec![(1, A, Y, "h", 0)], false, (1, 2)),
            (
                "approver:1,legal:1",
                vec![(1, A, Y, "h", 0), (2, L, Y, "h", 1)],
                true,
                (2, 2),
            ),
            // M of N within a role.
            (
                "approver:2,legal:1",
                vec![(1, A, Y, "h", 0), (2, L, Y, "h", 1)],
                false,
                (2, 3),
            ),
            (
                "approver:2,legal:1",
                vec![(1, A, Y, "h", 0), (3, A, Y, "h", 1), (2, L, Y, "h", 2)],
                true,
                (3, 3),
            ),
            // A person holding two roles counts once, for the role they signed as.
            (
                "approver:1,legal:1",
                vec![(1, A, Y, "h", 0), (1, L, Y, "h", 1)],
                false,
                (1, 2),
            ),
            (
                "approver:2",
                vec![(1, A, Y, "h", 0), (1, A, Y, "h", 1)],
                false,
                (1, 2),
            ),
            // A role the rule does not need adds nothing.
            ("approver:1", vec![(2, L, Y, "h", 0)], false, (0, 1)),
            // Voided: signed an older version's content.
            ("approver:1", vec![(1, A, Y, "old", 0)], false, (0, 1)),
            // Expired: the lifetime has passed (the check runs at minute 10 080 + 1 below).
            ("approver:1", vec![(1, A, Y, "h", -1)], false, (0, 1)),
            // More approvals than needed still show as need/need.
            (
                "approver:1",
                vec![(1, A, Y, "h", 0), (2, A, Y, "h", 1)],
                true,
                (1, 1),
            ),
        ];
        let now = at(0) + lifetime - Duration::minutes(1) + Duration::seconds(30);
        for (rule, rows, met, have_need) in cases {
            let signoffs: Vec<Signoff> = rows
                .iter()
                .map(|(who, role, verdict, hash, minute)| {
                    signoff(*who, *role, *verdict, hash, *minute)
                })
                .collect();
            let quorum = Quorum::count(
                &SignoffRule::parse(rule).unwrap(),
                &signoffs,
                "h",
                now,
                lifetime,
            );
            assert_eq!(quorum.met(), met, "{rule} {rows:?}");
            assert_eq!(quorum.have_need(), have_need, "{rule} {rows:?}");
        }
    }

    #[test]
    fn a_leavers_approval_stops_counting_and_says_why() {
        let lifetime = Duration::hours(24);
        let mut left = signoff(1, Role::Approver, Verdict::Approve, "h", 0);
        left.signer_active = false;
        let stays = signoff(2, Role::Approver, Verdict::Approve, "h", 0);
        assert_eq!(
            left.standing("h", at(1), lifetime),
            SignoffStanding::SignerLeft
        );
        let rule = SignoffRule::parse("approver:2").unwrap();
        let quorum = Quorum::count(&rule, &[left.clone(), stays.clone()], "h", at(1), lifetime);
        assert_eq!((quorum.met(), quorum.have_need()), (false, (1, 2)));
        left.signer_active = true;
        let quorum = Quorum::count(&rule, &[left, stays], "h", at(1), lifetime);
        assert!(quorum.met());
    }

    #[test]
    fn standing_is_voided_by_new_content_and_ends_with_the_lifetime() {
        let lifetime = Duration::hours(24);
        let s = signoff(1, Role::Approver, Verdict::Approve, "h1", 0);
        assert_eq!(s.standing("h1", at(0), lifetime), SignoffStanding::Stands);
        assert_eq!(
            s.standing("h1", at(24 * 60 - 1), lifetime),
            SignoffStanding::Stands
        );
        assert_eq!(
            s.standing("h1", at(24 * 60), lifetime),
            SignoffStanding::Expired
        );
        assert_eq!(s.standing("h2", at(1), lifetime), SignoffStanding::Voided);
        // Voiding wins over expiry: the content it signed is gone either way.
        assert_eq!(
            s.standing("h2", at(24 * 60 + 5), lifetime),
            SignoffStanding::Voided
        );
        assert!(has_standing_signoff(
            std::slice::from_ref(&s),
            person(1),
            "h1",
            at(1),
            lifetime
        ));
        assert!(!has_standing_signoff(
            std::slice::from_ref(&s),
            person(1),
            "h2",
            at(1),
            lifetime
        ));
        assert!(!has_standing_signoff(
            &[s],
            person(2),
            "h1",
            at(1),
            lifetime
        ));
    }

    #[test]
    fn comments_are_required_to_reject_or_request_changes() {
        let cases = [
            ("", Verdict::Approve, Ok("")),
            ("  Looks right. ", Verdict::Approve, Ok("Looks right.")),
            ("", Verdict::Reject, Err("required to reject")),
            (
                "   ",
                Verdict::RequestChanges,
                Err("required to request changes"),
            ),
            (
                "Cite the survey.",
                Verdict::RequestChanges,
                Ok("Cite the survey."),
            ),
        ];
        for (raw, verdict, expected) in cases {
            match (Comment::for_verdict(raw, verdict), expected) {
                (Ok(comment), Ok(text)) => assert_eq!(comment.as_str(), text),
                (Err(error), Err(text)) => assert!(error.to_string().contains(text), "{error}"),
                (got, want) => panic!("{raw:?} {verdict:?}: got {got:?}, want {want:?}"),
            }
        }
        let long = "x".repeat(MAX_COMMENT + 1);
        assert_eq!(
            Comment::for_verdict(&long, Verdict::Approve),
            Err(GateError::CommentTooLong)
        );
        assert!(Verdict::parse("approve").is_ok());
        assert!(Verdict::parse("lgtm")
            .unwrap_err()
            .to_string()
            .contains("unknown decision `lgtm`"));
    }

    #[test]
    fn hasty_approvals_are_measured_against_the_content_length() {
        let quality = |ms| ReviewQuality::new(true, true, ms);
        assert!(quality(4_000).is_hasty(10), "under the five-second floor");
        assert!(!quality(6_000).is_hasty(10));
        assert!(quality(10_000).is_hasty(1_000), "1,000 words in 10 s");
        assert!(!quality(60_000).is_hasty(1_000));
        assert_eq!(quality(-5).dwell_ms, 0);
        assert_eq!(quality(i64::MAX).dwell_ms, ReviewQuality::MAX_DWELL_MS);
    }
}
