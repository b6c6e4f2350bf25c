//! Publishing and rolling back a variant set: each variant is its own call with its own receipt;
//! the set is published once every variant is, and rolled back once every published variant is.

use super::Services;
use crate::actor::Actor;
use crate::connector::Receipt;
use crate::domain::{ChangeRequest, Effect};
use crate::error::CoreResult;
use crate::ledger::NewEvent;
use crate::store::WriteTx;
use serde_json::json;

impl Services {
    /// Records one variant's publication; when it was the last, records the set's (the base's
    /// receipt stands for the change) and returns the `change.published` event.
    pub(super) async fn record_variant_publication(
        &self,
        tx: &mut Box<dyn WriteTx>,
        effect: &Effect,
        change: &ChangeRequest,
        name: &str,
        receipt: &Receipt,
    ) -> CoreResult<Option<i64>> {
        let publication = self.publication_of(receipt);
        tx.set_variant_publication(&change.id, change.current_version, name, &publication)
            .await?;
        let subject = format!("change:{}", change.id);
        let variants = tx
            .variant_deliveries(&change.id, change.current_version)
            .await?;
        let target = variants
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.target_ref.clone());
        tx.append_event(&NewEvent::new(
            &Actor::System,
            "change.variant_published",
            subject.clone(),
            json!({
                "variant": name,
                "system": effect.system.map(|s| s.reference()),
                "target": target,
                "receipt_id": receipt.receipt_id,
                "version": publication.version,
                "replaced_version": publication.replaced,
                "content_sha256": receipt.content_sha256,
            }),
        ))
        .await?;
        let published = variants.iter().filter(|v| v.publication.is_some()).count();
        let (Some(base), true) = (
            variants.first().and_then(|v| v.publication.clone()),
            published == variants.len(),
        ) else {
            return Ok(None);
        };
        tx.set_change_publication(&change.id, &base).await?;
        let seq = tx
            .append_event(&NewEvent::new(
                &Actor::System,
                "change.published",
                subject,
                json!({
                    "system": effect.system.map(|s| s.reference()),
                    "target": change.target_ref,
                    "version": base.version,
                    "replaced_version": base.replaced,
                    "set_sha256": change.current_hash.trim_start_matches("sha256:"),
                    "variants": variants
                        .iter()
                        .map(|v| json!({
                            "variant": v.name,
                            "target": v.target_ref,
                            "version": v.publication.as_ref().map(|p| p.version.clone()),
                        }))
                        .collect::<Vec<_>>(),
                }),
            ))
            .await?;
        Ok(Some(seq))
    }

    /// Records one variant's rollback; whether every published variant is now rolled back.
    pub(super) async fn record_variant_rollback(
        &self,
        tx: &mut Box<dyn WriteTx>,
        change: &ChangeRequest,
        name: &str,
        receipt: &Receipt,
    ) -> CoreResult<bool> {
        tx.set_variant_rolled_back(&change.id, change.current_version, name, self.now_ms())
            .await?;
        tx.append_event(&NewEvent::new(
            &Actor::System,
            "change.variant_rolled_back",
            format!("change:{}", change.id),
            json!({
                "variant": name,
                "receipt_id": receipt.receipt_id,
                "live_version": receipt.version,
            }),
        ))
        .await?;
        let variants = tx
            .variant_deliveries(&change.id, change.current_version)
            .await?;
        Ok(variants
            .iter()
            .all(|v| v.publication.is_none() || v.rolled_back))
    }
}
