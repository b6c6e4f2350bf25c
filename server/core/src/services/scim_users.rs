//! SCIM Users (RFC 7644 §3): the directory creates, reads, replaces, patches and deletes the
//! people it provisions. A provisioned person exists before their first sign-in; deactivating
//! or deleting one is a departure (sessions end, identities only they owned are orphaned and
//! security admins told); nothing of their history is deleted. Every write is one ledger event
//! of the directory, with the request's effect, committed with it.

use super::departures::Departure;
use super::Services;
use crate::actor::Actor;
use crate::domain::scim::{FilterAttribute, PatchOperation, ScimError, ScimFilter, ScimUser};
use crate::domain::{Deactivation, DirectoryGroupId, Human, HumanId};
use crate::error::CoreError;
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::store::{DirectoryUserRow, NewHuman, UserLookup, WriteTx};
use serde_json::{json, Map, Value};

pub const USER_FILTERS: &[FilterAttribute] = &[
    FilterAttribute::Id,
    FilterAttribute::UserName,
    FilterAttribute::ExternalId,
    FilterAttribute::DisplayName,
];

/// A provisioned user as the directory reads it back.
#[derive(Debug, Clone)]
pub struct ProvisionedUser {
    pub row: DirectoryUserRow,
    pub user: ScimUser,
    pub groups: Vec<(DirectoryGroupId, String)>,
}

/// One page of a list (RFC 7644 §3.4.2.4: `startIndex` is 1-based).
#[derive(Debug, Clone)]
pub struct ScimPage<T> {
    pub total: i64,
    pub start_index: i64,
    pub items: Vec<T>,
}

/// A core error as the directory is told it: never the internals.
pub(super) fn scim_error(error: CoreError) -> ScimError {
    match error {
        CoreError::Unauthenticated | CoreError::TokenEnded(_) => {
            ScimError::unauthorized("a directory token is required")
        }
        CoreError::Denied(_) | CoreError::Refused(_) => {
            ScimError::forbidden("this token may not provision people")
        }
        CoreError::NotFound(what) => ScimError::not_found(format!("{what} not found")),
        CoreError::Conflict(why) => ScimError::uniqueness(why),
        CoreError::Invalid { field, problem } => {
            ScimError::invalid_value(format!("{field}: {problem}"))
        }
        CoreError::NotAllowed(_) | CoreError::ReauthRequired(_) => {
            ScimError::forbidden("not allowed")
        }
        CoreError::Store(error) => {
            tracing::error!(%error, "a SCIM request failed in the store");
            ScimError::internal()
        }
    }
}

fn store_error(error: crate::store::StoreError) -> ScimError {
    scim_error(CoreError::Store(error))
}

/// `startIndex` and `count` as the directory sent them, bounded.
pub(super) fn page_bounds(start_index: Option<i64>, count: Option<i64>) -> (i64, i64) {
    let start = start_index.unwrap_or(1).max(1);
    let count = count
        .unwrap_or(crate::domain::scim::MAX_PAGE as i64)
        .clamp(0, crate::domain::scim::MAX_PAGE as i64);
    (start, count)
}

fn parse_user_id(raw: &str) -> Result<HumanId, ScimError> {
    raw.parse()
        .map_err(|_| ScimError::not_found(format!("no user with id `{}`", clip(raw))))
}

fn clip(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_control()).take(80).collect()
}

/// The top-level attributes a change touched, for the ledger (values stay in the store).
fn changed_attributes(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<String> {
    let mut changed: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .cloned()
        .collect();
    changed.sort();
    changed.dedup();
    changed
}

impl Services {
    pub(super) fn provisioner(&self, actor: &Actor) -> Result<(), ScimError> {
        self.authorize(actor, Action::ProvisionDirectory, &Resource::Console)
            .map(|_| ())
            .map_err(scim_error)
    }

    /// Refuses a user name or external id another provisioned user holds.
    async fn check_unique_user(
        tx: &mut Box<dyn WriteTx>,
        user: &ScimUser,
        this: Option<HumanId>,
    ) -> Result<(), ScimError> {
        let holders = tx
            .directory_user_holding(&user.user_name_key(), user.external_id.as_deref())
            .await
            .map_err(store_error)?;
        if holders.iter().any(|h| Some(*h) != this) {
            return Err(ScimError::uniqueness(format!(
                "a user with userName \"{}\"{} already exists",
                clip(&user.user_name),
                user.external_id
                    .as_deref()
                    .map(|e| format!(" or externalId \"{}\"", clip(e)))
                    .unwrap_or_default()
            )));
        }
        Ok(())
    }

    async fn provisioned(&self, row: DirectoryUserRow) -> Result<ProvisionedUser, ScimError> {
        let attributes: Map<String, Value> =
            serde_json::from_str(&row.attributes).map_err(|_| {
                store_error(crate::store::StoreError::Corrupt(
                    "directory_users.attributes".into(),
                ))
            })?;
        let user = ScimUser::from_stored(attributes).map_err(|_| {
            store_error(crate::store::StoreError::Corrupt(
                "directory_users.attributes".into(),
            ))
        })?;
        let groups = self
            .store
            .directory_groups_of(row.human_id)
            .await
            .map_err(store_error)?;
        Ok(ProvisionedUser { row, user, groups })
    }

    /// POST /Users.
    #[tracing::instrument(skip_all)]
    pub async fn scim_create_user(
        &self,
        actor: &Actor,
        body: &Value,
    ) -> Result<ProvisionedUser, ScimError> {
        self.provisioner(actor)?;
        let user = ScimUser::from_request(body)?;
        let now = self.now_ms();
        let mut tx = self.store.begin_write(now).await.map_err(store_error)?;
        Self::check_unique_user(&mut tx, &user, None).await?;
        // Someone who signed in before the directory was connected is the same person when the
        // directory's external id is their IdP subject; an email alone never decides it.
        let adopted = match &user.external_id {
            Some(external) => tx
                .unprovisioned_human_by_subject(external)
                .await
                .map_err(store_error)?,
            None => None,
        };
        let name = user.person_name();
        let email = user.email();
        let human = match &adopted {
            Some(human) => {
                tx.set_human_profile(human.id, &name, email.as_deref())
                    .await
                    .map_err(store_error)?;
                human.clone()
            }
            None => {
                let human = Human {
                    id: HumanId::new(),
                    name: name.clone(),
                    email: email.clone(),
                    roles: Default::default(),
                    deactivation: None,
                    created_at: self.clock.now(),
                    last_sign_in_at: None,
                };
                tx.insert_human(&NewHuman {
                    human: human.clone(),
                    issuer: None,
                    subject: None,
                })
                .await
                .map_err(store_error)?;
                human
            }
        };
        let row = DirectoryUserRow {
            human_id: human.id,
            user_name: user.user_name.clone(),
            external_id: user.external_id.clone(),
            active: user.active,
            attributes: Value::Object(user.attributes().clone()).to_string(),
            version: 1,
            created_at_ms: now,
            updated_at_ms: now,
        };
        tx.insert_directory_user(&row).await.map_err(store_error)?;
        let departure = if user.active {
            Departure::default()
        } else {
            self.depart(&mut tx, &human, Deactivation::ByDirectory)
                .await
                .map_err(scim_error)?
        };
        let seq = tx
            .append_event(&NewEvent::new(
                actor,
                "directory.user_provisioned",
                human.id.reference(),
                json!({
                    "user_name": user.user_name,
                    "external_id": user.external_id,
                    "name": name,
                    "active": user.active,
                    "existing_person": adopted.is_some(),
                    "departure": departure.details(),
                }),
            ))
            .await
            .map_err(store_error)?;
        self.after_departure(&mut tx, &human.name, &departure, seq)
            .await?;
        tx.commit().await.map_err(store_error)?;
        self.wake_outbox();
        Ok(ProvisionedUser {
            row,
            user,
            groups: Vec::new(),
        })
    }

    async fn after_departure(
        &self,
        tx: &mut Box<dyn WriteTx>,
        name: &str,
        departure: &Departure,
        seq: i64,
    ) -> Result<(), ScimError> {
        if !departure.orphaned.is_empty() {
            let why = format!("{name} left (the directory deactivated them)");
            self.notify_orphaned(tx, &departure.orphaned, &why, seq)
                .await
                .map_err(scim_error)?;
        }
        Ok(())
    }

    /// GET /Users/{id}.
    pub async fn scim_user(&self, actor: &Actor, id: &str) -> Result<ProvisionedUser, ScimError> {
        self.provisioner(actor)?;
        let id = parse_user_id(id)?;
        let row = self
            .store
            .directory_user(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| ScimError::not_found(format!("no user with id `{id}`")))?;
        self.provisioned(row).await
    }

    /// GET /Users, filtered and paged.
    pub async fn scim_users(
        &self,
        actor: &Actor,
        filter: Option<&str>,
        start_index: Option<i64>,
        count: Option<i64>,
    ) -> Result<ScimPage<ProvisionedUser>, ScimError> {
        self.provisioner(actor)?;
        let (start, count) = page_bounds(start_index, count);
        let filter = filter
            .filter(|f| !f.trim().is_empty())
            .map(|f| ScimFilter::parse(f, USER_FILTERS))
            .transpose()?;
        // The most selective condition goes to the store; the others are checked here.
        let lookup = match &filter {
            None => UserLookup::All,
            Some(f) => {
                if let Some(id) = f.value_of(FilterAttribute::Id) {
                    match id.parse() {
                        Ok(id) => UserLookup::Id(id),
                        Err(_) => {
                            return Ok(ScimPage {
                                total: 0,
                                start_index: start,
                                items: Vec::new(),
                            })
                        }
                    }
                } else if let Some(name) = f.value_of(FilterAttribute::UserName) {
                    UserLookup::UserNameKey(name.to_lowercase())
                } else if let Some(external) = f.value_of(FilterAttribute::ExternalId) {
                    UserLookup::ExternalId(external.to_owned())
                } else {
                    UserLookup::All
                }
            }
        };
        let needs_check = filter.as_ref().is_some_and(|f| {
            f.conditions.len() > 1 || f.value_of(FilterAttribute::DisplayName).is_some()
        });
        let (total, rows) = if needs_check {
            // Rare (displayName, or several conditions): read the lookup's matches whole.
            self.store
                .directory_users(&lookup, 0, i64::MAX)
                .await
                .map_err(store_error)?
        } else {
            self.store
                .directory_users(&lookup, start - 1, count)
                .await
                .map_err(store_error)?
        };
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            items.push(self.provisioned(row).await?);
        }
        if !needs_check {
            return Ok(ScimPage {
                total,
                start_index: start,
                items,
            });
        }
        let filter = filter.expect("checked above");
        items.retain(|u| {
            filter.conditions.iter().all(|c| match c.attribute {
                FilterAttribute::Id => u.row.human_id.to_string() == c.value,
                FilterAttribute::UserName => u.user.user_name.eq_ignore_ascii_case(&c.value),
                FilterAttribute::ExternalId => u.user.external_id.as_deref() == Some(&c.value),
                FilterAttribute::DisplayName => {
                    u.user
                        .attributes()
                        .get("displayName")
                        .and_then(Value::as_str)
                        == Some(c.value.as_str())
                }
                FilterAttribute::Member => false,
            })
        });
        let total = items.len() as i64;
        let items = items
            .into_iter()
            .skip(usize::try_from(start - 1).unwrap_or(usize::MAX))
            .take(usize::try_from(count).unwrap_or(0))
            .collect();
        Ok(ScimPage {
            total,
            start_index: start,
            items,
        })
    }

    /// PUT /Users/{id}: the user as sent replaces the user as kept.
    #[tracing::instrument(skip_all)]
    pub async fn scim_replace_user(
        &self,
        actor: &Actor,
        id: &str,
        body: &Value,
    ) -> Result<ProvisionedUser, ScimError> {
        self.provisioner(actor)?;
        let id = parse_user_id(id)?;
        let user = ScimUser::from_request(body)?;
        self.update_user(actor, id, |_| Ok(user)).await
    }

    /// PATCH /Users/{id}: the operations applied in order, the result checked as a whole.
    #[tracing::instrument(skip_all)]
    pub async fn scim_patch_user(
        &self,
        actor: &Actor,
        id: &str,
        body: &Value,
    ) -> Result<ProvisionedUser, ScimError> {
        self.provisioner(actor)?;
        let id = parse_user_id(id)?;
        let operations = PatchOperation::parse_request(body)?;
        self.update_user(actor, id, |current| current.patched(&operations))
            .await
    }

    async fn update_user(
        &self,
        actor: &Actor,
        id: HumanId,
        change: impl FnOnce(&ScimUser) -> Result<ScimUser, ScimError>,
    ) -> Result<ProvisionedUser, ScimError> {
        let now = self.now_ms();
        let mut tx = self.store.begin_write(now).await.map_err(store_error)?;
        let row = tx
            .directory_user_in_tx(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| ScimError::not_found(format!("no user with id `{id}`")))?;
        let current = self.provisioned_in(&row)?;
        let user = change(&current)?;
        Self::check_unique_user(&mut tx, &user, Some(id)).await?;
        let human = tx
            .human_by_id(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| {
                store_error(crate::store::StoreError::Corrupt(
                    "directory_users without a person".into(),
                ))
            })?;
        let name = user.person_name();
        let email = user.email();
        tx.set_human_profile(id, &name, email.as_deref())
            .await
            .map_err(store_error)?;
        let changed = changed_attributes(current.attributes(), user.attributes());
        let updated = DirectoryUserRow {
            human_id: id,
            user_name: user.user_name.clone(),
            external_id: user.external_id.clone(),
            active: user.active,
            attributes: Value::Object(user.attributes().clone()).to_string(),
            version: row.version + 1,
            created_at_ms: row.created_at_ms,
            updated_at_ms: now,
        };
        tx.update_directory_user(&updated)
            .await
            .map_err(store_error)?;
        let (action, departure) = match (row.active, user.active) {
            (true, false) => (
                "directory.user_deactivated",
                self.depart(&mut tx, &human, Deactivation::ByDirectory)
                    .await
                    .map_err(scim_error)?,
            ),
            (false, true) => {
                if human.deactivation == Some(Deactivation::ByDirectory) {
                    tx.set_human_deactivation(id, None)
                        .await
                        .map_err(store_error)?;
                }
                ("directory.user_reactivated", Departure::default())
            }
            _ => ("directory.user_updated", Departure::default()),
        };
        let seq = tx
            .append_event(&NewEvent::new(
                actor,
                action,
                id.reference(),
                json!({
                    "user_name": user.user_name,
                    "name": name,
                    "changed": changed,
                    "active": user.active,
                    // A person a security admin deactivated stays so whatever the directory says.
                    "held_by_admin": human.deactivation == Some(Deactivation::ByAdmin),
                    "departure": departure.details(),
                }),
            ))
            .await
            .map_err(store_error)?;
        self.after_departure(&mut tx, &human.name, &departure, seq)
            .await?;
        tx.commit().await.map_err(store_error)?;
        self.wake_outbox();
        let groups = self
            .store
            .directory_groups_of(id)
            .await
            .map_err(store_error)?;
        Ok(ProvisionedUser {
            row: updated,
            user,
            groups,
        })
    }

    fn provisioned_in(&self, row: &DirectoryUserRow) -> Result<ScimUser, ScimError> {
        let corrupt = || {
            store_error(crate::store::StoreError::Corrupt(
                "directory_users.attributes".into(),
            ))
        };
        let attributes: Map<String, Value> =
            serde_json::from_str(&row.attributes).map_err(|_| corrupt())?;
        ScimUser::from_stored(attributes).map_err(|_| corrupt())
    }

    /// DELETE /Users/{id}: the person leaves. Their directory record and memberships go; the
    /// person, deactivated, and their whole history stay.
    #[tracing::instrument(skip_all)]
    pub async fn scim_delete_user(&self, actor: &Actor, id: &str) -> Result<(), ScimError> {
        self.provisioner(actor)?;
        let id = parse_user_id(id)?;
        let mut tx = self
            .store
            .begin_write(self.now_ms())
            .await
            .map_err(store_error)?;
        let row = tx
            .directory_user_in_tx(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| ScimError::not_found(format!("no user with id `{id}`")))?;
        let human = tx
            .human_by_id(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| {
                store_error(crate::store::StoreError::Corrupt(
                    "directory_users without a person".into(),
                ))
            })?;
        let departure = self
            .depart(&mut tx, &human, Deactivation::ByDirectory)
            .await
            .map_err(scim_error)?;
        let groups = tx.delete_directory_user(id).await.map_err(store_error)?;
        tx.set_human_roles(id, &Default::default())
            .await
            .map_err(store_error)?;
        let seq = tx
            .append_event(&NewEvent::new(
                actor,
                "directory.user_deleted",
                id.reference(),
                json!({
                    "user_name": row.user_name,
                    "name": human.name,
                    "groups_left": groups,
                    "roles_before": human.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                    "departure": departure.details(),
                }),
            ))
            .await
            .map_err(store_error)?;
        self.after_departure(&mut tx, &human.name, &departure, seq)
            .await?;
        tx.commit().await.map_err(store_error)?;
        self.wake_outbox();
        Ok(())
    }
}
