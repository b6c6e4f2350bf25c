//! Conversions between the workflow forms' DTOs and the core's domain types (server side only).

#[cfg(feature = "ssr")]
pub(crate) use inner::*;

#[cfg(feature = "ssr")]
mod inner {
    use crate::dto::{GrantInput, StepInput};
    use crate::error::UiError;
    use countersign_core::domain::{Grant, GrantAction, Performer, Step, StepKind};
    use std::collections::BTreeSet;

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
