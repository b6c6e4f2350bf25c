//! Change requests: what an agent drafted for a production system, version by version, with the
//! provenance of each version. The content hash is computed here, never taken from the caller.

use super::{NhiId, StepId, SystemId, WorkflowId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MAX_CONTENT_BYTES: usize = 200 * 1024;
pub const MAX_PROVENANCE_TEXT: usize = 100 * 1024;
pub const MAX_CITED_DECISIONS: usize = 20;

/// What is wrong with a draft; [`ChangeError::field`] names the part of the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("1 to 200 characters on one line")]
    BadTitle,
    #[error("1 byte to {} KiB", MAX_CONTENT_BYTES / 1024)]
    BadContent,
    #[error("expected text, markdown or html, not `{0}`")]
    BadFormat(String),
    #[error("1 to 40 characters of a-z, 0-9 and '_' (e.g. email)")]
    BadChannel,
    #[error("expected internal or external, not `{0}`")]
    BadAudience(String),
    #[error("1 to 200 characters")]
    BadTarget,
    #[error("required, at most {max} KiB", max = MAX_PROVENANCE_TEXT / 1024)]
    BadProvenance(&'static str),
    #[error("at most {MAX_CITED_DECISIONS}")]
    TooManyDecisions,
    #[error("{0}")]
    BadLegalBasis(String),
    #[error("1 to 255 visible ASCII characters (e.g. a UUID)")]
    BadIdempotencyKey,
}

impl ChangeError {
    pub fn field(&self) -> &'static str {
        match self {
            ChangeError::BadTitle => "title",
            ChangeError::BadContent => "content",
            ChangeError::BadFormat(_) => "format",
            ChangeError::BadChannel => "channel",
            ChangeError::BadAudience(_) => "audience",
            ChangeError::BadTarget => "target.reference",
            ChangeError::BadProvenance("model") => "provenance.model",
            ChangeError::BadProvenance("model_version") => "provenance.model_version",
            ChangeError::BadProvenance("prompt") => "provenance.prompt",
            ChangeError::BadProvenance("system_prompt") => "provenance.system_prompt",
            ChangeError::BadProvenance("raw_output") => "provenance.raw_output",
            ChangeError::BadProvenance("data_sources") => "provenance.data_sources",
            ChangeError::BadProvenance(_) => "provenance.tool_calls",
            ChangeError::TooManyDecisions => "provenance.access_decisions",
            ChangeError::BadLegalBasis(_) => "provenance.legal_bases",
            ChangeError::BadIdempotencyKey => "idempotency_key",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentFormat {
    Text,
    Markdown,
    Html,
}

impl ContentFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentFormat::Text => "text",
            ContentFormat::Markdown => "markdown",
            ContentFormat::Html => "html",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ChangeError> {
        match raw {
            "text" => Ok(ContentFormat::Text),
            "markdown" => Ok(ContentFormat::Markdown),
            "html" => Ok(ContentFormat::Html),
            other => Err(ChangeError::BadFormat(other.chars().take(20).collect())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Internal,
    External,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Internal => "internal",
            Audience::External => "external",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ChangeError> {
        match raw {
            "internal" => Ok(Audience::Internal),
            "external" => Ok(Audience::External),
            other => Err(ChangeError::BadAudience(other.chars().take(20).collect())),
        }
    }
}

/// Where a change request is in its life. The gate (approval) and the publisher move it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    PendingReview,
    ChangesRequested,
    Approved,
    Rejected,
    Publishing,
    Published,
    PublishFailed,
    RolledBack,
    Cancelled,
}

impl ChangeStatus {
    pub const ALL: [ChangeStatus; 9] = [
        ChangeStatus::PendingReview,
        ChangeStatus::ChangesRequested,
        ChangeStatus::Approved,
        ChangeStatus::Rejected,
        ChangeStatus::Publishing,
        ChangeStatus::Published,
        ChangeStatus::PublishFailed,
        ChangeStatus::RolledBack,
        ChangeStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::PendingReview => "pending_review",
            ChangeStatus::ChangesRequested => "changes_requested",
            ChangeStatus::Approved => "approved",
            ChangeStatus::Rejected => "rejected",
            ChangeStatus::Publishing => "publishing",
            ChangeStatus::Published => "published",
            ChangeStatus::PublishFailed => "publish_failed",
            ChangeStatus::RolledBack => "rolled_back",
            ChangeStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the agent may submit a new version.
    pub fn accepts_versions(self) -> bool {
        matches!(
            self,
            ChangeStatus::PendingReview | ChangeStatus::ChangesRequested
        )
    }
}

/// One tool call the agent made while drafting.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ToolCall {
    pub name: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub input: serde_json::Value,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub output: serde_json::Value,
}

/// Where a version came from, as the agent reports it; `access_decisions` are checked against
/// the decisions Countersign recorded.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    pub model: String,
    pub model_version: String,
    pub prompt: String,
    #[serde(default)]
    pub system_prompt: String,
    #[serde(default)]
    pub access_decisions: Vec<String>,
    /// The customer-data fields the content uses; each must be allowed by a cited decision.
    #[serde(default)]
    pub fields_used: Vec<String>,
    /// Other sources (documents, URLs, product sheets), as the agent names them.
    #[serde(default)]
    pub data_sources: Vec<String>,
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    pub raw_output: String,
    /// The legal basis relied on for the customer data of each cited decision (decision id →
    /// basis). The gate checks each against the bases the decision found.
    #[serde(default)]
    pub legal_bases: std::collections::BTreeMap<String, String>,
}

impl Provenance {
    /// The provenance as evidence packs carry it: canonical JSON, whose SHA-256 the ledger
    /// records with each version (`provenance_hash`).
    pub fn canonical(&self) -> String {
        crate::ledger::canonical_json(&serde_json::to_value(self).unwrap_or_default())
    }

    /// `sha256:` and the hex SHA-256 of [`Provenance::canonical`].
    pub fn digest(&self) -> String {
        content_hash(&self.canonical())
    }

    pub fn check(&self) -> Result<(), ChangeError> {
        let bounded = |text: &str, required: bool| {
            (!required || !text.trim().is_empty()) && text.len() <= MAX_PROVENANCE_TEXT
        };
        if !bounded(&self.model, true) || self.model.len() > 200 {
            return Err(ChangeError::BadProvenance("model"));
        }
        if !bounded(&self.model_version, true) || self.model_version.len() > 200 {
            return Err(ChangeError::BadProvenance("model_version"));
        }
        if !bounded(&self.prompt, true) {
            return Err(ChangeError::BadProvenance("prompt"));
        }
        if !bounded(&self.system_prompt, false) {
            return Err(ChangeError::BadProvenance("system_prompt"));
        }
        if !bounded(&self.raw_output, true) {
            return Err(ChangeError::BadProvenance("raw_output"));
        }
        if self.access_decisions.len() > MAX_CITED_DECISIONS {
            return Err(ChangeError::TooManyDecisions);
        }
        if self.data_sources.len() > 50 || self.data_sources.iter().any(|s| s.len() > 500) {
            return Err(ChangeError::BadProvenance("data_sources"));
        }
        if self.tool_calls.len() > 100 {
            return Err(ChangeError::BadProvenance("tool_calls"));
        }
        for (decision, basis) in &self.legal_bases {
            if !self.access_decisions.contains(decision) {
                return Err(ChangeError::BadLegalBasis(format!(
                    "`{}` is not one of the cited access_decisions",
                    decision.chars().take(40).collect::<String>()
                )));
            }
            super::LegalBasis::parse(basis)
                .map_err(|e| ChangeError::BadLegalBasis(e.to_string()))?;
        }
        Ok(())
    }
}

/// A version's content in its canonical form, with its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The canonical bytes: what is hashed, reviewed and published.
    pub text: String,
    pub format: ContentFormat,
    pub hash: String,
}

/// Why content was refused: a malformed field, or constructs outside the allow-list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentProblem {
    #[error("{field}: {error}", field = .0.field(), error = .0)]
    Invalid(ChangeError),
    #[error("{} constructs are not allowed", .0.len())]
    NotAllowed(Vec<super::Violation>),
}

impl From<ChangeError> for ContentProblem {
    fn from(error: ChangeError) -> Self {
        ContentProblem::Invalid(error)
    }
}

impl Content {
    /// Checks `raw` against the allow-list and the target system's `hosts` and fixes its
    /// canonical form; the hash covers exactly those bytes.
    pub fn new(
        raw: &str,
        format: &str,
        hosts: &super::HostAllowList,
    ) -> Result<(Self, super::Canonical), ContentProblem> {
        if raw.trim().is_empty() || raw.len() > MAX_CONTENT_BYTES {
            return Err(ChangeError::BadContent.into());
        }
        let format = ContentFormat::parse(format)?;
        let canonical =
            super::canonicalize(raw, format, hosts).map_err(ContentProblem::NotAllowed)?;
        if canonical.text.trim().is_empty() {
            return Err(ChangeError::BadContent.into());
        }
        Ok((
            Self {
                hash: content_hash(&canonical.text),
                text: canonical.text.clone(),
                format,
            },
            canonical,
        ))
    }
}

/// `sha256:<hex>` of the exact bytes: what sign-offs are bound to and what is published.
pub fn content_hash(text: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangeVersion {
    pub version: i64,
    /// The content, or for a variant set its base (the first variant's content).
    pub content: Content,
    /// Every variant of a variant set, the base first; empty for a single draft.
    pub variants: Vec<super::Variant>,
    pub provenance: Provenance,
    pub submitted_at: DateTime<Utc>,
}

impl ChangeVersion {
    /// What a sign-off of this version names: the content's hash, or the set's.
    pub fn signed_hash(&self) -> String {
        if self.variants.is_empty() {
            self.content.hash.clone()
        } else {
            super::set_hash(&self.variants)
        }
    }

    pub fn is_set(&self) -> bool {
        !self.variants.is_empty()
    }

    /// [`Self::signed_hash`] recomputed from the bytes, never from a stored hash: what the
    /// publisher compares with the hash the reviewers signed.
    pub fn hash_of_bytes(&self) -> String {
        if self.variants.is_empty() {
            return content_hash(&self.content.text);
        }
        let rehashed: Vec<super::Variant> = self
            .variants
            .iter()
            .map(|v| {
                let mut v = v.clone();
                v.content.hash = content_hash(&v.content.text);
                v
            })
            .collect();
        super::set_hash(&rehashed)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRequest {
    pub id: String,
    pub workflow: WorkflowId,
    pub step: StepId,
    pub nhi: NhiId,
    pub title: String,
    pub channel: String,
    pub audience: Audience,
    pub purpose: String,
    pub target_system: SystemId,
    pub target_ref: String,
    pub status: ChangeStatus,
    /// The workflow's tier when the change was drafted: it sets the sign-offs.
    pub tier: i64,
    pub current_version: i64,
    /// The content hash of the current version: what sign-offs must name.
    pub current_hash: String,
    /// Unresolved claims of the current version (kept with the claims, for the queue).
    pub open_claims: i64,
    pub has_rollback_plan: bool,
    /// The current version's provenance and legal-basis evidence checks (fixed per version).
    pub provenance_ok: bool,
    pub legal_basis_ok: bool,
    /// What the target system's publish receipt named, once it published.
    pub publication: Option<Publication>,
    /// Where the drafting agent asked to be told of the outcome.
    pub callback_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A change as live at its target: the version the system's receipt named, and the version it
/// replaced (`None` for a first publication), which a rollback restores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub version: String,
    pub replaced: Option<String>,
    pub at: DateTime<Utc>,
}

pub fn check_title(raw: &str) -> Result<String, ChangeError> {
    let title = raw.trim();
    // One line: a title travels into email subjects and chat, where a line break means more.
    if title.is_empty() || title.chars().count() > 200 || title.chars().any(char::is_control) {
        return Err(ChangeError::BadTitle);
    }
    Ok(title.to_owned())
}

pub fn check_channel(raw: &str) -> Result<String, ChangeError> {
    let ok = !raw.is_empty()
        && raw.len() <= 40
        && raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ChangeError::BadChannel)
    }
}

pub fn check_target_ref(raw: &str) -> Result<String, ChangeError> {
    let reference = raw.trim();
    if reference.is_empty() || reference.chars().count() > 200 {
        return Err(ChangeError::BadTarget);
    }
    Ok(reference.to_owned())
}

/// What an agent sends with a draft so that sending it again (after a timeout, say) finds the
/// change the first attempt made instead of opening a second one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, ChangeError> {
        let ok = (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ChangeError::BadIdempotencyKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_line() {
        assert_eq!(
            check_title("  Spring offer  "),
            Ok("Spring offer".to_owned())
        );
        for bad in [
            "",
            "   ",
            "Spring\r\nBcc: x@example.com",
            "tab\there",
            &"t".repeat(201),
        ] {
            assert_eq!(check_title(bad), Err(ChangeError::BadTitle), "{bad:?}");
        }
    }

    #[test]
    fn idempotency_keys_are_short_visible_ascii() {
        assert!(IdempotencyKey::parse("0b6f1c2e-7d7a-4c1e-9a57-2b1f3f0e9d11").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", " ", "two words", "tab\there", "é", &"k".repeat(256)] {
            assert_eq!(
                IdempotencyKey::parse(bad),
                Err(ChangeError::BadIdempotencyKey),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn content_is_hashed_exactly_in_its_canonical_form_and_bounded() {
        let none = crate::domain::HostAllowList::default();
        let new = |raw: &str, format: &str| Content::new(raw, format, &none).map(|(c, _)| c);
        let a = new("Spring offer: 20% off", "markdown").unwrap();
        assert_eq!(a.hash, content_hash("Spring offer: 20% off"));
        assert!(a.hash.starts_with("sha256:") && a.hash.len() == 71);
        assert_eq!(new("Spring offer: 20% off\r\n", "markdown").unwrap(), a);
        let html = new("<P class=x>Hi</P>", "html");
        assert!(matches!(html, Err(ContentProblem::NotAllowed(v)) if v.len() == 1));
        let html = new("<P>Hi</P >", "html").unwrap();
        assert_eq!(
            (html.text.as_str(), html.hash.clone()),
            ("<p>Hi</p>", content_hash("<p>Hi</p>"))
        );
        assert_eq!(new("  ", "text"), Err(ChangeError::BadContent.into()));
        assert_eq!(
            new("<p> </p>", "html").map(|c| c.text),
            Ok("<p> </p>".to_owned())
        );
        assert_eq!(
            new(&"x".repeat(MAX_CONTENT_BYTES + 1), "text"),
            Err(ChangeError::BadContent.into())
        );
        assert_eq!(
            new("hi", "pdf"),
            Err(ChangeError::BadFormat("pdf".into()).into())
        );
        assert!(check_channel("email").is_ok());
        assert!(check_channel("E-mail").is_err());
        assert!(Audience::parse("everyone").is_err());
    }
}
