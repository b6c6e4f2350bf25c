//! What a draft or a new version carries: one content, or a variant set. Both are checked here
//! into one shape (the base content, its variants, the widest audience, the base's target), so
//! drafting, revising, claims and publishing handle a single draft as a set of none.

use super::drafts::VariantInput;
use crate::domain::{
    check_set_shape, check_target_ref, detect_claims, reviewable_text, widest_audience, Audience,
    ChangeError, Content, ContentProblem, DetectedClaim, HostAllowList, Variant, VariantHeader,
    CLAIM_RULES,
};
use crate::error::{CoreError, CoreResult};

/// A version's content as checked: the base, and every variant of a set (the base first).
#[derive(Debug, Clone)]
pub(super) struct CheckedBody {
    pub content: Content,
    pub variants: Vec<Variant>,
    pub audience: Audience,
    pub target_ref: String,
}

/// What the request said, before checking.
pub(super) struct RawBody<'a> {
    pub content: &'a str,
    pub format: &'a str,
    /// `None` where the request cannot name them (a new version of a single draft).
    pub audience: Option<&'a str>,
    pub target_ref: Option<&'a str>,
    pub variants: Option<&'a [VariantInput]>,
}

fn invalid(error: ChangeError) -> CoreError {
    CoreError::invalid(error.field(), error.to_string())
}

fn content_refused(field: String, problem: ContentProblem) -> CoreError {
    match problem {
        ContentProblem::Invalid(error) if field == "content" => invalid(error),
        ContentProblem::Invalid(error) => CoreError::invalid(field, error.to_string()),
        ContentProblem::NotAllowed(violations) if field == "content" => {
            CoreError::NotAllowed(violations)
        }
        ContentProblem::NotAllowed(violations) => CoreError::invalid(
            field,
            format!(
                "{} not allowed: {}",
                violations.len(),
                violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
    }
}

/// Checks a request's content against the target's `hosts`: exactly one of `content` and
/// `variants`.
pub(super) fn check_body(raw: &RawBody<'_>, hosts: &HostAllowList) -> CoreResult<CheckedBody> {
    let Some(inputs) = raw.variants else {
        let audience = raw
            .audience
            .map(|a| Audience::parse(a).map_err(invalid))
            .transpose()?
            .unwrap_or(Audience::Internal);
        let target_ref = raw
            .target_ref
            .map(|t| check_target_ref(t).map_err(invalid))
            .transpose()?
            .unwrap_or_default();
        let (content, _) = Content::new(raw.content, raw.format, hosts)
            .map_err(|p| content_refused("content".to_owned(), p))?;
        return Ok(CheckedBody {
            content,
            variants: Vec::new(),
            audience,
            target_ref,
        });
    };
    let stray = [
        ("content", raw.content),
        ("format", raw.format),
        ("audience", raw.audience.unwrap_or("")),
        ("target.reference", raw.target_ref.unwrap_or("")),
    ]
    .into_iter()
    .find(|(_, value)| !value.is_empty());
    if let Some((field, _)) = stray {
        return Err(CoreError::invalid(
            field,
            "a variant set gives this per variant: leave it out and put it in each of `variants` \
             (the base first)",
        ));
    }
    let headers: Vec<VariantHeader<'_>> = inputs
        .iter()
        .map(|v| VariantHeader {
            name: &v.name,
            target_ref: &v.target_reference,
            content_bytes: v.content.len(),
        })
        .collect();
    let names = check_set_shape(&headers).map_err(|p| CoreError::invalid(p.field, p.problem))?;
    let mut variants = Vec::with_capacity(names.len());
    for (i, (input, name)) in inputs.iter().zip(names).enumerate() {
        let at = |part: &str| format!("variants[{i}].{part}");
        let audience = Audience::parse(&input.audience)
            .map_err(|e| CoreError::invalid(at("audience"), e.to_string()))?;
        let target_ref = check_target_ref(&input.target_reference)
            .map_err(|e| CoreError::invalid(at("target_reference"), e.to_string()))?;
        let (content, _) = Content::new(&input.content, &input.format, hosts).map_err(|p| {
            let part = match &p {
                ContentProblem::Invalid(ChangeError::BadFormat(_)) => "format",
                _ => "content",
            };
            content_refused(at(part), p)
        })?;
        variants.push(Variant {
            name,
            audience,
            target_ref,
            content,
        });
    }
    Ok(CheckedBody {
        content: variants[0].content.clone(),
        audience: widest_audience(&variants),
        target_ref: variants[0].target_ref.clone(),
        variants,
    })
}

/// The candidate claims of a version, each with the variant it is in (`""` for the content or
/// a set's base). Found before the version's transaction begins: the work grows with the
/// content, and no one else's write should wait for it.
pub(super) fn find_claims(body: &CheckedBody) -> Vec<(String, DetectedClaim)> {
    let found = |content: &Content| {
        detect_claims(
            &reviewable_text(&content.text, content.format),
            &CLAIM_RULES,
        )
    };
    let mut claims: Vec<(String, DetectedClaim)> = found(&body.content)
        .into_iter()
        .map(|c| (String::new(), c))
        .collect();
    for variant in body.variants.iter().skip(1) {
        claims.extend(
            found(&variant.content)
                .into_iter()
                .map(|c| (variant.name.as_str().to_owned(), c)),
        );
    }
    claims
}
