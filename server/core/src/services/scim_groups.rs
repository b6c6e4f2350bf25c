//! SCIM Groups: the directory's groups and their members. A group's display name is what the
//! role map reads, so every membership change moves the members' roles at once, within the
//! same transaction as the change and its ledger event.

use super::departures::RoleChanges;
use super::scim_users::{page_bounds, scim_error, ScimPage};
use super::Services;
use crate::actor::Actor;
use crate::domain::scim::{
    FilterAttribute, GroupPatch, MemberChange, PatchOperation, ScimError, ScimFilter, ScimGroup,
};
use crate::domain::{DirectoryGroupId, HumanId};
use crate::ledger::NewEvent;
use crate::store::{DirectoryGroupRow, GroupLookup, WriteTx};
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub const GROUP_FILTERS: &[FilterAttribute] = &[
    FilterAttribute::Id,
    FilterAttribute::ExternalId,
    FilterAttribute::DisplayName,
    FilterAttribute::Member,
];

/// Unknown member ids named in one error at most.
const UNKNOWN_LISTED: usize = 5;

#[derive(Debug, Clone)]
pub struct ProvisionedGroup {
    pub row: DirectoryGroupRow,
    /// Member ids and user names; `None` when the request asked to leave members out.
    pub members: Option<Vec<(HumanId, String)>>,
}

fn store_error(error: crate::store::StoreError) -> ScimError {
    scim_error(crate::error::CoreError::Store(error))
}

fn parse_group_id(raw: &str) -> Result<DirectoryGroupId, ScimError> {
    raw.parse().map_err(|_| {
        ScimError::not_found(format!(
            "no group with id `{}`",
            raw.chars()
                .filter(|c| !c.is_control())
                .take(80)
                .collect::<String>()
        ))
    })
}

/// What one group request changed, for its ledger event.
#[derive(Debug, Default)]
struct Membership {
    added: BTreeSet<HumanId>,
    removed: BTreeSet<HumanId>,
}

impl Membership {
    /// People the store added; one removed earlier in the same request cancels out.
    fn note_added(&mut self, people: Vec<HumanId>) {
        for person in people {
            if !self.removed.remove(&person) {
                self.added.insert(person);
            }
        }
    }

    /// People the store removed; one added earlier in the same request cancels out.
    fn note_removed(&mut self, people: Vec<HumanId>) {
        for person in people {
            if !self.added.remove(&person) {
                self.removed.insert(person);
            }
        }
    }

    fn touched(&self) -> Vec<HumanId> {
        self.added.union(&self.removed).copied().collect()
    }
}

impl Services {
    /// The member ids as people the directory provisioned; unknown ones refuse the request.
    async fn known_members(
        tx: &mut Box<dyn WriteTx>,
        ids: &[String],
    ) -> Result<Vec<HumanId>, ScimError> {
        let mut parsed = Vec::with_capacity(ids.len());
        let mut unknown: Vec<&str> = Vec::new();
        for raw in ids {
            match raw.parse::<HumanId>() {
                Ok(id) => parsed.push(id),
                Err(_) => unknown.push(raw),
            }
        }
        let found: BTreeSet<HumanId> = tx
            .existing_directory_users(&parsed)
            .await
            .map_err(store_error)?
            .into_iter()
            .collect();
        for (id, raw) in parsed
            .iter()
            .zip(ids.iter().filter(|r| r.parse::<HumanId>().is_ok()))
        {
            if !found.contains(id) {
                unknown.push(raw);
            }
        }
        if unknown.is_empty() {
            return Ok(parsed);
        }
        let listed: Vec<String> = unknown
            .iter()
            .take(UNKNOWN_LISTED)
            .map(|u| {
                format!(
                    "`{}`",
                    u.chars()
                        .filter(|c| !c.is_control())
                        .take(40)
                        .collect::<String>()
                )
            })
            .collect();
        Err(ScimError::invalid_value(format!(
            "{} member{} not provisioned users: {}{}",
            unknown.len(),
            if unknown.len() == 1 { " is" } else { "s are" },
            listed.join(", "),
            if unknown.len() > UNKNOWN_LISTED {
                ", …"
            } else {
                ""
            }
        )))
    }

    async fn check_unique_group(
        tx: &mut Box<dyn WriteTx>,
        name: &str,
        this: Option<DirectoryGroupId>,
    ) -> Result<(), ScimError> {
        match tx
            .directory_group_named(&name.to_lowercase())
            .await
            .map_err(store_error)?
        {
            Some(other) if Some(other) != this => Err(ScimError::uniqueness(format!(
                "a group named \"{name}\" already exists"
            ))),
            _ => Ok(()),
        }
    }

    async fn group_event(
        &self,
        tx: &mut Box<dyn WriteTx>,
        actor: &Actor,
        action: &str,
        row: &DirectoryGroupRow,
        membership: &Membership,
        extra: Value,
    ) -> Result<(), ScimError> {
        let mut roles = RoleChanges::default();
        self.follow_directory_roles(tx, &membership.touched(), &mut roles)
            .await
            .map_err(scim_error)?;
        let mut details = json!({
            "display_name": row.display_name,
            "external_id": row.external_id,
            "members_added": membership.added.len(),
            "members_removed": membership.removed.len(),
            "role_changes": roles.details(),
        });
        if let (Value::Object(details), Value::Object(extra)) = (&mut details, extra) {
            details.extend(extra);
        }
        tx.append_event(&NewEvent::new(actor, action, row.id.reference(), details))
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// POST /Groups.
    #[tracing::instrument(skip_all)]
    pub async fn scim_create_group(
        &self,
        actor: &Actor,
        body: &Value,
    ) -> Result<ProvisionedGroup, ScimError> {
        self.provisioner(actor)?;
        let group = ScimGroup::from_request(body)?;
        let now = self.now_ms();
        let mut tx = self.store.begin_write(now).await.map_err(store_error)?;
        Self::check_unique_group(&mut tx, &group.display_name, None).await?;
        let members = Self::known_members(&mut tx, &group.members).await?;
        let row = DirectoryGroupRow {
            id: DirectoryGroupId::new(),
            display_name: group.display_name,
            external_id: group.external_id,
            version: 1,
            created_at_ms: now,
            updated_at_ms: now,
        };
        tx.insert_directory_group(&row).await.map_err(store_error)?;
        let added = tx
            .add_directory_members(row.id, &members)
            .await
            .map_err(store_error)?;
        let membership = Membership {
            added: added.into_iter().collect(),
            removed: BTreeSet::new(),
        };
        let roles = self
            .settings
            .role_map
            .roles_for([row.display_name.as_str()]);
        self.group_event(
            &mut tx,
            actor,
            "directory.group_provisioned",
            &row,
            &membership,
            json!({ "grants_roles": roles.iter().map(|r| r.as_str()).collect::<Vec<_>>() }),
        )
        .await?;
        tx.commit().await.map_err(store_error)?;
        self.provisioned_group(row, false).await
    }

    async fn provisioned_group(
        &self,
        row: DirectoryGroupRow,
        without_members: bool,
    ) -> Result<ProvisionedGroup, ScimError> {
        let members = if without_members {
            None
        } else {
            Some(
                self.store
                    .directory_members(row.id)
                    .await
                    .map_err(store_error)?,
            )
        };
        Ok(ProvisionedGroup { row, members })
    }

    /// GET /Groups/{id}; `without_members` for `excludedAttributes=members`.
    pub async fn scim_group(
        &self,
        actor: &Actor,
        id: &str,
        without_members: bool,
    ) -> Result<ProvisionedGroup, ScimError> {
        self.provisioner(actor)?;
        let id = parse_group_id(id)?;
        let row = self
            .store
            .directory_group(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| ScimError::not_found(format!("no group with id `{id}`")))?;
        self.provisioned_group(row, without_members).await
    }

    /// GET /Groups, filtered and paged.
    pub async fn scim_groups(
        &self,
        actor: &Actor,
        filter: Option<&str>,
        start_index: Option<i64>,
        count: Option<i64>,
        without_members: bool,
    ) -> Result<ScimPage<ProvisionedGroup>, ScimError> {
        self.provisioner(actor)?;
        let (start, count) = page_bounds(start_index, count);
        let filter = filter
            .filter(|f| !f.trim().is_empty())
            .map(|f| ScimFilter::parse(f, GROUP_FILTERS))
            .transpose()?;
        let empty = || ScimPage {
            total: 0,
            start_index: start,
            items: Vec::new(),
        };
        let lookup = match &filter {
            None => GroupLookup::All,
            Some(f) => {
                if let Some(id) = f.value_of(FilterAttribute::Id) {
                    match id.parse() {
                        Ok(id) => GroupLookup::Id(id),
                        Err(_) => return Ok(empty()),
                    }
                } else if let Some(name) = f.value_of(FilterAttribute::DisplayName) {
                    GroupLookup::DisplayNameKey(name.to_lowercase())
                } else if let Some(external) = f.value_of(FilterAttribute::ExternalId) {
                    GroupLookup::ExternalId(external.to_owned())
                } else {
                    GroupLookup::All
                }
            }
        };
        let needs_check = filter.as_ref().is_some_and(|f| {
            f.conditions.len() > 1 || f.value_of(FilterAttribute::Member).is_some()
        });
        let (total, rows) = if needs_check {
            self.store
                .directory_groups(&lookup, 0, i64::MAX)
                .await
                .map_err(store_error)?
        } else {
            self.store
                .directory_groups(&lookup, start - 1, count)
                .await
                .map_err(store_error)?
        };
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            let mut keep = true;
            if let Some(filter) = filter.as_ref().filter(|_| needs_check) {
                for condition in &filter.conditions {
                    keep &= match condition.attribute {
                        FilterAttribute::Id => row.id.to_string() == condition.value,
                        FilterAttribute::DisplayName => {
                            row.display_name.eq_ignore_ascii_case(&condition.value)
                        }
                        FilterAttribute::ExternalId => {
                            row.external_id.as_deref() == Some(condition.value.as_str())
                        }
                        FilterAttribute::Member => match condition.value.parse() {
                            Ok(user) => self
                                .store
                                .directory_has_member(row.id, user)
                                .await
                                .map_err(store_error)?,
                            Err(_) => false,
                        },
                        FilterAttribute::UserName => false,
                    };
                }
            }
            if keep {
                kept.push(row);
            }
        }
        let (total, rows) = if needs_check {
            let total = kept.len() as i64;
            let page = kept
                .into_iter()
                .skip(usize::try_from(start - 1).unwrap_or(usize::MAX))
                .take(usize::try_from(count).unwrap_or(0))
                .collect();
            (total, page)
        } else {
            (total, kept)
        };
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            items.push(self.provisioned_group(row, without_members).await?);
        }
        Ok(ScimPage {
            total,
            start_index: start,
            items,
        })
    }

    /// PUT /Groups/{id}: name, external id and exactly the members sent.
    #[tracing::instrument(skip_all)]
    pub async fn scim_replace_group(
        &self,
        actor: &Actor,
        id: &str,
        body: &Value,
    ) -> Result<ProvisionedGroup, ScimError> {
        self.provisioner(actor)?;
        let id = parse_group_id(id)?;
        let group = ScimGroup::from_request(body)?;
        let patch = GroupPatch {
            changes: vec![
                MemberChange::Rename(group.display_name),
                MemberChange::SetExternalId(group.external_id),
                MemberChange::Replace(group.members),
            ],
        };
        self.change_group(actor, id, patch, "directory.group_replaced")
            .await
    }

    /// PATCH /Groups/{id}.
    #[tracing::instrument(skip_all)]
    pub async fn scim_patch_group(
        &self,
        actor: &Actor,
        id: &str,
        body: &Value,
    ) -> Result<ProvisionedGroup, ScimError> {
        self.provisioner(actor)?;
        let id = parse_group_id(id)?;
        let operations = PatchOperation::parse_request(body)?;
        let patch = GroupPatch::from_operations(&operations)?;
        self.change_group(actor, id, patch, "directory.group_changed")
            .await
    }

    async fn change_group(
        &self,
        actor: &Actor,
        id: DirectoryGroupId,
        patch: GroupPatch,
        action: &str,
    ) -> Result<ProvisionedGroup, ScimError> {
        let now = self.now_ms();
        let mut tx = self.store.begin_write(now).await.map_err(store_error)?;
        let before = tx
            .directory_group_in_tx(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| ScimError::not_found(format!("no group with id `{id}`")))?;
        let mut row = before.clone();
        let mut membership = Membership::default();
        let mut renamed = false;
        for change in patch.changes {
            match change {
                MemberChange::Rename(name) => {
                    if name != row.display_name {
                        Self::check_unique_group(&mut tx, &name, Some(id)).await?;
                        renamed = true;
                        row.display_name = name;
                    }
                }
                MemberChange::SetExternalId(external) => row.external_id = external,
                MemberChange::Add(ids) => {
                    let people = Self::known_members(&mut tx, &ids).await?;
                    membership.note_added(
                        tx.add_directory_members(id, &people)
                            .await
                            .map_err(store_error)?,
                    );
                }
                MemberChange::Remove(ids) => {
                    // Removing someone who is not (or no longer) a member changes nothing.
                    let people: Vec<HumanId> = ids.iter().filter_map(|i| i.parse().ok()).collect();
                    membership.note_removed(
                        tx.remove_directory_members(id, &people)
                            .await
                            .map_err(store_error)?,
                    );
                }
                MemberChange::Replace(ids) => {
                    let wanted: BTreeSet<HumanId> = Self::known_members(&mut tx, &ids)
                        .await?
                        .into_iter()
                        .collect();
                    let current: BTreeSet<HumanId> = tx
                        .directory_member_ids(id)
                        .await
                        .map_err(store_error)?
                        .into_iter()
                        .collect();
                    let gone: Vec<HumanId> = current.difference(&wanted).copied().collect();
                    let new: Vec<HumanId> = wanted.difference(&current).copied().collect();
                    membership.note_removed(
                        tx.remove_directory_members(id, &gone)
                            .await
                            .map_err(store_error)?,
                    );
                    membership.note_added(
                        tx.add_directory_members(id, &new)
                            .await
                            .map_err(store_error)?,
                    );
                }
                MemberChange::RemoveAll => {
                    let current = tx.directory_member_ids(id).await.map_err(store_error)?;
                    membership.note_removed(
                        tx.remove_directory_members(id, &current)
                            .await
                            .map_err(store_error)?,
                    );
                }
            }
        }
        row.version += 1;
        row.updated_at_ms = now;
        tx.update_directory_group(&row).await.map_err(store_error)?;
        if renamed {
            // A new name can map to other roles: every member's roles follow.
            let members = tx.directory_member_ids(id).await.map_err(store_error)?;
            membership
                .added
                .extend(members.iter().filter(|m| !membership.removed.contains(m)));
        }
        self.group_event(
            &mut tx,
            actor,
            action,
            &row,
            &membership,
            json!({ "renamed_from": renamed.then(|| before.display_name.clone()) }),
        )
        .await?;
        tx.commit().await.map_err(store_error)?;
        self.provisioned_group(row, false).await
    }

    /// DELETE /Groups/{id}: its members lose what it granted.
    #[tracing::instrument(skip_all)]
    pub async fn scim_delete_group(&self, actor: &Actor, id: &str) -> Result<(), ScimError> {
        self.provisioner(actor)?;
        let id = parse_group_id(id)?;
        let mut tx = self
            .store
            .begin_write(self.now_ms())
            .await
            .map_err(store_error)?;
        let row = tx
            .directory_group_in_tx(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| ScimError::not_found(format!("no group with id `{id}`")))?;
        let members = tx.delete_directory_group(id).await.map_err(store_error)?;
        let membership = Membership {
            added: BTreeSet::new(),
            removed: members.into_iter().collect(),
        };
        self.group_event(
            &mut tx,
            actor,
            "directory.group_deleted",
            &row,
            &membership,
            json!({}),
        )
        .await?;
        tx.commit().await.map_err(store_error)?;
        Ok(())
    }
}
