//! Review latency, for approvers and security admins (the Flow page) and for the operator's
//! metrics: from the changes drafted in a window, how long each stage took.

use super::Services;
use crate::actor::Actor;
use crate::domain::{flow_report, FlowReport};
use crate::error::{CoreError, CoreResult};
use crate::policy::{Action, Resource};

/// The most changes one report reads: beyond it the window is cut (and the report says so).
pub const FLOW_ROWS: i64 = 200_000;

impl Services {
    /// The flow of changes drafted in the last `days` days (1 to 365).
    pub async fn flow(&self, actor: &Actor, days: i64) -> CoreResult<(FlowReport, bool)> {
        self.authorize(actor, Action::ViewFlow, &Resource::Console)?;
        if !(1..=365).contains(&days) {
            return Err(CoreError::invalid("days", "1 to 365"));
        }
        self.flow_unchecked(days).await
    }

    /// The same for the metrics endpoint, which its own bearer token guards. `true` when the
    /// window held more changes than one report reads.
    pub async fn flow_unchecked(&self, days: i64) -> CoreResult<(FlowReport, bool)> {
        let since = self.clock.now() - chrono::Duration::days(days);
        let rows = self
            .store
            .flow_rows(crate::clock::to_millis(since), FLOW_ROWS + 1)
            .await?;
        let cut = rows.len() as i64 > FLOW_ROWS;
        let rows = &rows[..rows.len().min(FLOW_ROWS as usize)];
        let (waiting, oldest) = self.store.waiting_changes().await?;
        Ok((
            flow_report(
                rows,
                since,
                usize::try_from(waiting).unwrap_or(0),
                oldest.map(crate::clock::from_millis),
            ),
            cut,
        ))
    }
}
