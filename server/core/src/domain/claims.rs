//! Customer-facing claims in a change's content: found by rules kept as data
//! (`rules/claims.toml`), or marked by a legal reviewer, and each judged before external content
//! may pass the gate. Spans are counted in characters (Unicode scalar values) of the reviewable
//! text: the content itself, or for HTML its text without tags.

use chrono::{DateTime, Utc};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// The longest span a claim may cover, and the longest evidence note.
pub const MAX_CLAIM_CHARS: usize = 1000;
pub const MAX_EVIDENCE_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("the span {start}..{end} is not inside the text ({len} characters)")]
    OutsideText {
        start: usize,
        end: usize,
        len: usize,
    },
    #[error("a claim covers at least one character that is not a space")]
    Blank,
    #[error("a claim covers at most {MAX_CLAIM_CHARS} characters")]
    TooLong,
    #[error("this span is already a claim")]
    Duplicate,
    #[error("unknown claim status `{0}` (expected substantiated, needs_change or unsupported)")]
    UnknownStatus(String),
    #[error("a substantiated claim needs an evidence link or note")]
    EvidenceRequired,
    #[error("an evidence link must start with https:// or http://")]
    BadLink,
    #[error("the evidence note is longer than {MAX_EVIDENCE_CHARS} characters")]
    EvidenceTooLong,
    #[error("a comment is required to mark a claim {0}")]
    CommentRequired(&'static str),
    #[error("the comment is longer than {} characters", super::gate::MAX_COMMENT)]
    CommentTooLong,
}

/// A claim rule as written in `rules/claims.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSource {
    pub id: String,
    pub label: String,
    pub pattern: String,
    /// Sentences that must match, and must not: the rule's own tests.
    pub matches: Vec<String>,
    pub ignores: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rule: Vec<RuleSource>,
}

#[derive(Debug, Clone)]
pub struct ClaimRule {
    pub source: RuleSource,
    regex: Regex,
}

impl ClaimRule {
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// Parses a rules file; every pattern must compile.
pub fn parse_rules(text: &str) -> Result<Vec<ClaimRule>, String> {
    let file: RulesFile = toml::from_str(text).map_err(|e| e.to_string())?;
    file.rule
        .into_iter()
        .map(|source| {
            let regex = Regex::new(&format!("(?i){}", source.pattern))
                .map_err(|e| format!("claim rule {}: {e}", source.id))?;
            Ok(ClaimRule { source, regex })
        })
        .collect()
}

/// The rules shipped with this build.
pub static RULES: LazyLock<Vec<ClaimRule>> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    parse_rules(include_str!("../../rules/claims.toml"))
        .expect("the built-in claim rules parse (tested)")
});

/// A span of the reviewable text, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// The span `start..end` of `text`, and the words it covers.
    pub fn within(text: &str, start: usize, end: usize) -> Result<(Self, String), ClaimError> {
        let len = text.chars().count();
        if start >= end || end > len {
            return Err(ClaimError::OutsideText { start, end, len });
        }
        if end - start > MAX_CLAIM_CHARS {
            return Err(ClaimError::TooLong);
        }
        let quote: String = text.chars().skip(start).take(end - start).collect();
        if quote.trim().is_empty() {
            return Err(ClaimError::Blank);
        }
        Ok((Self { start, end }, quote))
    }
}

/// A candidate claim the rules found: one sentence, with every rule it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedClaim {
    pub span: Span,
    pub quote: String,
    pub rules: Vec<String>,
}

/// The text reviewers read and claims point into: the content, or for HTML what readers read of
/// it (every character reference decoded, alt text and titles included).
pub fn reviewable_text(text: &str, format: super::ContentFormat) -> String {
    super::canonical::reviewable(text, format)
}

/// Where sentences end in `text`, as byte positions, in order. A full stop ends a sentence only
/// before white space or the end ("19.99" does not), and a line break always does.
fn sentence_ends(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len())
        .filter(|&i| match bytes[i] {
            b'\n' => true,
            b'.' | b'!' | b'?' => bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace()),
            _ => false,
        })
        .collect()
}

/// The sentence around the byte range `start..end`, untrimmed: from just after the last
/// sentence end before `start` through the first at or after `end`. A binary search, so a text
/// with many matches in one long sentence costs no more than one with short sentences.
fn sentence_around(text: &str, ends: &[usize], start: usize, end: usize) -> (usize, usize) {
    let before = ends.partition_point(|&e| e < start);
    let from = if before == 0 { 0 } else { ends[before - 1] + 1 };
    let after = ends.partition_point(|&e| e < end);
    let to = match ends.get(after) {
        Some(&e) if text.as_bytes()[e] == b'\n' => e,
        Some(&e) => e + 1,
        None => text.len(),
    };
    (from, to)
}

/// `from..to` without the white space around it. Byte positions stay on character boundaries
/// because only ASCII bytes are skipped.
fn trimmed(text: &str, (mut from, mut to): (usize, usize)) -> (usize, usize) {
    let bytes = text.as_bytes();
    while from < to && bytes[from].is_ascii_whitespace() {
        from += 1;
    }
    while to > from && bytes[to - 1].is_ascii_whitespace() {
        to -= 1;
    }
    (from, to)
}

/// Finds candidate claims: each sentence matching any rule, once, with the rules it matched.
/// Linear in the text: the rules are finite automata, sentence ends are found once, each match
/// finds its sentence by binary search, and character offsets are counted in one pass.
pub fn detect_claims(text: &str, rules: &[ClaimRule]) -> Vec<DetectedClaim> {
    let ends = sentence_ends(text);
    let mut sentences: std::collections::BTreeMap<(usize, usize), Vec<String>> =
        std::collections::BTreeMap::new();
    for rule in rules {
        for found in rule.regex.find_iter(text) {
            let ids = sentences
                .entry(sentence_around(text, &ends, found.start(), found.end()))
                .or_default();
            if ids.last() != Some(&rule.source.id) {
                ids.push(rule.source.id.clone());
            }
        }
    }
    let mut counted = (0usize, 0usize); // (byte, characters before it)
    let mut claims: Vec<DetectedClaim> = Vec::new();
    for (bounds, rules) in sentences {
        let (from, to) = trimmed(text, bounds);
        if from >= to {
            continue;
        }
        // Sentences come in order of where they start, and trimming keeps that order; the reset
        // only guards the count should it ever not.
        if from < counted.0 {
            counted = (0, 0);
        }
        counted = (from, counted.1 + text[counted.0..from].chars().count());
        let start = counted.1;
        let quote: String = text[from..to].chars().take(MAX_CLAIM_CHARS).collect();
        let end = start + quote.chars().count();
        if quote.trim().is_empty() {
            continue;
        }
        // Two matches whose sentences differ only in white space around them are one claim.
        if let Some(same) = claims
            .last_mut()
            .filter(|c| c.span.start == start && c.span.end == end)
        {
            for rule in rules {
                if !same.rules.contains(&rule) {
                    same.rules.push(rule);
                }
            }
            continue;
        }
        claims.push(DetectedClaim {
            span: Span { start, end },
            quote,
            rules,
        });
    }
    claims
}

/// A legal reviewer's judgement of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    Open,
    Substantiated,
    NeedsChange,
    Unsupported,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Open => "open",
            ClaimStatus::Substantiated => "substantiated",
            ClaimStatus::NeedsChange => "needs_change",
            ClaimStatus::Unsupported => "unsupported",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClaimStatus::Open => "Open",
            ClaimStatus::Substantiated => "Substantiated",
            ClaimStatus::NeedsChange => "Needs change",
            ClaimStatus::Unsupported => "Unsupported",
        }
    }

    /// The status of a stored claim; `open` is never a reviewer's answer.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            ClaimStatus::Open,
            ClaimStatus::Substantiated,
            ClaimStatus::NeedsChange,
            ClaimStatus::Unsupported,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// A review, checked: substantiation needs evidence, the other verdicts a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimReview {
    pub status: ClaimStatus,
    pub evidence: String,
    pub comment: String,
}

impl ClaimReview {
    pub fn new(status: &str, evidence: &str, comment: &str) -> Result<Self, ClaimError> {
        let status = match ClaimStatus::parse(status) {
            Some(ClaimStatus::Open) | None => {
                return Err(ClaimError::UnknownStatus(status.chars().take(30).collect()))
            }
            Some(status) => status,
        };
        let evidence = evidence.trim();
        let comment = comment.trim();
        if evidence.chars().count() > MAX_EVIDENCE_CHARS {
            return Err(ClaimError::EvidenceTooLong);
        }
        if comment.chars().count() > super::gate::MAX_COMMENT {
            return Err(ClaimError::CommentTooLong);
        }
        let looks_like_link = !evidence.contains(char::is_whitespace) && evidence.contains("://");
        if looks_like_link && !(evidence.starts_with("https://") || evidence.starts_with("http://"))
        {
            return Err(ClaimError::BadLink);
        }
        match status {
            ClaimStatus::Substantiated if evidence.is_empty() => {
                return Err(ClaimError::EvidenceRequired)
            }
            ClaimStatus::NeedsChange if comment.is_empty() => {
                return Err(ClaimError::CommentRequired("as needing a change"))
            }
            ClaimStatus::Unsupported if comment.is_empty() => {
                return Err(ClaimError::CommentRequired("unsupported"))
            }
            _ => {}
        }
        Ok(Self {
            status,
            evidence: evidence.to_owned(),
            comment: comment.to_owned(),
        })
    }
}

/// A claim of one version of a change, with its latest review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub id: String,
    pub change_id: String,
    pub version: i64,
    /// The variant of a set the claim is in, by name; empty for the version's content (a set's
    /// base).
    pub variant: String,
    pub span: Span,
    pub quote: String,
    /// The rules that found it; empty when a reviewer marked it.
    pub rules: Vec<String>,
    /// Who marked it, when a reviewer did.
    pub marked_by: Option<String>,
    pub status: ClaimStatus,
    pub evidence: String,
    pub comment: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The ledger event of the claim's latest record (marking or review).
    pub event_seq: i64,
}

impl Claim {
    /// Whether it still stands in the way of approval.
    pub fn unresolved(&self) -> bool {
        self.status != ClaimStatus::Substantiated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_matches_its_examples_and_ignores_its_counter_examples() {
        assert!(
            RULES.len() >= 7,
            "the seven kinds of claim the gate looks for"
        );
        for rule in RULES.iter() {
            for example in &rule.source.matches {
                assert!(
                    rule.is_match(example),
                    "{} should match {example:?}",
                    rule.source.id
                );
            }
            for example in &rule.source.ignores {
                assert!(
                    !rule.is_match(example),
                    "{} should ignore {example:?}",
                    rule.source.id
                );
            }
            assert!(!rule.source.matches.is_empty() && !rule.source.ignores.is_empty());
        }
    }

    #[test]
    fn a_bad_rules_file_is_refused_with_the_rule_named() {
        let bad = "[[rule]]\nid = \"broken\"\nlabel = \"x\"\npattern = \"(\"\nmatches = []\nignores = []\n";
        assert!(parse_rules(bad).unwrap_err().contains("claim rule broken"));
        assert!(parse_rules("[[rule]]\nid = 1").is_err());
    }

    /// One sentence of a quarter of a megabyte, a match every few words: found once, with its
    /// character offsets right (the old search walked the sentence once per match).
    #[test]
    fn many_matches_in_one_long_sentence_are_one_claim() {
        let text = "guaranteed best results ".repeat(10_000) + "é.";
        let found = detect_claims(&text, &RULES);
        assert_eq!(
            found.len(),
            1,
            "{:?}",
            found.iter().map(|c| c.span).collect::<Vec<_>>()
        );
        assert_eq!(found[0].span.start, 0);
        assert_eq!(found[0].span.end, MAX_CLAIM_CHARS);
        let two = format!("Plain words.\n{text}");
        assert_eq!(
            detect_claims(&two, &RULES)[0].span.start,
            "Plain words.\n".chars().count()
        );
    }

    #[test]
    fn claims_are_whole_sentences_with_every_rule_they_match() {
        let text = "Spring is here. Save 20% on every plan, guaranteed! Reply to learn more.\n\
                    Our packaging is eco-friendly";
        let found = detect_claims(text, &RULES);
        let quotes: Vec<&str> = found.iter().map(|c| c.quote.as_str()).collect();
        assert_eq!(
            quotes,
            [
                "Save 20% on every plan, guaranteed!",
                "Our packaging is eco-friendly"
            ]
        );
        let first = &found[0];
        for rule in ["number-or-percentage", "guarantee", "financial"] {
            assert!(
                first.rules.iter().any(|r| r == rule),
                "{rule} in {:?}",
                first.rules
            );
        }
        // Spans are character offsets into the text.
        let (span, quote) = Span::within(text, first.span.start, first.span.end).unwrap();
        assert_eq!(span, first.span);
        assert_eq!(quote, first.quote);
    }

    #[test]
    fn decimals_do_not_end_sentences_and_offsets_count_characters() {
        let text = "Crème brûlée. Now only €19.99 a month. Thanks.";
        let found = detect_claims(text, &RULES);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].quote, "Now only €19.99 a month.");
        assert_eq!(found[0].span.start, "Crème brûlée. ".chars().count());
        assert!(detect_claims("Reply to this email. Have a nice day.", &RULES).is_empty());
    }

    #[test]
    fn html_is_reviewed_as_its_text() {
        let html = "<h1>Spring</h1><p>The <b>best</b> offer &amp; more.</p><p>Bye</p>";
        let text = reviewable_text(html, super::super::ContentFormat::Html);
        assert_eq!(text, "Spring\nThe best offer & more.\nBye");
        let found = detect_claims(&text, &RULES);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].quote, "The best offer & more.");
        // Claims hidden behind numeric references, or in what readers see of attributes.
        let encoded = "<p>Save &#50;&#x30;&#37; today.</p><img alt=\"Guaranteed results\" \
                       src=\"https://img.example.com/a.png\">";
        let text = reviewable_text(encoded, super::super::ContentFormat::Html);
        let found = detect_claims(&text, &RULES);
        assert!(
            found.iter().any(|c| c.quote.contains("Save 20%")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|c| c.quote.contains("Guaranteed")),
            "{found:?}"
        );
    }

    #[test]
    fn spans_outside_the_text_or_blank_are_refused() {
        let text = "Save 20% today.";
        let cases: &[(usize, usize, Result<&str, &str>)] = &[
            (0, 8, Ok("Save 20%")),
            (5, 5, Err("not inside the text")),
            (9, 4, Err("not inside the text")),
            (10, 99, Err("not inside the text (15 characters)")),
            (4, 5, Err("not a space")),
        ];
        for (start, end, expected) in cases {
            match (Span::within(text, *start, *end), expected) {
                (Ok((_, quote)), Ok(want)) => assert_eq!(quote, *want),
                (Err(error), Err(want)) => assert!(error.to_string().contains(want), "{error}"),
                (got, want) => panic!("{start}..{end}: got {got:?}, want {want:?}"),
            }
        }
        let long = "x".repeat(MAX_CLAIM_CHARS + 5);
        assert_eq!(
            Span::within(&long, 0, MAX_CLAIM_CHARS + 1).unwrap_err(),
            ClaimError::TooLong
        );
    }

    #[test]
    fn reviews_need_evidence_or_a_comment() {
        let cases: &[(&str, &str, &str, Result<ClaimStatus, &str>)] = &[
            (
                "substantiated",
                "https://intranet/survey-2026",
                "",
                Ok(ClaimStatus::Substantiated),
            ),
            (
                "substantiated",
                "Survey of 1,200 customers, March 2026",
                "",
                Ok(ClaimStatus::Substantiated),
            ),
            ("substantiated", "", "fine", Err("evidence link or note")),
            ("substantiated", "ftp://files/x", "", Err("https://")),
            (
                "needs_change",
                "",
                "Say 'up to 20%'.",
                Ok(ClaimStatus::NeedsChange),
            ),
            ("needs_change", "", " ", Err("comment is required")),
            (
                "unsupported",
                "",
                "",
                Err("comment is required to mark a claim unsupported"),
            ),
            (
                "unsupported",
                "",
                "No source.",
                Ok(ClaimStatus::Unsupported),
            ),
            ("open", "", "", Err("unknown claim status `open`")),
            ("ok", "", "", Err("unknown claim status `ok`")),
        ];
        for (status, evidence, comment, expected) in cases {
            match (ClaimReview::new(status, evidence, comment), expected) {
                (Ok(review), Ok(want)) => assert_eq!(review.status, *want),
                (Err(error), Err(want)) => assert!(error.to_string().contains(want), "{error}"),
                (got, want) => panic!("{status}: got {got:?}, want {want:?}"),
            }
        }
    }
}
