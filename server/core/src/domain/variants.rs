//! Variant sets: one change carrying several variants of one message (A/B arms, locales,
//! segments), reviewed and signed as one. A sign-off names the set's hash: the SHA-256 of its
//! manifest, which lists every variant's name, audience, target, format and content hash in the
//! order the agent gave them (the base first). Changing any variant changes the hash.

use super::{content_hash, Audience, Content};
use serde_json::json;

/// The most variants one set carries: a campaign in every EU language with room to spare.
pub const MAX_VARIANTS: usize = 50;
/// The most content one set carries, all variants together.
pub const MAX_SET_CONTENT_BYTES: usize = 2 * 1024 * 1024;

/// What is wrong with a variant set; `field` names the part of the request (`variants[2].name`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct VariantProblem {
    pub field: String,
    pub problem: String,
}

impl VariantProblem {
    fn at(index: Option<usize>, part: &str, problem: impl Into<String>) -> Self {
        let field = match index {
            Some(i) => format!("variants[{i}].{part}"),
            None => "variants".to_owned(),
        };
        Self {
            field: field.trim_end_matches('.').to_owned(),
            problem: problem.into(),
        }
    }
}

/// A variant's name: what reviewers and the target system see (`de-DE`, `arm_b`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VariantName(String);

impl VariantName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (1..=40).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_alphanumeric())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(
                "1 to 40 characters of letters, digits, '-', '_' and '.', starting with a \
                 letter or digit (e.g. de-DE or arm_b)"
                    .to_owned(),
            )
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for VariantName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One variant of a set, its content in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub name: VariantName,
    pub audience: Audience,
    pub target_ref: String,
    pub content: Content,
}

/// The parts of a variant checked before its content (names, targets, how many): the cheap
/// checks, so a malformed set is refused before any content is canonicalised.
pub struct VariantHeader<'a> {
    pub name: &'a str,
    pub target_ref: &'a str,
    pub content_bytes: usize,
}

/// Checks a set's shape: 1 to [`MAX_VARIANTS`] variants, names and targets each used once,
/// [`MAX_SET_CONTENT_BYTES`] in all. Returns the parsed names in order.
pub fn check_set_shape(headers: &[VariantHeader<'_>]) -> Result<Vec<VariantName>, VariantProblem> {
    if headers.is_empty() {
        return Err(VariantProblem::at(
            None,
            "",
            "a variant set has at least one variant; send content instead for a single draft",
        ));
    }
    if headers.len() > MAX_VARIANTS {
        return Err(VariantProblem::at(
            None,
            "",
            format!(
                "{} variants; a set has at most {MAX_VARIANTS}: split it into several changes",
                headers.len()
            ),
        ));
    }
    let total: usize = headers.iter().map(|h| h.content_bytes).sum();
    if total > MAX_SET_CONTENT_BYTES {
        return Err(VariantProblem::at(
            None,
            "",
            format!(
                "the variants carry {} KiB of content; a set carries at most {} KiB",
                total / 1024,
                MAX_SET_CONTENT_BYTES / 1024
            ),
        ));
    }
    let mut names: Vec<VariantName> = Vec::with_capacity(headers.len());
    for (i, header) in headers.iter().enumerate() {
        let name =
            VariantName::parse(header.name).map_err(|p| VariantProblem::at(Some(i), "name", p))?;
        if let Some(first) = names.iter().position(|n| *n == name) {
            return Err(VariantProblem::at(
                Some(i),
                "name",
                format!("`{name}` is already the name of variants[{first}]; names are unique"),
            ));
        }
        if let Some(first) = headers[..i]
            .iter()
            .position(|h| h.target_ref.trim() == header.target_ref.trim())
        {
            return Err(VariantProblem::at(
                Some(i),
                "target_reference",
                format!(
                    "variants[{first}] already publishes to `{}`; each variant has its own target",
                    header
                        .target_ref
                        .trim()
                        .chars()
                        .take(60)
                        .collect::<String>()
                ),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

/// The set's manifest, canonical JSON: exactly the bytes [`set_hash`] covers and an evidence
/// pack carries.
pub fn set_manifest(variants: &[Variant]) -> String {
    let entries: Vec<_> = variants
        .iter()
        .map(|v| {
            json!({
                "name": v.name.as_str(),
                "audience": v.audience.as_str(),
                "target": v.target_ref,
                "format": v.content.format.as_str(),
                "sha256": v.content.hash.trim_start_matches("sha256:"),
            })
        })
        .collect();
    crate::ledger::canonical_json(&json!({ "variants": entries }))
}

/// `sha256:` and the hex SHA-256 of the set's manifest: what a sign-off of the set names.
pub fn set_hash(variants: &[Variant]) -> String {
    content_hash(&set_manifest(variants))
}

/// The widest audience of a set: external when any variant reaches outside.
pub fn widest_audience(variants: &[Variant]) -> Audience {
    if variants.iter().any(|v| v.audience == Audience::External) {
        Audience::External
    } else {
        Audience::Internal
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::domain::HostAllowList;

    fn variant(name: &str, target: &str, text: &str) -> Variant {
        let (content, _) = Content::new(text, "markdown", &HostAllowList::default()).unwrap();
        Variant {
            name: VariantName::parse(name).unwrap(),
            audience: Audience::External,
            target_ref: target.to_owned(),
            content,
        }
    }

    fn header<'a>(name: &'a str, target: &'a str) -> VariantHeader<'a> {
        VariantHeader {
            name,
            target_ref: target,
            content_bytes: 10,
        }
    }

    #[test]
    fn names_are_short_and_plain() {
        for good in ["de-DE", "arm_b", "en.GB", "a", &"x".repeat(40)] {
            assert!(VariantName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "-de", "de DE", "de/DE", "ü", &"x".repeat(41)] {
            assert!(VariantName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_set_is_refused_by_the_part_that_is_wrong() {
        let problem = |headers: &[VariantHeader<'_>]| check_set_shape(headers).unwrap_err();
        assert_eq!(problem(&[]).field, "variants");
        let many: Vec<_> = (0..=MAX_VARIANTS).map(|_| header("a", "t")).collect();
        assert!(problem(&many).problem.contains("at most 50"));
        let twice = problem(&[
            header("de-DE", "a"),
            header("fr-FR", "b"),
            header("de-DE", "c"),
        ]);
        assert_eq!(twice.field, "variants[2].name");
        assert!(twice.problem.contains("variants[0]"));
        let same_target = problem(&[header("de-DE", "a"), header("fr-FR", " a ")]);
        assert_eq!(same_target.field, "variants[1].target_reference");
        assert_eq!(problem(&[header("de DE", "a")]).field, "variants[0].name");
        let big = VariantHeader {
            name: "a",
            target_ref: "a",
            content_bytes: MAX_SET_CONTENT_BYTES + 1,
        };
        assert!(problem(&[big]).problem.contains("at most 2048 KiB"));
        let names = check_set_shape(&[header("en-GB", "a"), header("de-DE", "b")]).unwrap();
        assert_eq!(names[1].as_str(), "de-DE");
    }

    #[test]
    fn the_set_hash_changes_with_any_variant_and_with_the_order() {
        let set = vec![
            variant("en-GB", "spring/en", "Spring offer"),
            variant("de-DE", "spring/de", "Frühlingsangebot"),
            variant("fr-FR", "spring/fr", "Offre de printemps"),
        ];
        let hash = set_hash(&set);
        assert!(hash.starts_with("sha256:") && hash.len() == 71);
        assert_eq!(hash, set_hash(&set.clone()));
        let mut edited = set.clone();
        edited[2] = variant("fr-FR", "spring/fr", "Offre de printemps !");
        assert_ne!(set_hash(&edited), hash);
        let mut retargeted = set.clone();
        retargeted[1].target_ref = "spring/at".to_owned();
        assert_ne!(set_hash(&retargeted), hash);
        let mut internal = set.clone();
        internal[0].audience = Audience::Internal;
        assert_ne!(set_hash(&internal), hash);
        assert_eq!(widest_audience(&internal), Audience::External);
        let mut reordered = set.clone();
        reordered.swap(1, 2);
        assert_ne!(set_hash(&reordered), hash);
        assert!(set_manifest(&set).starts_with("{\"variants\":[{\"audience\":\"external\""));
    }
}
