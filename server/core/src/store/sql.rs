//! The SQL both backends share. SQLite accepts PostgreSQL's `$1` placeholders (as long as each
//! first appears in order), and every type used here (TEXT, BIGINT, booleans) decodes the same on
//! both, so one body serves both through this macro.

use crate::clock::from_millis;
use crate::domain::{Deactivation, Human, HumanId, RoleSet};
use crate::ledger::StoredEvent;
use sqlx::Row;

pub(super) const HUMAN_COLUMNS: &str =
    "id, email, name, roles, deactivated, created_at, last_sign_in_at";
pub(super) const EVENT_COLUMNS: &str =
    "seq, at_ms, actor_ref, actor_label, action, subject, details, prev_hash, hash";

pub(super) fn human_from_row<R: Row>(row: &R) -> Result<Human, super::StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| super::StoreError::Corrupt(format!("humans.{what}"));
    let id: String = row.try_get("id")?;
    let roles: String = row.try_get("roles")?;
    let deactivation: Option<String> = row.try_get("deactivated")?;
    Ok(Human {
        id: id.parse::<HumanId>().map_err(|_| corrupt("id"))?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        roles: RoleSet::from_csv(&roles).map_err(|_| corrupt("roles"))?,
        deactivation: match deactivation {
            Some(raw) => Some(Deactivation::parse(&raw).ok_or_else(|| corrupt("deactivation"))?),
            None => None,
        },
        created_at: from_millis(row.try_get("created_at")?),
        last_sign_in_at: row
            .try_get::<Option<i64>, _>("last_sign_in_at")?
            .map(from_millis),
    })
}

pub(super) fn event_from_row<R: Row>(row: &R) -> Result<StoredEvent, super::StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    // By position, in EVENT_COLUMNS' order: looking each column up by name costs more than
    // decoding it when `audit verify` reads millions of rows.
    Ok(StoredEvent {
        seq: row.try_get(0)?,
        at_ms: row.try_get(1)?,
        actor_ref: row.try_get(2)?,
        actor_label: row.try_get(3)?,
        action: row.try_get(4)?,
        subject: row.try_get(5)?,
        details: row.try_get(6)?,
        prev_hash: row.try_get(7)?,
        hash: row.try_get(8)?,
    })
}

/// Implements `Store` and `WriteTx` for a backend; the backend supplies `backend_kind`,
/// `run_migrations` and `check_readiness`.
macro_rules! shared_sql {
    ($store:ident, $tx:ident, $db:ty) => {
        pub struct $tx {
            tx: sqlx::Transaction<'static, $db>,
            now_ms: i64,
            head_seq: i64,
            head_hash: String,
            appended: bool,
            registry_unchanged: bool,
            consent_changed: bool,
            generations: crate::store::Generations,
        }

        impl $tx {
            async fn insert_version(
                &mut self,
                id: &str,
                version: &crate::domain::ChangeVersion,
            ) -> Result<(), crate::store::StoreError> {
                let provenance = serde_json::to_string(&version.provenance)
                    .map_err(|e| crate::store::StoreError::Corrupt(format!("provenance: {e}")))?;
                sqlx::query(
                    "INSERT INTO change_versions (change_id, version, content, format, \
                     content_hash, provenance_json, submitted_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(version.version)
                .bind(&version.content.text)
                .bind(version.content.format.as_str())
                .bind(&version.content.hash)
                .bind(&provenance)
                .bind(crate::clock::to_millis(version.submitted_at))
                .execute(&mut *self.tx)
                .await?;
                // The decisions it cites, for tracing a subject's data to the changes using it.
                sqlx::query(<Self as crate::store::investigate::InvestigateIndex>::CITATIONS)
                    .bind(&provenance)
                    .bind(id)
                    .bind(version.version)
                    .execute(&mut *self.tx)
                    .await?;
                crate::store::VariantWrites::insert_variants(
                    self,
                    id,
                    version.version,
                    &version.variants,
                )
                .await
            }
        }

        impl $store {
            async fn begin_write_tx(&self, now_ms: i64) -> Result<$tx, crate::store::StoreError> {
                let mut tx = self.write_pool().begin().await?;
                // A write first: SQLite takes its write lock now (no deferred upgrade that could
                // fail under concurrency), PostgreSQL locks the head row until commit.
                let head = sqlx::query(
                    "UPDATE ledger_head SET seq = seq WHERE id = 1 \
                     RETURNING seq, hash, registry_generation, consent_generation",
                )
                .fetch_one(&mut *tx)
                .await?;
                Ok($tx {
                    tx,
                    now_ms,
                    head_seq: sqlx::Row::try_get(&head, "seq")?,
                    head_hash: sqlx::Row::try_get(&head, "hash")?,
                    appended: false,
                    registry_unchanged: false,
                    consent_changed: false,
                    generations: crate::store::Generations {
                        registry: sqlx::Row::try_get(&head, "registry_generation")?,
                        consent: sqlx::Row::try_get(&head, "consent_generation")?,
                    },
                })
            }
        }

        #[async_trait::async_trait]
        impl crate::store::WriteTx for $tx {
            async fn human_by_external(
                &mut self,
                issuer: &str,
                subject: &str,
            ) -> Result<Option<crate::domain::Human>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM humans WHERE issuer = $1 AND subject = $2",
                    super::sql::HUMAN_COLUMNS
                );
                let row = sqlx::query(&sql)
                    .bind(issuer)
                    .bind(subject)
                    .fetch_optional(&mut *self.tx)
                    .await?;
                row.as_ref().map(super::sql::human_from_row).transpose()
            }

            async fn insert_human(
                &mut self,
                new: &crate::store::NewHuman,
            ) -> Result<(), crate::store::StoreError> {
                let human = &new.human;
                sqlx::query(
                    "INSERT INTO humans (id, issuer, subject, email, name, roles, active, \
                     deactivated, created_at, last_sign_in_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(human.id.to_string())
                .bind(&new.issuer)
                .bind(&new.subject)
                .bind(&human.email)
                .bind(&human.name)
                .bind(human.roles.to_csv())
                .bind(human.is_active())
                .bind(human.deactivation.map(|d| d.as_str()))
                .bind(crate::clock::to_millis(human.created_at))
                .bind(human.last_sign_in_at.map(crate::clock::to_millis))
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn update_human_at_sign_in(
                &mut self,
                human: &crate::domain::Human,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE humans SET email = $1, name = $2, roles = $3, active = $4, \
                     deactivated = $5, last_sign_in_at = $6 WHERE id = $7",
                )
                .bind(&human.email)
                .bind(&human.name)
                .bind(human.roles.to_csv())
                .bind(human.is_active())
                .bind(human.deactivation.map(|d| d.as_str()))
                .bind(human.last_sign_in_at.map(crate::clock::to_millis))
                .bind(human.id.to_string())
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn human_by_id(
                &mut self,
                id: crate::domain::HumanId,
            ) -> Result<Option<crate::domain::Human>, crate::store::StoreError> {
                let sql = format!("SELECT {} FROM humans WHERE id = $1", super::sql::HUMAN_COLUMNS);
                let row = sqlx::query(&sql)
                    .bind(id.to_string())
                    .fetch_optional(&mut *self.tx)
                    .await?;
                row.as_ref().map(super::sql::human_from_row).transpose()
            }

            async fn email_taken(&mut self, email: &str) -> Result<bool, crate::store::StoreError> {
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM humans WHERE email = $1")
                    .bind(email)
                    .fetch_one(&mut *self.tx)
                    .await?;
                Ok(count > 0)
            }

            async fn unlinked_human_by_email(
                &mut self,
                email: &str,
            ) -> Result<Option<crate::domain::Human>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM humans WHERE email = $1 AND issuer IS NULL",
                    super::sql::HUMAN_COLUMNS
                );
                let row = sqlx::query(&sql)
                    .bind(email)
                    .fetch_optional(&mut *self.tx)
                    .await?;
                row.as_ref().map(super::sql::human_from_row).transpose()
            }

            async fn link_human(
                &mut self,
                id: crate::domain::HumanId,
                issuer: &str,
                subject: &str,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE humans SET issuer = $1, subject = $2 WHERE id = $3 AND issuer IS NULL",
                )
                .bind(issuer)
                .bind(subject)
                .bind(id.to_string())
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn set_human_deactivation(
                &mut self,
                id: crate::domain::HumanId,
                deactivation: Option<crate::domain::Deactivation>,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query("UPDATE humans SET active = $1, deactivated = $2 WHERE id = $3")
                    .bind(deactivation.is_none())
                    .bind(deactivation.map(|d| d.as_str()))
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn nhi_name_taken(&mut self, name: &str) -> Result<bool, crate::store::StoreError> {
                let count: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM nhis WHERE LOWER(name) = LOWER($1)")
                        .bind(name)
                        .fetch_one(&mut *self.tx)
                        .await?;
                Ok(count > 0)
            }

            async fn insert_nhi(
                &mut self,
                nhi: &crate::domain::Nhi,
            ) -> Result<(), crate::store::StoreError> {
                let created_ms = crate::clock::to_millis(nhi.created_at);
                sqlx::query(
                    "INSERT INTO nhis (id, kind, name, purpose, state, expires_at, model, \
                     created_by, created_at, last_used_at, state_changed_at, state_reason) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(nhi.id.to_string())
                .bind(nhi.kind.as_str())
                .bind(&nhi.name)
                .bind(&nhi.purpose)
                .bind(nhi.state.as_str())
                .bind(crate::clock::to_millis(nhi.expires_at))
                .bind(&nhi.model)
                .bind(nhi.created_by.to_string())
                .bind(created_ms)
                .bind(nhi.last_used_at.map(crate::clock::to_millis))
                .bind(created_ms)
                .bind(Option::<String>::None)
                .execute(&mut *self.tx)
                .await?;
                let owners: Vec<crate::domain::HumanId> = nhi.owners.iter().map(|o| o.id).collect();
                crate::store::WriteTx::replace_nhi_owners(self, nhi.id, &owners, created_ms).await
            }

            async fn nhi_by_id(
                &mut self,
                id: crate::domain::NhiId,
            ) -> Result<Option<crate::domain::Nhi>, crate::store::StoreError> {
                let filter = crate::store::NhiFilter {
                    id: Some(id),
                    ..Default::default()
                };
                let (sql, args) = super::identities::nhi_query(&filter);
                let mut query = sqlx::query(&sql);
                for arg in args {
                    query = match arg {
                        super::identities::Arg::Int(v) => query.bind(v),
                        super::identities::Arg::Text(v) => query.bind(v),
                    };
                }
                let rows = query.fetch_all(&mut *self.tx).await?;
                Ok(super::identities::group_nhis(&rows)?.into_iter().next())
            }

            async fn replace_nhi_owners(
                &mut self,
                id: crate::domain::NhiId,
                owners: &[crate::domain::HumanId],
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                let before: Vec<String> =
                    sqlx::query_scalar("SELECT human_id FROM nhi_owners WHERE nhi_id = $1")
                        .bind(id.to_string())
                        .fetch_all(&mut *self.tx)
                        .await?;
                for removed in before
                    .iter()
                    .filter(|h| !owners.iter().any(|o| o.to_string() == **h))
                {
                    sqlx::query(
                        "INSERT INTO nhi_stewardship (nhi_id, human_id, kind, at_ms) \
                         VALUES ($1, $2, 'owner_removed', $3)",
                    )
                    .bind(id.to_string())
                    .bind(removed)
                    .bind(at_ms)
                    .execute(&mut *self.tx)
                    .await?;
                }
                sqlx::query("DELETE FROM nhi_owners WHERE nhi_id = $1")
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                for owner in owners {
                    sqlx::query(
                        "INSERT INTO nhi_owners (nhi_id, human_id, added_at) VALUES ($1, $2, $3)",
                    )
                    .bind(id.to_string())
                    .bind(owner.to_string())
                    .bind(at_ms)
                    .execute(&mut *self.tx)
                    .await?;
                }
                Ok(())
            }

            async fn set_nhi_state(
                &mut self,
                id: crate::domain::NhiId,
                state: crate::domain::NhiState,
                reason: &str,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE nhis SET state = $1, state_reason = $2, state_changed_at = $3 \
                     WHERE id = $4",
                )
                .bind(state.as_str())
                .bind(reason)
                .bind(at_ms)
                .bind(id.to_string())
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn nhis_only_owned_by(
                &mut self,
                human: crate::domain::HumanId,
            ) -> Result<Vec<crate::domain::NhiId>, crate::store::StoreError> {
                let ids: Vec<String> = sqlx::query_scalar(
                    "SELECT o.nhi_id FROM nhi_owners o JOIN nhis n ON n.id = o.nhi_id \
                     WHERE o.human_id = $1 AND n.state <> 'revoked' AND NOT EXISTS ( \
                       SELECT 1 FROM nhi_owners other JOIN humans h ON h.id = other.human_id \
                       WHERE other.nhi_id = o.nhi_id AND other.human_id <> $1 AND h.active = TRUE) \
                     ORDER BY o.nhi_id",
                )
                .bind(human.to_string())
                .fetch_all(&mut *self.tx)
                .await?;
                ids.iter()
                    .map(|id| {
                        id.parse().map_err(|_| {
                            crate::store::StoreError::Corrupt("nhi_owners.nhi_id".to_owned())
                        })
                    })
                    .collect()
            }

            async fn system_name_taken(
                &mut self,
                name: &str,
            ) -> Result<bool, crate::store::StoreError> {
                let count: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM connected_systems WHERE LOWER(name) = LOWER($1)",
                )
                .bind(name)
                .fetch_one(&mut *self.tx)
                .await?;
                Ok(count > 0)
            }

            async fn insert_system(
                &mut self,
                system: &crate::domain::ConnectedSystem,
                sealed_secret: &str,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO connected_systems (id, name, kind, base_url, signing_secret, \
                     secret_version, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(system.id.to_string())
                .bind(&system.name)
                .bind(system.kind.as_str())
                .bind(&system.base_url)
                .bind(sealed_secret)
                .bind(system.secret_version)
                .bind(system.created_by.to_string())
                .bind(crate::clock::to_millis(system.created_at))
                .execute(&mut *self.tx)
                .await?;
                for field in &system.fields {
                    sqlx::query(
                        "INSERT INTO system_fields (system_id, name, category) VALUES ($1, $2, $3)",
                    )
                    .bind(system.id.to_string())
                    .bind(&field.name)
                    .bind(field.category.as_str())
                    .execute(&mut *self.tx)
                    .await?;
                }
                Ok(())
            }

            async fn system_by_id(
                &mut self,
                id: crate::domain::SystemId,
            ) -> Result<Option<crate::domain::ConnectedSystem>, crate::store::StoreError> {
                let rows = sqlx::query(&super::systems::system_query(true))
                    .bind(id.to_string())
                    .fetch_all(&mut *self.tx)
                    .await?;
                Ok(super::systems::group_systems(&rows)?.into_iter().next())
            }

            async fn set_system_secret(
                &mut self,
                id: crate::domain::SystemId,
                sealed_secret: &str,
                version: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE connected_systems SET signing_secret = $1, secret_version = $2 \
                     WHERE id = $3",
                )
                .bind(sealed_secret)
                .bind(version)
                .bind(id.to_string())
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn insert_drill(
                &mut self,
                drill: &crate::domain::Drill,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO revocation_drills (id, system_id, run_by, started_at, \
                     duration_ms, passed, receipt, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(drill.id.to_string())
                .bind(drill.system_id.to_string())
                .bind(drill.run_by.to_string())
                .bind(crate::clock::to_millis(drill.started_at))
                .bind(drill.duration_ms)
                .bind(drill.passed)
                .bind(&drill.receipt)
                .bind(&drill.error)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn workflow_name_taken(
                &mut self,
                name: &str,
            ) -> Result<bool, crate::store::StoreError> {
                let count: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM workflows WHERE LOWER(name) = LOWER($1)",
                )
                .bind(name)
                .fetch_one(&mut *self.tx)
                .await?;
                Ok(count > 0)
            }

            async fn insert_workflow(
                &mut self,
                workflow: &crate::domain::Workflow,
            ) -> Result<(), crate::store::StoreError> {
                let created_ms = crate::clock::to_millis(workflow.created_at);
                sqlx::query(
                    "INSERT INTO workflows (id, name, purpose, owner, state, tier, created_by, \
                     created_at, state_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(workflow.id.to_string())
                .bind(&workflow.name)
                .bind(&workflow.purpose)
                .bind(workflow.owner.to_string())
                .bind(workflow.state.as_str())
                .bind(workflow.tier.number())
                .bind(workflow.created_by.to_string())
                .bind(created_ms)
                .bind(created_ms)
                .execute(&mut *self.tx)
                .await?;
                for (position, step) in workflow.steps.iter().enumerate() {
                    let encode = |e: serde_json::Error| {
                        crate::store::StoreError::Corrupt(format!("workflow step: {e}"))
                    };
                    sqlx::query(
                        "INSERT INTO workflow_steps (workflow_id, position, name, kind, performer, \
                         owner, grant_json, pending_grant, id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(workflow.id.to_string())
                    .bind(i64::try_from(position).unwrap_or(i64::MAX))
                    .bind(&step.name)
                    .bind(step.kind.as_str())
                    .bind(serde_json::to_string(&step.performer).map_err(encode)?)
                    .bind(step.owner.map(|o| o.to_string()))
                    .bind(serde_json::to_string(&step.grant).map_err(encode)?)
                    .bind(
                        step.pending_grant
                            .as_ref()
                            .map(serde_json::to_string)
                            .transpose()
                            .map_err(encode)?,
                    )
                    .bind(step.id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                }
                Ok(())
            }

            async fn workflow_by_id(
                &mut self,
                id: crate::domain::WorkflowId,
            ) -> Result<Option<crate::domain::Workflow>, crate::store::StoreError> {
                let rows = sqlx::query(&super::workflows::workflow_query(super::workflows::Which::ById))
                    .bind(id.to_string())
                    .fetch_all(&mut *self.tx)
                    .await?;
                Ok(super::workflows::group_workflows(&rows)?.into_iter().next())
            }

            async fn set_workflow_state(
                &mut self,
                id: crate::domain::WorkflowId,
                state: crate::domain::WorkflowState,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query("UPDATE workflows SET state = $1, state_changed_at = $2 WHERE id = $3")
                    .bind(state.as_str())
                    .bind(at_ms)
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn set_step_grants(
                &mut self,
                step: crate::domain::StepId,
                grant: &crate::domain::Grant,
                pending: Option<&crate::domain::Grant>,
            ) -> Result<(), crate::store::StoreError> {
                let encode = |e: serde_json::Error| {
                    crate::store::StoreError::Corrupt(format!("workflow step: {e}"))
                };
                sqlx::query("UPDATE workflow_steps SET grant_json = $1, pending_grant = $2 WHERE id = $3")
                    .bind(serde_json::to_string(grant).map_err(encode)?)
                    .bind(pending.map(serde_json::to_string).transpose().map_err(encode)?)
                    .bind(step.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn set_workflow_tier(
                &mut self,
                id: crate::domain::WorkflowId,
                tier: crate::domain::Tier,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query("UPDATE workflows SET tier = $1 WHERE id = $2")
                    .bind(tier.number())
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn set_nhi_secret_hash(
                &mut self,
                id: crate::domain::NhiId,
                hash: &str,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query("UPDATE nhis SET secret_hash = $1, secret_rotated_at = $2 WHERE id = $3")
                    .bind(hash)
                    .bind(at_ms)
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn touch_nhi(
                &mut self,
                id: crate::domain::NhiId,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query("UPDATE nhis SET last_used_at = $1 WHERE id = $2")
                    .bind(at_ms)
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn insert_access_token(
                &mut self,
                row: &crate::store::AccessTokenRow,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO access_tokens (token_hash, nhi_id, workflow_id, step_id, \
                     issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&row.token_hash)
                .bind(row.nhi.to_string())
                .bind(row.workflow.to_string())
                .bind(row.step.to_string())
                .bind(row.issued_at_ms)
                .bind(row.expires_at_ms)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn delete_access_tokens_of(
                &mut self,
                nhi: crate::domain::NhiId,
            ) -> Result<u64, crate::store::StoreError> {
                Ok(sqlx::query("DELETE FROM access_tokens WHERE nhi_id = $1")
                    .bind(nhi.to_string())
                    .execute(&mut *self.tx)
                    .await?
                    .rows_affected())
            }

            async fn delete_expired_access_tokens(
                &mut self,
                now_ms: i64,
            ) -> Result<u64, crate::store::StoreError> {
                Ok(sqlx::query("DELETE FROM access_tokens WHERE expires_at < $1")
                    .bind(now_ms)
                    .execute(&mut *self.tx)
                    .await?
                    .rows_affected())
            }

            async fn insert_consent_records(
                &mut self,
                batch: &str,
                records: &[crate::domain::ConsentRecord],
                recorded_by: &str,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                // Consent standings kept in memory are checked against this at every decision's
                // commit: the flag is set where consent is written, not left to callers.
                self.consent_changed = true;
                for record in records {
                    sqlx::query(
                        "INSERT INTO consent_records (id, subject, purpose, legal_basis, granted_at, \
                         withdrawn_at, source, batch_id, recorded_by, recorded_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(record.subject.as_str())
                    .bind(record.purpose.as_str())
                    .bind(record.basis.as_str())
                    .bind(record.granted_at.map(crate::clock::to_millis))
                    .bind(record.withdrawn_at.map(crate::clock::to_millis))
                    .bind(&record.source)
                    .bind(batch)
                    .bind(recorded_by)
                    .bind(at_ms)
                    .execute(&mut *self.tx)
                    .await?;
                }
                Ok(())
            }

            async fn insert_access_decision(
                &mut self,
                row: &crate::store::AccessDecisionRow,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO access_decisions (id, nhi_id, workflow_id, step_id, purpose, \
                     request_json, response_json, decided_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&row.id)
                .bind(row.nhi.to_string())
                .bind(row.workflow.to_string())
                .bind(row.step.to_string())
                .bind(&row.purpose)
                .bind(&row.request_json)
                .bind(&row.response_json)
                .bind(row.decided_at_ms)
                .bind(row.expires_at_ms)
                .execute(&mut *self.tx)
                .await?;
                // Its subjects reach Investigate's index behind it (see `SubjectIndexing`).
                Ok(())
            }

            async fn insert_change(
                &mut self,
                change: &crate::domain::ChangeRequest,
                first: &crate::domain::ChangeVersion,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(&format!(
                    "INSERT INTO change_requests ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                     $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
                    super::changes::CHANGE_COLUMNS
                ))
                .bind(&change.id)
                .bind(change.workflow.to_string())
                .bind(change.step.to_string())
                .bind(change.nhi.to_string())
                .bind(&change.title)
                .bind(&change.channel)
                .bind(change.audience.as_str())
                .bind(&change.purpose)
                .bind(change.target_system.to_string())
                .bind(&change.target_ref)
                .bind(change.status.as_str())
                .bind(change.tier)
                .bind(change.current_version)
                .bind(crate::clock::to_millis(change.created_at))
                .bind(crate::clock::to_millis(change.updated_at))
                .bind(first.signed_hash())
                .bind(change.open_claims)
                .bind(change.has_rollback_plan)
                .bind(change.provenance_ok)
                .bind(change.legal_basis_ok)
                .bind(change.publication.as_ref().map(|p| p.version.clone()))
                .bind(change.publication.as_ref().and_then(|p| p.replaced.clone()))
                .bind(change.publication.as_ref().map(|p| crate::clock::to_millis(p.at)))
                .bind(&change.callback_url)
                .execute(&mut *self.tx)
                .await?;
                self.insert_version(&change.id, first).await
            }

            async fn change_by_id(
                &mut self,
                id: &str,
            ) -> Result<Option<crate::domain::ChangeRequest>, crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM change_requests WHERE id = $1",
                    super::changes::CHANGE_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&mut *self.tx)
                .await?;
                row.as_ref().map(super::changes::change_from_row).transpose()
            }

            async fn add_change_version(
                &mut self,
                id: &str,
                version: &crate::domain::ChangeVersion,
                status: crate::domain::ChangeStatus,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                self.insert_version(id, version).await?;
                sqlx::query(
                    "UPDATE change_requests SET current_version = $1, status = $2, updated_at = $3, \
                     current_hash = $4 WHERE id = $5",
                )
                .bind(version.version)
                .bind(status.as_str())
                .bind(at_ms)
                .bind(version.signed_hash())
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn record_decisions(
                &mut self,
                batch: &[(&crate::store::AccessDecisionRow, &crate::ledger::NewEvent)],
            ) -> Result<(), crate::store::StoreError> {
                if batch.is_empty() {
                    return Ok(());
                }
                let mut sealed = Vec::with_capacity(batch.len());
                let (mut seq, mut prev) = (self.head_seq, self.head_hash.clone());
                for (_, event) in batch {
                    seq += 1;
                    let event = crate::ledger::StoredEvent::seal(event, seq, self.now_ms, &prev);
                    prev.clone_from(&event.hash);
                    sealed.push(event);
                }
                let rows: Vec<&crate::store::AccessDecisionRow> =
                    batch.iter().map(|(row, _)| *row).collect();
                self.insert_decision_batch(&rows, &sealed).await?;
                self.head_seq = seq;
                self.head_hash = prev;
                self.appended = true;
                Ok(())
            }

            fn leaves_registry_unchanged(&mut self) {
                self.registry_unchanged = true;
            }

            fn generations(&self) -> crate::store::Generations {
                self.generations
            }

            async fn append_event(
                &mut self,
                event: &crate::ledger::NewEvent,
            ) -> Result<i64, crate::store::StoreError> {
                let seq = self.head_seq + 1;
                let sealed =
                    crate::ledger::StoredEvent::seal(event, seq, self.now_ms, &self.head_hash);
                sqlx::query(
                    "INSERT INTO audit_events (seq, at_ms, actor_ref, actor_label, action, \
                     subject, details, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(sealed.seq)
                .bind(sealed.at_ms)
                .bind(&sealed.actor_ref)
                .bind(&sealed.actor_label)
                .bind(&sealed.action)
                .bind(&sealed.subject)
                .bind(&sealed.details)
                .bind(&sealed.prev_hash)
                .bind(&sealed.hash)
                .execute(&mut *self.tx)
                .await?;
                self.head_seq = seq;
                self.head_hash = sealed.hash;
                self.appended = true;
                Ok(seq)
            }

            async fn commit(mut self: Box<Self>) -> Result<(), crate::store::StoreError> {
                if !self.appended {
                    return Err(crate::store::StoreError::MissingAuditEvent);
                }
                sqlx::query(
                    "UPDATE ledger_head SET seq = $1, hash = $2, \
                     registry_generation = registry_generation + $3, \
                     consent_generation = consent_generation + $4 WHERE id = 1",
                )
                .bind(self.head_seq)
                .bind(&self.head_hash)
                .bind(if self.registry_unchanged { 0_i64 } else { 1_i64 })
                .bind(i64::from(self.consent_changed))
                .execute(&mut *self.tx)
                .await?;
                self.tx.commit().await?;
                Ok(())
            }
        }

        impl $store {
            async fn shared_human(
                &self,
                id: crate::domain::HumanId,
            ) -> Result<Option<crate::domain::Human>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM humans WHERE id = $1",
                    super::sql::HUMAN_COLUMNS
                );
                let row = sqlx::query(&sql)
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(super::sql::human_from_row).transpose()
            }

            async fn shared_humans(
                &self,
            ) -> Result<Vec<crate::domain::Human>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM humans ORDER BY name, id",
                    super::sql::HUMAN_COLUMNS
                );
                let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
                rows.iter().map(super::sql::human_from_row).collect()
            }

            async fn shared_humans_named(
                &self,
                ids: &[crate::domain::HumanId],
            ) -> Result<Vec<crate::domain::Human>, crate::store::StoreError> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let marks: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
                let sql = format!(
                    "SELECT {} FROM humans WHERE id IN ({})",
                    super::sql::HUMAN_COLUMNS,
                    marks.join(", ")
                );
                let query = ids
                    .iter()
                    .fold(sqlx::query(&sql), |q, id| q.bind(id.to_string()));
                let rows = query.fetch_all(&self.pool).await?;
                rows.iter().map(super::sql::human_from_row).collect()
            }

            async fn shared_nhis(
                &self,
                filter: &crate::store::NhiFilter,
            ) -> Result<Vec<crate::domain::Nhi>, crate::store::StoreError> {
                let (sql, args) = super::identities::nhi_query(filter);
                let mut query = sqlx::query(&sql);
                for arg in args {
                    query = match arg {
                        super::identities::Arg::Int(v) => query.bind(v),
                        super::identities::Arg::Text(v) => query.bind(v),
                    };
                }
                let rows = query.fetch_all(&self.pool).await?;
                super::identities::group_nhis(&rows)
            }

            async fn shared_events_page(
                &self,
                before: Option<i64>,
                limit: i64,
            ) -> Result<Vec<crate::ledger::StoredEvent>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM audit_events WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
                    super::sql::EVENT_COLUMNS
                );
                let rows = sqlx::query(&sql)
                    .bind(before.unwrap_or(i64::MAX))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(super::sql::event_from_row).collect()
            }

            async fn shared_events_after(
                &self,
                after: i64,
                limit: i64,
            ) -> Result<Vec<crate::ledger::StoredEvent>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM audit_events WHERE seq > $1 ORDER BY seq ASC LIMIT $2",
                    super::sql::EVENT_COLUMNS
                );
                let rows = sqlx::query(&sql)
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(super::sql::event_from_row).collect()
            }

            async fn shared_event_count(&self) -> Result<i64, crate::store::StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn shared_session_insert(
                &self,
                id_hash: &str,
                row: &crate::store::SessionRow,
            ) -> Result<bool, crate::store::StoreError> {
                let done = sqlx::query(
                    "INSERT INTO sessions (id_hash, data, expires_at, human_id) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (id_hash) DO NOTHING",
                )
                .bind(id_hash)
                .bind(&row.data)
                .bind(row.expires_at_ms)
                .bind(&row.human_id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn shared_session_upsert(
                &self,
                id_hash: &str,
                row: &crate::store::SessionRow,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO sessions (id_hash, data, expires_at, human_id) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (id_hash) DO UPDATE SET \
                     data = excluded.data, expires_at = excluded.expires_at, \
                     human_id = excluded.human_id",
                )
                .bind(id_hash)
                .bind(&row.data)
                .bind(row.expires_at_ms)
                .bind(&row.human_id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn shared_session_load(
                &self,
                id_hash: &str,
                now_ms: i64,
            ) -> Result<Option<crate::store::SessionRow>, crate::store::StoreError> {
                let row = sqlx::query(
                    "SELECT data, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
                )
                .bind(id_hash)
                .bind(now_ms)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|row| {
                    Ok(crate::store::SessionRow {
                        data: sqlx::Row::try_get(&row, "data")?,
                        expires_at_ms: sqlx::Row::try_get(&row, "expires_at")?,
                        human_id: None,
                    })
                })
                .transpose()
            }

            async fn shared_session_delete(
                &self,
                id_hash: &str,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn shared_sessions_delete_expired(
                &self,
                now_ms: i64,
            ) -> Result<u64, crate::store::StoreError> {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }

        #[async_trait::async_trait]
        impl crate::store::Store for $store {
            fn backend(&self) -> crate::store::Backend {
                self.backend_kind()
            }

            async fn migrate(&self) -> Result<(), crate::store::StoreError> {
                self.run_migrations().await
            }

            async fn readiness(&self) -> Result<crate::store::Readiness, crate::store::StoreError> {
                self.check_readiness().await
            }

            async fn begin_write(
                &self,
                now_ms: i64,
            ) -> Result<Box<dyn crate::store::WriteTx>, crate::store::StoreError> {
                Ok(Box::new(self.begin_write_tx(now_ms).await?))
            }

            async fn begin_log_write(
                &self,
            ) -> Result<Box<dyn crate::store::LogTx>, crate::store::StoreError> {
                Ok(Box::new(self.begin_write_tx(0).await?))
            }

            async fn human(
                &self,
                id: crate::domain::HumanId,
            ) -> Result<Option<crate::domain::Human>, crate::store::StoreError> {
                self.shared_human(id).await
            }

            async fn humans(&self) -> Result<Vec<crate::domain::Human>, crate::store::StoreError> {
                self.shared_humans().await
            }

            async fn humans_named(
                &self,
                ids: &[crate::domain::HumanId],
            ) -> Result<Vec<crate::domain::Human>, crate::store::StoreError> {
                self.shared_humans_named(ids).await
            }

            async fn nhis(
                &self,
                filter: &crate::store::NhiFilter,
            ) -> Result<Vec<crate::domain::Nhi>, crate::store::StoreError> {
                self.shared_nhis(filter).await
            }

            async fn nhi(
                &self,
                id: crate::domain::NhiId,
            ) -> Result<Option<crate::domain::Nhi>, crate::store::StoreError> {
                let filter = crate::store::NhiFilter {
                    id: Some(id),
                    ..Default::default()
                };
                Ok(self.shared_nhis(&filter).await?.into_iter().next())
            }

            async fn nhi_count(
                &self,
                filter: &crate::store::NhiFilter,
            ) -> Result<i64, crate::store::StoreError> {
                let (sql, args) = super::identities::nhi_count_query(filter);
                let mut query = sqlx::query_scalar(&sql);
                for arg in args {
                    query = match arg {
                        super::identities::Arg::Int(v) => query.bind(v),
                        super::identities::Arg::Text(v) => query.bind(v),
                    };
                }
                Ok(query.fetch_one(&self.pool).await?)
            }

            async fn workflow_page(
                &self,
                search: &str,
                state: Option<crate::domain::WorkflowState>,
                offset: i64,
                limit: i64,
            ) -> Result<(Vec<crate::domain::Workflow>, i64), crate::store::StoreError> {
                let pattern = crate::store::contains_pattern(search);
                let state = state.map_or("", |s| s.as_str());
                let rows = sqlx::query(&super::workflows::workflow_query(
                    super::workflows::Which::Page,
                ))
                .bind(&pattern)
                .bind(state)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
                let total: i64 = sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM workflows w WHERE {}",
                    super::workflows::MATCHING
                ))
                .bind(&pattern)
                .bind(state)
                .fetch_one(&self.pool)
                .await?;
                Ok((super::workflows::group_workflows(&rows)?, total))
            }

            async fn systems(
                &self,
            ) -> Result<Vec<crate::domain::ConnectedSystem>, crate::store::StoreError> {
                let rows = sqlx::query(&super::systems::system_query(false))
                    .fetch_all(&self.pool)
                    .await?;
                super::systems::group_systems(&rows)
            }

            async fn nhi_secret_hash(
                &self,
                id: crate::domain::NhiId,
            ) -> Result<Option<String>, crate::store::StoreError> {
                Ok(sqlx::query_scalar::<_, Option<String>>("SELECT secret_hash FROM nhis WHERE id = $1")
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?
                    .flatten())
            }

            async fn generations(
                &self,
            ) -> Result<crate::store::Generations, crate::store::StoreError> {
                let row = sqlx::query(
                    "SELECT registry_generation, consent_generation FROM ledger_head WHERE id = 1",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok(crate::store::Generations {
                    registry: sqlx::Row::try_get(&row, 0)?,
                    consent: sqlx::Row::try_get(&row, 1)?,
                })
            }

            async fn access_token(
                &self,
                token_hash: &str,
            ) -> Result<Option<crate::store::AccessTokenRow>, crate::store::StoreError> {
                let row = sqlx::query(
                    "SELECT token_hash, nhi_id, workflow_id, step_id, issued_at, expires_at \
                     FROM access_tokens WHERE token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(super::credentials::token_from_row).transpose()
            }

            async fn consent_events_for(
                &self,
                subjects: &[String],
                purpose: &str,
            ) -> Result<
                Vec<(String, crate::domain::ConsentEvent)>,
                crate::store::StoreError,
            > {
                if subjects.is_empty() {
                    return Ok(Vec::new());
                }
                if subjects.len() > crate::store::MAX_SUBJECTS_PER_QUERY {
                    return Err(crate::store::StoreError::Corrupt(
                        "too many subjects in one consent query".to_owned(),
                    ));
                }
                let tuples =
                    super::consent::ConsentEventsFor::consent_tuples(self, subjects, purpose)
                        .await?;
                super::consent::events_from_tuples(tuples)
            }

            async fn consent_overview(
                &self,
                batches: i64,
            ) -> Result<crate::store::ConsentOverview, crate::store::StoreError> {
                let counts = sqlx::query(
                    "SELECT COUNT(*) AS records, COUNT(DISTINCT subject) AS subjects FROM consent_records",
                )
                .fetch_one(&self.pool)
                .await?;
                let rows = sqlx::query(
                    "SELECT batch_id, MIN(recorded_by) AS recorded_by, MIN(recorded_at) AS recorded_at, \
                     COUNT(*) AS n FROM consent_records GROUP BY batch_id \
                     ORDER BY MIN(recorded_at) DESC, batch_id DESC LIMIT $1",
                )
                .bind(batches)
                .fetch_all(&self.pool)
                .await?;
                Ok(crate::store::ConsentOverview {
                    records: sqlx::Row::try_get(&counts, "records")?,
                    subjects: sqlx::Row::try_get(&counts, "subjects")?,
                    batches: rows
                        .iter()
                        .map(|row| {
                            Ok(crate::store::ConsentBatch {
                                id: sqlx::Row::try_get(row, "batch_id")?,
                                recorded_by: sqlx::Row::try_get(row, "recorded_by")?,
                                recorded_at_ms: sqlx::Row::try_get(row, "recorded_at")?,
                                rows: sqlx::Row::try_get(row, "n")?,
                            })
                        })
                        .collect::<Result<Vec<_>, crate::store::StoreError>>()?,
                })
            }

            async fn access_decision(
                &self,
                id: &str,
            ) -> Result<Option<crate::store::AccessDecisionRow>, crate::store::StoreError> {
                let row = sqlx::query(
                    "SELECT id, nhi_id, workflow_id, step_id, purpose, request_json, response_json, \
                     decided_at, expires_at FROM access_decisions WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(super::consent::decision_from_row).transpose()
            }

            async fn change(
                &self,
                id: &str,
            ) -> Result<Option<crate::domain::ChangeRequest>, crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM change_requests WHERE id = $1",
                    super::changes::CHANGE_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(super::changes::change_from_row).transpose()
            }

            async fn change_versions(
                &self,
                id: &str,
            ) -> Result<Vec<crate::domain::ChangeVersion>, crate::store::StoreError> {
                let rows = sqlx::query(
                    "SELECT version, content, format, content_hash, provenance_json, submitted_at \
                     FROM change_versions WHERE change_id = $1 ORDER BY version",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                let mut versions = rows
                    .iter()
                    .map(super::changes::version_from_row)
                    .collect::<Result<Vec<_>, _>>()?;
                // Versions are append-only: their variants need not come from the same snapshot.
                let variants = crate::store::VariantReads::change_variants(self, id).await?;
                for (number, variant) in variants {
                    if let Some(v) = versions.iter_mut().find(|v| v.version == number) {
                        v.variants.push(variant);
                    }
                }
                Ok(versions)
            }

            async fn changes_in_status(
                &self,
                status: crate::domain::ChangeStatus,
                after: Option<(i64, String)>,
                limit: i64,
            ) -> Result<Vec<crate::domain::ChangeRequest>, crate::store::StoreError> {
                let (at, id) = after.unwrap_or((i64::MIN, String::new()));
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM change_requests WHERE status = $1 \
                     AND (created_at > $2 OR (created_at = $2 AND id > $3)) \
                     ORDER BY created_at, id LIMIT $4",
                    super::changes::CHANGE_COLUMNS
                ))
                .bind(status.as_str())
                .bind(at)
                .bind(id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(super::changes::change_from_row).collect()
            }

            async fn system_secret(
                &self,
                id: crate::domain::SystemId,
            ) -> Result<Option<String>, crate::store::StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT signing_secret FROM connected_systems WHERE id = $1",
                )
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn system(
                &self,
                id: crate::domain::SystemId,
            ) -> Result<Option<crate::domain::ConnectedSystem>, crate::store::StoreError> {
                let rows = sqlx::query(&super::systems::system_query(true))
                    .bind(id.to_string())
                    .fetch_all(&self.pool)
                    .await?;
                Ok(super::systems::group_systems(&rows)?.into_iter().next())
            }

            async fn latest_drills(
                &self,
            ) -> Result<Vec<crate::domain::Drill>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM revocation_drills d WHERE d.id = (SELECT d2.id FROM \
                     revocation_drills d2 WHERE d2.system_id = d.system_id \
                     ORDER BY d2.started_at DESC, d2.id DESC LIMIT 1) ORDER BY d.system_id",
                    super::systems::DRILL_COLUMNS
                );
                let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
                rows.iter().map(super::systems::drill_from_row).collect()
            }

            async fn last_passed_drills(
                &self,
            ) -> Result<Vec<(crate::domain::SystemId, chrono::DateTime<chrono::Utc>)>, crate::store::StoreError> {
                let rows = sqlx::query(
                    "SELECT system_id, MAX(started_at) AS at FROM revocation_drills \
                     WHERE passed = TRUE GROUP BY system_id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        let id: String = sqlx::Row::try_get(row, "system_id")?;
                        let at: i64 = sqlx::Row::try_get(row, "at")?;
                        Ok((
                            id.parse().map_err(|_| {
                                crate::store::StoreError::Corrupt("revocation_drills.system_id".to_owned())
                            })?,
                            crate::clock::from_millis(at),
                        ))
                    })
                    .collect()
            }

            async fn workflow(
                &self,
                id: crate::domain::WorkflowId,
            ) -> Result<Option<crate::domain::Workflow>, crate::store::StoreError> {
                let rows = sqlx::query(&super::workflows::workflow_query(super::workflows::Which::ById))
                    .bind(id.to_string())
                    .fetch_all(&self.pool)
                    .await?;
                Ok(super::workflows::group_workflows(&rows)?.into_iter().next())
            }

            async fn workflow_by_step(
                &self,
                step: crate::domain::StepId,
            ) -> Result<Option<crate::domain::Workflow>, crate::store::StoreError> {
                let rows = sqlx::query(&super::workflows::workflow_query(super::workflows::Which::ByStep))
                    .bind(step.to_string())
                    .fetch_all(&self.pool)
                    .await?;
                Ok(super::workflows::group_workflows(&rows)?.into_iter().next())
            }

            async fn workflows(
                &self,
            ) -> Result<Vec<crate::domain::Workflow>, crate::store::StoreError> {
                let rows = sqlx::query(&super::workflows::workflow_query(super::workflows::Which::All))
                    .fetch_all(&self.pool)
                    .await?;
                super::workflows::group_workflows(&rows)
            }

            async fn events_page(
                &self,
                before: Option<i64>,
                limit: i64,
            ) -> Result<Vec<crate::ledger::StoredEvent>, crate::store::StoreError> {
                self.shared_events_page(before, limit).await
            }

            async fn events_after(
                &self,
                after: i64,
                limit: i64,
            ) -> Result<Vec<crate::ledger::StoredEvent>, crate::store::StoreError> {
                self.shared_events_after(after, limit).await
            }

            async fn event_count(&self) -> Result<i64, crate::store::StoreError> {
                self.shared_event_count().await
            }

            async fn session_insert(
                &self,
                id_hash: &str,
                row: &crate::store::SessionRow,
            ) -> Result<bool, crate::store::StoreError> {
                self.shared_session_insert(id_hash, row).await
            }

            async fn session_upsert(
                &self,
                id_hash: &str,
                row: &crate::store::SessionRow,
            ) -> Result<(), crate::store::StoreError> {
                self.shared_session_upsert(id_hash, row).await
            }

            async fn session_load(
                &self,
                id_hash: &str,
                now_ms: i64,
            ) -> Result<Option<crate::store::SessionRow>, crate::store::StoreError> {
                self.shared_session_load(id_hash, now_ms).await
            }

            async fn session_delete(&self, id_hash: &str) -> Result<(), crate::store::StoreError> {
                self.shared_session_delete(id_hash).await
            }

            async fn sessions_delete_expired(
                &self,
                now_ms: i64,
            ) -> Result<u64, crate::store::StoreError> {
                self.shared_sessions_delete_expired(now_ms).await
            }
        }
    };
}

pub(super) use shared_sql;
