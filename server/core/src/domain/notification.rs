//! Who hears what, and when: the kinds of notice the console sends, the people each goes to, a
//! person's delivery preferences (channels, a daily digest, quiet hours) and the text each
//! channel carries. The service layer resolves the audience to people and queues the messages
//! in the transaction of the event they report.

use super::{NhiId, Role};
use chrono::{DateTime, Duration, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// What a notice reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A change waits for a role's sign-off.
    ReviewNeeded,
    /// A change's review deadline is near and a role is still needed.
    ReviewReminder,
    /// A change's review deadline passed with a role still needed.
    ReviewOverdue,
    ChangeApproved,
    ChangeRejected,
    ChangesRequested,
    ChangePublished,
    PublishFailed,
    ChangeRolledBack,
    /// A widened grant waits for a second security admin.
    WideningWaiting,
    DrillFailed,
    DrillOverdue,
    /// A kill switch whose connected systems have not all confirmed.
    RevocationIncomplete,
    IdentityOrphaned,
    /// An identity expires within [`EXPIRY_WARNING_DAYS`].
    IdentityExpiring,
    PrivilegeAbuse,
}

/// How far ahead security admins hear of an identity's expiry.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

/// Who a kind of notice goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudienceKind {
    /// The people in the roles the change still needs (separation of duties applied).
    NeededReviewers,
    /// The owners of the identity that drafted the change.
    DrafterOwners,
    SecurityAdmins,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 16] = [
        NoticeKind::ReviewNeeded,
        NoticeKind::ReviewReminder,
        NoticeKind::ReviewOverdue,
        NoticeKind::ChangeApproved,
        NoticeKind::ChangeRejected,
        NoticeKind::ChangesRequested,
        NoticeKind::ChangePublished,
        NoticeKind::PublishFailed,
        NoticeKind::ChangeRolledBack,
        NoticeKind::WideningWaiting,
        NoticeKind::DrillFailed,
        NoticeKind::DrillOverdue,
        NoticeKind::RevocationIncomplete,
        NoticeKind::IdentityOrphaned,
        NoticeKind::IdentityExpiring,
        NoticeKind::PrivilegeAbuse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::ReviewNeeded => "review_needed",
            NoticeKind::ReviewReminder => "review_reminder",
            NoticeKind::ReviewOverdue => "review_overdue",
            NoticeKind::ChangeApproved => "change_approved",
            NoticeKind::ChangeRejected => "change_rejected",
            NoticeKind::ChangesRequested => "changes_requested",
            NoticeKind::ChangePublished => "change_published",
            NoticeKind::PublishFailed => "publish_failed",
            NoticeKind::ChangeRolledBack => "change_rolled_back",
            NoticeKind::WideningWaiting => "widening_waiting",
            NoticeKind::DrillFailed => "drill_failed",
            NoticeKind::DrillOverdue => "drill_overdue",
            NoticeKind::RevocationIncomplete => "revocation_incomplete",
            NoticeKind::IdentityOrphaned => "identity_orphaned",
            NoticeKind::IdentityExpiring => "identity_expiring",
            NoticeKind::PrivilegeAbuse => "privilege_abuse",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The table of who hears what.
    pub fn audience(self) -> AudienceKind {
        match self {
            NoticeKind::ReviewNeeded | NoticeKind::ReviewReminder => AudienceKind::NeededReviewers,
            NoticeKind::ChangeApproved
            | NoticeKind::ChangeRejected
            | NoticeKind::ChangesRequested
            | NoticeKind::ChangePublished
            | NoticeKind::PublishFailed
            | NoticeKind::ChangeRolledBack => AudienceKind::DrafterOwners,
            NoticeKind::ReviewOverdue
            | NoticeKind::WideningWaiting
            | NoticeKind::DrillFailed
            | NoticeKind::DrillOverdue
            | NoticeKind::RevocationIncomplete
            | NoticeKind::IdentityOrphaned
            | NoticeKind::IdentityExpiring
            | NoticeKind::PrivilegeAbuse => AudienceKind::SecurityAdmins,
        }
    }

    /// Whether the notice asks its reader to act (shown as such in the inbox).
    pub fn needs_action(self) -> bool {
        !matches!(
            self,
            NoticeKind::ChangeApproved | NoticeKind::ChangePublished
        )
    }
}

/// One thing to tell people: what happened, about what, for whom, by when, and where to act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// The ledger subject it is about (`change:…`, `workflow:…`, `nhi:…`).
    pub subject: String,
    /// One line: what happened (e.g. "“Spring offer email” waits for your sign-off").
    pub title: String,
    /// Who or what it concerns: the workflow, the drafting identity, the system.
    pub concerning: String,
    pub due: Option<DateTime<Utc>>,
    /// The console path to open (e.g. `/changes/…`).
    pub link: String,
    /// Makes the notice once per recipient: the same key is not delivered twice.
    pub dedupe_key: String,
    /// For [`AudienceKind::NeededReviewers`]: the roles still needed.
    pub roles: Vec<Role>,
    /// For [`AudienceKind::DrafterOwners`]: the identity whose owners hear.
    pub drafter: Option<NhiId>,
    /// People the notice must not reach (those separation of duties keeps from signing).
    pub exclude: Vec<super::HumanId>,
}

impl Notice {
    /// The message's text, the same on every channel: what, for whom, by when, the link.
    pub fn text(&self, public_url: &str) -> String {
        let mut lines = vec![self.title.clone(), format!("For: {}", self.concerning)];
        if let Some(due) = self.due {
            lines.push(format!("By: {}", due.format("%a %-d %b %Y, %H:%M UTC")));
        }
        lines.push(format!("Open: {}", self.url(public_url)));
        lines.join("\n")
    }

    pub fn url(&self, public_url: &str) -> String {
        format!("{}{}", public_url.trim_end_matches('/'), self.link)
    }
}

/// How long a change may wait for its sign-offs, by tier, counted from its current version.
/// A reminder goes out when a quarter of the time is left; at the deadline the change is
/// overdue and security admins hear of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewDeadlines {
    /// Tier 1, 2 and 3.
    pub by_tier: [Duration; 3],
}

impl Default for ReviewDeadlines {
    fn default() -> Self {
        Self {
            by_tier: [
                Duration::hours(72),
                Duration::hours(48),
                Duration::hours(24),
            ],
        }
    }
}

impl ReviewDeadlines {
    /// Reads `1=72h,2=48h,3=24h` (each tier once, hours or minutes, 15 minutes to 30 days).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut by_tier = [None; 3];
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (tier, span) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` is not tier=duration (e.g. 3=24h)"))?;
            let index = match tier.trim() {
                "1" => 0,
                "2" => 1,
                "3" => 2,
                other => return Err(format!("tier `{other}` is not 1, 2 or 3")),
            };
            let span = span.trim();
            let (number, unit) = span.split_at(span.len().saturating_sub(1));
            let number: i64 = number
                .parse()
                .map_err(|_| format!("`{span}` is not a duration like 24h or 90m"))?;
            let duration = match unit {
                "h" => Duration::hours(number),
                "m" => Duration::minutes(number),
                _ => return Err(format!("`{span}` is not a duration like 24h or 90m")),
            };
            if duration < Duration::minutes(15) || duration > Duration::days(30) {
                return Err(format!("`{span}` is outside 15 minutes to 30 days"));
            }
            if by_tier[index].replace(duration).is_some() {
                return Err(format!("tier {} is given twice", index + 1));
            }
        }
        let defaults = Self::default().by_tier;
        Ok(Self {
            by_tier: [0, 1, 2].map(|i| by_tier[i].unwrap_or(defaults[i])),
        })
    }

    pub fn for_tier(&self, tier: i64) -> Duration {
        let index = usize::try_from(tier.clamp(1, 3) - 1).unwrap_or(2);
        self.by_tier[index]
    }

    /// When a version submitted at `submitted` is due.
    pub fn due(&self, tier: i64, submitted: DateTime<Utc>) -> DateTime<Utc> {
        submitted + self.for_tier(tier)
    }

    /// When the reminder goes out: a quarter of the time before the deadline.
    pub fn remind_at(&self, tier: i64, submitted: DateTime<Utc>) -> DateTime<Utc> {
        submitted + self.for_tier(tier) * 3 / 4
    }
}

/// The channels besides the inbox, which always holds every notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Slack,
    Teams,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Slack, Channel::Teams];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Slack => "slack",
            Channel::Teams => "teams",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefsError {
    #[error("an hour from 0 to 23")]
    BadHour,
    #[error("a time of day as HH:MM")]
    BadTime,
    #[error("quiet hours need a start and an end that differ")]
    BadQuietHours,
    #[error("a UTC offset from -12:00 to +14:00 in whole quarter hours")]
    BadOffset,
}

/// A person's delivery preferences. The inbox always receives; email and chat follow these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyPrefs {
    pub email: bool,
    /// Post to the operator's Slack channel, naming the person.
    pub slack: bool,
    /// Post to the operator's Teams channel, naming the person.
    pub teams: bool,
    /// One message a day at `digest_hour` (local) instead of one per notice.
    pub daily_digest: bool,
    pub digest_hour: u8,
    /// Local minutes of the day `[start, end)` in which nothing is sent (the inbox still fills);
    /// an end before the start spans midnight.
    pub quiet: Option<(u16, u16)>,
    /// The person's offset from UTC, in minutes.
    pub utc_offset_minutes: i16,
}

impl Default for NotifyPrefs {
    fn default() -> Self {
        Self {
            email: true,
            slack: false,
            teams: false,
            daily_digest: false,
            digest_hour: 8,
            quiet: None,
            utc_offset_minutes: 0,
        }
    }
}

/// `HH:MM` as minutes of the day.
pub fn parse_time_of_day(raw: &str) -> Result<u16, PrefsError> {
    let (h, m) = raw.trim().split_once(':').ok_or(PrefsError::BadTime)?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(1..=2).contains(&h.len()) || m.len() != 2 || !digits(h) || !digits(m) {
        return Err(PrefsError::BadTime);
    }
    let (h, m): (u16, u16) = (
        h.parse().map_err(|_| PrefsError::BadTime)?,
        m.parse().map_err(|_| PrefsError::BadTime)?,
    );
    if h > 23 || m > 59 {
        return Err(PrefsError::BadTime);
    }
    Ok(h * 60 + m)
}

pub fn format_time_of_day(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl NotifyPrefs {
    pub fn check(&self) -> Result<(), PrefsError> {
        if self.digest_hour > 23 {
            return Err(PrefsError::BadHour);
        }
        if let Some((start, end)) = self.quiet {
            if start == end || start >= 1440 || end >= 1440 {
                return Err(PrefsError::BadQuietHours);
            }
        }
        if !(-720..=840).contains(&self.utc_offset_minutes) || self.utc_offset_minutes % 15 != 0 {
            return Err(PrefsError::BadOffset);
        }
        Ok(())
    }

    fn local_minute(&self, at: DateTime<Utc>) -> i64 {
        let local = at + Duration::minutes(i64::from(self.utc_offset_minutes));
        i64::from(local.hour() * 60 + local.minute())
    }

    fn in_quiet(&self, minute: i64) -> bool {
        match self.quiet {
            None => false,
            Some((start, end)) => {
                let (start, end) = (i64::from(start), i64::from(end));
                if start < end {
                    (start..end).contains(&minute)
                } else {
                    minute >= start || minute < end
                }
            }
        }
    }

    /// When a message queued at `now` may be sent: now, or when the quiet hours end.
    pub fn send_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let minute = self.local_minute(now);
        match self.quiet {
            Some((_, end)) if self.in_quiet(minute) => {
                let wait = (i64::from(end) - minute).rem_euclid(1440);
                let at = now + Duration::minutes(wait);
                // From the start of that minute, so the quiet hours end on the minute.
                at - Duration::seconds(i64::from(at.second()))
                    - Duration::nanoseconds(i64::from(at.nanosecond()))
            }
            _ => now,
        }
    }

    /// The first digest time strictly after `after` (local `digest_hour`:00), moved past quiet
    /// hours if it falls in them.
    pub fn next_digest_after(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        let minute = self.local_minute(after);
        let target = i64::from(self.digest_hour) * 60;
        let mut wait = (target - minute).rem_euclid(1440);
        if wait == 0 {
            wait = 1440;
        }
        let at = after + Duration::minutes(wait);
        let at = at
            - Duration::seconds(i64::from(at.second()))
            - Duration::nanoseconds(i64::from(at.nanosecond()));
        self.send_at(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, h, m, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn each_kind_goes_to_its_audience() {
        use AudienceKind::*;
        use NoticeKind::*;
        let table = [
            (ReviewNeeded, NeededReviewers),
            (ReviewReminder, NeededReviewers),
            (ReviewOverdue, SecurityAdmins),
            (ChangeApproved, DrafterOwners),
            (ChangeRejected, DrafterOwners),
            (ChangesRequested, DrafterOwners),
            (ChangePublished, DrafterOwners),
            (PublishFailed, DrafterOwners),
            (ChangeRolledBack, DrafterOwners),
            (WideningWaiting, SecurityAdmins),
            (DrillFailed, SecurityAdmins),
            (DrillOverdue, SecurityAdmins),
            (RevocationIncomplete, SecurityAdmins),
            (IdentityOrphaned, SecurityAdmins),
            (IdentityExpiring, SecurityAdmins),
            (PrivilegeAbuse, SecurityAdmins),
        ];
        assert_eq!(table.len(), NoticeKind::ALL.len());
        for (kind, audience) in table {
            assert_eq!(kind.audience(), audience, "{}", kind.as_str());
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn quiet_hours_hold_messages_until_they_end_in_local_time() {
        let prefs = NotifyPrefs {
            quiet: Some((22 * 60, 7 * 60)),
            utc_offset_minutes: 60,
            ..NotifyPrefs::default()
        };
        // (UTC now, expected send time): 21:30 UTC is 22:30 local, quiet until 07:00 local.
        for (now, expected) in [
            (at(12, 0), at(12, 0)),
            (at(20, 59), at(20, 59)),
            (at(21, 0), at(21, 0) + Duration::hours(9)),
            (at(21, 30), at(21, 30) + Duration::minutes(510)),
            (at(3, 15), at(6, 0)),
            (at(6, 0), at(6, 0)),
        ] {
            assert_eq!(prefs.send_at(now), expected, "{now}");
        }
        let daytime = NotifyPrefs {
            quiet: Some((12 * 60, 13 * 60)),
            ..NotifyPrefs::default()
        };
        assert_eq!(daytime.send_at(at(12, 30)), at(13, 0));
        assert_eq!(daytime.send_at(at(13, 0)), at(13, 0));
        assert_eq!(NotifyPrefs::default().send_at(at(3, 0)), at(3, 0));
    }

    #[test]
    fn digests_come_once_a_day_at_the_local_hour_outside_quiet_hours() {
        let prefs = NotifyPrefs {
            daily_digest: true,
            digest_hour: 8,
            utc_offset_minutes: -300,
            ..NotifyPrefs::default()
        };
        // 08:00 at UTC-5 is 13:00 UTC.
        assert_eq!(prefs.next_digest_after(at(9, 0)), at(13, 0));
        assert_eq!(
            prefs.next_digest_after(at(13, 0)),
            at(13, 0) + Duration::days(1)
        );
        let quiet_morning = NotifyPrefs {
            quiet: Some((7 * 60, 9 * 60)),
            ..prefs
        };
        assert_eq!(quiet_morning.next_digest_after(at(9, 0)), at(14, 0));
    }

    #[test]
    fn review_deadlines_read_per_tier_and_remind_at_three_quarters() {
        let deadlines = ReviewDeadlines::parse("3=24h, 1=90m").unwrap();
        assert_eq!(deadlines.for_tier(3), Duration::hours(24));
        assert_eq!(deadlines.for_tier(2), Duration::hours(48), "the default");
        assert_eq!(deadlines.for_tier(1), Duration::minutes(90));
        assert_eq!(deadlines.due(3, at(9, 0)), at(9, 0) + Duration::hours(24));
        assert_eq!(
            deadlines.remind_at(3, at(9, 0)),
            at(9, 0) + Duration::hours(18)
        );
        for bad in [
            "4=24h",
            "3=24",
            "3=1d",
            "3=5m",
            "3=24h,3=12h",
            "24h",
            "3=xh",
        ] {
            assert!(ReviewDeadlines::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ReviewDeadlines::parse("").unwrap(),
            ReviewDeadlines::default()
        );
    }

    #[test]
    fn preferences_are_checked_and_times_read_strictly() {
        assert_eq!(parse_time_of_day("07:30"), Ok(450));
        assert_eq!(parse_time_of_day("7:05"), Ok(425));
        for bad in [
            "", "24:00", "12:60", "noon", "12", "-1:00", "123:00", "007:00", "7:5",
        ] {
            assert_eq!(parse_time_of_day(bad), Err(PrefsError::BadTime), "{bad}");
        }
        assert_eq!(format_time_of_day(450), "07:30");
        let bad = [
            NotifyPrefs {
                digest_hour: 24,
                ..NotifyPrefs::default()
            },
            NotifyPrefs {
                quiet: Some((60, 60)),
                ..NotifyPrefs::default()
            },
            NotifyPrefs {
                utc_offset_minutes: 845,
                ..NotifyPrefs::default()
            },
            NotifyPrefs {
                utc_offset_minutes: 10,
                ..NotifyPrefs::default()
            },
        ];
        for prefs in bad {
            assert!(prefs.check().is_err(), "{prefs:?}");
        }
        assert!(NotifyPrefs::default().check().is_ok());
    }

    #[test]
    fn the_text_says_what_for_whom_by_when_and_links_to_the_page() {
        let notice = Notice {
            kind: NoticeKind::ReviewNeeded,
            subject: "change:abc".into(),
            title: "“Spring offer” waits for an approver's sign-off".into(),
            concerning: "Spring Campaigns, drafted by offer-drafter".into(),
            due: Some(at(17, 0)),
            link: "/changes/abc".into(),
            dedupe_key: "review_needed:abc:1".into(),
            roles: vec![Role::Approver],
            drafter: None,
            exclude: Vec::new(),
        };
        let text = notice.text("https://console.example.com/");
        assert_eq!(
            text,
            "“Spring offer” waits for an approver's sign-off\n\
             For: Spring Campaigns, drafted by offer-drafter\n\
             By: Thu 3 Dec 2026, 17:00 UTC\n\
             Open: https://console.example.com/changes/abc"
        );
    }
}
