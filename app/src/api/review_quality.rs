//! The review-quality report for security admins.

use crate::dto_gate::ReviewQualityView;
use crate::error::UiError;
use leptos::prelude::*;

#[server(prefix = "/ui", endpoint = "review_quality")]
pub async fn load_review_quality(days: i64) -> Result<ReviewQualityView, UiError> {
    use super::gate::{dwell, when};
    use crate::dto_gate::{HastyView, ReviewerView};
    let (services, actor) = super::adapter::request()?;
    let days = days.clamp(1, 365);
    let report = services
        .review_quality(&actor, days)
        .await
        .map_err(|e| UiError::from_core(e, &actor))?;
    Ok(ReviewQualityView {
        days,
        signoffs: report.signoffs,
        reviewers: report
            .reviewers
            .into_iter()
            .map(|r| ReviewerView {
                name: r.name,
                signoffs: r.signoffs,
                approvals: r.approvals,
                median_dwell: dwell(r.median_dwell_ms),
                read_full_percent: r.read_full_percent,
                viewed_diff_percent: r.viewed_diff_percent,
                hasty_approvals: r.hasty_approvals,
            })
            .collect(),
        hasty: report
            .hasty
            .into_iter()
            .map(|h| HastyView {
                change_id: h.change_id,
                reviewer: h.reviewer,
                role: h.role.label().to_owned(),
                at: when(h.at),
                dwell: dwell(h.dwell_ms),
                words: h.words,
            })
            .collect(),
    })
}
