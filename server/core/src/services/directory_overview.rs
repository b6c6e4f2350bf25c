//! The Directory sync page's facts: the tokens, the last sync and what the directory holds,
//! recent SCIM changes with their effects (who left, which identities were orphaned, whose
//! roles moved), identities that need a new owner, and people the directory does not know.

use super::Services;
use crate::actor::Actor;
use crate::domain::{Human, Nhi, NhiId};
use crate::error::CoreResult;
use crate::policy::{Action, Resource};
use crate::store::{DirectoryTokenRow, EventFilter, NhiFilter};
use serde_json::Value;
use std::collections::HashMap;

/// Recent directory changes shown at most.
pub const DIRECTORY_CHANGES_SHOWN: i64 = 30;

#[derive(Debug, Clone)]
pub struct DirectoryChange {
    pub at_ms: i64,
    pub action: String,
    /// Who or what it was about: the person's or the group's name.
    pub about: String,
    /// What it did, in words: one line per effect.
    pub effects: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct DirectoryOverview {
    pub tokens: Vec<DirectoryTokenRow>,
    pub users: i64,
    pub active_users: i64,
    pub groups: i64,
    /// The last write the directory made.
    pub last_sync_at_ms: Option<i64>,
    pub changes: Vec<DirectoryChange>,
    /// Identities with no active owner, for reassignment.
    pub orphaned: Vec<Nhi>,
    /// People in the console the directory has not provisioned.
    pub outside: Vec<Human>,
    /// Where the directory sends its requests.
    pub scim_url: String,
}

fn text(details: &Value, key: &str) -> String {
    details[key].as_str().unwrap_or_default().to_owned()
}

/// A ledger event of the directory in words.
fn describe(
    action: &str,
    details: &Value,
    names: &HashMap<String, String>,
) -> (String, Vec<String>) {
    let mut effects = Vec::new();
    let about = match action {
        a if a.starts_with("directory.group") => text(details, "display_name"),
        a if a.starts_with("directory.token") => text(details, "name"),
        _ => {
            let name = text(details, "name");
            if name.is_empty() {
                text(details, "user_name")
            } else {
                name
            }
        }
    };
    let departure = &details["departure"];
    if let Some(ended) = departure["sessions_ended"].as_u64().filter(|n| *n > 0) {
        effects.push(format!(
            "{ended} open session{} ended",
            if ended == 1 { "" } else { "s" }
        ));
    }
    if let Some(orphaned) = departure["orphaned_identities"]
        .as_array()
        .filter(|o| !o.is_empty())
    {
        let listed: Vec<String> = orphaned
            .iter()
            .filter_map(Value::as_str)
            .map(|r| names.get(r).cloned().unwrap_or_else(|| r.to_owned()))
            .collect();
        effects.push(format!("orphaned: {}", listed.join(", ")));
    }
    if details["held_by_admin"].as_bool() == Some(true) {
        effects.push("stays deactivated: a security admin deactivated them".to_owned());
    }
    let added = details["members_added"].as_u64().unwrap_or(0);
    let removed = details["members_removed"].as_u64().unwrap_or(0);
    if added + removed > 0 {
        effects.push(format!("{added} member(s) added, {removed} removed"));
    }
    if let Some(people) = details["role_changes"]["people"].as_array() {
        for change in people.iter().take(5) {
            let roles = |k: &str| {
                let list: Vec<&str> = change[k]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if list.is_empty() {
                    "no role".to_owned()
                } else {
                    list.join(", ")
                }
            };
            effects.push(format!(
                "{}: {} → {}",
                change["name"].as_str().unwrap_or("someone"),
                roles("before"),
                roles("after")
            ));
        }
        let more = details["role_changes"]["count"]
            .as_u64()
            .unwrap_or(0)
            .saturating_sub(5);
        if more > 0 {
            effects.push(format!("and {more} more role changes"));
        }
    }
    if let Some(from) = details["renamed_from"].as_str() {
        effects.push(format!("renamed from {from}"));
    }
    if let Some(changed) = details["changed"].as_array().filter(|c| !c.is_empty()) {
        let listed: Vec<&str> = changed.iter().filter_map(Value::as_str).collect();
        effects.push(format!("changed: {}", listed.join(", ")));
    }
    if let Some(why) = details["why"].as_str() {
        effects.push(why.to_owned());
    }
    (about, effects)
}

impl Services {
    /// Everything the Directory sync page shows, for security admins.
    pub async fn directory_overview(&self, actor: &Actor) -> CoreResult<DirectoryOverview> {
        self.authorize(actor, Action::ManageDirectory, &Resource::Console)?;
        let tokens = self.store.directory_tokens().await?;
        let (users, active_users, groups) = self.store.directory_counts().await?;
        let events = self
            .store
            .events_matching(
                &EventFilter {
                    action: Some("directory.".to_owned()),
                    ..Default::default()
                },
                None,
                DIRECTORY_CHANGES_SHOWN,
            )
            .await?;
        let orphaned = self
            .store
            .nhis(&NhiFilter {
                orphaned: true,
                ..Default::default()
            })
            .await?;
        let mut names: HashMap<String, String> = orphaned
            .iter()
            .map(|n| (n.id.reference(), n.name.clone()))
            .collect();
        let mut changes = Vec::with_capacity(events.len());
        let mut last_sync_at_ms = None;
        for event in events {
            let details: Value = serde_json::from_str(&event.details).unwrap_or(Value::Null);
            for reference in details["departure"]["orphaned_identities"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !names.contains_key(reference) {
                    let id = reference
                        .strip_prefix("nhi:")
                        .and_then(|id| id.parse::<NhiId>().ok());
                    if let Some(nhi) = match id {
                        Some(id) => self.store.nhi(id).await?,
                        None => None,
                    } {
                        names.insert(reference.to_owned(), nhi.name);
                    }
                }
            }
            if event.actor_ref.starts_with("directory_token:") && last_sync_at_ms.is_none() {
                last_sync_at_ms = Some(event.at_ms);
            }
            let (about, effects) = describe(&event.action, &details, &names);
            changes.push(DirectoryChange {
                at_ms: event.at_ms,
                action: event.action,
                about,
                effects,
            });
        }
        Ok(DirectoryOverview {
            tokens,
            users,
            active_users,
            groups,
            last_sync_at_ms,
            changes,
            orphaned,
            outside: self.store.people_outside_directory().await?,
            scim_url: format!("{}/scim/v2", self.settings.public_url.trim_end_matches('/')),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_leaver_reads_as_what_happened() {
        let names = HashMap::from([("nhi:1".to_owned(), "spring-drafter".to_owned())]);
        let (about, effects) = describe(
            "directory.user_deactivated",
            &json!({ "name": "Olga Owner", "departure": { "sessions_ended": 2, "orphaned_identities": ["nhi:1"] } }),
            &names,
        );
        assert_eq!(about, "Olga Owner");
        assert_eq!(
            effects,
            ["2 open sessions ended", "orphaned: spring-drafter"]
        );
        let (_, effects) = describe(
            "directory.group_changed",
            &json!({ "display_name": "mkt-approvers", "members_added": 0, "members_removed": 1,
                     "role_changes": { "count": 1, "people": [{ "name": "Amy", "before": ["approver"], "after": [] }] } }),
            &names,
        );
        assert_eq!(
            effects,
            ["0 member(s) added, 1 removed", "Amy: approver → no role"]
        );
    }
}
