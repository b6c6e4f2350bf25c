use super::Services;
use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};
use crate::ledger::{BrokenLink, ChainVerifier, StoredEvent};
use crate::policy::{Action, Resource};

pub const MAX_PAGE: i64 = 200;
const VERIFY_CHUNK: i64 = 5_000;

/// One page of the ledger, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub events: Vec<StoredEvent>,
    /// Pass as `before` to get the next (older) page; `None` at the oldest event.
    pub next_before: Option<i64>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerVerification {
    Intact { events: u64 },
    Broken { verified: u64, link: BrokenLink },
}

impl Services {
    #[tracing::instrument(skip_all, fields(before, limit))]
    pub async fn audit_page(
        &self,
        actor: &Actor,
        before: Option<i64>,
        limit: i64,
    ) -> CoreResult<AuditPage> {
        self.authorize(actor, Action::ViewAudit, &Resource::Ledger)?;
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(CoreError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        if before.is_some_and(|b| b < 1) {
            return Err(CoreError::invalid(
                "before",
                "must be a positive sequence number",
            ));
        }
        // One extra row tells whether an older page exists.
        let mut events = self.store.events_page(before, limit + 1).await?;
        let more = events.len() as i64 > limit;
        events.truncate(usize::try_from(limit).unwrap_or(0));
        let next_before = if more {
            events.last().map(|e| e.seq)
        } else {
            None
        };
        Ok(AuditPage {
            events,
            next_before,
            total: self.store.event_count().await?,
        })
    }

    /// Recomputes the whole chain, in chunks, and reports the first broken link.
    #[tracing::instrument(skip_all)]
    pub async fn verify_ledger(&self, actor: &Actor) -> CoreResult<LedgerVerification> {
        self.authorize(actor, Action::VerifyAudit, &Resource::Ledger)?;
        let mut verifier = ChainVerifier::default();
        loop {
            let chunk = self
                .store
                .events_after(verifier.last_seq(), VERIFY_CHUNK)
                .await?;
            if chunk.is_empty() {
                return Ok(LedgerVerification::Intact {
                    events: verifier.verified(),
                });
            }
            for event in &chunk {
                if let Err(link) = verifier.check(event) {
                    return Ok(LedgerVerification::Broken {
                        verified: verifier.verified(),
                        link,
                    });
                }
            }
        }
    }
}
