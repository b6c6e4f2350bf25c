//! Pre-approved templates (standard changes): fixed text with named slots (`{{discount}}`), each
//! slot with its constraints, approved once by the quorum of the tier it serves. A draft that
//! fills a usable template within every constraint is approved by policy; any other goes to
//! people, with what broke named.

use super::{content_hash, detect_claims, Audience, ContentFormat, CLAIM_RULES};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

pub const MAX_SLOTS: usize = 20;
pub const MAX_TEMPLATE_BYTES: usize = 20 * 1024;
pub const MAX_ALLOWED_VALUES: usize = 50;
pub const MAX_SLOT_CHARS: usize = 500;
pub const MAX_PATTERN_CHARS: usize = 200;
/// The longest a template may be approved for.
pub const MAX_TEMPLATE_DAYS: i64 = 366;

/// The tiers whose drafts policy may approve under a template, as the operator allows
/// (`COUNTERSIGN_TEMPLATE_TIERS`); tier 3 never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateTiers {
    tier1: bool,
    tier2: bool,
}

impl Default for TemplateTiers {
    /// Tier 1 only: pre-approval of tier 2 is the operator's choice.
    fn default() -> Self {
        Self {
            tier1: true,
            tier2: false,
        }
    }
}

impl TemplateTiers {
    /// `none`, `1`, `2` or `1,2`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut tiers = Self {
            tier1: false,
            tier2: false,
        };
        if raw.trim() == "none" {
            return Ok(tiers);
        }
        for part in raw.split(',').map(str::trim) {
            match part {
                "1" => tiers.tier1 = true,
                "2" => tiers.tier2 = true,
                "3" => {
                    return Err(
                        "tier 3 changes always go to people; allow 1, 2, `1,2` or `none`"
                            .to_owned(),
                    )
                }
                other => {
                    return Err(format!(
                        "`{}` is not a tier; allow 1, 2, `1,2` or `none`",
                        other.chars().take(20).collect::<String>()
                    ))
                }
            }
        }
        Ok(tiers)
    }

    pub fn allows(self, tier: i64) -> bool {
        match tier {
            1 => self.tier1,
            2 => self.tier2,
            _ => false,
        }
    }

    pub fn describe(self) -> String {
        match (self.tier1, self.tier2) {
            (true, true) => "tiers 1 and 2".to_owned(),
            (true, false) => "tier 1".to_owned(),
            (false, true) => "tier 2".to_owned(),
            (false, false) => "no tier".to_owned(),
        }
    }
}

/// What is wrong with a template or its use; `field` names the part (`slots[1].pattern`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldProblem {
    pub field: String,
    pub problem: String,
}

fn problem(field: impl Into<String>, problem: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.into(),
        problem: problem.into(),
    }
}

/// A slot's name: `[a-z][a-z0-9_]*`, at most 40 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SlotName(String);

impl SlotName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (1..=40).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err("1 to 40 characters of a-z, 0-9 and '_', starting with a letter".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SlotName {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<SlotName> for String {
    fn from(name: SlotName) -> String {
        name.0
    }
}

/// A slot and what may fill it. Every constraint given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub name: SlotName,
    /// The values allowed; empty means any value the other constraints let through.
    #[serde(default)]
    pub allowed: Vec<String>,
    /// A regular expression the whole value must match.
    #[serde(default)]
    pub pattern: Option<String>,
    /// The most characters a value may have.
    pub max_chars: usize,
    /// The claim detector must find nothing in the value.
    #[serde(default)]
    pub no_claims: bool,
}

/// What a template says: the text with its slots, its format and audience, and how a change
/// made from it is rolled back. Its hash is what the template's sign-offs name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateBody {
    pub text: String,
    pub format: ContentFormat,
    pub audience: Audience,
    pub slots: Vec<Slot>,
    pub rollback_steps: String,
}

/// The characters a slot value may not hold: markup in any of the formats, and braces, so a
/// value fills its slot as plain words and cannot add a link, an element or another slot.
const MARKUP: &[char] = &[
    '<', '>', '[', ']', '(', ')', '*', '_', '`', '#', '|', '\\', '{', '}', '!', '~', '=',
];

/// The slot names of `text` in order of appearance (with repeats), or what is malformed.
pub fn placeholders(text: &str) -> Result<Vec<SlotName>, String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| "a `{{` is not closed by `}}`".to_owned())?;
        let name = &after[..end];
        names.push(SlotName::parse(name.trim()).map_err(|p| {
            format!(
                "`{{{{{}}}}}` is not a slot name: {p}",
                name.chars().take(40).collect::<String>()
            )
        })?);
        rest = &after[end + 2..];
    }
    Ok(names)
}

fn full_match(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("not a regular expression: {}", first_line(&e.to_string())))
}

/// The fewest characters any match of `hir` has; `None` when nothing can match it.
fn shortest_chars(hir: &regex_syntax::hir::Hir) -> Option<usize> {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(0),
        HirKind::Literal(literal) => Some(String::from_utf8_lossy(&literal.0).chars().count()),
        HirKind::Class(Class::Unicode(class)) => (!class.ranges().is_empty()).then_some(1),
        HirKind::Class(Class::Bytes(class)) => (!class.ranges().is_empty()).then_some(1),
        HirKind::Repetition(repetition) => match shortest_chars(&repetition.sub) {
            Some(one) => Some(one.saturating_mul(repetition.min as usize)),
            None if repetition.min == 0 => Some(0),
            None => None,
        },
        HirKind::Capture(capture) => shortest_chars(&capture.sub),
        HirKind::Concat(parts) => parts.iter().try_fold(0usize, |sum, part| {
            Some(sum.saturating_add(shortest_chars(part)?))
        }),
        HirKind::Alternation(options) => options.iter().filter_map(shortest_chars).min(),
    }
}

fn first_line(text: &str) -> String {
    text.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_owned()
}

impl Slot {
    /// Every constraint this value breaks, in words.
    pub fn broken_by(&self, value: &str) -> Vec<String> {
        let mut broken = Vec::new();
        let name = self.name.as_str();
        if value.trim().is_empty() {
            broken.push(format!("slot `{name}` is empty"));
            return broken;
        }
        if value.chars().count() > self.max_chars {
            broken.push(format!(
                "slot `{name}` holds {} characters; at most {}",
                value.chars().count(),
                self.max_chars
            ));
        }
        if value.chars().any(|c| c.is_control() || MARKUP.contains(&c)) {
            broken.push(format!(
                "slot `{name}` holds markup or control characters; a slot takes plain words"
            ));
        }
        if !self.allowed.is_empty() && !self.allowed.iter().any(|a| a == value) {
            broken.push(format!(
                "slot `{name}`: `{}` is not one of {}",
                value.chars().take(60).collect::<String>(),
                self.allowed.join(", ")
            ));
        }
        if let Some(pattern) = &self.pattern {
            if !full_match(pattern).is_ok_and(|re| re.is_match(value)) {
                broken.push(format!(
                    "slot `{name}`: `{}` does not match {pattern}",
                    value.chars().take(60).collect::<String>()
                ));
            }
        }
        let claims = detect_claims(value, &CLAIM_RULES);
        if let Some(claim) = claims.first() {
            broken.push(if self.no_claims {
                format!("slot `{name}` must hold no claims; found “{}”", claim.quote)
            } else {
                format!(
                    "a claim appears in slot `{name}` (“{}”): claims are judged by people",
                    claim.quote
                )
            });
        }
        broken
    }
}

impl TemplateBody {
    /// Checks a proposed template: its text and slots agree, every constraint is well formed,
    /// and every slot can be filled (a constraint no value can satisfy is named).
    pub fn check(self) -> Result<Self, FieldProblem> {
        if self.text.trim().is_empty() || self.text.len() > MAX_TEMPLATE_BYTES {
            return Err(problem(
                "text",
                format!("1 byte to {} KiB", MAX_TEMPLATE_BYTES / 1024),
            ));
        }
        let used = placeholders(&self.text).map_err(|p| problem("text", p))?;
        if used.is_empty() {
            return Err(problem(
                "text",
                "a template has at least one slot, written {{name}}",
            ));
        }
        if self.slots.len() > MAX_SLOTS {
            return Err(problem("slots", format!("at most {MAX_SLOTS}")));
        }
        if self.rollback_steps.trim().chars().count() < 10
            || self.rollback_steps.chars().count() > 2_000
        {
            return Err(problem(
                "rollback_steps",
                "say how a change made from this template is undone, in 10 to 2,000 characters",
            ));
        }
        for (i, slot) in self.slots.iter().enumerate() {
            let at = |part: &str| format!("slots[{i}].{part}");
            if self.slots[..i].iter().any(|s| s.name == slot.name) {
                return Err(problem(
                    at("name"),
                    format!("`{}` is declared twice", slot.name.as_str()),
                ));
            }
            if !used.contains(&slot.name) {
                return Err(problem(
                    at("name"),
                    format!(
                        "`{}` is not in the text; write {{{{{}}}}} where it goes or remove it",
                        slot.name.as_str(),
                        slot.name.as_str()
                    ),
                ));
            }
            if !(1..=MAX_SLOT_CHARS).contains(&slot.max_chars) {
                return Err(problem(
                    at("max_chars"),
                    format!("1 to {MAX_SLOT_CHARS}; 0 lets no value through"),
                ));
            }
            if slot.allowed.len() > MAX_ALLOWED_VALUES {
                return Err(problem(
                    at("allowed"),
                    format!("at most {MAX_ALLOWED_VALUES} values"),
                ));
            }
            if let Some(pattern) = &slot.pattern {
                if pattern.is_empty() || pattern.chars().count() > MAX_PATTERN_CHARS {
                    return Err(problem(
                        at("pattern"),
                        format!("1 to {MAX_PATTERN_CHARS} characters"),
                    ));
                }
                full_match(pattern).map_err(|p| problem(at("pattern"), p))?;
                let shortest = regex_syntax::Parser::new()
                    .parse(pattern)
                    .ok()
                    .and_then(|hir| shortest_chars(&hir));
                match shortest {
                    None => {
                        return Err(problem(
                            at("pattern"),
                            "no value can ever match this pattern",
                        ))
                    }
                    Some(chars) if chars > slot.max_chars => {
                        return Err(problem(
                            at("pattern"),
                            format!(
                                "its shortest match is {chars} characters but max_chars is {}: \
                                 no value can satisfy both",
                                slot.max_chars
                            ),
                        ))
                    }
                    Some(_) => {}
                }
            }
            for (j, value) in slot.allowed.iter().enumerate() {
                if let Some(broken) = slot.broken_by(value).into_iter().next() {
                    return Err(problem(
                        format!("slots[{i}].allowed[{j}]"),
                        format!("this allowed value breaks the slot's own constraints ({broken})"),
                    ));
                }
            }
        }
        if let Some(missing) = used
            .iter()
            .find(|name| !self.slots.iter().any(|s| &s.name == *name))
        {
            return Err(problem(
                "slots",
                format!(
                    "the text uses {{{{{}}}}} but no slot `{}` is declared",
                    missing.as_str(),
                    missing.as_str()
                ),
            ));
        }
        Ok(self)
    }

    /// Canonical JSON of the whole template: what its sign-offs name by hash.
    pub fn canonical(&self) -> String {
        crate::ledger::canonical_json(&serde_json::to_value(self).unwrap_or_default())
    }

    pub fn hash(&self) -> String {
        content_hash(&self.canonical())
    }

    /// The template filled with `values`, and every constraint the values break (empty when the
    /// fill is within the template).
    pub fn fill(&self, values: &BTreeMap<String, String>) -> Filled {
        let mut broken = Vec::new();
        for key in values.keys() {
            if !self.slots.iter().any(|s| s.name.as_str() == key) {
                broken.push(format!(
                    "`{}` is not a slot of this template",
                    key.chars().take(40).collect::<String>()
                ));
            }
        }
        for slot in &self.slots {
            match values.get(slot.name.as_str()) {
                Some(value) => broken.extend(slot.broken_by(value)),
                None => broken.push(format!("slot `{}` is not filled", slot.name.as_str())),
            }
        }
        let mut text = String::with_capacity(self.text.len());
        let mut rest = self.text.as_str();
        while let Some(start) = rest.find("{{") {
            text.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                break;
            };
            let name = after[..end].trim();
            text.push_str(values.get(name).map(String::as_str).unwrap_or(""));
            rest = &after[end + 2..];
        }
        text.push_str(rest);
        Filled { text, broken }
    }
}

/// A template filled in: the text, and what broke (nothing, for a fill within the template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub text: String,
    pub broken: Vec<String>,
}

/// Where a template is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateState {
    /// Waiting for its quorum.
    Proposed,
    Approved,
    Rejected,
    Withdrawn,
}

impl TemplateState {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateState::Proposed => "proposed",
            TemplateState::Approved => "approved",
            TemplateState::Rejected => "rejected",
            TemplateState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            TemplateState::Proposed,
            TemplateState::Approved,
            TemplateState::Rejected,
            TemplateState::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// A template with its approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub workflow: super::WorkflowId,
    /// The workflow's tier when proposed: it sets the quorum and whether policy may use it.
    pub tier: i64,
    pub body: TemplateBody,
    pub hash: String,
    pub state: TemplateState,
    pub proposed_by: super::HumanId,
    pub proposed_by_name: String,
    pub proposed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When its quorum was met, and by whom (names, in signing order).
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Vec<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_reason: Option<String>,
}

impl Template {
    /// Why it cannot pre-approve a draft at `now`, if it cannot.
    pub fn unusable(&self, now: DateTime<Utc>) -> Option<String> {
        match self.state {
            TemplateState::Approved if now >= self.expires_at => Some(format!(
                "template “{}” expired on {}",
                self.name,
                self.expires_at.format("%Y-%m-%d")
            )),
            TemplateState::Approved => None,
            state => Some(format!("template “{}” is {}", self.name, state.as_str())),
        }
    }

    /// The record a pre-approved change carries: "pre-approved under template T, approved by A
    /// and B on date", with the filled values.
    pub fn pre_approval(&self, values: &BTreeMap<String, String>) -> serde_json::Value {
        json!({
            "template": self.id,
            "template_name": self.name,
            "template_hash": self.hash,
            "approved_by": self.approved_by,
            "approved_on": self.approved_at.map(|a| a.format("%Y-%m-%d").to_string()),
            "values": values,
        })
    }
}

/// One person's verdict on a proposed template, in a role its tier needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSignoff {
    pub id: String,
    pub template_id: String,
    /// The template hash signed: a sign-off names exactly what it approved.
    pub body_hash: String,
    pub signer: super::HumanId,
    pub signer_name: String,
    pub role: super::Role,
    /// `true` to approve, `false` to reject.
    pub approve: bool,
    pub comment: String,
    pub at: DateTime<Utc>,
    pub event_seq: i64,
}

/// A draft that declared a template: the values it filled in, and whether policy approved it
/// (`problems` empty) or it went to people (each broken constraint named).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateUse {
    pub change_id: String,
    pub template_id: String,
    pub template_name: String,
    pub values: BTreeMap<String, String>,
    pub problems: Vec<String>,
    pub pre_approved: bool,
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn slot(name: &str) -> Slot {
        Slot {
            name: SlotName::parse(name).unwrap(),
            allowed: Vec::new(),
            pattern: None,
            max_chars: 40,
            no_claims: false,
        }
    }

    fn body(text: &str, slots: Vec<Slot>) -> TemplateBody {
        TemplateBody {
            text: text.to_owned(),
            format: ContentFormat::Markdown,
            audience: Audience::External,
            slots,
            rollback_steps: "Unpublish the reminder; send nothing further.".to_owned(),
        }
    }

    fn reminder() -> TemplateBody {
        let mut city = slot("city");
        city.allowed = vec!["Berlin".into(), "Hamburg".into()];
        let mut day = slot("day");
        day.pattern = Some("(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day".into());
        let mut note = slot("note");
        note.no_claims = true;
        body(
            "Hello {first_name}, our {{city}} store opens on {{day}}. {{note}}",
            vec![city, day, note],
        )
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_fill_within_every_constraint_breaks_nothing() {
        let t = reminder().check().unwrap();
        let filled = t.fill(&values(&[
            ("city", "Berlin"),
            ("day", "Saturday"),
            ("note", "See you there."),
        ]));
        assert_eq!(filled.broken, Vec::<String>::new());
        assert_eq!(
            filled.text,
            "Hello {first_name}, our Berlin store opens on Saturday. See you there."
        );
        assert_eq!(placeholders(&t.text).unwrap().len(), 3);
    }

    #[test]
    fn every_constraint_names_its_refusal() {
        let t = reminder().check().unwrap();
        let broken = |pairs: &[(&str, &str)]| t.fill(&values(pairs)).broken.join(" | ");
        let ok = [
            ("city", "Berlin"),
            ("day", "Saturday"),
            ("note", "See you."),
        ];
        let with = |key: &str, value: &str| {
            let mut v = ok.to_vec();
            v.retain(|(k, _)| *k != key);
            v.push((key, value));
            broken(&v.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>())
        };
        assert!(with("city", "Munich").contains("is not one of Berlin, Hamburg"));
        assert!(with("day", "Someday").contains("does not match"));
        assert!(with("note", "Now 50% off everything.").contains("must hold no claims"));
        assert!(with("note", &"x".repeat(41)).contains("at most 40"));
        assert!(with("note", "[click](https://evil.example)").contains("markup"));
        assert!(with("note", "  ").contains("is empty"));
        assert!(broken(&[("city", "Berlin"), ("day", "Saturday")]).contains("`note` is not filled"));
        assert!(with("extra", "x").contains("`extra` is not a slot"));
        // A claim in a slot without `no_claims` still goes to people.
        let mut open = reminder();
        open.slots[2].no_claims = false;
        let open = open.check().unwrap();
        let found = open
            .fill(&values(&[
                ("city", "Berlin"),
                ("day", "Saturday"),
                ("note", "The best prices."),
            ]))
            .broken;
        assert!(
            found[0].contains("claims are judged by people"),
            "{found:?}"
        );
    }

    #[test]
    fn an_unsatisfiable_or_malformed_template_is_refused_by_name() {
        let refused = |t: TemplateBody| t.check().unwrap_err();
        let mut t = reminder();
        t.slots[0].allowed = vec!["Berlin".into(), "50% off".into()];
        t.slots[0].no_claims = true;
        assert_eq!(refused(t).field, "slots[0].allowed[1]");
        let mut t = reminder();
        t.slots[1].pattern = Some("[0-9]{50}".into());
        let p = refused(t);
        assert_eq!(p.field, "slots[1].pattern");
        assert!(p.problem.contains("no value can satisfy both"), "{p}");
        let mut t = reminder();
        t.slots[1].pattern = Some("[^\\s\\S]".into());
        assert!(refused(t).problem.contains("no value can ever match"));
        let mut t = reminder();
        t.slots[1].pattern = Some("(".into());
        assert!(refused(t).problem.contains("not a regular expression"));
        let mut t = reminder();
        t.slots[0].max_chars = 0;
        assert_eq!(refused(t).field, "slots[0].max_chars");
        let mut t = reminder();
        t.slots[0].allowed = vec!["Hamburg-Altona-Nord-Ost-West-Süd-Mitte-Zentrum-Land".into()];
        assert_eq!(refused(t).field, "slots[0].allowed[0]");
        let mut t = reminder();
        t.slots.push(slot("city"));
        assert_eq!(refused(t).field, "slots[3].name");
        let mut t = reminder();
        t.slots.push(slot("unused"));
        assert!(refused(t).problem.contains("not in the text"));
        let mut t = reminder();
        t.slots.pop();
        assert!(refused(t).problem.contains("no slot `note`"));
        assert_eq!(refused(body("No slots here.", vec![])).field, "text");
        assert_eq!(
            refused(body("Broken {{city", vec![slot("city")])).field,
            "text"
        );
        assert_eq!(refused(body("Bad {{City}}", vec![])).field, "text");
        let mut t = reminder();
        t.rollback_steps = "undo".into();
        assert_eq!(refused(t).field, "rollback_steps");
    }

    #[test]
    fn the_operator_allows_tiers_but_never_tier_3() {
        assert!(TemplateTiers::default().allows(1) && !TemplateTiers::default().allows(2));
        let both = TemplateTiers::parse("1, 2").unwrap();
        assert!(both.allows(1) && both.allows(2) && !both.allows(3));
        assert!(!TemplateTiers::parse("none").unwrap().allows(1));
        assert!(TemplateTiers::parse("1,3").unwrap_err().contains("tier 3"));
        assert!(TemplateTiers::parse("gold").is_err());
    }

    #[test]
    fn the_hash_covers_every_part_of_the_template() {
        let t = reminder().check().unwrap();
        let mut other = t.clone();
        other.slots[0].allowed.push("Hamburg-Mitte".into());
        assert_ne!(other.hash(), t.hash());
        let mut other = t.clone();
        other.rollback_steps.push('!');
        assert_ne!(other.hash(), t.hash());
        assert_eq!(t.hash(), reminder().hash());
    }
}
