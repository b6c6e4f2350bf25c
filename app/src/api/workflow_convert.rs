//! Conversions between the workflow forms' DTOs and the core's domain types (server side only).

#[cfg(feature = "ssr")]
pub(crate) use inner::*;

#[cfg(feature = "ssr")]
mod inner {
    use crate::dto::{GrantInput, StepInput};
    use crate::error::UiError;
    use countersign_core::domain::{Grant, GrantAction, Performer, Step, StepKind};
    use std::collections::BTreeSet;

    type SystemNames = std::collections::HashMap<countersign_core::domain::SystemId, String>;

    /// "Campaign Manager: read, write (email, region)", per system, of what is in force.
    pub fn in_force_lines(
        privilege: &countersign_core::domain::EffectivePrivilege,
        system_names: &SystemNames,
    ) -> Vec<String> {
        privilege
            .in_force
            .iter()
            .map(|(system, (actions, fields))| {
                let actions: Vec<&str> = actions.iter().map(|a| a.as_str()).collect();
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                format!(
                    "{}: {}{}",
                    system
                        .and_then(|s| system_names.get(&s).cloned())
                        .unwrap_or_else(|| "no system".to_owned()),
                    actions.join(", ").replace('_', " "),
                    if fields.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", fields.join(", "))
                    }
                )
            })
            .collect()
    }

    /// "Spring offer email (active) · Read CRM contacts".
    pub fn step_line(step: &countersign_core::domain::StepPrivilege) -> String {
        format!(
            "{} ({}) · {}{}",
            step.workflow,
            step.workflow_state.as_str().replace('_', " "),
            step.step,
            if step.awaiting_review {
                " · widening awaits review"
            } else {
                ""
            }
        )
    }

    /// One ledger event of a workflow, in words.
    pub fn history_entry(
        event: &countersign_core::ledger::StoredEvent,
    ) -> crate::dto_registry::HistoryEntryView {
        let details: serde_json::Value = serde_json::from_str(&event.details).unwrap_or_default();
        let text = |key: &str| details.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let step = text("step_name").unwrap_or_default();
        let what = match event.action.as_str() {
            "workflow.defined" => "Defined".to_owned(),
            "workflow.grant_changed" => format!("Grant changed: {step}"),
            "workflow.scope_drift" => {
                format!("Scope drift: {step} widened, the added part awaits review")
            }
            "workflow.widening_approved" => "Widening approved".to_owned(),
            "workflow.widening_rejected" => "Widening rejected".to_owned(),
            "workflow.activated" => "Activated".to_owned(),
            "workflow.revoked" => "Kill switch pulled".to_owned(),
            "workflow.revocation_complete" => "Revocation confirmed by every system".to_owned(),
            "workflow.revocation_incomplete" => "Revocation incomplete".to_owned(),
            "workflow.cloned" => "Cloned".to_owned(),
            "effect.delivered" => "A call to a connected system was delivered".to_owned(),
            "effect.retry_scheduled" | "effect.dead_lettered" => {
                "A call to a connected system failed".to_owned()
            }
            "demo.workflow_seeded" => "Set up by the demo".to_owned(),
            other => other.replace(['.', '_'], " "),
        };
        crate::dto_registry::HistoryEntryView {
            seq: event.seq,
            at: event
                .at()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            actor: event.actor_label.clone(),
            what,
            reason: text("reason"),
        }
    }

    fn id<T: std::str::FromStr>(field: &str, raw: &str) -> Result<T, UiError> {
        crate::api::adapter::parse_id(field, raw)
    }

    pub fn grant(input: &GrantInput, label: &str) -> Result<Grant, UiError> {
        let actions = input
            .actions
            .iter()
            .map(|a| {
                GrantAction::parse(a).ok_or_else(|| {
                    crate::error::refuse(UiError::Invalid(format!(
                        "{label}: unknown action `{}`",
                        a.chars().take(30).collect::<String>()
                    )))
                })
            })
            .collect::<Result<BTreeSet<_>, _>>()?;
        // Whether each purpose is a valid machine name is the core's rule (`check_steps`).
        let purposes: BTreeSet<String> = input
            .purposes
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        Ok(Grant {
            system: if input.system.is_empty() {
                None
            } else {
                Some(id("system", &input.system)?)
            },
            actions,
            fields: input
                .fields
                .iter()
                .map(|f| f.trim().to_owned())
                .filter(|f| !f.is_empty())
                .collect(),
            purposes,
            human_review: input.human_review,
        })
    }

    pub fn step(n: usize, input: &StepInput) -> Result<Step, UiError> {
        let label = format!("step {n}");
        let kind = StepKind::parse(&input.kind).ok_or_else(|| {
            crate::error::refuse(UiError::Invalid(format!(
                "{label}: choose what kind of step it is"
            )))
        })?;
        let performer = match input.performer.split_once(':') {
            _ if input.performer == "publisher" => Performer::Publisher,
            Some(("nhi", raw)) => Performer::Nhi(id("performer", raw)?),
            Some(("human", raw)) => Performer::Human(id("performer", raw)?),
            _ => {
                return Err(crate::error::refuse(UiError::Invalid(format!(
                    "{label}: choose who performs it"
                ))))
            }
        };
        Ok(Step::new(
            input.name.trim(),
            kind,
            performer,
            if input.owner.is_empty() {
                None
            } else {
                Some(id("step owner", &input.owner)?)
            },
            grant(&input.grant, &label)?,
        ))
    }

    pub fn grant_input(grant: &Grant) -> GrantInput {
        GrantInput {
            system: grant.system.map(|s| s.to_string()).unwrap_or_default(),
            actions: grant
                .actions
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            fields: grant.fields.iter().cloned().collect(),
            purposes: grant
                .purposes
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            human_review: grant.human_review,
        }
    }
}
