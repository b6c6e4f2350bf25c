//! Workflows as code: the TOML a security admin keeps in version control. People, identities
//! and systems are named (email, identity name, system name), never by id, so a file reads the
//! same in review and on another console. Unknown fields are refused.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowsFile {
    #[serde(rename = "workflow", default)]
    pub workflows: Vec<WorkflowSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowSpec {
    pub name: String,
    pub purpose: String,
    /// The accountable person: their email (or name when they have none).
    pub owner: String,
    /// `draft` or `active` (to activate a draft); other states are reported by export and
    /// changed only in the console (review, kill switch).
    #[serde(default = "draft")]
    pub state: String,
    /// The tier in force, as exported; the console computes it and ignores this on apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<i64>,
    #[serde(rename = "step", default)]
    pub steps: Vec<StepSpec>,
}

fn draft() -> String {
    "draft".to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    pub name: String,
    /// `read_customer_data`, `draft_content`, `human_review`, `publish` or `other`.
    pub kind: String,
    /// `publisher`, `identity:<name>` or `person:<email>`.
    pub performer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub grant: GrantSpec,
    /// A widened grant waiting for review, as exported (read-only: apply ignores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awaiting_review: Option<GrantSpec>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantSpec {
    /// The connected system's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default)]
    pub purposes: Vec<String>,
    #[serde(default)]
    pub human_review: bool,
}

impl WorkflowsFile {
    /// Reads a file, naming the line and the field of the first problem.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim().to_owned())
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_round_trips_and_unknown_fields_are_named() {
        let text = r#"
[[workflow]]
name = "Spring offer email"
purpose = "Draft and publish the spring offer."
owner = "olga@example.test"
state = "active"

[[workflow.step]]
name = "Draft"
kind = "draft_content"
performer = "identity:offer-drafter"
owner = "olga@example.test"

[workflow.step.grant]
system = "Campaign Manager"
actions = ["draft", "read"]
fields = ["email"]
purposes = ["spring_offer"]
human_review = true
"#;
        let file = WorkflowsFile::parse(text).unwrap_or_default();
        assert_eq!(file.workflows.len(), 1);
        assert_eq!(file.workflows[0].steps[0].grant.fields, ["email"]);
        assert_eq!(WorkflowsFile::parse(&file.to_toml()), Ok(file));
        let typo = text.replace("human_review = true", "human_reveiw = true");
        let error = WorkflowsFile::parse(&typo).unwrap_err();
        assert!(error.contains("human_reveiw"), "{error}");
        assert!(error.contains("line"), "{error}");
    }
}
