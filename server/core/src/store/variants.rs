//! The variants of variant-set versions (table `change_variants`) and what the publisher
//! recorded for each, shared by both backends through `variants_sql!`.

use super::StoreError;
use crate::domain::{Audience, Content, ContentFormat, Publication, Variant, VariantName};
use async_trait::async_trait;

/// A variant of the current version as the publisher tracks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantDelivery {
    pub name: String,
    pub target_ref: String,
    /// What the system's receipt named once it published this variant.
    pub publication: Option<Publication>,
    pub rolled_back: bool,
}

#[async_trait]
pub trait VariantReads {
    /// Every variant of every version of a change, by version then position.
    async fn change_variants(&self, change_id: &str) -> Result<Vec<(i64, Variant)>, StoreError>;
}

#[async_trait]
pub trait VariantWrites {
    async fn insert_variants(
        &mut self,
        change_id: &str,
        version: i64,
        variants: &[Variant],
    ) -> Result<(), StoreError>;
    /// The variants of one version with their publications, by position.
    async fn variant_deliveries(
        &mut self,
        change_id: &str,
        version: i64,
    ) -> Result<Vec<VariantDelivery>, StoreError>;
    async fn set_variant_publication(
        &mut self,
        change_id: &str,
        version: i64,
        name: &str,
        publication: &Publication,
    ) -> Result<(), StoreError>;
    async fn set_variant_rolled_back(
        &mut self,
        change_id: &str,
        version: i64,
        name: &str,
        at_ms: i64,
    ) -> Result<(), StoreError>;
    /// A set's widest audience and its base's target, after a new version.
    async fn set_change_reach(
        &mut self,
        change_id: &str,
        audience: Audience,
        target_ref: &str,
    ) -> Result<(), StoreError>;
}

pub(super) const SELECT_ALL: &str = "SELECT version, name, audience, target_ref, format, content, \
     content_hash FROM change_variants WHERE change_id = $1 ORDER BY version, position";
pub(super) const INSERT: &str = "INSERT INTO change_variants (change_id, version, position, \
     name, audience, target_ref, format, content, content_hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
pub(super) const DELIVERIES: &str = "SELECT name, target_ref, published_version, \
     replaced_version, published_at, rolled_back_at FROM change_variants \
     WHERE change_id = $1 AND version = $2 ORDER BY position";
pub(super) const PUBLISHED: &str = "UPDATE change_variants SET published_version = $4, \
     replaced_version = $5, published_at = $6 WHERE change_id = $1 AND version = $2 AND name = $3";
pub(super) const ROLLED_BACK: &str = "UPDATE change_variants SET rolled_back_at = $4 \
     WHERE change_id = $1 AND version = $2 AND name = $3";

pub(super) const REACH: &str =
    "UPDATE change_requests SET audience = $2, target_ref = $3 WHERE id = $1";

pub(super) type Row = (i64, String, String, String, String, String, String);

pub(super) fn from_row(
    (version, name, audience, target_ref, format, text, hash): Row,
) -> Result<(i64, Variant), StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("change_variants.{what}"));
    Ok((
        version,
        Variant {
            name: VariantName::parse(&name).map_err(|_| corrupt("name"))?,
            audience: Audience::parse(&audience).map_err(|_| corrupt("audience"))?,
            target_ref,
            content: Content {
                text,
                format: ContentFormat::parse(&format).map_err(|_| corrupt("format"))?,
                hash,
            },
        },
    ))
}

pub(super) type DeliveryRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

pub(super) fn delivery_from_row(
    (name, target_ref, version, replaced, at, rolled_back): DeliveryRow,
) -> VariantDelivery {
    VariantDelivery {
        name,
        target_ref,
        publication: match (version, at) {
            (Some(version), Some(at)) => Some(Publication {
                version,
                replaced,
                at: crate::clock::from_millis(at),
            }),
            _ => None,
        },
        rolled_back: rolled_back.is_some(),
    }
}

macro_rules! variants_sql {
    ($store:ident, $tx:ident) => {
        #[async_trait::async_trait]
        impl super::variants::VariantReads for $store {
            async fn change_variants(
                &self,
                change_id: &str,
            ) -> Result<Vec<(i64, crate::domain::Variant)>, crate::store::StoreError> {
                sqlx::query_as::<_, super::variants::Row>(super::variants::SELECT_ALL)
                    .bind(change_id)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(super::variants::from_row)
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl super::variants::VariantWrites for $tx {
            async fn insert_variants(
                &mut self,
                change_id: &str,
                version: i64,
                variants: &[crate::domain::Variant],
            ) -> Result<(), crate::store::StoreError> {
                for (position, v) in variants.iter().enumerate() {
                    sqlx::query(super::variants::INSERT)
                        .bind(change_id)
                        .bind(version)
                        .bind(i64::try_from(position).unwrap_or(i64::MAX))
                        .bind(v.name.as_str())
                        .bind(v.audience.as_str())
                        .bind(&v.target_ref)
                        .bind(v.content.format.as_str())
                        .bind(&v.content.text)
                        .bind(&v.content.hash)
                        .execute(&mut *self.tx)
                        .await?;
                }
                Ok(())
            }

            async fn variant_deliveries(
                &mut self,
                change_id: &str,
                version: i64,
            ) -> Result<Vec<super::variants::VariantDelivery>, crate::store::StoreError> {
                Ok(
                    sqlx::query_as::<_, super::variants::DeliveryRow>(super::variants::DELIVERIES)
                        .bind(change_id)
                        .bind(version)
                        .fetch_all(&mut *self.tx)
                        .await?
                        .into_iter()
                        .map(super::variants::delivery_from_row)
                        .collect(),
                )
            }

            async fn set_variant_publication(
                &mut self,
                change_id: &str,
                version: i64,
                name: &str,
                publication: &crate::domain::Publication,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::variants::PUBLISHED)
                    .bind(change_id)
                    .bind(version)
                    .bind(name)
                    .bind(&publication.version)
                    .bind(&publication.replaced)
                    .bind(crate::clock::to_millis(publication.at))
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn set_variant_rolled_back(
                &mut self,
                change_id: &str,
                version: i64,
                name: &str,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::variants::ROLLED_BACK)
                    .bind(change_id)
                    .bind(version)
                    .bind(name)
                    .bind(at_ms)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn set_change_reach(
                &mut self,
                change_id: &str,
                audience: crate::domain::Audience,
                target_ref: &str,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::variants::REACH)
                    .bind(change_id)
                    .bind(audience.as_str())
                    .bind(target_ref)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(super) use variants_sql;
