//! Moving a sign-in's IdP identity (issuer and subject) from one person record to another,
//! inside the state change that records it. Shared by both backends through `person_link_sql!`.

use super::StoreError;
use crate::domain::HumanId;
use async_trait::async_trait;

#[async_trait]
pub trait PersonLinkWrites {
    /// The issuer and subject a person signs in with, if any.
    async fn external_identity_of(
        &mut self,
        person: HumanId,
    ) -> Result<Option<(String, String)>, StoreError>;
    /// `to` (which has none) takes `from`'s IdP identity; `from` keeps none. False when `from`
    /// had none or `to` already had one (nothing changed then).
    async fn move_external_identity(
        &mut self,
        from: HumanId,
        to: HumanId,
    ) -> Result<bool, StoreError>;
}

macro_rules! person_link_sql {
    ($tx:ident) => {
        #[async_trait::async_trait]
        impl super::person_link::PersonLinkWrites for $tx {
            async fn external_identity_of(
                &mut self,
                person: crate::domain::HumanId,
            ) -> Result<Option<(String, String)>, crate::store::StoreError> {
                let row: Option<(Option<String>, Option<String>)> =
                    sqlx::query_as("SELECT issuer, subject FROM humans WHERE id = $1")
                        .bind(person.to_string())
                        .fetch_optional(&mut *self.tx)
                        .await?;
                Ok(match row {
                    Some((Some(issuer), Some(subject))) => Some((issuer, subject)),
                    _ => None,
                })
            }

            async fn move_external_identity(
                &mut self,
                from: crate::domain::HumanId,
                to: crate::domain::HumanId,
            ) -> Result<bool, crate::store::StoreError> {
                let Some((issuer, subject)) = self.external_identity_of(from).await? else {
                    return Ok(false);
                };
                if self.external_identity_of(to).await?.is_some() {
                    return Ok(false);
                }
                sqlx::query("UPDATE humans SET issuer = NULL, subject = NULL WHERE id = $1")
                    .bind(from.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                let moved = sqlx::query(
                    "UPDATE humans SET issuer = $1, subject = $2 WHERE id = $3 AND issuer IS NULL",
                )
                .bind(issuer)
                .bind(subject)
                .bind(to.to_string())
                .execute(&mut *self.tx)
                .await?
                .rows_affected();
                Ok(moved == 1)
            }
        }
    };
}

pub(super) use person_link_sql;
