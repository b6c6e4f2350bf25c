//! Away periods and their delegates (table `delegations`), shared by both backends through
//! `delegations_sql!`. Read inside write transactions, so a delegation and what depends on it
//! (a sign-off for the away person, a notice redirected) are judged from one snapshot.

use super::StoreError;
use crate::domain::{Delegation, HumanId};
use async_trait::async_trait;

#[async_trait]
pub trait DelegationReads {
    /// Delegations not over at `now_ms` (in force or upcoming), soonest first.
    async fn current_delegations(&self, now_ms: i64) -> Result<Vec<Delegation>, StoreError>;
}

#[async_trait]
pub trait DelegationWrites {
    async fn insert_delegation(
        &mut self,
        delegation: &Delegation,
        at_ms: i64,
    ) -> Result<(), StoreError>;
    /// Every delegation not over at `now_ms` that names `person` as principal or delegate.
    async fn delegations_of(
        &mut self,
        person: HumanId,
        now_ms: i64,
    ) -> Result<Vec<Delegation>, StoreError>;
    /// Every delegation in force at `now_ms` (for redirecting notices).
    async fn delegations_in_force(&mut self, now_ms: i64) -> Result<Vec<Delegation>, StoreError>;
    async fn delegation_by_id(&mut self, id: &str) -> Result<Option<Delegation>, StoreError>;
    async fn end_delegation(&mut self, id: &str, by: HumanId, at_ms: i64)
        -> Result<(), StoreError>;
}

const SELECT: &str = "SELECT d.id, d.principal_id, COALESCE(p.name, ''), d.delegate_id, \
     COALESCE(g.name, ''), d.role, d.starts_at, d.ends_at, d.reason, d.ended_at \
     FROM delegations d LEFT JOIN humans p ON p.id = d.principal_id \
     LEFT JOIN humans g ON g.id = d.delegate_id";
const NOT_OVER: &str = "d.ends_at > $1 AND (d.ended_at IS NULL OR d.ended_at > $1)";

pub(super) fn current() -> String {
    format!("{SELECT} WHERE {NOT_OVER} ORDER BY d.starts_at, d.id")
}
pub(super) fn of_person() -> String {
    format!(
        "{SELECT} WHERE {NOT_OVER} AND (d.principal_id = $2 OR d.delegate_id = $2) \
         ORDER BY d.starts_at, d.id"
    )
}
pub(super) fn in_force() -> String {
    format!("{SELECT} WHERE {NOT_OVER} AND d.starts_at <= $1 ORDER BY d.starts_at, d.id")
}
pub(super) fn by_id() -> String {
    format!("{SELECT} WHERE d.id = $1")
}
pub(super) const INSERT: &str = "INSERT INTO delegations (id, principal_id, delegate_id, role, \
     starts_at, ends_at, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub(super) const END: &str =
    "UPDATE delegations SET ended_at = $3, ended_by = $2 WHERE id = $1 AND ended_at IS NULL";

pub(super) type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    Option<i64>,
);

pub(super) fn from_row(
    (id, principal, principal_name, delegate, delegate_name, role, starts, ends, reason, ended): Row,
) -> Result<Delegation, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("delegations.{what}"));
    Ok(Delegation {
        id,
        principal: principal.parse().map_err(|_| corrupt("principal_id"))?,
        principal_name,
        delegate: delegate.parse().map_err(|_| corrupt("delegate_id"))?,
        delegate_name,
        role: role.parse().map_err(|_| corrupt("role"))?,
        starts_at: crate::clock::from_millis(starts),
        ends_at: crate::clock::from_millis(ends),
        reason,
        ended_at: ended.map(crate::clock::from_millis),
    })
}

macro_rules! delegations_sql {
    ($store:ident, $tx:ident) => {
        #[async_trait::async_trait]
        impl super::delegations::DelegationReads for $store {
            async fn current_delegations(
                &self,
                now_ms: i64,
            ) -> Result<Vec<crate::domain::Delegation>, crate::store::StoreError> {
                sqlx::query_as::<_, super::delegations::Row>(&super::delegations::current())
                    .bind(now_ms)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(super::delegations::from_row)
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl super::delegations::DelegationWrites for $tx {
            async fn insert_delegation(
                &mut self,
                d: &crate::domain::Delegation,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::delegations::INSERT)
                    .bind(&d.id)
                    .bind(d.principal.to_string())
                    .bind(d.delegate.to_string())
                    .bind(d.role.as_str())
                    .bind(crate::clock::to_millis(d.starts_at))
                    .bind(crate::clock::to_millis(d.ends_at))
                    .bind(&d.reason)
                    .bind(at_ms)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn delegations_of(
                &mut self,
                person: crate::domain::HumanId,
                now_ms: i64,
            ) -> Result<Vec<crate::domain::Delegation>, crate::store::StoreError> {
                sqlx::query_as::<_, super::delegations::Row>(&super::delegations::of_person())
                    .bind(now_ms)
                    .bind(person.to_string())
                    .fetch_all(&mut *self.tx)
                    .await?
                    .into_iter()
                    .map(super::delegations::from_row)
                    .collect()
            }

            async fn delegations_in_force(
                &mut self,
                now_ms: i64,
            ) -> Result<Vec<crate::domain::Delegation>, crate::store::StoreError> {
                sqlx::query_as::<_, super::delegations::Row>(&super::delegations::in_force())
                    .bind(now_ms)
                    .fetch_all(&mut *self.tx)
                    .await?
                    .into_iter()
                    .map(super::delegations::from_row)
                    .collect()
            }

            async fn delegation_by_id(
                &mut self,
                id: &str,
            ) -> Result<Option<crate::domain::Delegation>, crate::store::StoreError> {
                sqlx::query_as::<_, super::delegations::Row>(&super::delegations::by_id())
                    .bind(id)
                    .fetch_optional(&mut *self.tx)
                    .await?
                    .map(super::delegations::from_row)
                    .transpose()
            }

            async fn end_delegation(
                &mut self,
                id: &str,
                by: crate::domain::HumanId,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::delegations::END)
                    .bind(id)
                    .bind(by.to_string())
                    .bind(at_ms)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(super) use delegations_sql;
