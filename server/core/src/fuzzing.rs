//! What the fuzz targets under `server/fuzz` run, and what the suite replays for every input
//! they ever found to fail (`server/fuzz/regressions/<target>/`). Each entry point takes
//! arbitrary bytes, must not panic, and asserts what has to hold for any input.

use crate::connector::{check_receipt, Delivery, Endpoint, Receipt};
use crate::domain::{
    check_channel, check_target_ref, check_title, detect_claims, line_diff, reviewable_text,
    Audience, Content, HostAllowList, PurposeName, CLAIM_RULES,
};
use crate::services::{parse_consent_csv, AccessRequest, DraftInput, VersionInput};

const FORMATS: [&str; 3] = ["html", "markdown", "text"];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Claims found in `text` lie within it, in order, and each quotes what its span covers.
fn claims_hold(text: &str) {
    let chars: Vec<char> = text.chars().collect();
    let mut previous_start = 0;
    for claim in detect_claims(text, &CLAIM_RULES) {
        assert!(claim.span.start < claim.span.end, "an empty claim span");
        assert!(
            claim.span.end <= chars.len(),
            "a claim past the end of the text"
        );
        assert!(claim.span.start >= previous_start, "claims out of order");
        previous_start = claim.span.start;
        let quoted: String = chars[claim.span.start..claim.span.end].iter().collect();
        assert_eq!(
            quoted, claim.quote,
            "a claim's quote is not what its span covers"
        );
        assert!(!claim.rules.is_empty(), "a claim no rule found");
    }
}

/// The content canonicaliser and the claim detector: the first byte picks the format. Content
/// that is accepted canonicalises to a fixed point (accepted again, same bytes, same hash).
pub fn content(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some(raw) = text(rest) else {
        return;
    };
    let format = FORMATS[usize::from(selector) % FORMATS.len()];
    let hosts = HostAllowList::parse("www.example.com\n*.cdn.example.com").unwrap_or_default();
    claims_hold(raw);
    if let Ok((content, _)) = Content::new(raw, format, &hosts) {
        let (again, _) = Content::new(&content.text, format, &hosts)
            .unwrap_or_else(|e| panic!("canonical content refused on a second pass: {e:?}"));
        assert_eq!(
            again.text, content.text,
            "canonical form is not a fixed point"
        );
        assert_eq!(again.hash, content.hash);
        claims_hold(&reviewable_text(&content.text, content.format));
        let diff = line_diff(raw, &content.text);
        assert!(diff.len() >= content.text.lines().count().min(1));
    }
}

/// The consent CSV import: any file ends in records and row errors, never a panic, and every
/// error names a row that exists.
pub fn consent_csv(data: &[u8]) {
    let Some(raw) = text(data) else {
        return;
    };
    let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
    let import = parse_consent_csv(raw, now);
    // CSV ends a record at a line feed or a lone carriage return: count both.
    let lines = raw.bytes().filter(|b| matches!(b, b'\n' | b'\r')).count() + 1;
    for error in &import.errors {
        assert!(
            error.row <= lines,
            "row {} of a {lines}-line file",
            error.row
        );
        assert!(!error.problem.is_empty());
    }
    assert!(import.records.len() <= lines);
}

/// The agent API's request bodies: the first byte picks the body; what deserialises goes
/// through the same checks the services apply before touching the store.
pub fn api_body(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => {
            if let Ok(draft) = serde_json::from_slice::<DraftInput>(body) {
                let _ = PurposeName::parse(&draft.purpose);
                let _ = check_title(&draft.title);
                let _ = check_channel(&draft.channel);
                let _ = Audience::parse(&draft.audience);
                let _ = check_target_ref(&draft.target.reference);
                content(
                    &[selector, b' ']
                        .iter()
                        .copied()
                        .chain(draft.content.bytes())
                        .collect::<Vec<_>>(),
                );
            }
        }
        1 => {
            if let Ok(version) = serde_json::from_slice::<VersionInput>(body) {
                let _ = Content::new(&version.content, &version.format, &HostAllowList::default());
            }
        }
        _ => {
            if let Ok(request) = serde_json::from_slice::<AccessRequest>(body) {
                let _ = PurposeName::parse(&request.purpose);
            }
        }
    }
}

/// A connected system's answer, judged against the call it answers: any bytes are either a
/// receipt that matches or a named refusal.
pub fn receipt(data: &[u8]) {
    let Ok(receipt) = serde_json::from_slice::<Receipt>(data) else {
        return;
    };
    let delivery = Delivery {
        base_url: "https://crm.example.com".to_owned(),
        endpoint: Endpoint::Publish,
        idempotency_key: "msg_fuzz".to_owned(),
        body: serde_json::json!({ "content": { "sha256": "sha256:00" } }),
        secret: "whsec_fuzz".to_owned(),
    };
    for dry_run in [false, true] {
        if let Err(refusal) = check_receipt(&delivery, dry_run, &receipt) {
            assert!(!refusal.to_string().is_empty());
            assert!(
                !refusal.is_temporary(),
                "a wrong receipt is never worth retrying"
            );
        }
    }
}
