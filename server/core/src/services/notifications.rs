//! Notices to people: resolved to recipients and queued in the transaction of the event they
//! report (the inbox row, and an outbox row per email or chat message), then read, marked and
//! tuned by each person. Who hears what is [`NoticeKind::audience`]; this module applies it.

use super::Services;
use crate::actor::Actor;
use crate::domain::{
    AudienceKind, Channel, Effect, EffectKind, HumanId, Notice, NoticeKind, NotifyPrefs, Role,
};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::notifier::OutgoingMessage;
use crate::policy::{Action, Resource};
use crate::store::{NewNotification, NotificationRow, WriteTx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// The most notices one inbox page shows.
pub const INBOX_PAGE: i64 = 50;

/// One notice as its reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxItem {
    pub id: String,
    pub kind: String,
    pub needs_action: bool,
    pub title: String,
    pub concerning: String,
    pub link: String,
    pub due_at: Option<DateTime<Utc>>,
    pub on_behalf_of: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub unread: i64,
    /// Pass back as `before` for older notices.
    pub next: Option<String>,
}

/// A person's preferences and what the console can send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationSettings {
    pub prefs: NotifyPrefs,
    /// Whether the person has an email address on record.
    pub has_email: bool,
    pub email_configured: bool,
    pub slack_configured: bool,
    pub teams_configured: bool,
}

/// The ledger subject's change id, when the notice is about a change.
fn change_of(subject: &str) -> Option<String> {
    subject.strip_prefix("change:").map(str::to_owned)
}

impl Services {
    fn person_of(&self, actor: &Actor) -> CoreResult<HumanId> {
        self.policy
            .authorize(actor, Action::EnterConsole, &Resource::Console)
            .map_err(CoreError::Denied)?;
        match actor {
            Actor::Human { id, .. } => Ok(*id),
            _ => Err(CoreError::Unauthenticated),
        }
    }

    /// Queues `notice` for its audience in `tx`: an inbox row each (once per dedupe key), and
    /// the email and chat messages their preferences ask for. Returns how many people it reached.
    pub(super) async fn notify(
        &self,
        tx: &mut Box<dyn WriteTx>,
        notice: &Notice,
        event_seq: i64,
    ) -> CoreResult<usize> {
        let people = match notice.kind.audience() {
            AudienceKind::DrafterOwners => tx.active_people_in_tx().await?,
            AudienceKind::NeededReviewers | AudienceKind::SecurityAdmins => {
                tx.active_role_holders_in_tx().await?
            }
        };
        let recipients: Vec<&crate::domain::Human> = match notice.kind.audience() {
            AudienceKind::NeededReviewers => people
                .iter()
                .filter(|p| notice.roles.iter().any(|r| p.roles.contains(*r)))
                .collect(),
            AudienceKind::SecurityAdmins => people
                .iter()
                .filter(|p| p.roles.contains(Role::SecurityAdmin))
                .collect(),
            AudienceKind::DrafterOwners => {
                let owners: Vec<HumanId> = match notice.drafter {
                    Some(nhi) => tx
                        .nhi_by_id(nhi)
                        .await?
                        .map(|n| n.owners.iter().map(|o| o.id).collect())
                        .unwrap_or_default(),
                    None => Vec::new(),
                };
                people.iter().filter(|p| owners.contains(&p.id)).collect()
            }
        };
        let now = self.clock.now();
        // Role notices of someone away go to their delegate, unless separation of duties keeps
        // the delegate from this change (then the away person keeps them).
        let away = if notice.kind.audience() == AudienceKind::NeededReviewers {
            tx.delegations_in_force(self.now_ms()).await?
        } else {
            Vec::new()
        };
        let mut targets: Vec<(&crate::domain::Human, Option<HumanId>)> = Vec::new();
        for person in recipients {
            if notice.exclude.contains(&person.id) {
                continue;
            }
            let needed: Vec<Role> = notice
                .roles
                .iter()
                .copied()
                .filter(|r| person.roles.contains(*r))
                .collect();
            let mut covered = Vec::new();
            for d in away
                .iter()
                .filter(|d| d.principal == person.id && needed.contains(&d.role))
            {
                let delegate = people.iter().find(|p| p.id == d.delegate);
                if let Some(delegate) = delegate.filter(|p| !notice.exclude.contains(&p.id)) {
                    covered.push(d.role);
                    targets.push((delegate, Some(person.id)));
                }
            }
            // Away in every role the notice needs of them: the delegates have it.
            if needed.is_empty() || !needed.iter().all(|r| covered.contains(r)) {
                targets.push((person, None));
            }
        }
        let saved: BTreeMap<HumanId, NotifyPrefs> = if targets.is_empty() {
            BTreeMap::new()
        } else {
            tx.all_notification_prefs_in_tx()
                .await?
                .into_iter()
                .collect()
        };
        let mut reached = 0;
        for (person, on_behalf_of) in targets {
            let prefs = saved.get(&person.id).cloned().unwrap_or_default();
            let row = NewNotification {
                id: uuid::Uuid::now_v7().to_string(),
                recipient: person.id,
                kind: notice.kind,
                subject: notice.subject.clone(),
                title: notice.title.clone(),
                concerning: notice.concerning.clone(),
                link: notice.link.clone(),
                due_at_ms: notice.due.map(crate::clock::to_millis),
                on_behalf_of,
                // The delegate's copy is their own: it does not hide one in their own right.
                dedupe_key: match on_behalf_of {
                    Some(principal) => format!("{}:for:{principal}", notice.dedupe_key),
                    None => notice.dedupe_key.clone(),
                },
                event_seq,
                created_at_ms: crate::clock::to_millis(now),
                digested_at_ms: (!prefs.daily_digest).then(|| crate::clock::to_millis(now)),
            };
            if !tx.insert_notification(&row).await? {
                continue;
            }
            reached += 1;
            if prefs.daily_digest {
                continue;
            }
            let (subject_line, text) = match on_behalf_of {
                Some(principal) => {
                    let name = people
                        .iter()
                        .find(|p| p.id == principal)
                        .map_or("a colleague", |p| p.name.as_str());
                    (
                        format!("For {name} (away): {}", notice.title),
                        format!(
                            "You stand in for {name}.\n{}",
                            notice.text(&self.settings.public_url)
                        ),
                    )
                }
                None => (notice.title.clone(), notice.text(&self.settings.public_url)),
            };
            self.queue_messages(
                tx,
                person,
                &prefs,
                &subject_line,
                &text,
                &notice.url(&self.settings.public_url),
                change_of(&notice.subject),
                prefs.send_at(now),
            )
            .await?;
        }
        Ok(reached)
    }

    /// One outbox row per channel the person chose and the console has.
    #[allow(clippy::too_many_arguments)]
    async fn queue_messages(
        &self,
        tx: &mut Box<dyn WriteTx>,
        person: &crate::domain::Human,
        prefs: &NotifyPrefs,
        subject: &str,
        text: &str,
        link: &str,
        change_id: Option<String>,
        send_at: DateTime<Utc>,
    ) -> CoreResult<()> {
        let configured = self.channels();
        for channel in Channel::ALL {
            let wanted = match channel {
                Channel::Email => prefs.email,
                Channel::Slack => prefs.slack,
                Channel::Teams => prefs.teams,
            };
            if !wanted || !configured.has(channel) {
                continue;
            }
            let to = match channel {
                Channel::Email => match &person.email {
                    Some(email) => email.clone(),
                    None => continue,
                },
                _ => person.name.clone(),
            };
            let id = crate::connector::new_idempotency_key();
            let message = OutgoingMessage {
                id: id.clone(),
                channel,
                to: to.clone(),
                to_name: person.name.clone(),
                subject: subject.to_owned(),
                text: text.to_owned(),
                link: link.to_owned(),
            };
            let body = serde_json::to_value(&message)
                .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
            let mut effect = Effect::queued(
                if channel == Channel::Email {
                    EffectKind::Email
                } else {
                    EffectKind::Chat
                },
                if channel == Channel::Email {
                    to
                } else {
                    channel.as_str().to_owned()
                },
                &json!({ "idempotency_key": id }),
                subject,
                &Actor::System,
                self.clock.now(),
            );
            effect.body = body.to_string();
            effect.change_id = change_id.clone();
            effect.next_attempt_at = send_at;
            tx.insert_effect(&effect).await?;
        }
        Ok(())
    }

    /// The minute sweep: queues the daily digests that are due, one message per channel with
    /// every notice since the last one. Returns how many people got one.
    #[tracing::instrument(skip_all)]
    pub async fn send_due_digests(&self) -> CoreResult<usize> {
        let now = self.clock.now();
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        let due = tx.digests_due(self.now_ms()).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let people: BTreeMap<HumanId, crate::domain::Human> = tx
            .active_people_in_tx()
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let mut sent = 0;
        let mut schedule = Vec::new();
        for (human, prefs) in due {
            schedule.push((human, prefs.next_digest_after(now)));
            let Some(person) = people.get(&human) else {
                continue;
            };
            let notices = tx.take_undigested(human, self.now_ms()).await?;
            if notices.is_empty() {
                continue;
            }
            let subject = format!(
                "Countersign: {} notice{} since your last digest",
                notices.len(),
                if notices.len() == 1 { "" } else { "s" }
            );
            tx.append_event(&NewEvent::new(
                &Actor::System,
                "notifications.digest_queued",
                human.reference(),
                json!({ "notices": notices.len() }),
            ))
            .await?;
            let text = digest_text(&notices, &self.settings.public_url);
            let inbox = format!("{}/inbox", self.settings.public_url.trim_end_matches('/'));
            self.queue_messages(&mut tx, person, &prefs, &subject, &text, &inbox, None, now)
                .await?;
            sent += 1;
        }
        if sent > 0 {
            tx.commit().await?;
            self.wake_outbox();
        } else {
            drop(tx);
        }
        // Only after the digests are safely queued does the next one get its time.
        for (human, next) in schedule {
            self.store
                .set_next_digest(human, Some(crate::clock::to_millis(next)))
                .await?;
        }
        Ok(sent)
    }

    /// The signed-in person's notices, newest first.
    pub async fn inbox(
        &self,
        actor: &Actor,
        unread_only: bool,
        before: Option<&str>,
    ) -> CoreResult<InboxPage> {
        let me = self.person_of(actor)?;
        let before = before
            .filter(|b| !b.is_empty())
            .map(|raw| {
                raw.split_once('_')
                    .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_owned())))
                    .filter(|(_, id)| id.len() <= 64)
                    .ok_or_else(|| CoreError::invalid("before", "not a cursor this inbox returned"))
            })
            .transpose()?;
        let mut rows = self
            .store
            .inbox(me, unread_only, before, INBOX_PAGE + 1)
            .await?;
        let more = rows.len() as i64 > INBOX_PAGE;
        rows.truncate(INBOX_PAGE as usize);
        let next = more
            .then(|| rows.last())
            .flatten()
            .map(|r| format!("{}_{}", r.created_at_ms, r.id));
        let names = self.people_names(&rows).await?;
        Ok(InboxPage {
            unread: self.store.unread_count(me).await?,
            items: rows
                .into_iter()
                .map(|r| InboxItem {
                    needs_action: r.kind.needs_action(),
                    kind: r.kind.as_str().to_owned(),
                    title: r.title,
                    concerning: r.concerning,
                    link: r.link,
                    due_at: r.due_at_ms.map(crate::clock::from_millis),
                    on_behalf_of: r.on_behalf_of.and_then(|h| names.get(&h).cloned()),
                    created_at: crate::clock::from_millis(r.created_at_ms),
                    read: r.read_at_ms.is_some(),
                    id: r.id,
                })
                .collect(),
            next,
        })
    }

    async fn people_names(
        &self,
        rows: &[NotificationRow],
    ) -> CoreResult<BTreeMap<HumanId, String>> {
        let mut names = BTreeMap::new();
        for id in rows.iter().filter_map(|r| r.on_behalf_of) {
            if let std::collections::btree_map::Entry::Vacant(slot) = names.entry(id) {
                if let Some(person) = self.store.human(id).await? {
                    slot.insert(person.name);
                }
            }
        }
        Ok(names)
    }

    /// The bell's count.
    pub async fn unread_notifications(&self, actor: &Actor) -> CoreResult<i64> {
        let me = self.person_of(actor)?;
        Ok(self.store.unread_count(me).await?)
    }

    /// Marks some notices (or, with `None`, all of them) read or unread. A person's own reading
    /// state, not a governance fact: no ledger event.
    pub async fn mark_notifications(
        &self,
        actor: &Actor,
        ids: Option<Vec<String>>,
        read: bool,
    ) -> CoreResult<u64> {
        let me = self.person_of(actor)?;
        if let Some(ids) = &ids {
            if ids.is_empty() || ids.len() > INBOX_PAGE as usize {
                return Err(CoreError::invalid(
                    "ids",
                    format!("1 to {INBOX_PAGE} notices at a time"),
                ));
            }
        }
        Ok(self
            .store
            .mark_notifications(me, ids.as_deref(), read.then(|| self.now_ms()))
            .await?)
    }

    pub async fn notification_settings(&self, actor: &Actor) -> CoreResult<NotificationSettings> {
        let me = self.person_of(actor)?;
        let prefs = self.store.notification_prefs(me).await?.unwrap_or_default();
        let person = self.store.human(me).await?;
        let configured = self.channels();
        Ok(NotificationSettings {
            prefs,
            has_email: person.and_then(|p| p.email).is_some(),
            email_configured: configured.email,
            slack_configured: configured.slack,
            teams_configured: configured.teams,
        })
    }

    /// Saves a person's preferences, with its ledger event.
    #[tracing::instrument(skip_all)]
    pub async fn set_notification_settings(
        &self,
        actor: &Actor,
        prefs: NotifyPrefs,
    ) -> CoreResult<()> {
        let me = self.person_of(actor)?;
        prefs
            .check()
            .map_err(|e| CoreError::invalid("preferences", e.to_string()))?;
        let next_digest = prefs
            .daily_digest
            .then(|| crate::clock::to_millis(prefs.next_digest_after(self.clock.now())));
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        tx.leaves_registry_unchanged();
        tx.set_notification_prefs(me, &prefs, next_digest, self.now_ms())
            .await?;
        tx.append_event(&NewEvent::new(
            actor,
            "notifications.preferences_set",
            me.reference(),
            json!({
                "email": prefs.email,
                "slack": prefs.slack,
                "teams": prefs.teams,
                "daily_digest": prefs.daily_digest,
                "digest_hour": prefs.digest_hour,
                "quiet_hours": prefs.quiet.map(|(s, e)| format!(
                    "{}-{}",
                    crate::domain::format_time_of_day(s),
                    crate::domain::format_time_of_day(e)
                )),
                "utc_offset_minutes": prefs.utc_offset_minutes,
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A digest: one line per notice, newest last, and the inbox link.
fn digest_text(notices: &[NotificationRow], public_url: &str) -> String {
    let base = public_url.trim_end_matches('/');
    let mut lines: Vec<String> = notices
        .iter()
        .map(|n| {
            let due = n
                .due_at_ms
                .map(|ms| {
                    format!(
                        " (by {})",
                        crate::clock::from_millis(ms).format("%a %-d %b, %H:%M UTC")
                    )
                })
                .unwrap_or_default();
            format!("- {}{} — {}{}", n.title, due, base, n.link)
        })
        .collect();
    lines.push(String::new());
    lines.push(format!("Your inbox: {base}/inbox"));
    lines.join("\n")
}

/// The notices a kind of change event sends, for [`Services::notify`].
pub(super) fn kind_for_status(status: crate::domain::ChangeStatus) -> Option<NoticeKind> {
    use crate::domain::ChangeStatus::*;
    match status {
        Approved => Some(NoticeKind::ChangeApproved),
        Rejected => Some(NoticeKind::ChangeRejected),
        ChangesRequested => Some(NoticeKind::ChangesRequested),
        Published => Some(NoticeKind::ChangePublished),
        PublishFailed => Some(NoticeKind::PublishFailed),
        RolledBack => Some(NoticeKind::ChangeRolledBack),
        _ => None,
    }
}
