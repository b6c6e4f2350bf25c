//! The inbox (table `notifications`) and each person's delivery preferences
//! (`notification_preferences`), shared by both backends through `notifications_sql!`.

use super::StoreError;
use crate::domain::{HumanId, NoticeKind, NotifyPrefs};
use async_trait::async_trait;

/// A notice as a person's inbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRow {
    pub id: String,
    pub recipient: HumanId,
    pub kind: NoticeKind,
    pub subject: String,
    pub title: String,
    pub concerning: String,
    pub link: String,
    pub due_at_ms: Option<i64>,
    /// The person whose role the recipient stands in for (delegation).
    pub on_behalf_of: Option<HumanId>,
    pub created_at_ms: i64,
    pub read_at_ms: Option<i64>,
}

/// A notice to write for one recipient.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub id: String,
    pub recipient: HumanId,
    pub kind: NoticeKind,
    pub subject: String,
    pub title: String,
    pub concerning: String,
    pub link: String,
    pub due_at_ms: Option<i64>,
    pub on_behalf_of: Option<HumanId>,
    pub dedupe_key: String,
    pub event_seq: i64,
    pub created_at_ms: i64,
    /// Set for people who get a message per notice: no digest carries it later.
    pub digested_at_ms: Option<i64>,
}

#[async_trait]
pub trait NotificationStore {
    /// A person's notices, newest first, before the keyset `(created_at_ms, id)`.
    async fn inbox(
        &self,
        recipient: HumanId,
        unread_only: bool,
        before: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<NotificationRow>, StoreError>;
    async fn unread_count(&self, recipient: HumanId) -> Result<i64, StoreError>;
    async fn notification_prefs(&self, human: HumanId) -> Result<Option<NotifyPrefs>, StoreError>;
    // A person's reading state and digest schedule are not governance facts: written outside
    // the ledger, like review views.
    /// Marks the recipient's notices (all of them when `ids` is `None`) read or unread; returns
    /// how many changed.
    async fn mark_notifications(
        &self,
        recipient: HumanId,
        ids: Option<&[String]>,
        read_at_ms: Option<i64>,
    ) -> Result<u64, StoreError>;
    async fn set_next_digest(
        &self,
        human: HumanId,
        next_digest_at_ms: Option<i64>,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait NotificationWrites {
    /// Writes the notice unless the recipient already has one with its dedupe key; `false` then.
    async fn insert_notification(
        &mut self,
        notification: &NewNotification,
    ) -> Result<bool, StoreError>;
    async fn set_notification_prefs(
        &mut self,
        human: HumanId,
        prefs: &NotifyPrefs,
        next_digest_at_ms: Option<i64>,
        at_ms: i64,
    ) -> Result<(), StoreError>;
    /// Every person's saved preferences (those not listed have the defaults): read once per
    /// notice, not once per recipient, inside the transaction that holds the ledger's lock.
    async fn all_notification_prefs_in_tx(
        &mut self,
    ) -> Result<Vec<(HumanId, NotifyPrefs)>, StoreError>;
    /// People whose daily digest is due at `now_ms`, with their preferences.
    async fn digests_due(&mut self, now_ms: i64)
        -> Result<Vec<(HumanId, NotifyPrefs)>, StoreError>;
    /// A person's notices no digest has carried yet, oldest first; marks them carried.
    async fn take_undigested(
        &mut self,
        recipient: HumanId,
        at_ms: i64,
    ) -> Result<Vec<NotificationRow>, StoreError>;
    /// Every active person, as this transaction sees them.
    async fn active_people_in_tx(&mut self) -> Result<Vec<crate::domain::Human>, StoreError>;
    /// Every active person holding a role: whom role notices go to. A directory provisions
    /// thousands of people without a console role; a notice need not read them.
    async fn active_role_holders_in_tx(&mut self) -> Result<Vec<crate::domain::Human>, StoreError>;
    /// Records that the sweep reported `key`; `false` when it already had.
    async fn report_fact(&mut self, key: &str, at_ms: i64) -> Result<bool, StoreError>;
    /// Kill switches pulled before `before_ms` that some system has not confirmed:
    /// (revocation id, workflow id, requested at ms).
    async fn incomplete_revocations(
        &mut self,
        before_ms: i64,
    ) -> Result<Vec<(String, String, i64)>, StoreError>;
}

const COLUMNS: &str = "id, recipient_id, kind, subject, title, concerning, link, due_at, \
     on_behalf_of, created_at, read_at";
const PREF_COLUMNS: &str = "email, slack, teams, daily_digest, digest_hour, quiet_start, \
     quiet_end, utc_offset_minutes";

pub(super) fn inbox_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM notifications WHERE recipient_id = $1 \
         AND ($2 = FALSE OR read_at IS NULL) \
         AND (created_at < $3 OR (created_at = $3 AND id < $4)) \
         ORDER BY created_at DESC, id DESC LIMIT $5"
    )
}
pub(super) const UNREAD: &str =
    "SELECT COUNT(*) FROM notifications WHERE recipient_id = $1 AND read_at IS NULL";
pub(super) fn prefs_sql() -> String {
    format!("SELECT {PREF_COLUMNS} FROM notification_preferences WHERE human_id = $1")
}
pub(super) const INSERT: &str = "INSERT INTO notifications (id, recipient_id, kind, subject, \
     title, concerning, link, due_at, on_behalf_of, dedupe_key, event_seq, created_at, \
     digested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
     ON CONFLICT (recipient_id, dedupe_key) DO NOTHING";
pub(super) const MARK_ALL: &str = "UPDATE notifications SET read_at = $2 WHERE recipient_id = $1 \
     AND (read_at IS NULL) <> ($2 IS NULL)";
pub(super) const MARK_ONE: &str = "UPDATE notifications SET read_at = $2 WHERE recipient_id = $1 \
     AND id = $3 AND (read_at IS NULL) <> ($2 IS NULL)";
pub(super) const UPSERT_PREFS: &str = "INSERT INTO notification_preferences (human_id, email, \
     slack, teams, daily_digest, digest_hour, quiet_start, quiet_end, utc_offset_minutes, \
     next_digest_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
     ON CONFLICT (human_id) DO UPDATE SET email = $2, slack = $3, teams = $4, \
     daily_digest = $5, digest_hour = $6, quiet_start = $7, quiet_end = $8, \
     utc_offset_minutes = $9, next_digest_at = $10, updated_at = $11";
pub(super) fn due_sql() -> String {
    format!(
        "SELECT human_id, {PREF_COLUMNS} FROM notification_preferences \
         WHERE daily_digest = TRUE AND next_digest_at <= $1 ORDER BY human_id"
    )
}
pub(super) fn all_prefs_sql() -> String {
    format!("SELECT human_id, {PREF_COLUMNS} FROM notification_preferences")
}
pub(super) fn undigested_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM notifications WHERE recipient_id = $1 AND digested_at IS NULL \
         ORDER BY created_at, id"
    )
}
pub(super) const MARK_DIGESTED: &str =
    "UPDATE notifications SET digested_at = $2 WHERE recipient_id = $1 AND digested_at IS NULL";
pub(super) const REPORT_FACT: &str = "INSERT INTO reported_facts (fact_key, reported_at) \
     VALUES ($1, $2) ON CONFLICT (fact_key) DO NOTHING";
pub(super) const INCOMPLETE_REVOCATIONS: &str = "SELECT id, workflow_id, requested_at \
     FROM revocations WHERE completed_at IS NULL AND requested_at < $1 ORDER BY requested_at";
pub(super) const SET_NEXT_DIGEST: &str =
    "UPDATE notification_preferences SET next_digest_at = $2 WHERE human_id = $1";

pub(super) type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    i64,
    Option<i64>,
);
pub(super) type PrefRow = (bool, bool, bool, bool, i64, Option<i64>, Option<i64>, i64);

pub(super) fn from_row(
    (
        id,
        recipient,
        kind,
        subject,
        title,
        concerning,
        link,
        due_at_ms,
        on_behalf_of,
        created_at_ms,
        read_at_ms,
    ): Row,
) -> Result<NotificationRow, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("notifications.{what}"));
    Ok(NotificationRow {
        id,
        recipient: recipient.parse().map_err(|_| corrupt("recipient_id"))?,
        kind: NoticeKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
        subject,
        title,
        concerning,
        link,
        due_at_ms,
        on_behalf_of: on_behalf_of
            .map(|h| h.parse().map_err(|_| corrupt("on_behalf_of")))
            .transpose()?,
        created_at_ms,
        read_at_ms,
    })
}

pub(super) fn prefs_from_row(
    (email, slack, teams, daily_digest, digest_hour, quiet_start, quiet_end, offset): PrefRow,
) -> Result<NotifyPrefs, StoreError> {
    let corrupt = || StoreError::Corrupt("notification_preferences".to_owned());
    let minute = |m: i64| u16::try_from(m).map_err(|_| corrupt());
    Ok(NotifyPrefs {
        email,
        slack,
        teams,
        daily_digest,
        digest_hour: u8::try_from(digest_hour).map_err(|_| corrupt())?,
        quiet: match (quiet_start, quiet_end) {
            (Some(start), Some(end)) => Some((minute(start)?, minute(end)?)),
            _ => None,
        },
        utc_offset_minutes: i16::try_from(offset).map_err(|_| corrupt())?,
    })
}

macro_rules! notifications_sql {
    ($store:ident, $tx:ident) => {
        #[async_trait::async_trait]
        impl super::notifications::NotificationStore for $store {
            async fn inbox(
                &self,
                recipient: crate::domain::HumanId,
                unread_only: bool,
                before: Option<(i64, String)>,
                limit: i64,
            ) -> Result<Vec<super::notifications::NotificationRow>, crate::store::StoreError> {
                let (at, id) = before.unwrap_or((i64::MAX, "~".to_owned()));
                sqlx::query_as::<_, super::notifications::Row>(&super::notifications::inbox_sql())
                    .bind(recipient.to_string())
                    .bind(unread_only)
                    .bind(at)
                    .bind(id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(super::notifications::from_row)
                    .collect()
            }

            async fn unread_count(
                &self,
                recipient: crate::domain::HumanId,
            ) -> Result<i64, crate::store::StoreError> {
                Ok(sqlx::query_scalar(super::notifications::UNREAD)
                    .bind(recipient.to_string())
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn notification_prefs(
                &self,
                human: crate::domain::HumanId,
            ) -> Result<Option<crate::domain::NotifyPrefs>, crate::store::StoreError> {
                sqlx::query_as::<_, super::notifications::PrefRow>(
                    &super::notifications::prefs_sql(),
                )
                .bind(human.to_string())
                .fetch_optional(&self.pool)
                .await?
                .map(super::notifications::prefs_from_row)
                .transpose()
            }

            async fn mark_notifications(
                &self,
                recipient: crate::domain::HumanId,
                ids: Option<&[String]>,
                read_at_ms: Option<i64>,
            ) -> Result<u64, crate::store::StoreError> {
                let Some(ids) = ids else {
                    return Ok(sqlx::query(super::notifications::MARK_ALL)
                        .bind(recipient.to_string())
                        .bind(read_at_ms)
                        .execute(&self.pool)
                        .await?
                        .rows_affected());
                };
                let mut changed = 0;
                for id in ids {
                    changed += sqlx::query(super::notifications::MARK_ONE)
                        .bind(recipient.to_string())
                        .bind(read_at_ms)
                        .bind(id)
                        .execute(&self.pool)
                        .await?
                        .rows_affected();
                }
                Ok(changed)
            }

            async fn set_next_digest(
                &self,
                human: crate::domain::HumanId,
                next_digest_at_ms: Option<i64>,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::notifications::SET_NEXT_DIGEST)
                    .bind(human.to_string())
                    .bind(next_digest_at_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl super::notifications::NotificationWrites for $tx {
            async fn insert_notification(
                &mut self,
                n: &super::notifications::NewNotification,
            ) -> Result<bool, crate::store::StoreError> {
                let done = sqlx::query(super::notifications::INSERT)
                    .bind(&n.id)
                    .bind(n.recipient.to_string())
                    .bind(n.kind.as_str())
                    .bind(&n.subject)
                    .bind(&n.title)
                    .bind(&n.concerning)
                    .bind(&n.link)
                    .bind(n.due_at_ms)
                    .bind(n.on_behalf_of.map(|h| h.to_string()))
                    .bind(&n.dedupe_key)
                    .bind(n.event_seq)
                    .bind(n.created_at_ms)
                    .bind(n.digested_at_ms)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_notification_prefs(
                &mut self,
                human: crate::domain::HumanId,
                prefs: &crate::domain::NotifyPrefs,
                next_digest_at_ms: Option<i64>,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::notifications::UPSERT_PREFS)
                    .bind(human.to_string())
                    .bind(prefs.email)
                    .bind(prefs.slack)
                    .bind(prefs.teams)
                    .bind(prefs.daily_digest)
                    .bind(i64::from(prefs.digest_hour))
                    .bind(prefs.quiet.map(|(s, _)| i64::from(s)))
                    .bind(prefs.quiet.map(|(_, e)| i64::from(e)))
                    .bind(i64::from(prefs.utc_offset_minutes))
                    .bind(next_digest_at_ms)
                    .bind(at_ms)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn digests_due(
                &mut self,
                now_ms: i64,
            ) -> Result<
                Vec<(crate::domain::HumanId, crate::domain::NotifyPrefs)>,
                crate::store::StoreError,
            > {
                type Due = (
                    String,
                    bool,
                    bool,
                    bool,
                    bool,
                    i64,
                    Option<i64>,
                    Option<i64>,
                    i64,
                );
                let rows: Vec<Due> = sqlx::query_as(&super::notifications::due_sql())
                    .bind(now_ms)
                    .fetch_all(&mut *self.tx)
                    .await?;
                rows.into_iter()
                    .map(|(id, a, b, c, d, e, f, g, h)| {
                        let human = id.parse().map_err(|_| {
                            crate::store::StoreError::Corrupt(
                                "notification_preferences.human_id".to_owned(),
                            )
                        })?;
                        Ok((
                            human,
                            super::notifications::prefs_from_row((a, b, c, d, e, f, g, h))?,
                        ))
                    })
                    .collect()
            }

            async fn all_notification_prefs_in_tx(
                &mut self,
            ) -> Result<
                Vec<(crate::domain::HumanId, crate::domain::NotifyPrefs)>,
                crate::store::StoreError,
            > {
                type Due = (
                    String,
                    bool,
                    bool,
                    bool,
                    bool,
                    i64,
                    Option<i64>,
                    Option<i64>,
                    i64,
                );
                let rows: Vec<Due> = sqlx::query_as(&super::notifications::all_prefs_sql())
                    .fetch_all(&mut *self.tx)
                    .await?;
                rows.into_iter()
                    .map(|(id, a, b, c, d, e, f, g, h)| {
                        let human = id.parse().map_err(|_| {
                            crate::store::StoreError::Corrupt(
                                "notification_preferences.human_id".to_owned(),
                            )
                        })?;
                        Ok((
                            human,
                            super::notifications::prefs_from_row((a, b, c, d, e, f, g, h))?,
                        ))
                    })
                    .collect()
            }

            async fn take_undigested(
                &mut self,
                recipient: crate::domain::HumanId,
                at_ms: i64,
            ) -> Result<Vec<super::notifications::NotificationRow>, crate::store::StoreError> {
                let rows = sqlx::query_as::<_, super::notifications::Row>(
                    &super::notifications::undigested_sql(),
                )
                .bind(recipient.to_string())
                .fetch_all(&mut *self.tx)
                .await?
                .into_iter()
                .map(super::notifications::from_row)
                .collect::<Result<Vec<_>, _>>()?;
                sqlx::query(super::notifications::MARK_DIGESTED)
                    .bind(recipient.to_string())
                    .bind(at_ms)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(rows)
            }

            async fn active_people_in_tx(
                &mut self,
            ) -> Result<Vec<crate::domain::Human>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM humans WHERE active = TRUE ORDER BY name, id",
                    super::sql::HUMAN_COLUMNS
                );
                let rows = sqlx::query(&sql).fetch_all(&mut *self.tx).await?;
                rows.iter().map(super::sql::human_from_row).collect()
            }

            async fn active_role_holders_in_tx(
                &mut self,
            ) -> Result<Vec<crate::domain::Human>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM humans WHERE active = TRUE AND roles <> '' ORDER BY name, id",
                    super::sql::HUMAN_COLUMNS
                );
                let rows = sqlx::query(&sql).fetch_all(&mut *self.tx).await?;
                rows.iter().map(super::sql::human_from_row).collect()
            }

            async fn report_fact(
                &mut self,
                key: &str,
                at_ms: i64,
            ) -> Result<bool, crate::store::StoreError> {
                Ok(sqlx::query(super::notifications::REPORT_FACT)
                    .bind(key)
                    .bind(at_ms)
                    .execute(&mut *self.tx)
                    .await?
                    .rows_affected()
                    == 1)
            }

            async fn incomplete_revocations(
                &mut self,
                before_ms: i64,
            ) -> Result<Vec<(String, String, i64)>, crate::store::StoreError> {
                Ok(sqlx::query_as(super::notifications::INCOMPLETE_REVOCATIONS)
                    .bind(before_ms)
                    .fetch_all(&mut *self.tx)
                    .await?)
            }
        }
    };
}

pub(super) use notifications_sql;
