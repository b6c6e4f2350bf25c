//! What the inbox and its preferences show.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeView {
    pub id: String,
    pub kind: String,
    pub needs_action: bool,
    pub title: String,
    pub concerning: String,
    /// The console page to open.
    pub link: String,
    /// "Thu 3 Dec, 17:00 UTC", when the notice has a deadline.
    pub due: Option<String>,
    pub overdue: bool,
    /// The person whose role the reader stands in for.
    pub on_behalf_of: Option<String>,
    pub received: String,
    pub read: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxView {
    pub notices: Vec<NoticeView>,
    pub unread: i64,
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeSettingsView {
    pub email: bool,
    pub slack: bool,
    pub teams: bool,
    pub daily_digest: bool,
    pub digest_hour: u8,
    /// "HH:MM", empty when there are no quiet hours.
    pub quiet_from: String,
    pub quiet_to: String,
    pub utc_offset_minutes: i16,
    pub has_email: bool,
    pub email_configured: bool,
    pub slack_configured: bool,
    pub teams_configured: bool,
}

/// One away period, as the away panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegationView {
    pub id: String,
    pub principal: String,
    pub delegate: String,
    pub role: String,
    /// "Thu 3 Dec, 09:00 UTC".
    pub from: String,
    pub until: String,
    pub reason: String,
    pub in_force: bool,
}

/// A role one may hand over, and the people who hold it too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegableRole {
    pub role: String,
    pub label: String,
    /// (person id, name).
    pub people: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwayView {
    pub mine: Vec<DelegationView>,
    pub standing_in_for: Vec<DelegationView>,
    pub candidates: Vec<DelegableRole>,
    /// Every delegation not over, for security admins.
    pub all: Option<Vec<DelegationView>>,
}
