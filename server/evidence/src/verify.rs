//! The offline verifier: given a pack and the log's public key, checks everything the pack
//! claims against what the log key signed, and names every failure. It trusts nothing in the
//! pack on its own word: facts are read from ledger events, events are proven by inclusion in
//! the signed checkpoint, and files are bound to events by their hashes.

use crate::manifest::{Manifest, PackKind, ParsedEvent, CHECKPOINT, FORMAT, MANIFEST, REPORT};
use crate::{report, sha256, tar};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use countersign_transparency::merkle::{self, Hash};
use countersign_transparency::{Checkpoint, VerifierKey};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One named check and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub checks: Vec<Check>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.ok)
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }

    fn pass(&mut self, name: &str, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.to_owned(),
            ok: true,
            detail: detail.into(),
        });
    }

    fn fail(&mut self, name: &str, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.to_owned(),
            ok: false,
            detail: detail.into(),
        });
    }

    /// Passes `name` when `problems` is empty, else fails it once per problem.
    fn all(&mut self, name: &str, problems: Vec<String>, passed: impl Into<String>) {
        if problems.is_empty() {
            self.pass(name, passed);
        } else {
            for problem in problems {
                self.fail(name, problem);
            }
        }
    }
}

/// Checks `archive` against `key`.
pub fn verify_pack(archive: &[u8], key: &VerifierKey) -> Verdict {
    let mut verdict = Verdict::default();
    let files: BTreeMap<String, Vec<u8>> = match tar::read(archive) {
        Ok(files) => files.into_iter().collect(),
        Err(error) => {
            verdict.fail("archive", format!("not a readable pack: {error}"));
            return verdict;
        }
    };
    let text = |name: &str| {
        files
            .get(name)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
    };
    let Some(manifest_text) = text(MANIFEST) else {
        verdict.fail("manifest", format!("the pack has no readable {MANIFEST}"));
        return verdict;
    };
    let manifest: Manifest = match serde_json::from_str(manifest_text) {
        Ok(manifest) => manifest,
        Err(error) => {
            verdict.fail(
                "manifest",
                format!("{MANIFEST} is not a pack manifest: {error}"),
            );
            return verdict;
        }
    };
    if manifest.format != FORMAT {
        verdict.fail(
            "manifest",
            format!("format `{}`, expected `{FORMAT}`", manifest.format),
        );
        return verdict;
    }
    verdict.pass(
        "manifest",
        format!("{} pack for {}", kind_word(manifest.kind), manifest.subject),
    );

    // The root everything else is proven against: only what the given key signed.
    let checkpoint = match text(CHECKPOINT).map(|note| Checkpoint::open(note, key)) {
        Some(Ok((checkpoint, _))) => checkpoint,
        Some(Err(error)) => {
            verdict.fail(
                "checkpoint signature",
                format!("the checkpoint is not signed by {}: {error}", key.name()),
            );
            return verdict;
        }
        None => {
            verdict.fail(
                "checkpoint signature",
                format!("the pack has no {CHECKPOINT}"),
            );
            return verdict;
        }
    };
    verdict.pass(
        "checkpoint signature",
        format!(
            "signed by {} for {} events, root {}",
            key.name(),
            checkpoint.size,
            B64.encode(checkpoint.root)
        ),
    );
    let mut log = Vec::new();
    if manifest.log.tree_size != checkpoint.size
        || manifest.log.root_hash != B64.encode(checkpoint.root)
    {
        log.push("the manifest names another tree than the signed checkpoint".to_owned());
    }
    if manifest.log.public_key != key.to_string() {
        log.push(format!(
            "the manifest names the log key {}, not the key given",
            manifest.log.public_key
        ));
    }
    verdict.all(
        "log",
        log,
        "the manifest names the signed tree and the key given",
    );

    check_files(&mut verdict, &manifest, &files);
    let events = check_events(&mut verdict, &manifest, &checkpoint);
    check_items(&mut verdict, &manifest, &events);
    if manifest.kind == PackKind::Change {
        check_change(&mut verdict, &manifest, &events, &files);
    }
    match text(REPORT) {
        Some(html) if html == report::render(&manifest) => {
            verdict.pass("report", "report.html is the manifest, rendered")
        }
        Some(_) => verdict.fail(
            "report",
            "report.html differs from what the manifest renders to: it was edited",
        ),
        None => verdict.fail("report", format!("the pack has no {REPORT}")),
    }
    verdict
}

fn kind_word(kind: PackKind) -> &'static str {
    match kind {
        PackKind::Change => "change",
        PackKind::Workflow => "workflow",
    }
}

fn check_files(verdict: &mut Verdict, manifest: &Manifest, files: &BTreeMap<String, Vec<u8>>) {
    let mut problems = Vec::new();
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for entry in &manifest.files {
        match files.get(&entry.path) {
            None => problems.push(format!("{} is listed but not in the pack", entry.path)),
            Some(bytes) if sha256(bytes) != entry.sha256 => problems.push(format!(
                "{} does not hash to {} (it hashes to {})",
                entry.path,
                entry.sha256,
                sha256(bytes)
            )),
            Some(_) => {}
        }
    }
    for name in files.keys() {
        if ![MANIFEST, CHECKPOINT, REPORT].contains(&name.as_str())
            && !listed.contains(name.as_str())
        {
            problems.push(format!(
                "{name} is in the pack but not listed in the manifest"
            ));
        }
    }
    verdict.all(
        "files",
        problems,
        format!("{} files hash as listed", manifest.files.len()),
    );
}

fn decode_hash(text: &str) -> Option<Hash> {
    B64.decode(text).ok()?.try_into().ok()
}

/// Proves each event in the checkpoint's tree; returns the proven ones by sequence number.
fn check_events(
    verdict: &mut Verdict,
    manifest: &Manifest,
    checkpoint: &Checkpoint,
) -> BTreeMap<i64, ParsedEvent> {
    let mut proven = BTreeMap::new();
    let mut problems = Vec::new();
    for event in &manifest.events {
        let Some(parsed) = ParsedEvent::parse(&event.bytes) else {
            problems.push(format!(
                "event {}: its bytes are not a ledger event",
                event.seq
            ));
            continue;
        };
        if parsed.seq != event.seq {
            problems.push(format!(
                "event {}: its bytes are event {}",
                event.seq, parsed.seq
            ));
            continue;
        }
        let Some(index) = u64::try_from(event.seq - 1).ok() else {
            problems.push(format!("event {}: not a sequence number", event.seq));
            continue;
        };
        let Some(proof) = event
            .proof
            .iter()
            .map(|h| decode_hash(h))
            .collect::<Option<Vec<Hash>>>()
        else {
            problems.push(format!(
                "event {}: its proof is not base64 hashes",
                event.seq
            ));
            continue;
        };
        let leaf = merkle::leaf_hash(event.bytes.as_bytes());
        if let Err(error) =
            merkle::verify_inclusion(&leaf, index, checkpoint.size, &proof, &checkpoint.root)
        {
            problems.push(format!(
                "event {} ({} on {}) is not in the signed tree: {error}",
                event.seq, parsed.action, parsed.subject
            ));
            continue;
        }
        if proven.insert(event.seq, parsed).is_some() {
            problems.push(format!("event {} appears twice", event.seq));
        }
    }
    verdict.all(
        "ledger events",
        problems,
        format!(
            "{} events proven in the signed tree of {} events",
            proven.len(),
            checkpoint.size
        ),
    );
    proven
}

fn check_items(verdict: &mut Verdict, manifest: &Manifest, events: &BTreeMap<i64, ParsedEvent>) {
    let mut problems = Vec::new();
    let mut count = 0;
    for section in &manifest.sections {
        for item in &section.items {
            let Some(seq) = item.event else { continue };
            count += 1;
            let Some(event) = events.get(&seq) else {
                problems.push(format!(
                    "{} / {}: cites event {seq}, which the pack does not prove",
                    section.title, item.heading
                ));
                continue;
            };
            for (key, value) in &item.fields {
                if event.field(key).as_ref() != Some(value) {
                    problems.push(format!(
                        "{} / {}: {key} says {} but event {seq} says {}",
                        section.title,
                        item.heading,
                        value,
                        event.field(key).unwrap_or(Value::Null)
                    ));
                }
            }
        }
    }
    verdict.all(
        "manifest items",
        problems,
        format!("{count} items read exactly from their events"),
    );
}

/// What must hold of a change: each version's bytes are the ones the ledger hashed; the approval
/// was given by enough people, in the roles the settings required, none of them excluded, to
/// the bytes that were then queued and published.
fn check_change(
    verdict: &mut Verdict,
    manifest: &Manifest,
    events: &BTreeMap<i64, ParsedEvent>,
    files: &BTreeMap<String, Vec<u8>>,
) {
    let own: Vec<&ParsedEvent> = events
        .values()
        .filter(|e| e.subject == manifest.subject)
        .collect();
    let file_hash = |path: &str| files.get(path).map(|b| sha256(b));

    // Content and provenance of every version.
    let versions: Vec<&ParsedEvent> = own
        .iter()
        .copied()
        .filter(|e| e.action == "change.drafted" || e.action == "change.revised")
        .collect();
    let mut problems = Vec::new();
    let mut unrecorded = Vec::new();
    for event in &versions {
        let version = event
            .details
            .get("version")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let set = event.details.get("variants").and_then(Value::as_array);
        if let Some(variants) = set {
            problems.extend(check_set_files(version, variants, files));
        }
        let content = if set.is_some() {
            format!("content/v{version}/set.json")
        } else {
            format!("content/v{version}.txt")
        };
        match (event.detail_str("content_hash"), file_hash(&content)) {
            (Some(want), Some(got)) if want == got => {}
            (Some(want), Some(got)) => problems.push(format!(
                "version {version}: {content} hashes to {got}, the ledger recorded {want}"
            )),
            (_, None) => problems.push(format!("version {version}: {content} is missing")),
            (None, _) => problems.push(format!("version {version}: its event has no content hash")),
        }
        let provenance = format!("provenance/v{version}.json");
        match (event.detail_str("provenance_hash"), file_hash(&provenance)) {
            (Some(want), Some(got)) if want == got => {}
            (Some(want), Some(got)) => problems.push(format!(
                "version {version}: {provenance} hashes to {got}, the ledger recorded {want}"
            )),
            (Some(_), None) => problems.push(format!("version {version}: {provenance} is missing")),
            (None, _) => unrecorded.push(version),
        }
    }
    if versions.is_empty() {
        problems.push("the pack proves no version of the change".to_owned());
    }
    let note = if unrecorded.is_empty() {
        String::new()
    } else {
        format!(" (provenance of version(s) {unrecorded:?} predates its hash in the ledger and is not checked)")
    };
    verdict.all(
        "content",
        problems,
        format!(
            "{} version(s): content and provenance are the bytes the ledger hashed{note}",
            versions.len()
        ),
    );

    // Every access decision a version cited, bound by its digest.
    let mut problems = Vec::new();
    let mut cited = BTreeSet::new();
    for event in &versions {
        if let Some(ids) = event
            .details
            .get("access_decisions")
            .and_then(Value::as_array)
        {
            cited.extend(ids.iter().filter_map(Value::as_str).map(str::to_owned));
        }
    }
    for id in &cited {
        let subject = format!("decision:{id}");
        let Some(decided) = events
            .values()
            .find(|e| e.subject == subject && e.action == "access.decided")
        else {
            problems.push(format!(
                "decision {id} is cited but its event is not in the pack"
            ));
            continue;
        };
        let path = format!("decisions/{id}.jsonl");
        match (decided.detail_str("decision_digest"), file_hash(&path)) {
            (Some(want), Some(got)) if want == got => {}
            (_, None) => problems.push(format!("decision {id}: {path} is missing")),
            _ => problems.push(format!(
                "decision {id}: {path} is not the request and answer the ledger recorded"
            )),
        }
    }
    verdict.all(
        "access decisions",
        problems,
        format!(
            "{} cited decision(s): fields, subjects and answers as recorded",
            cited.len()
        ),
    );

    match own.iter().rev().find(|e| e.action == "change.pre_approved") {
        Some(pre) => check_pre_approval(verdict, events, &own, pre),
        None => check_approval(verdict, &own, &versions),
    }
}

/// A change approved by policy under a template: the pack proves the template's approval — the
/// `template.approved` event for the hash the pre-approval names, and a `template.signed_off`
/// approval of that hash by each person it names — and that what was queued and published is
/// the content the pre-approval names.
fn check_pre_approval(
    verdict: &mut Verdict,
    events: &BTreeMap<i64, ParsedEvent>,
    own: &[&ParsedEvent],
    pre: &ParsedEvent,
) {
    let template = pre.detail_str("template").unwrap_or_default();
    let template_hash = pre.detail_str("template_hash").unwrap_or_default();
    let subject = format!("template:{template}");
    let about: Vec<&ParsedEvent> = events.values().filter(|e| e.subject == subject).collect();
    let mut problems = Vec::new();
    let approved = about.iter().find(|e| {
        e.action == "template.approved"
            && e.detail_str("template_hash") == Some(template_hash)
            && e.seq < pre.seq
    });
    let names: Vec<&str> = pre
        .details
        .get("approved_by")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match approved {
        None => problems.push(format!(
            "the pack proves no approval of template {template} ({template_hash}) before the change"
        )),
        Some(approved) => {
            if names.is_empty() {
                problems.push("the pre-approval names nobody who approved the template".to_owned());
            }
            for name in &names {
                let signed = about.iter().any(|e| {
                    e.action == "template.signed_off"
                        && e.actor_label == *name
                        && e.detail_str("decision") == Some("approve")
                        && e.detail_str("template_hash") == Some(template_hash)
                        && e.seq <= approved.seq
                });
                if !signed {
                    problems.push(format!(
                        "{name} is named as approving the template but the pack proves no such sign-off"
                    ));
                }
            }
            if about
                .iter()
                .any(|e| e.action == "template.withdrawn" && e.seq < pre.seq)
            {
                problems.push(
                    "the template was withdrawn before the change was pre-approved".to_owned(),
                );
            }
        }
    }
    verdict.all(
        "quorum",
        problems,
        format!(
            "pre-approved under template “{}” ({template}), approved by {}",
            pre.detail_str("template_name").unwrap_or_default(),
            names.join(" and ")
        ),
    );
    let hash = pre.detail_str("content_hash").unwrap_or_default();
    let hex = hash.trim_start_matches("sha256:");
    let mut problems = Vec::new();
    for event in own.iter().filter(|e| e.seq > pre.seq) {
        match event.action.as_str() {
            "change.publish_queued" if event.detail_str("content_hash") != Some(hash) => {
                problems.push(format!(
                    "event {} queued other content than {hash}",
                    event.seq
                ));
            }
            "change.published" if event.detail_str("content_sha256") != Some(hex) => {
                problems.push(format!(
                    "event {}: the system received other content than {hash}",
                    event.seq
                ));
            }
            _ => {}
        }
    }
    verdict.all(
        "published content",
        problems,
        format!("the content the template's approval covered ({hash})"),
    );
}

/// A variant set's files: its manifest lists exactly the variants the ledger recorded, and
/// each variant's file is the bytes its recorded hash names.
fn check_set_files(
    version: i64,
    variants: &[Value],
    files: &BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let manifest_path = format!("content/v{version}/set.json");
    let listed: Vec<(String, String)> = files
        .get(&manifest_path)
        .and_then(|bytes| serde_json::from_slice::<Value>(bytes).ok())
        .and_then(|m| m.get("variants").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .map(|v| {
            let field = |k: &str| {
                v.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            (field("name"), format!("sha256:{}", field("sha256")))
        })
        .collect();
    let recorded: Vec<(String, String)> = variants
        .iter()
        .map(|v| {
            let field = |k: &str| {
                v.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            (field("name"), field("content_hash"))
        })
        .collect();
    if listed != recorded {
        problems.push(format!(
            "version {version}: {manifest_path} does not list the variants the ledger recorded"
        ));
    }
    for (name, want) in &recorded {
        let path = format!("content/v{version}/{name}.txt");
        match files.get(&path).map(|b| sha256(b)) {
            Some(got) if &got == want => {}
            Some(got) => problems.push(format!(
                "version {version}: {path} hashes to {got}, the ledger recorded {want}"
            )),
            None => problems.push(format!("version {version}: {path} is missing")),
        }
    }
    problems
}

fn check_approval(verdict: &mut Verdict, own: &[&ParsedEvent], versions: &[&ParsedEvent]) {
    // A set is published variant by variant, each confirmed by its own receipt.
    let published: Vec<&&ParsedEvent> = own
        .iter()
        .filter(|e| {
            e.action == "change.variant_published"
                || (e.action == "change.published" && e.details.get("set_sha256").is_none())
        })
        .collect();
    let Some(approved) = own.iter().rev().find(|e| e.action == "change.approved") else {
        if published.is_empty() {
            verdict.pass(
                "approval",
                "the change was not approved; nothing was published",
            );
        } else {
            verdict.fail(
                "approval",
                "the change was published but the pack proves no approval",
            );
        }
        return;
    };
    let hash = approved
        .detail_str("content_hash")
        .unwrap_or_default()
        .to_owned();
    // The sign-offs that stood for this content: given after it was last submitted.
    let submitted = versions
        .iter()
        .filter(|v| v.seq < approved.seq && v.detail_str("content_hash") == Some(hash.as_str()))
        .map(|v| v.seq)
        .max()
        .unwrap_or(0);
    let signoffs: Vec<&&ParsedEvent> = own
        .iter()
        .filter(|e| {
            e.action == "change.signed_off"
                && e.seq > submitted
                && e.seq < approved.seq
                && e.detail_str("decision") == Some("approve")
                && e.detail_str("content_hash") == Some(hash.as_str())
        })
        .collect();
    let mut problems = Vec::new();
    let mut counted: BTreeSet<String> = BTreeSet::new();
    let roles = approved
        .details
        .get("signoffs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if roles.is_empty() {
        problems.push("the approval names no sign-off rule".to_owned());
    }
    let mut summary = Vec::new();
    for rule in &roles {
        let role = rule.get("role").and_then(Value::as_str).unwrap_or_default();
        let need = rule.get("need").and_then(Value::as_u64).unwrap_or(u64::MAX);
        let approvals: Vec<&str> = rule
            .get("approvals")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut have = 0u64;
        for person in approvals {
            if !counted.insert(person.to_owned()) {
                problems.push(format!("{person} is counted twice"));
                continue;
            }
            if signoffs
                .iter()
                .any(|s| s.actor_ref == person && s.detail_str("role") == Some(role))
            {
                have += 1;
            } else {
                problems.push(format!(
                    "{person} is counted as a {role} approval but the pack proves no such sign-off of {hash}"
                ));
            }
        }
        if have < need {
            problems.push(format!(
                "{role}: {have} proven approval(s), {need} required"
            ));
        }
        summary.push(format!("{role} {have}/{need}"));
    }
    verdict.all(
        "quorum",
        problems,
        format!("met by distinct people: {}", summary.join(", ")),
    );

    match approved
        .details
        .get("excluded_signers")
        .and_then(Value::as_array)
    {
        Some(excluded) => {
            let excluded: BTreeSet<&str> = excluded.iter().filter_map(Value::as_str).collect();
            let problems: Vec<String> = counted
                .iter()
                .filter(|p| excluded.contains(p.as_str()))
                .map(|p| format!("{p} approved but separation of duties excluded them"))
                .collect();
            verdict.all(
                "separation of duties",
                problems,
                format!("no approver among the {} people excluded", excluded.len()),
            );
        }
        None => verdict.pass(
            "separation of duties",
            "not recorded by the console version that approved this change; not checked",
        ),
    }

    let mut problems = Vec::new();
    for queued in own
        .iter()
        .filter(|e| e.action == "change.publish_queued" && e.seq > approved.seq)
    {
        if queued.detail_str("content_hash") != Some(hash.as_str()) {
            problems.push(format!(
                "event {} queued {} for publishing, not the signed {hash}",
                queued.seq,
                queued.detail_str("content_hash").unwrap_or("nothing")
            ));
        }
    }
    let hex = hash.trim_start_matches("sha256:");
    // The bytes each variant of the approved set was signed for, by name.
    let signed_variants: BTreeMap<String, String> = versions
        .iter()
        .filter(|v| v.detail_str("content_hash") == Some(hash.as_str()))
        .filter_map(|v| v.details.get("variants").and_then(Value::as_array))
        .flatten()
        .filter_map(|v| {
            Some((
                v.get("name")?.as_str()?.to_owned(),
                v.get("content_hash")?
                    .as_str()?
                    .trim_start_matches("sha256:")
                    .to_owned(),
            ))
        })
        .collect();
    for event in &published {
        let want = match event.detail_str("variant") {
            Some(name) => signed_variants.get(name).map(String::as_str),
            None => Some(hex),
        };
        if want.is_none() || event.detail_str("content_sha256") != want {
            problems.push(format!(
                "event {}: the system received {}, not the signed {hash}",
                event.seq,
                event
                    .detail_str("content_sha256")
                    .unwrap_or("unconfirmed content")
            ));
        }
        if event.seq < approved.seq {
            problems.push(format!(
                "event {}: published before the approval",
                event.seq
            ));
        }
    }
    verdict.all(
        "published content",
        problems,
        if published.is_empty() {
            format!("approved {hash}; not published")
        } else {
            format!("the system confirmed receiving the signed bytes ({hash})")
        },
    );
}
