//! Evidence packs, on SQLite and PostgreSQL, with the real reference system: a published and
//! rolled-back change's pack and a revoked workflow's pack verify offline against the log key,
//! the same request gives the same bytes, and each way of tampering with a pack is caught and
//! named by the verifier.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::Sandbox;
use crate::core_common::gate::{approve, Gate};
use crate::core_common::{self, signed_in, TestDb};
use countersign_core::domain::{ChangeStatus, Role};
use countersign_core::services::RevokeInput;
use countersign_core::{CoreError, Services};
use countersign_evidence::manifest::{Manifest, CHECKPOINT, MANIFEST, REPORT};
use countersign_evidence::{report, sha256, tar, verify_pack, Verdict};
use countersign_transparency::{SignerKey, VerifierKey};
use std::collections::BTreeMap;

struct World {
    services: Services,
    g: Gate,
    key: VerifierKey,
    _sandbox: Sandbox,
    _dir: tempfile::TempDir,
}

/// A change approved, published to the reference system and rolled back, on a console with a
/// log key.
async fn published_and_rolled_back(db: &TestDb) -> World {
    let crate::common::published::Publishing {
        services,
        g,
        key,
        sandbox,
        dir,
    } = crate::common::published::publishing(db, |s| s).await;
    approve(&services, &g, &g.change).await;
    assert_eq!(services.deliver_due_effects().await.unwrap(), 1);
    services
        .roll_back_change(&g.approver, &g.change.id, "wrong discount in the subject")
        .await
        .unwrap();
    assert_eq!(services.deliver_due_effects().await.unwrap(), 1);
    let status = services
        .store()
        .change(&g.change.id)
        .await
        .unwrap()
        .unwrap()
        .status;
    assert_eq!(status, ChangeStatus::RolledBack, "{}", db.name);
    World {
        services,
        g,
        key,
        _sandbox: sandbox,
        _dir: dir,
    }
}

fn failed(verdict: &Verdict) -> Vec<String> {
    verdict.failures().map(|c| c.name.clone()).collect()
}

pub(crate) fn explain(verdict: &Verdict) -> String {
    verdict
        .checks
        .iter()
        .map(|c| {
            format!(
                "{} {}: {}",
                if c.ok { "ok" } else { "FAIL" },
                c.name,
                c.detail
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn packs_of_a_rolled_back_change_and_a_revoked_workflow_verify_offline() {
    for db in core_common::both().await {
        let w = published_and_rolled_back(&db).await;
        let auditor = signed_in(&w.services, "audra", &[Role::Auditor]).await;

        let pack = w
            .services
            .change_evidence(&auditor, &w.g.change.id)
            .await
            .unwrap();
        let verdict = verify_pack(&pack.bytes, &w.key);
        assert!(verdict.passed(), "{}:\n{}", db.name, explain(&verdict));
        for check in [
            "quorum",
            "separation of duties",
            "published content",
            "content",
            "access decisions",
            "report",
        ] {
            assert!(
                verdict.checks.iter().any(|c| c.name == check && c.ok),
                "{}: {check} was checked\n{}",
                db.name,
                explain(&verdict)
            );
        }
        let files: BTreeMap<String, Vec<u8>> =
            tar::read(&pack.bytes).unwrap().into_iter().collect();
        let manifest: Manifest = serde_json::from_slice(&files[MANIFEST]).unwrap();
        let actions: Vec<String> = manifest
            .events
            .iter()
            .map(|e| e.bytes.lines().nth(1).unwrap().to_owned())
            .collect();
        for action in [
            "change.drafted",
            "change.signed_off",
            "change.approved",
            "change.published",
            "change.rolled_back",
            "access.decided",
            "claim.reviewed",
        ] {
            assert!(
                actions
                    .iter()
                    .any(|a| a.contains(&format!("\"action\":\"{action}\""))),
                "{}: the pack proves a {action} event",
                db.name
            );
        }
        let html = String::from_utf8(files[REPORT].clone()).unwrap();
        assert!(!html.contains("<script"), "a report runs nothing");
        assert!(html.contains("Sign-offs and the approval") && html.contains("Reads well."));

        // The same request for the same state: the same bytes.
        let again = w
            .services
            .change_evidence(&auditor, &w.g.change.id)
            .await
            .unwrap();
        assert_eq!(again.bytes, pack.bytes, "{}: reproducible", db.name);
        assert_eq!(again.file_name, pack.file_name);

        // Reviewers do not export packs: they carry customers' identifiers.
        let refused = w
            .services
            .change_evidence(&w.g.approver, &w.g.change.id)
            .await;
        assert!(matches!(refused, Err(CoreError::Denied(_))), "{refused:?}");
        let missing = w.services.change_evidence(&auditor, "no-such-change").await;
        assert!(
            matches!(missing, Err(CoreError::NotFound(_))),
            "{missing:?}"
        );

        let workflow = w.g.session.workflow.id;
        w.services
            .revoke_workflow(
                &w.g.session.chain.admin,
                workflow,
                RevokeInput {
                    reason: "The spring offer is withdrawn.".to_owned(),
                    revoke_identities: false,
                    roll_back_live: false,
                },
            )
            .await
            .unwrap();
        w.services.deliver_due_effects().await.unwrap();
        let pack = w
            .services
            .workflow_evidence(&auditor, workflow)
            .await
            .unwrap();
        let verdict = verify_pack(&pack.bytes, &w.key);
        assert!(verdict.passed(), "{}:\n{}", db.name, explain(&verdict));
        let files: BTreeMap<String, Vec<u8>> =
            tar::read(&pack.bytes).unwrap().into_iter().collect();
        let html = String::from_utf8(files[REPORT].clone()).unwrap();
        for section in [
            "Workflow definition",
            "Identities and owners",
            "Drills and revocations",
            "Changes",
        ] {
            assert!(html.contains(section), "{}: {section}", db.name);
        }
        assert!(html.contains("Workflow revoked"), "{}", db.name);
    }
}

/// A pack's files, changed by `edit`, packed again (with the report rendered anew when the
/// manifest changed, so that only the check under test can notice).
pub(crate) fn tampered(
    pack: &[u8],
    edit: impl FnOnce(&mut BTreeMap<String, Vec<u8>>, &mut Manifest),
) -> Vec<u8> {
    let mut files: BTreeMap<String, Vec<u8>> = tar::read(pack).unwrap().into_iter().collect();
    let mut manifest: Manifest = serde_json::from_slice(&files[MANIFEST]).unwrap();
    let before = manifest.clone();
    edit(&mut files, &mut manifest);
    if manifest != before {
        files.insert(MANIFEST.to_owned(), manifest.to_bytes());
        files.insert(REPORT.to_owned(), report::render(&manifest).into_bytes());
    }
    tar::write(&files.into_iter().collect::<Vec<_>>()).unwrap()
}

/// Replaces `file`'s bytes and the hash the manifest lists for it.
pub(crate) fn replace_file(
    files: &mut BTreeMap<String, Vec<u8>>,
    manifest: &mut Manifest,
    path: &str,
    bytes: Vec<u8>,
) {
    let entry = manifest.files.iter_mut().find(|f| f.path == path).unwrap();
    entry.sha256 = sha256(&bytes);
    files.insert(path.to_owned(), bytes);
}

fn event_with<'a>(
    manifest: &'a mut Manifest,
    action: &str,
) -> &'a mut countersign_evidence::ProvenEvent {
    manifest
        .events
        .iter_mut()
        .find(|e| e.bytes.contains(&format!("\"action\":\"{action}\"")))
        .unwrap()
}

#[tokio::test]
async fn every_tampering_is_caught_and_named() {
    let db = core_common::sqlite().await;
    let w = published_and_rolled_back(&db).await;
    let auditor = signed_in(&w.services, "audra", &[Role::Auditor]).await;
    let pack = w
        .services
        .change_evidence(&auditor, &w.g.change.id)
        .await
        .unwrap()
        .bytes;
    assert!(verify_pack(&pack, &w.key).passed());
    let versions = w
        .services
        .store()
        .change_versions(&w.g.change.id)
        .await
        .unwrap();
    let decision = versions[0].provenance.access_decisions[0].clone();

    type Edit = Box<dyn FnOnce(&mut BTreeMap<String, Vec<u8>>, &mut Manifest)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "the content's bytes, with the listed hash updated",
            Box::new(|files, m| {
                replace_file(
                    files,
                    m,
                    "content/v1.txt",
                    b"Hello, 90% off everything!".to_vec(),
                );
            }),
            "content",
        ),
        (
            "the content's bytes alone",
            Box::new(|files, _| {
                files.insert(
                    "content/v1.txt".to_owned(),
                    b"Hello, 90% off everything!".to_vec(),
                );
            }),
            "files",
        ),
        (
            "a legal basis in the provenance",
            Box::new(|files, m| {
                let text = String::from_utf8(files["provenance/v1.json"].clone()).unwrap();
                replace_file(
                    files,
                    m,
                    "provenance/v1.json",
                    text.replace("consent", "legitimate_interest").into_bytes(),
                );
            }),
            "content",
        ),
        (
            "the subjects of an access decision",
            Box::new(move |files, m| {
                let path = format!("decisions/{decision}.jsonl");
                let text = String::from_utf8(files[&path].clone()).unwrap();
                replace_file(files, m, &path, text.replace("crm-1", "crm-9").into_bytes());
            }),
            "access decisions",
        ),
        (
            "a sign-off's comment in its ledger event",
            Box::new(|_, m| {
                let event = event_with(m, "change.signed_off");
                event.bytes = event.bytes.replace("Reads well.", "Looks fine.");
            }),
            "ledger events",
        ),
        (
            "a sign-off's comment in the manifest",
            Box::new(|_, m| {
                let item = m
                    .sections
                    .iter_mut()
                    .flat_map(|s| s.items.iter_mut())
                    .find(|i| {
                        i.fields.get("comment").and_then(|c| c.as_str()) == Some("Reads well.")
                    })
                    .unwrap();
                item.fields.insert(
                    "comment".to_owned(),
                    serde_json::json!("Checked every claim."),
                );
            }),
            "manifest items",
        ),
        (
            "a sign-off left out",
            Box::new(|_, m| {
                let seq = event_with(m, "change.signed_off").seq;
                m.events.retain(|e| e.seq != seq);
                for section in &mut m.sections {
                    section.items.retain(|i| i.event != Some(seq));
                }
            }),
            "quorum",
        ),
        (
            "a hash in an inclusion proof",
            Box::new(|_, m| {
                let event = event_with(m, "change.approved");
                event.proof[0] = base64_of([7u8; 32]);
            }),
            "ledger events",
        ),
        (
            "an event's sequence number",
            Box::new(|_, m| {
                let event = event_with(m, "change.published");
                event.seq += 1;
            }),
            "ledger events",
        ),
        (
            "the signed checkpoint's root",
            Box::new(|files, _| {
                let note = String::from_utf8(files[CHECKPOINT].clone()).unwrap();
                let mut lines: Vec<String> = note.lines().map(str::to_owned).collect();
                lines[2] = base64_of([9u8; 32]);
                files.insert(
                    CHECKPOINT.to_owned(),
                    format!("{}\n", lines.join("\n")).into_bytes(),
                );
            }),
            "checkpoint signature",
        ),
        (
            "the report",
            Box::new(|files, _| {
                let html = String::from_utf8(files[REPORT].clone()).unwrap();
                files.insert(
                    REPORT.to_owned(),
                    html.replace("Reads well.", "Checked every claim.")
                        .into_bytes(),
                );
            }),
            "report",
        ),
        (
            "a file the manifest does not list",
            Box::new(|files, _| {
                files.insert("content/v9.txt".to_owned(), b"slipped in".to_vec());
            }),
            "files",
        ),
        (
            "the log key the manifest names",
            Box::new(|_, m| {
                m.log.public_key = SignerKey::generate("countersign.test/ledger")
                    .unwrap()
                    .verifier()
                    .to_string();
            }),
            "log",
        ),
    ];
    let mut missed = Vec::new();
    for (what, edit, check) in cases {
        let verdict = verify_pack(&tampered(&pack, edit), &w.key);
        let failures = failed(&verdict);
        if verdict.passed() || !failures.iter().any(|f| f == check) {
            missed.push(format!(
                "{what}: expected `{check}` to fail, got {failures:?}"
            ));
        }
    }
    // And the pack checked with another log's key.
    let other = SignerKey::generate("countersign.test/ledger")
        .unwrap()
        .verifier();
    let verdict = verify_pack(&pack, &other);
    assert_eq!(failed(&verdict), vec!["checkpoint signature"]);
    let verdict = verify_pack(&pack[..pack.len() / 2], &w.key);
    assert_eq!(failed(&verdict), vec!["archive"]);
    assert!(
        missed.is_empty(),
        "tamperings not caught:\n{}",
        missed.join("\n")
    );
}

fn base64_of(bytes: [u8; 32]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
