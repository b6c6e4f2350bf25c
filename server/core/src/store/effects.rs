//! The outbox and the kill switch's records, shared by both backends through `effects_sql!`.
//! Leasing due effects is the one write that takes no ledger lock: it changes who may deliver a
//! row, never what happened, so it needs no audit event (each attempt's outcome gets one).

use super::StoreError;
use crate::clock::from_millis;
use crate::domain::{Effect, EffectKind, NhiState, OutboxState, Revocation};
use async_trait::async_trait;
use sqlx::Row;

/// The outbox at a glance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxBacklog {
    pub pending: i64,
    pub dead: i64,
    pub oldest_pending_ms: Option<i64>,
}

#[async_trait]
pub trait EffectReads {
    async fn effect(&self, id: &str) -> Result<Option<Effect>, StoreError>;
    /// Every effect on behalf of a change (publish, rollbacks, callbacks), oldest first.
    async fn effects_of_change(&self, change_id: &str) -> Result<Vec<Effect>, StoreError>;
    /// The revoke calls of one kill switch, oldest first.
    async fn effects_of_revocation(&self, revocation_id: &str) -> Result<Vec<Effect>, StoreError>;
    /// Effects in `state`, newest first, at most `limit`.
    async fn effects_in_state(
        &self,
        state: OutboxState,
        limit: i64,
    ) -> Result<Vec<Effect>, StoreError>;
    async fn revocation_of(
        &self,
        workflow: crate::domain::WorkflowId,
    ) -> Result<Option<Revocation>, StoreError>;
    /// A change and every effect on its behalf, read from one snapshot: a page never shows a
    /// status that its deliveries contradict.
    async fn change_with_effects(
        &self,
        change_id: &str,
    ) -> Result<Option<(crate::domain::ChangeRequest, Vec<Effect>)>, StoreError>;
    /// A workflow's revocation and its revoke calls, read from one snapshot.
    async fn revocation_with_calls(
        &self,
        workflow: crate::domain::WorkflowId,
    ) -> Result<Option<(Revocation, Vec<Effect>)>, StoreError>;
    /// Leases up to `limit` due effects (or just `only`, if due) to `worker` until
    /// `lease_until_ms`, counting the attempt. On PostgreSQL rows another process holds are
    /// skipped (`FOR UPDATE SKIP LOCKED`); a lease that ran out (its worker died) is taken over.
    async fn lease_due_effects(
        &self,
        worker: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
        only: Option<&str>,
    ) -> Result<Vec<Effect>, StoreError>;
    /// Effects waiting (pending) and given up (dead), and when the oldest pending one was queued:
    /// what an operator watches.
    async fn outbox_backlog(&self) -> Result<OutboxBacklog, StoreError>;
    /// The titles of these changes: (id, title).
    async fn change_titles(&self, ids: &[String]) -> Result<Vec<(String, String)>, StoreError>;
    /// The sealed secret a change's callbacks are signed with.
    async fn change_callback_secret(&self, change_id: &str) -> Result<Option<String>, StoreError>;
    /// When the next pending effect falls due, if any.
    async fn next_effect_due_ms(&self) -> Result<Option<i64>, StoreError>;
}

#[async_trait]
pub trait EffectWrites {
    async fn insert_effect(&mut self, effect: &Effect) -> Result<(), StoreError>;
    async fn effect_in_tx(&mut self, id: &str) -> Result<Option<Effect>, StoreError>;
    /// Records an attempt's outcome if `worker` still holds the lease; false if it lost it.
    async fn finish_attempt(
        &mut self,
        id: &str,
        worker: &str,
        record: &crate::domain::AttemptRecord,
    ) -> Result<bool, StoreError>;
    /// A dead effect back to pending, due now, with a fresh count of attempts.
    async fn rearm_effect(&mut self, id: &str, now_ms: i64) -> Result<(), StoreError>;
    /// Withdraws a workflow's undelivered effects of this kind; returns their ids.
    async fn cancel_pending_effects(
        &mut self,
        workflow: crate::domain::WorkflowId,
        kind: EffectKind,
        now_ms: i64,
    ) -> Result<Vec<String>, StoreError>;
    /// Effects of a kind for a change, read inside this transaction, oldest first.
    async fn change_effects_in_tx(
        &mut self,
        change_id: &str,
        kind: EffectKind,
    ) -> Result<Vec<Effect>, StoreError>;
    async fn set_change_publication(
        &mut self,
        change_id: &str,
        publication: &crate::domain::Publication,
    ) -> Result<(), StoreError>;
    async fn set_change_callback(
        &mut self,
        change_id: &str,
        url: &str,
        sealed_secret: &str,
    ) -> Result<(), StoreError>;
    /// The version live at a target by Countersign's records: the newest publication there
    /// that is still published.
    async fn live_version_at(
        &mut self,
        system: crate::domain::SystemId,
        target_ref: &str,
    ) -> Result<Option<String>, StoreError>;
    /// A workflow's changes in any of these statuses.
    async fn changes_of_workflow(
        &mut self,
        workflow: crate::domain::WorkflowId,
        statuses: &[crate::domain::ChangeStatus],
    ) -> Result<Vec<crate::domain::ChangeRequest>, StoreError>;
    /// Ends every access token issued for a workflow; returns how many.
    async fn delete_access_tokens_of_workflow(
        &mut self,
        workflow: crate::domain::WorkflowId,
    ) -> Result<u64, StoreError>;
    async fn insert_revocation(&mut self, revocation: &Revocation) -> Result<(), StoreError>;
    async fn revocation_by_id(&mut self, id: &str) -> Result<Option<Revocation>, StoreError>;
    async fn complete_revocation(&mut self, id: &str, at_ms: i64) -> Result<(), StoreError>;
    /// Revoke calls of a kill switch not yet confirmed by their system.
    async fn unconfirmed_revoke_calls(&mut self, revocation_id: &str) -> Result<i64, StoreError>;
    async fn set_workflow_cloned_from(
        &mut self,
        id: crate::domain::WorkflowId,
        from: crate::domain::WorkflowId,
    ) -> Result<(), StoreError>;
}

pub(super) const EFFECT_COLUMNS: &str = "id, kind, system_id, destination, workflow_id, \
    change_id, revocation_id, body, reason, requested_by_ref, requested_by_label, state, \
    attempts, next_attempt_at, last_error, receipt, created_at, finished_at";

pub(super) const REVOCATION_COLUMNS: &str = "id, workflow_id, reason, requested_by, \
    requested_by_name, requested_at, identities_to, tokens_ended, identities, \
    changes_cancelled, rollbacks_queued, systems, completed_at, event_seq";

pub(super) fn effect_from_row<R: Row>(row: &R) -> Result<Effect, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| StoreError::Corrupt(format!("outbox.{what}"));
    let optional_id = |column: &str| -> Result<Option<String>, StoreError> {
        Ok(row.try_get::<Option<String>, _>(column)?)
    };
    Ok(Effect {
        id: row.try_get("id")?,
        kind: EffectKind::parse(&row.try_get::<String, _>("kind")?)
            .ok_or_else(|| corrupt("kind"))?,
        system: optional_id("system_id")?
            .map(|s| s.parse().map_err(|_| corrupt("system_id")))
            .transpose()?,
        destination: row.try_get("destination")?,
        workflow: optional_id("workflow_id")?
            .map(|s| s.parse().map_err(|_| corrupt("workflow_id")))
            .transpose()?,
        change_id: optional_id("change_id")?,
        revocation_id: optional_id("revocation_id")?,
        body: row.try_get("body")?,
        reason: row.try_get("reason")?,
        requested_by_ref: row.try_get("requested_by_ref")?,
        requested_by_label: row.try_get("requested_by_label")?,
        state: OutboxState::parse(&row.try_get::<String, _>("state")?)
            .ok_or_else(|| corrupt("state"))?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?)
            .map_err(|_| corrupt("attempts"))?,
        next_attempt_at: from_millis(row.try_get("next_attempt_at")?),
        last_error: row.try_get("last_error")?,
        receipt: row.try_get("receipt")?,
        created_at: from_millis(row.try_get("created_at")?),
        finished_at: row
            .try_get::<Option<i64>, _>("finished_at")?
            .map(from_millis),
    })
}

pub(super) fn revocation_from_row<R: Row>(row: &R) -> Result<Revocation, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| StoreError::Corrupt(format!("revocations.{what}"));
    Ok(Revocation {
        id: row.try_get("id")?,
        workflow: row
            .try_get::<String, _>("workflow_id")?
            .parse()
            .map_err(|_| corrupt("workflow_id"))?,
        reason: row.try_get("reason")?,
        requested_by: row
            .try_get::<String, _>("requested_by")?
            .parse()
            .map_err(|_| corrupt("requested_by"))?,
        requested_by_name: row.try_get("requested_by_name")?,
        requested_at: from_millis(row.try_get("requested_at")?),
        identities_to: NhiState::parse(&row.try_get::<String, _>("identities_to")?)
            .ok_or_else(|| corrupt("identities_to"))?,
        tokens_ended: row.try_get("tokens_ended")?,
        identities: row.try_get("identities")?,
        changes_cancelled: row.try_get("changes_cancelled")?,
        rollbacks_queued: row.try_get("rollbacks_queued")?,
        systems: row.try_get("systems")?,
        completed_at: row
            .try_get::<Option<i64>, _>("completed_at")?
            .map(from_millis),
        event_seq: row.try_get("event_seq")?,
    })
}

/// The lease query: due, pending, not held by a live lease; PostgreSQL skips rows another
/// process is leasing at this moment.
pub(super) fn lease_query(skip_locked: bool, only: bool) -> String {
    // SQLite wants each placeholder's first use in order: the id, when given, is $4.
    let (only, limit) = if only {
        ("AND id = $4 ", "$5")
    } else {
        ("", "$4")
    };
    let lock = if skip_locked {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    format!(
        "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $3 \
         AND (lease_until IS NULL OR lease_until < $3) {only}\
         ORDER BY next_attempt_at, id LIMIT {limit} {lock}) \
         RETURNING {EFFECT_COLUMNS}"
    )
}

macro_rules! effects_sql {
    ($store:ident, $tx:ident, $db:ty, $skip_locked:expr) => {
        impl $store {
            /// Effects whose `column` (a fixed name, never input) equals `value`, oldest first.
            async fn effects_where(
                &self,
                column: &'static str,
                value: &str,
            ) -> Result<Vec<crate::domain::Effect>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM outbox WHERE {column} = $1 ORDER BY created_at, id",
                    super::effects::EFFECT_COLUMNS
                );
                let rows = sqlx::query(&sql).bind(value).fetch_all(&self.pool).await?;
                rows.iter().map(super::effects::effect_from_row).collect()
            }
        }

        impl $store {
            /// A read-only transaction that sees one snapshot for all its statements
            /// (PostgreSQL needs REPEATABLE READ for that; SQLite's WAL readers have it).
            async fn snapshot(
                &self,
            ) -> Result<sqlx::Transaction<'static, $db>, crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                if $skip_locked {
                    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                        .execute(&mut *tx)
                        .await?;
                }
                Ok(tx)
            }
        }

        #[async_trait::async_trait]
        impl super::effects::EffectReads for $store {
            async fn change_with_effects(
                &self,
                change_id: &str,
            ) -> Result<
                Option<(crate::domain::ChangeRequest, Vec<crate::domain::Effect>)>,
                crate::store::StoreError,
            > {
                let mut tx = self.snapshot().await?;
                let row = sqlx::query(&format!(
                    "SELECT {} FROM change_requests WHERE id = $1",
                    super::changes::CHANGE_COLUMNS
                ))
                .bind(change_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let change = super::changes::change_from_row(&row)?;
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM outbox WHERE change_id = $1 ORDER BY created_at, id",
                    super::effects::EFFECT_COLUMNS
                ))
                .bind(change_id)
                .fetch_all(&mut *tx)
                .await?;
                let effects = rows
                    .iter()
                    .map(super::effects::effect_from_row)
                    .collect::<Result<Vec<_>, _>>()?;
                tx.commit().await?;
                Ok(Some((change, effects)))
            }

            async fn revocation_with_calls(
                &self,
                workflow: crate::domain::WorkflowId,
            ) -> Result<
                Option<(crate::domain::Revocation, Vec<crate::domain::Effect>)>,
                crate::store::StoreError,
            > {
                let mut tx = self.snapshot().await?;
                let row = sqlx::query(&format!(
                    "SELECT {} FROM revocations WHERE workflow_id = $1",
                    super::effects::REVOCATION_COLUMNS
                ))
                .bind(workflow.to_string())
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let revocation = super::effects::revocation_from_row(&row)?;
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM outbox WHERE revocation_id = $1 ORDER BY created_at, id",
                    super::effects::EFFECT_COLUMNS
                ))
                .bind(&revocation.id)
                .fetch_all(&mut *tx)
                .await?;
                let calls = rows
                    .iter()
                    .map(super::effects::effect_from_row)
                    .collect::<Result<Vec<_>, _>>()?;
                tx.commit().await?;
                Ok(Some((revocation, calls)))
            }

            async fn effect(
                &self,
                id: &str,
            ) -> Result<Option<crate::domain::Effect>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM outbox WHERE id = $1",
                    super::effects::EFFECT_COLUMNS
                );
                let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map(super::effects::effect_from_row).transpose()
            }

            async fn effects_of_change(
                &self,
                change_id: &str,
            ) -> Result<Vec<crate::domain::Effect>, crate::store::StoreError> {
                self.effects_where("change_id", change_id).await
            }

            async fn effects_of_revocation(
                &self,
                revocation_id: &str,
            ) -> Result<Vec<crate::domain::Effect>, crate::store::StoreError> {
                self.effects_where("revocation_id", revocation_id).await
            }

            async fn effects_in_state(
                &self,
                state: crate::domain::OutboxState,
                limit: i64,
            ) -> Result<Vec<crate::domain::Effect>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM outbox WHERE state = $1 \
                     ORDER BY created_at DESC, id DESC LIMIT $2",
                    super::effects::EFFECT_COLUMNS
                );
                let rows = sqlx::query(&sql)
                    .bind(state.as_str())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(super::effects::effect_from_row).collect()
            }

            async fn revocation_of(
                &self,
                workflow: crate::domain::WorkflowId,
            ) -> Result<Option<crate::domain::Revocation>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM revocations WHERE workflow_id = $1",
                    super::effects::REVOCATION_COLUMNS
                );
                let row = sqlx::query(&sql)
                    .bind(workflow.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref()
                    .map(super::effects::revocation_from_row)
                    .transpose()
            }

            async fn lease_due_effects(
                &self,
                worker: &str,
                now_ms: i64,
                lease_until_ms: i64,
                limit: i64,
                only: Option<&str>,
            ) -> Result<Vec<crate::domain::Effect>, crate::store::StoreError> {
                let sql = super::effects::lease_query($skip_locked, only.is_some());
                let mut query = sqlx::query(&sql)
                    .bind(worker)
                    .bind(lease_until_ms)
                    .bind(now_ms);
                if let Some(id) = only {
                    query = query.bind(id);
                }
                let rows = query.bind(limit).fetch_all(&self.pool).await?;
                rows.iter().map(super::effects::effect_from_row).collect()
            }

            async fn change_callback_secret(
                &self,
                change_id: &str,
            ) -> Result<Option<String>, crate::store::StoreError> {
                Ok(sqlx::query_scalar::<_, Option<String>>(
                    "SELECT callback_secret FROM change_requests WHERE id = $1",
                )
                .bind(change_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten())
            }

            async fn change_titles(
                &self,
                ids: &[String],
            ) -> Result<Vec<(String, String)>, crate::store::StoreError> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
                let sql = format!(
                    "SELECT id, title FROM change_requests WHERE id IN ({})",
                    placeholders.join(", ")
                );
                let mut query = sqlx::query_as::<_, (String, String)>(&sql);
                for id in ids {
                    query = query.bind(id);
                }
                Ok(query.fetch_all(&self.pool).await?)
            }

            async fn outbox_backlog(
                &self,
            ) -> Result<super::effects::OutboxBacklog, crate::store::StoreError> {
                let count = |state: &'static str| {
                    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE state = $1")
                        .bind(state)
                        .fetch_one(&self.pool)
                };
                Ok(super::effects::OutboxBacklog {
                    pending: count("pending").await?,
                    dead: count("dead").await?,
                    oldest_pending_ms: sqlx::query_scalar(
                        "SELECT MIN(created_at) FROM outbox WHERE state = 'pending'",
                    )
                    .fetch_one(&self.pool)
                    .await?,
                })
            }

            async fn next_effect_due_ms(&self) -> Result<Option<i64>, crate::store::StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'",
                )
                .fetch_one(&self.pool)
                .await?)
            }
        }

        #[async_trait::async_trait]
        impl super::effects::EffectWrites for $tx {
            async fn insert_effect(
                &mut self,
                effect: &crate::domain::Effect,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO outbox (id, kind, system_id, destination, workflow_id, \
                     change_id, revocation_id, body, reason, requested_by_ref, \
                     requested_by_label, state, attempts, next_attempt_at, last_error, receipt, \
                     created_at, finished_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16, $17, $18)",
                )
                .bind(&effect.id)
                .bind(effect.kind.as_str())
                .bind(effect.system.map(|s| s.to_string()))
                .bind(&effect.destination)
                .bind(effect.workflow.map(|w| w.to_string()))
                .bind(&effect.change_id)
                .bind(&effect.revocation_id)
                .bind(&effect.body)
                .bind(&effect.reason)
                .bind(&effect.requested_by_ref)
                .bind(&effect.requested_by_label)
                .bind(effect.state.as_str())
                .bind(i64::from(effect.attempts))
                .bind(crate::clock::to_millis(effect.next_attempt_at))
                .bind(&effect.last_error)
                .bind(&effect.receipt)
                .bind(crate::clock::to_millis(effect.created_at))
                .bind(effect.finished_at.map(crate::clock::to_millis))
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn effect_in_tx(
                &mut self,
                id: &str,
            ) -> Result<Option<crate::domain::Effect>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM outbox WHERE id = $1",
                    super::effects::EFFECT_COLUMNS
                );
                let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *self.tx).await?;
                row.as_ref().map(super::effects::effect_from_row).transpose()
            }

            async fn finish_attempt(
                &mut self,
                id: &str,
                worker: &str,
                record: &crate::domain::AttemptRecord,
            ) -> Result<bool, crate::store::StoreError> {
                let done = sqlx::query(
                    "UPDATE outbox SET state = $1, next_attempt_at = $2, last_error = $3, \
                     receipt = $4, finished_at = $5, lease_owner = NULL, lease_until = NULL \
                     WHERE id = $6 AND lease_owner = $7 AND state = 'pending'",
                )
                .bind(record.state.as_str())
                .bind(crate::clock::to_millis(record.next_attempt_at))
                .bind(&record.last_error)
                .bind(&record.receipt)
                .bind(record.finished_at.map(crate::clock::to_millis))
                .bind(id)
                .bind(worker)
                .execute(&mut *self.tx)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn rearm_effect(
                &mut self,
                id: &str,
                now_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, \
                     finished_at = NULL, lease_owner = NULL, lease_until = NULL \
                     WHERE id = $2 AND state = 'dead'",
                )
                .bind(now_ms)
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn cancel_pending_effects(
                &mut self,
                workflow: crate::domain::WorkflowId,
                kind: crate::domain::EffectKind,
                now_ms: i64,
            ) -> Result<Vec<String>, crate::store::StoreError> {
                Ok(sqlx::query_scalar(
                    "UPDATE outbox SET state = 'cancelled', finished_at = $1, \
                     lease_owner = NULL, lease_until = NULL \
                     WHERE workflow_id = $2 AND kind = $3 AND state IN ('pending', 'dead') \
                     RETURNING id",
                )
                .bind(now_ms)
                .bind(workflow.to_string())
                .bind(kind.as_str())
                .fetch_all(&mut *self.tx)
                .await?)
            }

            async fn change_effects_in_tx(
                &mut self,
                change_id: &str,
                kind: crate::domain::EffectKind,
            ) -> Result<Vec<crate::domain::Effect>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM outbox WHERE change_id = $1 AND kind = $2 \
                     ORDER BY created_at, id",
                    super::effects::EFFECT_COLUMNS
                );
                let rows = sqlx::query(&sql)
                    .bind(change_id)
                    .bind(kind.as_str())
                    .fetch_all(&mut *self.tx)
                    .await?;
                rows.iter().map(super::effects::effect_from_row).collect()
            }

            async fn set_change_publication(
                &mut self,
                change_id: &str,
                publication: &crate::domain::Publication,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE change_requests SET published_version = $1, replaced_version = $2, \
                     published_at = $3 WHERE id = $4",
                )
                .bind(&publication.version)
                .bind(&publication.replaced)
                .bind(crate::clock::to_millis(publication.at))
                .bind(change_id)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn set_change_callback(
                &mut self,
                change_id: &str,
                url: &str,
                sealed_secret: &str,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE change_requests SET callback_url = $1, callback_secret = $2 \
                     WHERE id = $3",
                )
                .bind(url)
                .bind(sealed_secret)
                .bind(change_id)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn live_version_at(
                &mut self,
                system: crate::domain::SystemId,
                target_ref: &str,
            ) -> Result<Option<String>, crate::store::StoreError> {
                // A change's own target, or a target of one of its variants.
                Ok(sqlx::query_scalar::<_, Option<String>>(
                    "SELECT published_version FROM ( \
                       SELECT published_version, published_at FROM change_requests \
                       WHERE target_system = $1 AND target_ref = $2 AND status = 'published' \
                       AND published_at IS NOT NULL \
                     UNION ALL \
                       SELECT v.published_version, v.published_at FROM change_variants v \
                       JOIN change_requests c ON c.id = v.change_id \
                       AND v.version = c.current_version \
                       WHERE c.target_system = $1 AND v.target_ref = $2 \
                       AND c.status = 'published' AND v.published_at IS NOT NULL \
                     ) live ORDER BY published_at DESC LIMIT 1",
                )
                .bind(system.to_string())
                .bind(target_ref)
                .fetch_optional(&mut *self.tx)
                .await?
                .flatten())
            }

            async fn changes_of_workflow(
                &mut self,
                workflow: crate::domain::WorkflowId,
                statuses: &[crate::domain::ChangeStatus],
            ) -> Result<Vec<crate::domain::ChangeRequest>, crate::store::StoreError> {
                if statuses.is_empty() {
                    return Ok(Vec::new());
                }
                let placeholders: Vec<String> =
                    (2..statuses.len() + 2).map(|n| format!("${n}")).collect();
                let sql = format!(
                    "SELECT {} FROM change_requests WHERE workflow_id = $1 AND status IN ({}) \
                     ORDER BY created_at, id",
                    super::changes::CHANGE_COLUMNS,
                    placeholders.join(", ")
                );
                let mut query = sqlx::query(&sql).bind(workflow.to_string());
                for status in statuses {
                    query = query.bind(status.as_str());
                }
                let rows = query.fetch_all(&mut *self.tx).await?;
                rows.iter().map(super::changes::change_from_row).collect()
            }

            async fn delete_access_tokens_of_workflow(
                &mut self,
                workflow: crate::domain::WorkflowId,
            ) -> Result<u64, crate::store::StoreError> {
                let done = sqlx::query("DELETE FROM access_tokens WHERE workflow_id = $1")
                    .bind(workflow.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn insert_revocation(
                &mut self,
                r: &crate::domain::Revocation,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO revocations (id, workflow_id, reason, requested_by, \
                     requested_by_name, requested_at, identities_to, tokens_ended, identities, \
                     changes_cancelled, rollbacks_queued, systems, completed_at, event_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(&r.id)
                .bind(r.workflow.to_string())
                .bind(&r.reason)
                .bind(r.requested_by.to_string())
                .bind(&r.requested_by_name)
                .bind(crate::clock::to_millis(r.requested_at))
                .bind(r.identities_to.as_str())
                .bind(r.tokens_ended)
                .bind(r.identities)
                .bind(r.changes_cancelled)
                .bind(r.rollbacks_queued)
                .bind(r.systems)
                .bind(r.completed_at.map(crate::clock::to_millis))
                .bind(r.event_seq)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn revocation_by_id(
                &mut self,
                id: &str,
            ) -> Result<Option<crate::domain::Revocation>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM revocations WHERE id = $1",
                    super::effects::REVOCATION_COLUMNS
                );
                let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *self.tx).await?;
                row.as_ref()
                    .map(super::effects::revocation_from_row)
                    .transpose()
            }

            async fn complete_revocation(
                &mut self,
                id: &str,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE revocations SET completed_at = $1 WHERE id = $2 \
                     AND completed_at IS NULL",
                )
                .bind(at_ms)
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn unconfirmed_revoke_calls(
                &mut self,
                revocation_id: &str,
            ) -> Result<i64, crate::store::StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT COUNT(*) FROM outbox WHERE revocation_id = $1 AND kind = 'revoke' \
                     AND state <> 'delivered'",
                )
                .bind(revocation_id)
                .fetch_one(&mut *self.tx)
                .await?)
            }

            async fn set_workflow_cloned_from(
                &mut self,
                id: crate::domain::WorkflowId,
                from: crate::domain::WorkflowId,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query("UPDATE workflows SET cloned_from = $1 WHERE id = $2")
                    .bind(from.to_string())
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(super) use effects_sql;
