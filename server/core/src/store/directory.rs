//! What the corporate directory provisioned (SCIM): its tokens, users, groups and memberships
//! (tables `directory_*`), shared by both backends through `directory_sql!`.

use super::StoreError;
use crate::domain::{DirectoryGroupId, DirectoryTokenId, Human, HumanId, RoleSet};
use async_trait::async_trait;

/// A directory token as stored (its hash only), with its creator's name and standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryTokenRow {
    pub id: DirectoryTokenId,
    pub name: String,
    pub created_by: HumanId,
    pub created_by_name: String,
    pub creator_active: bool,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
    pub replaced_by: Option<DirectoryTokenId>,
}

#[derive(Debug, Clone)]
pub struct NewDirectoryToken {
    pub id: DirectoryTokenId,
    pub name: String,
    pub token_hash: String,
    pub created_by: HumanId,
    pub created_at_ms: i64,
}

/// A provisioned user; `human_id` is also its SCIM id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUserRow {
    pub human_id: HumanId,
    pub user_name: String,
    pub external_id: Option<String>,
    pub active: bool,
    /// The attributes as the directory sent them (JSON object).
    pub attributes: String,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryGroupRow {
    pub id: DirectoryGroupId,
    pub display_name: String,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// Which users a list asks for: all, or those one identifying attribute names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserLookup {
    All,
    Id(HumanId),
    /// Lower-cased.
    UserNameKey(String),
    ExternalId(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupLookup {
    All,
    Id(DirectoryGroupId),
    /// Lower-cased.
    DisplayNameKey(String),
    ExternalId(String),
}

#[async_trait]
pub trait DirectoryReads {
    async fn directory_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<DirectoryTokenRow>, StoreError>;
    /// Every token, newest first.
    async fn directory_tokens(&self) -> Result<Vec<DirectoryTokenRow>, StoreError>;
    /// Records that a token was used (bookkeeping, no ledger event: the request's own event
    /// says what it did). Only moves forward.
    async fn touch_directory_token(
        &self,
        id: DirectoryTokenId,
        at_ms: i64,
    ) -> Result<(), StoreError>;
    async fn directory_user(&self, id: HumanId) -> Result<Option<DirectoryUserRow>, StoreError>;
    /// One page (ordered by creation) and how many match in all.
    async fn directory_users(
        &self,
        lookup: &UserLookup,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<DirectoryUserRow>), StoreError>;
    /// The groups a user is in, by name.
    async fn directory_groups_of(
        &self,
        user: HumanId,
    ) -> Result<Vec<(DirectoryGroupId, String)>, StoreError>;
    async fn directory_group(
        &self,
        id: DirectoryGroupId,
    ) -> Result<Option<DirectoryGroupRow>, StoreError>;
    async fn directory_groups(
        &self,
        lookup: &GroupLookup,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<DirectoryGroupRow>), StoreError>;
    /// A group's members with their user names.
    async fn directory_members(
        &self,
        group: DirectoryGroupId,
    ) -> Result<Vec<(HumanId, String)>, StoreError>;
    async fn directory_has_member(
        &self,
        group: DirectoryGroupId,
        user: HumanId,
    ) -> Result<bool, StoreError>;
    /// Provisioned users, of them active, and groups.
    async fn directory_counts(&self) -> Result<(i64, i64, i64), StoreError>;
    /// People the console knows whom the directory has not provisioned (empty while the
    /// directory has provisioned nobody).
    async fn people_outside_directory(&self) -> Result<Vec<Human>, StoreError>;
}

#[async_trait]
pub trait DirectoryWrites {
    async fn insert_directory_token(&mut self, token: &NewDirectoryToken)
        -> Result<(), StoreError>;
    /// Ends a token; `None` when there is none, `Some((name, false))` when it was already ended.
    async fn revoke_directory_token(
        &mut self,
        id: DirectoryTokenId,
        by: HumanId,
        at_ms: i64,
        replaced_by: Option<DirectoryTokenId>,
    ) -> Result<Option<(String, bool)>, StoreError>;

    async fn directory_user_in_tx(
        &mut self,
        id: HumanId,
    ) -> Result<Option<DirectoryUserRow>, StoreError>;
    /// The user holding this lower-cased user name or this external id, if any.
    async fn directory_user_holding(
        &mut self,
        user_name_key: &str,
        external_id: Option<&str>,
    ) -> Result<Vec<HumanId>, StoreError>;
    async fn insert_directory_user(&mut self, row: &DirectoryUserRow) -> Result<(), StoreError>;
    async fn update_directory_user(&mut self, row: &DirectoryUserRow) -> Result<(), StoreError>;
    /// Removes the user and their memberships; the person stays. Returns the groups they were in.
    async fn delete_directory_user(&mut self, id: HumanId) -> Result<Vec<String>, StoreError>;
    /// Which of these ids are provisioned users.
    async fn existing_directory_users(
        &mut self,
        ids: &[HumanId],
    ) -> Result<Vec<HumanId>, StoreError>;
    /// The names of the groups a user is in.
    async fn directory_group_names_of(&mut self, user: HumanId) -> Result<Vec<String>, StoreError>;

    async fn directory_group_in_tx(
        &mut self,
        id: DirectoryGroupId,
    ) -> Result<Option<DirectoryGroupRow>, StoreError>;
    async fn directory_group_named(
        &mut self,
        display_name_key: &str,
    ) -> Result<Option<DirectoryGroupId>, StoreError>;
    async fn insert_directory_group(&mut self, row: &DirectoryGroupRow) -> Result<(), StoreError>;
    async fn update_directory_group(&mut self, row: &DirectoryGroupRow) -> Result<(), StoreError>;
    /// Removes the group and its memberships; returns who were members.
    async fn delete_directory_group(
        &mut self,
        id: DirectoryGroupId,
    ) -> Result<Vec<HumanId>, StoreError>;
    async fn directory_member_ids(
        &mut self,
        group: DirectoryGroupId,
    ) -> Result<Vec<HumanId>, StoreError>;
    /// Adds members not yet in the group; returns those added.
    async fn add_directory_members(
        &mut self,
        group: DirectoryGroupId,
        users: &[HumanId],
    ) -> Result<Vec<HumanId>, StoreError>;
    /// Removes members that were in the group; returns those removed.
    async fn remove_directory_members(
        &mut self,
        group: DirectoryGroupId,
        users: &[HumanId],
    ) -> Result<Vec<HumanId>, StoreError>;

    /// A person's roles, as the directory's groups map them.
    async fn set_human_roles(&mut self, id: HumanId, roles: &RoleSet) -> Result<(), StoreError>;
    /// A person's name and email, as the directory has them.
    async fn set_human_profile(
        &mut self,
        id: HumanId,
        name: &str,
        email: Option<&str>,
    ) -> Result<(), StoreError>;
    /// A provisioned person not yet bound to an IdP identity whose external id is `external_id`:
    /// the person an IdP subject of that value signs in as.
    async fn unlinked_human_by_directory_id(
        &mut self,
        external_id: &str,
    ) -> Result<Option<Human>, StoreError>;
    /// Whether the directory provisioned this person (it then owns their roles and standing).
    async fn is_directory_user(&mut self, id: HumanId) -> Result<bool, StoreError>;
    /// A person who signed in with IdP subject `subject` and whom the directory has not
    /// provisioned: the person a new directory user with that external id is.
    async fn unprovisioned_human_by_subject(
        &mut self,
        subject: &str,
    ) -> Result<Option<Human>, StoreError>;
}

pub(super) const TOKEN_SELECT: &str = "SELECT t.id, t.name, t.created_by, COALESCE(h.name, ''), \
     COALESCE(h.active = TRUE, FALSE), t.created_at, t.last_used_at, t.revoked_at, t.replaced_by \
     FROM directory_tokens t LEFT JOIN humans h ON h.id = t.created_by";
pub(super) type TokenTuple = (
    String,
    String,
    String,
    String,
    bool,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

pub(super) fn token_from(
    (
        id,
        name,
        created_by,
        created_by_name,
        creator_active,
        created_at_ms,
        last_used_at_ms,
        revoked_at_ms,
        replaced_by,
    ): TokenTuple,
) -> Result<DirectoryTokenRow, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("directory_tokens.{what}"));
    Ok(DirectoryTokenRow {
        id: id.parse().map_err(|_| corrupt("id"))?,
        name,
        created_by: created_by.parse().map_err(|_| corrupt("created_by"))?,
        created_by_name,
        creator_active,
        created_at_ms,
        last_used_at_ms,
        revoked_at_ms,
        replaced_by: replaced_by
            .map(|r| r.parse().map_err(|_| corrupt("replaced_by")))
            .transpose()?,
    })
}

pub(super) const USER_COLUMNS: &str = "human_id, user_name, external_id, active, attributes, \
     version, created_at, updated_at";
pub(super) type UserTuple = (String, String, Option<String>, bool, String, i64, i64, i64);

pub(super) fn user_from(
    (id, user_name, external_id, active, attributes, version, created_at_ms, updated_at_ms): UserTuple,
) -> Result<DirectoryUserRow, StoreError> {
    Ok(DirectoryUserRow {
        human_id: id
            .parse()
            .map_err(|_| StoreError::Corrupt("directory_users.human_id".into()))?,
        user_name,
        external_id,
        active,
        attributes,
        version,
        created_at_ms,
        updated_at_ms,
    })
}

pub(super) const GROUP_COLUMNS: &str =
    "id, display_name, external_id, version, created_at, updated_at";
pub(super) type GroupTuple = (String, String, Option<String>, i64, i64, i64);

pub(super) fn group_from(
    (id, display_name, external_id, version, created_at_ms, updated_at_ms): GroupTuple,
) -> Result<DirectoryGroupRow, StoreError> {
    Ok(DirectoryGroupRow {
        id: id
            .parse()
            .map_err(|_| StoreError::Corrupt("directory_groups.id".into()))?,
        display_name,
        external_id,
        version,
        created_at_ms,
        updated_at_ms,
    })
}

/// The WHERE clause and its one bind for a lookup.
pub(super) fn user_where(lookup: &UserLookup) -> (&'static str, Option<String>) {
    match lookup {
        UserLookup::All => ("", None),
        UserLookup::Id(id) => (" WHERE human_id = $1", Some(id.to_string())),
        UserLookup::UserNameKey(key) => (" WHERE user_name_key = $1", Some(key.clone())),
        UserLookup::ExternalId(id) => (" WHERE external_id = $1", Some(id.clone())),
    }
}

pub(super) fn group_where(lookup: &GroupLookup) -> (&'static str, Option<String>) {
    match lookup {
        GroupLookup::All => ("", None),
        GroupLookup::Id(id) => (" WHERE id = $1", Some(id.to_string())),
        GroupLookup::DisplayNameKey(key) => (" WHERE display_name_key = $1", Some(key.clone())),
        GroupLookup::ExternalId(id) => (" WHERE external_id = $1", Some(id.clone())),
    }
}

pub(super) fn human_ids(raw: Vec<String>) -> Result<Vec<HumanId>, StoreError> {
    raw.into_iter()
        .map(|id| {
            id.parse()
                .map_err(|_| StoreError::Corrupt("directory_members.human_id".into()))
        })
        .collect()
}

macro_rules! directory_sql {
    ($store:ident, $tx:ident) => {
        #[async_trait::async_trait]
        impl super::directory::DirectoryReads for $store {
            async fn directory_token_by_hash(
                &self,
                token_hash: &str,
            ) -> Result<Option<super::directory::DirectoryTokenRow>, crate::store::StoreError>
            {
                let sql = format!("{} WHERE t.token_hash = $1", super::directory::TOKEN_SELECT);
                sqlx::query_as::<_, super::directory::TokenTuple>(&sql)
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(super::directory::token_from)
                    .transpose()
            }

            async fn directory_tokens(
                &self,
            ) -> Result<Vec<super::directory::DirectoryTokenRow>, crate::store::StoreError>
            {
                let sql = format!(
                    "{} ORDER BY t.created_at DESC, t.id DESC",
                    super::directory::TOKEN_SELECT
                );
                sqlx::query_as::<_, super::directory::TokenTuple>(&sql)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(super::directory::token_from)
                    .collect()
            }

            async fn touch_directory_token(
                &self,
                id: crate::domain::DirectoryTokenId,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE directory_tokens SET last_used_at = $1 WHERE id = $2 \
                     AND (last_used_at IS NULL OR last_used_at < $1)",
                )
                .bind(at_ms)
                .bind(id.to_string())
                .execute(self.write_pool())
                .await?;
                Ok(())
            }

            async fn directory_user(
                &self,
                id: crate::domain::HumanId,
            ) -> Result<Option<super::directory::DirectoryUserRow>, crate::store::StoreError>
            {
                let sql = format!(
                    "SELECT {} FROM directory_users WHERE human_id = $1",
                    super::directory::USER_COLUMNS
                );
                sqlx::query_as::<_, super::directory::UserTuple>(&sql)
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?
                    .map(super::directory::user_from)
                    .transpose()
            }

            async fn directory_users(
                &self,
                lookup: &super::directory::UserLookup,
                offset: i64,
                limit: i64,
            ) -> Result<(i64, Vec<super::directory::DirectoryUserRow>), crate::store::StoreError>
            {
                let (clause, bind) = super::directory::user_where(lookup);
                let n = if bind.is_some() { 2 } else { 1 };
                let count_sql = format!("SELECT COUNT(*) FROM directory_users{clause}");
                let page_sql = format!(
                    "SELECT {} FROM directory_users{clause} ORDER BY created_at, human_id \
                     LIMIT ${} OFFSET ${}",
                    super::directory::USER_COLUMNS,
                    n,
                    n + 1
                );
                let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
                let mut page = sqlx::query_as::<_, super::directory::UserTuple>(&page_sql);
                if let Some(bind) = &bind {
                    count = count.bind(bind.clone());
                    page = page.bind(bind.clone());
                }
                let total = count.fetch_one(&self.pool).await?;
                let rows = page
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(super::directory::user_from)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((total, rows))
            }

            async fn directory_groups_of(
                &self,
                user: crate::domain::HumanId,
            ) -> Result<Vec<(crate::domain::DirectoryGroupId, String)>, crate::store::StoreError>
            {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT g.id, g.display_name FROM directory_members m \
                     JOIN directory_groups g ON g.id = m.group_id WHERE m.human_id = $1 \
                     ORDER BY g.display_name_key",
                )
                .bind(user.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, name)| {
                        Ok((
                            id.parse().map_err(|_| {
                                crate::store::StoreError::Corrupt("directory_groups.id".into())
                            })?,
                            name,
                        ))
                    })
                    .collect()
            }

            async fn directory_group(
                &self,
                id: crate::domain::DirectoryGroupId,
            ) -> Result<Option<super::directory::DirectoryGroupRow>, crate::store::StoreError>
            {
                let sql = format!(
                    "SELECT {} FROM directory_groups WHERE id = $1",
                    super::directory::GROUP_COLUMNS
                );
                sqlx::query_as::<_, super::directory::GroupTuple>(&sql)
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?
                    .map(super::directory::group_from)
                    .transpose()
            }

            async fn directory_groups(
                &self,
                lookup: &super::directory::GroupLookup,
                offset: i64,
                limit: i64,
            ) -> Result<(i64, Vec<super::directory::DirectoryGroupRow>), crate::store::StoreError>
            {
                let (clause, bind) = super::directory::group_where(lookup);
                let n = if bind.is_some() { 2 } else { 1 };
                let count_sql = format!("SELECT COUNT(*) FROM directory_groups{clause}");
                let page_sql = format!(
                    "SELECT {} FROM directory_groups{clause} ORDER BY created_at, id \
                     LIMIT ${} OFFSET ${}",
                    super::directory::GROUP_COLUMNS,
                    n,
                    n + 1
                );
                let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
                let mut page = sqlx::query_as::<_, super::directory::GroupTuple>(&page_sql);
                if let Some(bind) = &bind {
                    count = count.bind(bind.clone());
                    page = page.bind(bind.clone());
                }
                let total = count.fetch_one(&self.pool).await?;
                let rows = page
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(super::directory::group_from)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((total, rows))
            }

            async fn directory_members(
                &self,
                group: crate::domain::DirectoryGroupId,
            ) -> Result<Vec<(crate::domain::HumanId, String)>, crate::store::StoreError> {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT u.human_id, u.user_name FROM directory_members m \
                     JOIN directory_users u ON u.human_id = m.human_id WHERE m.group_id = $1 \
                     ORDER BY u.user_name_key",
                )
                .bind(group.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, name)| {
                        Ok((
                            id.parse().map_err(|_| {
                                crate::store::StoreError::Corrupt(
                                    "directory_members.human_id".into(),
                                )
                            })?,
                            name,
                        ))
                    })
                    .collect()
            }

            async fn directory_has_member(
                &self,
                group: crate::domain::DirectoryGroupId,
                user: crate::domain::HumanId,
            ) -> Result<bool, crate::store::StoreError> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM directory_members WHERE group_id = $1 AND human_id = $2",
                )
                .bind(group.to_string())
                .bind(user.to_string())
                .fetch_one(&self.pool)
                .await?;
                Ok(n > 0)
            }

            async fn directory_counts(&self) -> Result<(i64, i64, i64), crate::store::StoreError> {
                Ok(sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM directory_users), \
                     (SELECT COUNT(*) FROM directory_users WHERE active = TRUE), \
                     (SELECT COUNT(*) FROM directory_groups)",
                )
                .fetch_one(&self.pool)
                .await?)
            }

            async fn people_outside_directory(
                &self,
            ) -> Result<Vec<crate::domain::Human>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM humans h WHERE EXISTS (SELECT 1 FROM directory_users) \
                     AND NOT EXISTS (SELECT 1 FROM directory_users u WHERE u.human_id = h.id) \
                     ORDER BY h.name, h.id",
                    super::sql::HUMAN_COLUMNS
                        .split(", ")
                        .map(|c| format!("h.{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
                rows.iter().map(super::sql::human_from_row).collect()
            }
        }

        #[async_trait::async_trait]
        impl super::directory::DirectoryWrites for $tx {
            async fn insert_directory_token(
                &mut self,
                token: &super::directory::NewDirectoryToken,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO directory_tokens (id, name, token_hash, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token.id.to_string())
                .bind(&token.name)
                .bind(&token.token_hash)
                .bind(token.created_by.to_string())
                .bind(token.created_at_ms)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn revoke_directory_token(
                &mut self,
                id: crate::domain::DirectoryTokenId,
                by: crate::domain::HumanId,
                at_ms: i64,
                replaced_by: Option<crate::domain::DirectoryTokenId>,
            ) -> Result<Option<(String, bool)>, crate::store::StoreError> {
                let found: Option<(String, bool)> = sqlx::query_as(
                    "SELECT name, revoked_at IS NULL FROM directory_tokens WHERE id = $1",
                )
                .bind(id.to_string())
                .fetch_optional(&mut *self.tx)
                .await?;
                let Some((name, live)) = found else {
                    return Ok(None);
                };
                if live {
                    sqlx::query(
                        "UPDATE directory_tokens SET revoked_at = $2, revoked_by = $3, \
                         replaced_by = $4 WHERE id = $1 AND revoked_at IS NULL",
                    )
                    .bind(id.to_string())
                    .bind(at_ms)
                    .bind(by.to_string())
                    .bind(replaced_by.map(|r| r.to_string()))
                    .execute(&mut *self.tx)
                    .await?;
                }
                Ok(Some((name, live)))
            }

            async fn directory_user_in_tx(
                &mut self,
                id: crate::domain::HumanId,
            ) -> Result<Option<super::directory::DirectoryUserRow>, crate::store::StoreError>
            {
                let sql = format!(
                    "SELECT {} FROM directory_users WHERE human_id = $1",
                    super::directory::USER_COLUMNS
                );
                sqlx::query_as::<_, super::directory::UserTuple>(&sql)
                    .bind(id.to_string())
                    .fetch_optional(&mut *self.tx)
                    .await?
                    .map(super::directory::user_from)
                    .transpose()
            }

            async fn directory_user_holding(
                &mut self,
                user_name_key: &str,
                external_id: Option<&str>,
            ) -> Result<Vec<crate::domain::HumanId>, crate::store::StoreError> {
                let ids: Vec<String> = sqlx::query_scalar(
                    "SELECT human_id FROM directory_users WHERE user_name_key = $1 \
                     OR (external_id IS NOT NULL AND external_id = $2)",
                )
                .bind(user_name_key)
                .bind(external_id)
                .fetch_all(&mut *self.tx)
                .await?;
                super::directory::human_ids(ids)
            }

            async fn insert_directory_user(
                &mut self,
                row: &super::directory::DirectoryUserRow,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO directory_users (human_id, user_name, user_name_key, \
                     external_id, active, attributes, version, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(row.human_id.to_string())
                .bind(&row.user_name)
                .bind(row.user_name.to_lowercase())
                .bind(&row.external_id)
                .bind(row.active)
                .bind(&row.attributes)
                .bind(row.version)
                .bind(row.created_at_ms)
                .bind(row.updated_at_ms)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn update_directory_user(
                &mut self,
                row: &super::directory::DirectoryUserRow,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE directory_users SET user_name = $2, user_name_key = $3, \
                     external_id = $4, active = $5, attributes = $6, version = $7, \
                     updated_at = $8 WHERE human_id = $1",
                )
                .bind(row.human_id.to_string())
                .bind(&row.user_name)
                .bind(row.user_name.to_lowercase())
                .bind(&row.external_id)
                .bind(row.active)
                .bind(&row.attributes)
                .bind(row.version)
                .bind(row.updated_at_ms)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn delete_directory_user(
                &mut self,
                id: crate::domain::HumanId,
            ) -> Result<Vec<String>, crate::store::StoreError> {
                let groups = self.directory_group_names_of(id).await?;
                sqlx::query("DELETE FROM directory_members WHERE human_id = $1")
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                sqlx::query("DELETE FROM directory_users WHERE human_id = $1")
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(groups)
            }

            async fn existing_directory_users(
                &mut self,
                ids: &[crate::domain::HumanId],
            ) -> Result<Vec<crate::domain::HumanId>, crate::store::StoreError> {
                let mut found = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(500) {
                    let placeholders: Vec<String> =
                        (1..=chunk.len()).map(|n| format!("${n}")).collect();
                    let sql = format!(
                        "SELECT human_id FROM directory_users WHERE human_id IN ({})",
                        placeholders.join(", ")
                    );
                    let mut query = sqlx::query_scalar::<_, String>(&sql);
                    for id in chunk {
                        query = query.bind(id.to_string());
                    }
                    found.extend(super::directory::human_ids(
                        query.fetch_all(&mut *self.tx).await?,
                    )?);
                }
                Ok(found)
            }

            async fn directory_group_names_of(
                &mut self,
                user: crate::domain::HumanId,
            ) -> Result<Vec<String>, crate::store::StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT g.display_name FROM directory_members m \
                     JOIN directory_groups g ON g.id = m.group_id WHERE m.human_id = $1 \
                     ORDER BY g.display_name_key",
                )
                .bind(user.to_string())
                .fetch_all(&mut *self.tx)
                .await?)
            }

            async fn directory_group_in_tx(
                &mut self,
                id: crate::domain::DirectoryGroupId,
            ) -> Result<Option<super::directory::DirectoryGroupRow>, crate::store::StoreError>
            {
                let sql = format!(
                    "SELECT {} FROM directory_groups WHERE id = $1",
                    super::directory::GROUP_COLUMNS
                );
                sqlx::query_as::<_, super::directory::GroupTuple>(&sql)
                    .bind(id.to_string())
                    .fetch_optional(&mut *self.tx)
                    .await?
                    .map(super::directory::group_from)
                    .transpose()
            }

            async fn directory_group_named(
                &mut self,
                display_name_key: &str,
            ) -> Result<Option<crate::domain::DirectoryGroupId>, crate::store::StoreError> {
                let id: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM directory_groups WHERE display_name_key = $1",
                )
                .bind(display_name_key)
                .fetch_optional(&mut *self.tx)
                .await?;
                id.map(|id| {
                    id.parse().map_err(|_| {
                        crate::store::StoreError::Corrupt("directory_groups.id".into())
                    })
                })
                .transpose()
            }

            async fn insert_directory_group(
                &mut self,
                row: &super::directory::DirectoryGroupRow,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO directory_groups (id, display_name, display_name_key, \
                     external_id, version, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(row.id.to_string())
                .bind(&row.display_name)
                .bind(row.display_name.to_lowercase())
                .bind(&row.external_id)
                .bind(row.version)
                .bind(row.created_at_ms)
                .bind(row.updated_at_ms)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn update_directory_group(
                &mut self,
                row: &super::directory::DirectoryGroupRow,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE directory_groups SET display_name = $2, display_name_key = $3, \
                     external_id = $4, version = $5, updated_at = $6 WHERE id = $1",
                )
                .bind(row.id.to_string())
                .bind(&row.display_name)
                .bind(row.display_name.to_lowercase())
                .bind(&row.external_id)
                .bind(row.version)
                .bind(row.updated_at_ms)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn delete_directory_group(
                &mut self,
                id: crate::domain::DirectoryGroupId,
            ) -> Result<Vec<crate::domain::HumanId>, crate::store::StoreError> {
                let members = self.directory_member_ids(id).await?;
                sqlx::query("DELETE FROM directory_members WHERE group_id = $1")
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                sqlx::query("DELETE FROM directory_groups WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(members)
            }

            async fn directory_member_ids(
                &mut self,
                group: crate::domain::DirectoryGroupId,
            ) -> Result<Vec<crate::domain::HumanId>, crate::store::StoreError> {
                let ids: Vec<String> = sqlx::query_scalar(
                    "SELECT human_id FROM directory_members WHERE group_id = $1 ORDER BY human_id",
                )
                .bind(group.to_string())
                .fetch_all(&mut *self.tx)
                .await?;
                super::directory::human_ids(ids)
            }

            async fn add_directory_members(
                &mut self,
                group: crate::domain::DirectoryGroupId,
                users: &[crate::domain::HumanId],
            ) -> Result<Vec<crate::domain::HumanId>, crate::store::StoreError> {
                let mut added = Vec::new();
                for user in users {
                    let done = sqlx::query(
                        "INSERT INTO directory_members (group_id, human_id) VALUES ($1, $2) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(group.to_string())
                    .bind(user.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                    if done.rows_affected() > 0 {
                        added.push(*user);
                    }
                }
                Ok(added)
            }

            async fn remove_directory_members(
                &mut self,
                group: crate::domain::DirectoryGroupId,
                users: &[crate::domain::HumanId],
            ) -> Result<Vec<crate::domain::HumanId>, crate::store::StoreError> {
                let mut removed = Vec::new();
                for user in users {
                    let done = sqlx::query(
                        "DELETE FROM directory_members WHERE group_id = $1 AND human_id = $2",
                    )
                    .bind(group.to_string())
                    .bind(user.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                    if done.rows_affected() > 0 {
                        removed.push(*user);
                    }
                }
                Ok(removed)
            }

            async fn set_human_roles(
                &mut self,
                id: crate::domain::HumanId,
                roles: &crate::domain::RoleSet,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query("UPDATE humans SET roles = $1 WHERE id = $2")
                    .bind(roles.to_csv())
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn set_human_profile(
                &mut self,
                id: crate::domain::HumanId,
                name: &str,
                email: Option<&str>,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query("UPDATE humans SET name = $1, email = $2 WHERE id = $3")
                    .bind(name)
                    .bind(email)
                    .bind(id.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn unlinked_human_by_directory_id(
                &mut self,
                external_id: &str,
            ) -> Result<Option<crate::domain::Human>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM humans h JOIN directory_users u ON u.human_id = h.id \
                     WHERE u.external_id = $1 AND h.issuer IS NULL",
                    super::sql::HUMAN_COLUMNS
                        .split(", ")
                        .map(|c| format!("h.{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let row = sqlx::query(&sql)
                    .bind(external_id)
                    .fetch_optional(&mut *self.tx)
                    .await?;
                row.as_ref().map(super::sql::human_from_row).transpose()
            }

            async fn unprovisioned_human_by_subject(
                &mut self,
                subject: &str,
            ) -> Result<Option<crate::domain::Human>, crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM humans h WHERE h.subject = $1 AND NOT EXISTS \
                     (SELECT 1 FROM directory_users u WHERE u.human_id = h.id) \
                     ORDER BY h.created_at LIMIT 1",
                    super::sql::HUMAN_COLUMNS
                        .split(", ")
                        .map(|c| format!("h.{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let row = sqlx::query(&sql)
                    .bind(subject)
                    .fetch_optional(&mut *self.tx)
                    .await?;
                row.as_ref().map(super::sql::human_from_row).transpose()
            }

            async fn is_directory_user(
                &mut self,
                id: crate::domain::HumanId,
            ) -> Result<bool, crate::store::StoreError> {
                let n: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM directory_users WHERE human_id = $1")
                        .bind(id.to_string())
                        .fetch_one(&mut *self.tx)
                        .await?;
                Ok(n > 0)
            }
        }
    };
}

pub(super) use directory_sql;
