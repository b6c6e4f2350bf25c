//! The inbox: a person's notices, marking them read, and how they want to be reached.

// The preferences form sends one field per setting; the server macro's generated functions take
// them all, and an attribute on the function does not reach them.
#![allow(clippy::too_many_arguments)]

use crate::dto_notices::{InboxView, NoticeSettingsView};
use crate::error::UiError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%a %-d %b, %H:%M UTC").to_string()
}

/// The signed-in person's notices, newest first (`unread` only those not yet read).
#[server(prefix = "/ui", endpoint = "inbox")]
pub async fn inbox(unread: Option<bool>, before: Option<String>) -> Result<InboxView, UiError> {
    use crate::dto_notices::NoticeView;
    let (services, actor) = super::adapter::request()?;
    let page = services
        .inbox(&actor, unread.unwrap_or(false), before.as_deref())
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let now = services.clock().now();
    Ok(InboxView {
        notices: page
            .items
            .into_iter()
            .map(|item| NoticeView {
                overdue: item.due_at.is_some_and(|due| due <= now),
                due: item.due_at.map(when),
                received: when(item.created_at),
                id: item.id,
                kind: item.kind,
                needs_action: item.needs_action,
                title: item.title,
                concerning: item.concerning,
                link: item.link,
                on_behalf_of: item.on_behalf_of,
                read: item.read,
            })
            .collect(),
        unread: page.unread,
        next: page.next,
    })
}

/// The bell's count.
#[server(prefix = "/ui", endpoint = "unread_notices")]
pub async fn unread_notices() -> Result<i64, UiError> {
    let (services, actor) = super::adapter::request()?;
    services
        .unread_notifications(&actor)
        .await
        .map_err(|e| UiError::from_core(e, &actor))
}

/// Marks one notice (`id`) or every notice (`id` absent) read, or unread with `read=false`.
#[server(prefix = "/ui", endpoint = "mark_notices")]
pub async fn mark_notices(id: Option<String>, read: Option<bool>) -> Result<u64, UiError> {
    let (services, actor) = super::adapter::request()?;
    let ids = id.filter(|i| !i.is_empty()).map(|i| vec![i]);
    services
        .mark_notifications(&actor, ids, read.unwrap_or(true))
        .await
        .map_err(|e| UiError::from_core(e, &actor))
}

#[server(prefix = "/ui", endpoint = "notice_settings")]
pub async fn notice_settings() -> Result<NoticeSettingsView, UiError> {
    use countersign_core::domain::format_time_of_day;
    let (services, actor) = super::adapter::request()?;
    let settings = services
        .notification_settings(&actor)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    let prefs = settings.prefs;
    Ok(NoticeSettingsView {
        email: prefs.email,
        slack: prefs.slack,
        teams: prefs.teams,
        daily_digest: prefs.daily_digest,
        digest_hour: prefs.digest_hour,
        quiet_from: prefs
            .quiet
            .map(|(s, _)| format_time_of_day(s))
            .unwrap_or_default(),
        quiet_to: prefs
            .quiet
            .map(|(_, e)| format_time_of_day(e))
            .unwrap_or_default(),
        utc_offset_minutes: prefs.utc_offset_minutes,
        has_email: settings.has_email,
        email_configured: settings.email_configured,
        slack_configured: settings.slack_configured,
        teams_configured: settings.teams_configured,
    })
}

/// Saves how the person is reached. Checkboxes arrive only when ticked.
#[server(prefix = "/ui", endpoint = "save_notice_settings")]
pub async fn save_notice_settings(
    email: Option<String>,
    slack: Option<String>,
    teams: Option<String>,
    delivery: Option<String>,
    digest_hour: Option<String>,
    quiet_from: Option<String>,
    quiet_to: Option<String>,
    utc_offset: Option<String>,
) -> Result<String, UiError> {
    use countersign_core::domain::{parse_time_of_day, NotifyPrefs};
    let (services, actor) = super::adapter::request()?;
    let invalid = |problem: String| crate::error::refuse(UiError::Invalid(problem));
    let quiet = match (
        quiet_from.unwrap_or_default().trim().to_owned(),
        quiet_to.unwrap_or_default().trim().to_owned(),
    ) {
        (from, to) if from.is_empty() && to.is_empty() => None,
        (from, to) if from.is_empty() || to.is_empty() => {
            return Err(invalid(
                "quiet hours: give both a start and an end, or neither".to_owned(),
            ))
        }
        (from, to) => Some((
            parse_time_of_day(&from).map_err(|e| invalid(format!("quiet hours from: {e}")))?,
            parse_time_of_day(&to).map_err(|e| invalid(format!("quiet hours to: {e}")))?,
        )),
    };
    let number = |field: &str, raw: Option<String>, default: i64| -> Result<i64, UiError> {
        match raw.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|_| {
                invalid(format!(
                    "{field}: `{}` is not a whole number",
                    raw.chars().take(20).collect::<String>()
                ))
            }),
        }
    };
    let daily_digest = match delivery.as_deref().unwrap_or("immediate") {
        "immediate" => false,
        "daily" => true,
        other => {
            return Err(invalid(format!(
                "delivery: `{}` is not immediate or daily",
                other.chars().take(20).collect::<String>()
            )))
        }
    };
    let prefs = NotifyPrefs {
        email: email.is_some(),
        slack: slack.is_some(),
        teams: teams.is_some(),
        daily_digest,
        digest_hour: u8::try_from(number("digest hour", digest_hour, 8)?)
            .map_err(|_| invalid("digest hour: from 0 to 23".to_owned()))?,
        quiet,
        utc_offset_minutes: i16::try_from(number("UTC offset", utc_offset, 0)?)
            .map_err(|_| invalid("UTC offset: from -720 to 840 minutes".to_owned()))?,
    };
    services
        .set_notification_settings(&actor, prefs)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok("Saved: new notices follow these settings.".to_owned())
}
