//! Evidence packs: the ledger events behind a change (or a workflow), the exact bytes they name
//! by hash, their inclusion proofs and a signed checkpoint covering them, with a report for
//! people — one tar an auditor checks offline with `countersign-verify`. The same request for
//! the same state gives the same bytes: nothing in a pack depends on when it was made, and the
//! checkpoint is the first one that covers its events.

use super::Services;
use crate::actor::Actor;
use crate::domain::{SystemId, WorkflowId};
use crate::error::{CoreError, CoreResult};
use crate::ledger::StoredEvent;
use crate::policy::{Action, Resource};
use crate::store::StoredCheckpoint;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use countersign_evidence::manifest::{ParsedEvent, CHECKPOINT, FORMAT, MANIFEST, REPORT};
use countersign_evidence::{
    report, sha256, tar, FileEntry, Item, LogInfo, Manifest, PackKind, ProvenEvent, Section,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A pack, ready to download.
#[derive(Debug, Clone)]
pub struct EvidencePack {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub events: usize,
}

/// Which section an event belongs in, and its heading there.
struct Placement {
    section: &'static str,
    heading: String,
}

const SECTIONS: [(&str, &str, &str); 10] = [
    ("versions", "Drafts and versions", "Each version as submitted: its content hash, model and the data it cites. The content and full provenance are files of this pack, bound to these events by their hashes."),
    ("decisions", "Access decisions cited", "What the drafting step was allowed to read, for which purpose and subjects. The full request and answer (fields, subjects, legal standing) are files of this pack, bound by their digests."),
    ("claims", "Claims", "Claims found or marked in the content, and legal reviewers' judgments."),
    ("signoffs", "Sign-offs and the approval", "Every sign-off with its role, verdict, comment and review signals, and the decision they led to with the rule it applied and who separation of duties excluded."),
    ("rollback", "Rollback plan", "How the change is undone, as recorded."),
    ("publication", "Publication and rollback", "What was queued, what the connected system confirmed receiving (its receipt), and any rollback."),
    ("definition", "Workflow definition", "How the workflow was defined and changed: steps, grants, activation and every drift review."),
    ("identities", "Identities and owners", "The identities that perform the workflow's steps: registration, owners and lifecycle."),
    ("drills", "Drills and revocations", "Revocation drills of the workflow's connected systems and every revocation of the workflow."),
    ("changes", "Changes", "Each change drafted in the workflow and how it ended."),
];

fn placement(event: &ParsedEvent) -> Option<Placement> {
    let detail = |key: &str| event.detail_str(key).unwrap_or_default().to_owned();
    let (section, heading) = match event.action.as_str() {
        "change.drafted" => ("versions", "Version 1 drafted".to_owned()),
        "change.revised" => (
            "versions",
            format!(
                "Version {} submitted",
                event.details.get("version").cloned().unwrap_or(Value::Null)
            ),
        ),
        "access.decided" => (
            "decisions",
            format!("Decision {}", event.subject.trim_start_matches("decision:")),
        ),
        action if action.starts_with("claim.") => ("claims", action.replace("claim.", "Claim ")),
        "change.signed_off" => (
            "signoffs",
            format!(
                "Signed off as {}: {}",
                detail("role"),
                detail("decision").replace('_', " ")
            ),
        ),
        "change.approved" => ("signoffs", "Approved".to_owned()),
        "change.rejected" => ("signoffs", "Rejected".to_owned()),
        "change.changes_requested" => ("signoffs", "Changes requested".to_owned()),
        "change.rollback_plan" => ("rollback", "Rollback plan".to_owned()),
        action if action.starts_with("change.") => (
            "publication",
            action.replace("change.", "").replace('_', " "),
        ),
        action if action.starts_with("workflow.revo") => (
            "drills",
            action.replace("workflow.", "Workflow ").replace('_', " "),
        ),
        action if action.starts_with("workflow.") => (
            "definition",
            action.replace("workflow.", "").replace('_', " "),
        ),
        action if action.starts_with("system.drill_") => {
            ("drills", action.replace("system.", "").replace('_', " "))
        }
        action if action.starts_with("identity.") => (
            "identities",
            action.replace("identity.", "Identity ").replace('_', " "),
        ),
        _ => return None,
    };
    Some(Placement { section, heading })
}

/// A pack's parts before they are proven and packed.
struct Draft {
    kind: PackKind,
    subject: String,
    title: String,
    name: String,
    events: Vec<StoredEvent>,
    /// Events shown in the `changes` section rather than where their action belongs.
    summarised: BTreeSet<i64>,
    files: Vec<(FileEntry, Vec<u8>)>,
    /// Items stated by the console (not ledger events), by section.
    stated: Vec<(&'static str, Item)>,
    /// Which file each event's item is about.
    files_of: BTreeMap<i64, String>,
}

impl Services {
    /// The evidence pack of a change.
    #[tracing::instrument(skip_all, fields(change = change_id))]
    pub async fn change_evidence(
        &self,
        actor: &Actor,
        change_id: &str,
    ) -> CoreResult<EvidencePack> {
        self.authorize(actor, Action::ExportEvidence, &Resource::Ledger)?;
        let change = self
            .store
            .change(change_id)
            .await?
            .ok_or(CoreError::NotFound("change"))?;
        let versions = self.store.change_versions(change_id).await?;
        let workflow = self.store.workflow(change.workflow).await?;
        let mut decisions: BTreeSet<String> = BTreeSet::new();
        let mut files = Vec::new();
        let mut stated = Vec::new();
        for version in &versions {
            decisions.extend(version.provenance.access_decisions.iter().cloned());
            if version.is_set() {
                let v = version.version;
                files.push(file(
                    &format!("content/v{v}/set.json"),
                    format!("Version {v}'s variant set: the manifest its sign-offs name by hash"),
                    crate::domain::set_manifest(&version.variants).into_bytes(),
                ));
                for variant in &version.variants {
                    files.push(file(
                        &format!("content/v{v}/{}.txt", variant.name),
                        format!("Version {v}, variant {}, exactly as hashed", variant.name),
                        variant.content.text.as_bytes().to_vec(),
                    ));
                }
            } else {
                let content = format!("content/v{}.txt", version.version);
                files.push(file(
                    &content,
                    format!("Version {}'s content, exactly as hashed", version.version),
                    version.content.text.as_bytes().to_vec(),
                ));
            }
            let provenance = format!("provenance/v{}.json", version.version);
            let canonical = version.provenance.canonical();
            files.push(file(
                &provenance,
                format!("Version {}'s provenance (canonical JSON)", version.version),
                canonical.into_bytes(),
            ));
            let p = &version.provenance;
            stated.push((
                "versions",
                Item {
                    heading: format!("Version {} content and provenance", version.version),
                    event: None,
                    fields: BTreeMap::from([
                        (
                            "model".to_owned(),
                            json!(format!("{} {}", p.model, p.model_version)),
                        ),
                        ("prompt".to_owned(), json!(p.prompt)),
                        ("data_sources".to_owned(), json!(p.data_sources)),
                        (
                            "legal_bases".to_owned(),
                            json!(p
                                .legal_bases
                                .iter()
                                .map(|(d, b)| format!("{d}: {b}"))
                                .collect::<Vec<_>>()),
                        ),
                        ("tool_calls".to_owned(), json!(p.tool_calls.len())),
                    ]),
                    file: Some(provenance),
                },
            ));
        }
        for id in &decisions {
            if let Some(row) = self.store.access_decision(id).await? {
                let record = format!("{}\n{}", row.request_json, row.response_json);
                files.push(file(
                    &format!("decisions/{id}.jsonl"),
                    format!("Decision {id}: the request and the answer, one JSON line each"),
                    record.into_bytes(),
                ));
            }
        }
        let mut subjects = vec![format!("change:{change_id}")];
        // A change approved under a template proves the template's own approval.
        let template_subject = self
            .store
            .template_use(change_id)
            .await?
            .map(|u| format!("template:{}", u.template_id));
        subjects.extend(template_subject.clone());
        subjects.extend(decisions.iter().map(|id| format!("decision:{id}")));
        if let Some(workflow) = &workflow {
            subjects.push(workflow.id.reference());
            subjects.extend(
                systems_of(workflow, Some(change.target_system))
                    .iter()
                    .map(SystemId::reference),
            );
        } else {
            subjects.push(change.target_system.reference());
        }
        let change_subject = format!("change:{change_id}");
        let events: Vec<StoredEvent> = self
            .store
            .events_about(&subjects)
            .await?
            .into_iter()
            .filter(|e| {
                e.subject == change_subject
                    || Some(&e.subject) == template_subject.as_ref()
                    || e.action == "access.decided"
                    || e.action.starts_with("system.drill_")
                    || e.action.starts_with("workflow.revo")
            })
            .collect();
        let mut files_of = BTreeMap::new();
        for event in &events {
            if let Some(parsed) =
                ParsedEvent::parse(&String::from_utf8_lossy(&event.hashed_bytes()))
            {
                let version = parsed.details.get("version").and_then(Value::as_i64);
                match event.action.as_str() {
                    "change.drafted" | "change.revised" => {
                        let set = parsed.details.get("variants").is_some_and(Value::is_array);
                        if let Some(v) = version {
                            files_of.insert(
                                event.seq,
                                if set {
                                    format!("content/v{v}/set.json")
                                } else {
                                    format!("content/v{v}.txt")
                                },
                            );
                        }
                    }
                    "access.decided" => {
                        files_of.insert(
                            event.seq,
                            format!(
                                "decisions/{}.jsonl",
                                event.subject.trim_start_matches("decision:")
                            ),
                        );
                    }
                    _ => {}
                }
            }
        }
        stated.insert(
            0,
            (
                "versions",
                Item {
                    heading: "The change now".to_owned(),
                    event: None,
                    fields: BTreeMap::from([
                        ("title".to_owned(), json!(change.title)),
                        ("status".to_owned(), json!(change.status.as_str())),
                        ("tier".to_owned(), json!(change.tier)),
                        (
                            "workflow".to_owned(),
                            json!(workflow
                                .as_ref()
                                .map(|w| w.name.clone())
                                .unwrap_or_default()),
                        ),
                        ("current_version".to_owned(), json!(change.current_version)),
                        ("current_hash".to_owned(), json!(change.current_hash)),
                        (
                            "target".to_owned(),
                            json!(format!(
                                "{} {}",
                                change.target_system.reference(),
                                change.target_ref
                            )),
                        ),
                    ]),
                    file: None,
                },
            ),
        );
        self.pack(Draft {
            kind: PackKind::Change,
            subject: change_subject,
            title: change.title.clone(),
            name: format!("change-{change_id}"),
            events,
            summarised: BTreeSet::new(),
            files,
            stated,
            files_of,
        })
        .await
    }

    /// The evidence pack of a workflow: its definition history, the identities that perform it
    /// and their owners, its drills and revocations, and how each of its changes ended.
    #[tracing::instrument(skip_all, fields(workflow = %id))]
    pub async fn workflow_evidence(
        &self,
        actor: &Actor,
        id: WorkflowId,
    ) -> CoreResult<EvidencePack> {
        self.authorize(actor, Action::ExportEvidence, &Resource::Ledger)?;
        let workflow = self
            .store
            .workflow(id)
            .await?
            .ok_or(CoreError::NotFound("workflow"))?;
        let changes = self.store.change_ids_in_workflow(id).await?;
        let mut subjects = vec![id.reference()];
        subjects.extend(systems_of(&workflow, None).iter().map(SystemId::reference));
        for step in &workflow.steps {
            if let crate::domain::Performer::Nhi(nhi) = step.performer {
                subjects.push(nhi.reference());
            }
        }
        subjects.extend(changes.iter().map(|c| format!("change:{c}")));
        let summary = [
            "change.drafted",
            "change.approved",
            "change.rejected",
            "change.published",
            "change.publish_failed",
            "change.rolled_back",
        ];
        let mut summarised = BTreeSet::new();
        let events: Vec<StoredEvent> = self
            .store
            .events_about(&subjects)
            .await?
            .into_iter()
            .filter(|e| {
                if e.subject.starts_with("change:") {
                    return summary.contains(&e.action.as_str());
                }
                e.action.starts_with("workflow.")
                    || e.action.starts_with("identity.")
                    || e.action.starts_with("system.drill_")
            })
            .inspect(|e| {
                if e.subject.starts_with("change:") {
                    summarised.insert(e.seq);
                }
            })
            .collect();
        let stated = vec![(
            "definition",
            Item {
                heading: "The workflow now".to_owned(),
                event: None,
                fields: BTreeMap::from([
                    ("name".to_owned(), json!(workflow.name)),
                    ("purpose".to_owned(), json!(workflow.purpose)),
                    ("state".to_owned(), json!(workflow.state.as_str())),
                    ("tier".to_owned(), json!(workflow.tier.number())),
                    (
                        "steps".to_owned(),
                        json!(workflow
                            .steps
                            .iter()
                            .map(|s| format!("{} ({})", s.name, s.kind.as_str()))
                            .collect::<Vec<_>>()),
                    ),
                    ("changes".to_owned(), json!(changes.len())),
                ]),
                file: None,
            },
        )];
        self.pack(Draft {
            kind: PackKind::Workflow,
            subject: id.reference(),
            title: workflow.name.clone(),
            name: format!("workflow-{id}"),
            events,
            summarised,
            files: Vec::new(),
            stated,
            files_of: BTreeMap::new(),
        })
        .await
    }

    /// The first checkpoint whose tree holds event `seq`, signing one now if none does yet.
    async fn checkpoint_covering(&self, seq: i64) -> CoreResult<StoredCheckpoint> {
        let size = u64::try_from(seq).unwrap_or(0).max(1);
        if let Some(found) = self.store.checkpoint_covering(size).await? {
            return Ok(found);
        }
        if self.log_key.is_none() {
            return Err(CoreError::Conflict(
                "evidence packs need the log key, and this console has none configured".to_owned(),
            ));
        }
        self.checkpoint_ledger().await?;
        self.store.checkpoint_covering(size).await?.ok_or_else(|| {
            CoreError::Conflict(
                "no checkpoint covers these events yet; try again in a minute".to_owned(),
            )
        })
    }

    async fn pack(&self, draft: Draft) -> CoreResult<EvidencePack> {
        let newest = draft.events.iter().map(|e| e.seq).max().unwrap_or(1);
        let checkpoint = self.checkpoint_covering(newest).await?;
        let key = self
            .log_verifier()
            .ok_or_else(|| CoreError::Conflict("no log key is configured".to_owned()))?;
        let mut sections: Vec<Section> = SECTIONS
            .iter()
            .map(|(id, title, note)| Section {
                id: (*id).to_owned(),
                title: (*title).to_owned(),
                note: (*note).to_owned(),
                items: Vec::new(),
            })
            .collect();
        for (section, item) in draft.stated {
            if let Some(s) = sections.iter_mut().find(|s| s.id == section) {
                s.items.push(item);
            }
        }
        let mut proven = Vec::with_capacity(draft.events.len());
        for event in &draft.events {
            let bytes = String::from_utf8(event.hashed_bytes())
                .map_err(|_| CoreError::Conflict(format!("event {} is not text", event.seq)))?;
            let Some(parsed) = ParsedEvent::parse(&bytes) else {
                continue;
            };
            if let Some(place) = placement(&parsed) {
                let keys: Vec<String> = parsed
                    .details
                    .as_object()
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default();
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                let section = if draft.summarised.contains(&event.seq) {
                    "changes"
                } else {
                    place.section
                };
                let heading = if section == "changes" {
                    format!(
                        "{} — {}",
                        event.subject.trim_start_matches("change:"),
                        place.heading
                    )
                } else {
                    place.heading
                };
                let mut item = Item::from_event(heading, &parsed, &keys);
                item.file = draft.files_of.get(&event.seq).cloned();
                if let Some(s) = sections.iter_mut().find(|s| s.id == section) {
                    s.items.push(item);
                }
            }
            let proof = self
                .log_inclusion_proof(event.seq, checkpoint.tree_size)
                .await?;
            proven.push(ProvenEvent {
                seq: event.seq,
                bytes,
                proof: proof.iter().map(|h| B64.encode(h)).collect(),
            });
        }
        sections.retain(|s| !s.items.is_empty());
        let mut files = draft.files;
        files.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            kind: draft.kind,
            subject: draft.subject,
            title: draft.title,
            log: LogInfo {
                origin: checkpoint.key_name.clone(),
                public_key: key.to_string(),
                tree_size: checkpoint.tree_size,
                root_hash: B64.encode(checkpoint.root_hash),
            },
            in_force: self.in_force(),
            sections,
            files: files.iter().map(|(entry, _)| entry.clone()).collect(),
            events: proven,
        };
        let mut note = checkpoint.note.clone();
        for line in self.store.cosignatures(checkpoint.tree_size).await? {
            note.push_str(&line);
            if !line.ends_with('\n') {
                note.push('\n');
            }
        }
        let html = report::render(&manifest);
        let mut entries = vec![
            (MANIFEST.to_owned(), manifest.to_bytes()),
            (REPORT.to_owned(), html.into_bytes()),
            (CHECKPOINT.to_owned(), note.into_bytes()),
        ];
        entries.extend(files.into_iter().map(|(entry, bytes)| (entry.path, bytes)));
        let bytes = tar::write(&entries)
            .map_err(|e| CoreError::Conflict(format!("the pack cannot be written: {e}")))?;
        Ok(EvidencePack {
            file_name: format!(
                "countersign-evidence-{}-{}.tar",
                draft.name, checkpoint.tree_size
            ),
            bytes,
            events: manifest.events.len(),
        })
    }

    /// The policy and the settings in force, by hash, with what an auditor reads of them.
    fn in_force(&self) -> BTreeMap<String, Value> {
        let settings = json!({
            "signoffs_by_tier": serde_json::to_value(&self.settings.signoffs).unwrap_or_default(),
            "signoff_lifetime_hours": self.settings.signoff_lifetime.num_hours(),
            "token_lifetime_seconds": self.settings.token_lifetime.num_seconds(),
            "drill_validity_days": self.settings.drill_validity.num_days(),
            "reauth_window_minutes": self.settings.reauth_window.num_minutes(),
        });
        let canonical = crate::ledger::canonical_json(&settings);
        BTreeMap::from([
            ("policy_sha256".to_owned(), json!(self.policy().digest())),
            (
                "settings_sha256".to_owned(),
                json!(sha256(canonical.as_bytes())),
            ),
            ("settings".to_owned(), json!(canonical)),
        ])
    }
}

fn file(path: &str, about: String, bytes: Vec<u8>) -> (FileEntry, Vec<u8>) {
    (
        FileEntry {
            path: path.to_owned(),
            sha256: sha256(&bytes),
            about,
        },
        bytes,
    )
}

/// The connected systems a workflow's steps read from or publish to.
fn systems_of(workflow: &crate::domain::Workflow, also: Option<SystemId>) -> Vec<SystemId> {
    let mut systems: BTreeSet<SystemId> = workflow
        .steps
        .iter()
        .filter_map(|s| s.grant.system)
        .collect();
    systems.extend(also);
    systems.into_iter().collect()
}
