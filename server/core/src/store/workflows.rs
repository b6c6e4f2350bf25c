//! SQL for workflows and their steps, shared by both backends.

use crate::clock::from_millis;
use crate::domain::{Grant, Performer, Step, StepKind, Tier, Workflow, WorkflowState};
use sqlx::Row;

/// Which workflows a query loads.
pub(super) enum Which {
    All,
    ById,
    ByStep,
    /// `$1` a `contains_pattern`, `$2` a state or '', `$3` the limit, `$4` the offset.
    Page,
    /// Those with a step whose stored performer is one of `$1` … `$n`.
    PerformedBy(usize),
}

/// Workflows (`w`) whose name or purpose matches `$1`, in state `$2` unless it is ''.
pub(super) const MATCHING: &str = "(LOWER(w.name) LIKE $1 ESCAPE '\\' \
     OR LOWER(w.purpose) LIKE $1 ESCAPE '\\') AND ($2 = '' OR w.state = $2)";

pub(super) fn workflow_query(which: Which) -> String {
    format!(
        "SELECT w.id, w.name, w.purpose, w.owner, w.state, w.tier, w.created_by, w.created_at, \
         s.position, s.name AS step_name, s.kind AS step_kind, s.performer, s.owner AS step_owner, \
         s.grant_json, s.pending_grant, s.id AS step_id \
         FROM workflows w LEFT JOIN workflow_steps s ON s.workflow_id = w.id {} \
         ORDER BY w.name, w.id, s.position",
        match which {
            Which::All => String::new(),
            Which::ById => "WHERE w.id = $1".to_owned(),
            Which::ByStep => {
                "WHERE w.id = (SELECT workflow_id FROM workflow_steps WHERE id = $1)".to_owned()
            }
            Which::Page => format!(
                "WHERE w.id IN (SELECT w.id FROM workflows w WHERE {MATCHING} \
                 ORDER BY w.name, w.id LIMIT $3 OFFSET $4)"
            ),
            Which::PerformedBy(count) => format!(
                "WHERE w.id IN (SELECT workflow_id FROM workflow_steps WHERE performer IN ({}))",
                (1..=count)
                    .map(|n| format!("${n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    )
}

pub(super) fn group_workflows<R: Row>(rows: &[R]) -> Result<Vec<Workflow>, super::StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| super::StoreError::Corrupt(format!("workflows.{what}"));
    let mut workflows: Vec<Workflow> = Vec::new();
    for row in rows {
        let id: crate::domain::WorkflowId = row
            .try_get::<String, _>("id")?
            .parse()
            .map_err(|_| corrupt("id"))?;
        if workflows.last().is_none_or(|last| last.id != id) {
            workflows.push(Workflow {
                id,
                name: row.try_get("name")?,
                purpose: row.try_get("purpose")?,
                owner: row
                    .try_get::<String, _>("owner")?
                    .parse()
                    .map_err(|_| corrupt("owner"))?,
                state: WorkflowState::parse(&row.try_get::<String, _>("state")?)
                    .ok_or_else(|| corrupt("state"))?,
                tier: Tier::from_number(row.try_get("tier")?).ok_or_else(|| corrupt("tier"))?,
                steps: Vec::new(),
                created_by: row
                    .try_get::<String, _>("created_by")?
                    .parse()
                    .map_err(|_| corrupt("created_by"))?,
                created_at: from_millis(row.try_get("created_at")?),
            });
        }
        if row.try_get::<Option<i64>, _>("position")?.is_some() {
            let step = Step {
                id: row
                    .try_get::<Option<String>, _>("step_id")?
                    .and_then(|id| id.parse().ok())
                    .ok_or_else(|| corrupt("steps.id"))?,
                pending_grant: row
                    .try_get::<Option<String>, _>("pending_grant")?
                    .map(|g| {
                        serde_json::from_str::<Grant>(&g)
                            .map_err(|_| corrupt("steps.pending_grant"))
                    })
                    .transpose()?,
                name: row
                    .try_get::<Option<String>, _>("step_name")?
                    .unwrap_or_default(),
                kind: StepKind::parse(
                    &row.try_get::<Option<String>, _>("step_kind")?
                        .unwrap_or_default(),
                )
                .ok_or_else(|| corrupt("steps.kind"))?,
                performer: serde_json::from_str::<Performer>(
                    &row.try_get::<Option<String>, _>("performer")?
                        .unwrap_or_default(),
                )
                .map_err(|_| corrupt("steps.performer"))?,
                owner: row
                    .try_get::<Option<String>, _>("step_owner")?
                    .map(|o| o.parse().map_err(|_| corrupt("steps.owner")))
                    .transpose()?,
                grant: serde_json::from_str::<Grant>(
                    &row.try_get::<Option<String>, _>("grant_json")?
                        .unwrap_or_default(),
                )
                .map_err(|_| corrupt("steps.grant"))?,
            };
            if let Some(last) = workflows.last_mut() {
                last.steps.push(step);
            }
        }
    }
    Ok(workflows)
}
