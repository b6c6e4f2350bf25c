//! Auditors' machine tokens (table `auditor_tokens`), shared by both backends through
//! `auditor_tokens_sql!`.

use super::StoreError;
use crate::domain::{AuditorTokenId, HumanId};
use async_trait::async_trait;

/// An auditor's token as stored (its hash only), with its issuer's name and standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditorTokenRow {
    pub id: AuditorTokenId,
    pub name: String,
    pub issued_by: HumanId,
    pub issued_by_name: String,
    /// Whether the issuer is still an active person: a token outlives nobody's say-so.
    pub issuer_active: bool,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

/// A token to store: the row and the SHA-256 hash of the token.
#[derive(Debug, Clone)]
pub struct NewAuditorToken {
    pub id: AuditorTokenId,
    pub name: String,
    pub token_hash: String,
    pub issued_by: HumanId,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
}

#[async_trait]
pub trait AuditorTokenStore {
    /// The token with this SHA-256 hash, whatever its state.
    async fn auditor_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<AuditorTokenRow>, StoreError>;
    /// Every token, newest first.
    async fn auditor_tokens(&self) -> Result<Vec<AuditorTokenRow>, StoreError>;
}

#[async_trait]
pub trait AuditorTokenWrites {
    async fn insert_auditor_token(&mut self, token: &NewAuditorToken) -> Result<(), StoreError>;
    /// Ends a token; `None` when there is no such token, `Some(false)` when it had already been
    /// revoked.
    async fn revoke_auditor_token(
        &mut self,
        id: AuditorTokenId,
        by: HumanId,
        at_ms: i64,
    ) -> Result<Option<(String, bool)>, StoreError>;
}

const SELECT: &str = "SELECT t.id, t.name, t.issued_by, COALESCE(h.name, ''), \
     COALESCE(h.active = TRUE, FALSE), t.issued_at, t.expires_at, t.revoked_at \
     FROM auditor_tokens t LEFT JOIN humans h ON h.id = t.issued_by";
pub(super) fn by_hash() -> String {
    format!("{SELECT} WHERE t.token_hash = $1")
}
pub(super) fn all() -> String {
    format!("{SELECT} ORDER BY t.issued_at DESC, t.id DESC")
}
pub(super) const INSERT: &str = "INSERT INTO auditor_tokens \
     (id, name, token_hash, issued_by, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)";
pub(super) const NAME_AND_STATE: &str =
    "SELECT name, revoked_at IS NULL FROM auditor_tokens WHERE id = $1";
pub(super) const REVOKE: &str = "UPDATE auditor_tokens SET revoked_at = $2, revoked_by = $3 \
     WHERE id = $1 AND revoked_at IS NULL";

pub(super) type Row = (String, String, String, String, bool, i64, i64, Option<i64>);

pub(super) fn from_row(
    (
        id,
        name,
        issued_by,
        issued_by_name,
        issuer_active,
        issued_at_ms,
        expires_at_ms,
        revoked_at_ms,
    ): Row,
) -> Result<AuditorTokenRow, StoreError> {
    let corrupt =
        |what: &str| StoreError::Corrupt(format!("an auditor token's {what} is not an id"));
    Ok(AuditorTokenRow {
        id: id.parse().map_err(|_| corrupt("id"))?,
        name,
        issued_by: issued_by.parse().map_err(|_| corrupt("issuer"))?,
        issued_by_name,
        issuer_active,
        issued_at_ms,
        expires_at_ms,
        revoked_at_ms,
    })
}

macro_rules! auditor_tokens_sql {
    ($store:ident, $tx:ident) => {
        #[async_trait::async_trait]
        impl super::auditor_tokens::AuditorTokenStore for $store {
            async fn auditor_token_by_hash(
                &self,
                token_hash: &str,
            ) -> Result<Option<super::auditor_tokens::AuditorTokenRow>, crate::store::StoreError>
            {
                sqlx::query_as::<_, super::auditor_tokens::Row>(&super::auditor_tokens::by_hash())
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(super::auditor_tokens::from_row)
                    .transpose()
            }

            async fn auditor_tokens(
                &self,
            ) -> Result<Vec<super::auditor_tokens::AuditorTokenRow>, crate::store::StoreError> {
                sqlx::query_as::<_, super::auditor_tokens::Row>(&super::auditor_tokens::all())
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(super::auditor_tokens::from_row)
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl super::auditor_tokens::AuditorTokenWrites for $tx {
            async fn insert_auditor_token(
                &mut self,
                token: &super::auditor_tokens::NewAuditorToken,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::auditor_tokens::INSERT)
                    .bind(token.id.to_string())
                    .bind(&token.name)
                    .bind(&token.token_hash)
                    .bind(token.issued_by.to_string())
                    .bind(token.issued_at_ms)
                    .bind(token.expires_at_ms)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn revoke_auditor_token(
                &mut self,
                id: crate::domain::AuditorTokenId,
                by: crate::domain::HumanId,
                at_ms: i64,
            ) -> Result<Option<(String, bool)>, crate::store::StoreError> {
                let found: Option<(String, bool)> =
                    sqlx::query_as(super::auditor_tokens::NAME_AND_STATE)
                        .bind(id.to_string())
                        .fetch_optional(&mut *self.tx)
                        .await?;
                let Some((name, live)) = found else {
                    return Ok(None);
                };
                if live {
                    sqlx::query(super::auditor_tokens::REVOKE)
                        .bind(id.to_string())
                        .bind(at_ms)
                        .bind(by.to_string())
                        .execute(&mut *self.tx)
                        .await?;
                }
                Ok(Some((name, live)))
            }
        }
    };
}

pub(super) use auditor_tokens_sql;
