//! The framework map, live: the facts behind each control measured now (console-wide, or for one
//! workflow), judged by `domain::compliance`, and exported as CSV and as an OSCAL
//! assessment-results document.

use super::Services;
use crate::actor::Actor;
use crate::domain::compliance::{self, control_status, Fact, FactId, Measurements, Status};
use crate::domain::{NhiState, Performer, SystemId, Workflow, WorkflowId, WorkflowState};
use crate::error::{CoreError, CoreResult};
use crate::policy::{Action, Resource};
use crate::store::NhiFilter;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// One control as assessed now.
#[derive(Debug, Clone)]
pub struct AssessedControl {
    pub framework: String,
    pub framework_title: String,
    pub id: String,
    pub title: String,
    pub mechanisms: Vec<String>,
    pub status: Status,
    pub facts: Vec<FactId>,
}

/// The map as of `at`, console-wide or for one workflow.
#[derive(Debug, Clone)]
pub struct ComplianceMap {
    pub at: DateTime<Utc>,
    /// The workflow the map is filtered to (id, name).
    pub scope: Option<(WorkflowId, String)>,
    pub facts: BTreeMap<FactId, Fact>,
    pub controls: Vec<AssessedControl>,
}

#[derive(serde::Deserialize)]
struct Answer {
    #[serde(default)]
    allowed_fields: Vec<String>,
}

impl Services {
    /// The framework map now; with `workflow`, only what concerns that workflow (its identities,
    /// systems, changes and reviews; the console's token lifetime, signals and ledger stay
    /// console-wide).
    #[tracing::instrument(skip_all)]
    pub async fn compliance_map(
        &self,
        actor: &Actor,
        workflow: Option<WorkflowId>,
    ) -> CoreResult<ComplianceMap> {
        self.authorize(actor, Action::ViewCompliance, &Resource::Console)?;
        let now = self.clock.now();
        let workflows = self.store.workflows().await?;
        let scope = match workflow {
            Some(id) => Some(
                workflows
                    .iter()
                    .find(|w| w.id == id)
                    .cloned()
                    .ok_or(CoreError::NotFound("workflow"))?,
            ),
            None => None,
        };
        let in_scope: Vec<&Workflow> = workflows
            .iter()
            .filter(|w| scope.as_ref().is_none_or(|s| s.id == w.id))
            .collect();
        let performers: BTreeSet<crate::domain::NhiId> = in_scope
            .iter()
            .flat_map(|w| w.steps.iter())
            .filter_map(|s| match s.performer {
                Performer::Nhi(id) => Some(id),
                _ => None,
            })
            .collect();
        let mut nhis = self.store.nhis(&NhiFilter::default()).await?;
        if scope.is_some() {
            nhis.retain(|n| performers.contains(&n.id));
        }
        nhis.retain(|n| n.state != NhiState::Revoked);
        let names: BTreeMap<String, String> = nhis
            .iter()
            .map(|n| (n.id.to_string(), n.name.clone()))
            .collect();
        let ms = crate::clock::to_millis;

        let mut m = Measurements {
            token_lifetime_secs: self.settings.token_lifetime.num_seconds(),
            log_key: self.log_key.is_some(),
            events: self.store.event_count().await?,
            ..Measurements::default()
        };
        m.orphaned = nhis
            .iter()
            .filter(|n| n.is_orphaned())
            .map(|n| n.name.clone())
            .collect();
        m.expiring = nhis
            .iter()
            .filter(|n| n.expires_at <= now + Duration::days(14))
            .map(|n| format!("{} ({})", n.name, n.expires_at.format("%Y-%m-%d")))
            .collect();
        let quiet_since = now - Duration::days(90);
        m.unused = nhis
            .iter()
            .filter(|n| n.last_used_at.unwrap_or(n.created_at) < quiet_since)
            .map(|n| n.name.clone())
            .collect();
        m.stale_secrets = self
            .store
            .secret_ages()
            .await?
            .into_iter()
            .filter(|(_, at)| *at < ms(quiet_since))
            .filter_map(|(id, _)| names.get(&id).cloned())
            .collect();

        // Granted fields in force against fields allowed in recent decisions.
        let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (nhi, answer) in self.store.recent_decision_answers(ms(quiet_since)).await? {
            if let Ok(answer) = serde_json::from_str::<Answer>(&answer) {
                used.entry(nhi).or_default().extend(answer.allowed_fields);
            }
        }
        let privileges = crate::domain::effective_privileges(&workflows);
        for nhi in &nhis {
            let Some(privilege) = privileges.get(&nhi.id) else {
                continue;
            };
            let granted: BTreeSet<&String> = privilege
                .in_force
                .values()
                .flat_map(|(_, fields)| fields.iter())
                .collect();
            let none = BTreeSet::new();
            let seen = used.get(&nhi.id.to_string()).unwrap_or(&none);
            let unused: Vec<String> = granted
                .into_iter()
                .filter(|f| !seen.contains(*f))
                .cloned()
                .collect();
            if !unused.is_empty() {
                m.overprivileged.push((nhi.name.clone(), unused));
            }
        }

        // Drills of the systems active workflows touch.
        let drills: BTreeMap<SystemId, crate::domain::Drill> = self
            .store
            .latest_drills()
            .await?
            .into_iter()
            .map(|d| (d.system_id, d))
            .collect();
        let systems: BTreeMap<SystemId, String> = self
            .store
            .systems()
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        for workflow in in_scope.iter().filter(|w| w.state == WorkflowState::Active) {
            let used: BTreeSet<SystemId> = workflow
                .steps
                .iter()
                .filter_map(|s| s.grant.system)
                .collect();
            for system in used {
                let why = match drills.get(&system) {
                    None => Some("never drilled"),
                    Some(d) if !d.passed => Some("last drill failed"),
                    Some(d) if d.started_at + self.settings.drill_validity < now => {
                        Some("drill overdue")
                    }
                    Some(_) => None,
                };
                if let Some(why) = why {
                    let name = systems
                        .get(&system)
                        .cloned()
                        .unwrap_or_else(|| system.to_string());
                    m.failed_drills
                        .push(format!("{}: {name} ({why})", workflow.name));
                }
            }
        }
        m.widenings = in_scope
            .iter()
            .filter(|w| w.state == WorkflowState::NeedsReview)
            .map(|w| w.name.clone())
            .collect();

        let month = now - Duration::days(30);
        let signoffs = self
            .store
            .recent_signoffs(ms(month), super::review_quality::MAX_REPORTED_SIGNOFFS)
            .await?;
        let report = match &scope {
            Some(workflow) => {
                let changes: BTreeSet<String> = self
                    .store
                    .change_ids_in_workflow(workflow.id)
                    .await?
                    .into_iter()
                    .collect();
                let mine: Vec<_> = signoffs
                    .into_iter()
                    .filter(|(s, _)| changes.contains(&s.change_id))
                    .collect();
                super::review_quality::summarise(month, &mine)
            }
            None => super::review_quality::summarise(month, &signoffs),
        };
        m.hasty_approvals = report.hasty.len();
        m.gate_bypass_signals = self
            .store
            .count_events_since("change.publish_blocked", ms(month))
            .await?;
        m.privilege_abuse_signals = self
            .store
            .count_events_since("authorization.denied", ms(month))
            .await?;
        m.checkpoint = self
            .store
            .latest_checkpoint()
            .await?
            .map(|c| (c.tree_size, (ms(now) - c.signed_at_ms) / 1000));

        let facts = compliance::judge(&m);
        let controls = compliance::catalogue()
            .frameworks
            .iter()
            .flat_map(|framework| {
                let facts = &facts;
                framework
                    .controls
                    .iter()
                    .map(move |control| AssessedControl {
                        framework: framework.id.clone(),
                        framework_title: framework.title.clone(),
                        id: control.id.clone(),
                        title: control.title.clone(),
                        mechanisms: control.mechanisms.clone(),
                        status: control_status(control, facts),
                        facts: control.facts.clone(),
                    })
            })
            .collect();
        Ok(ComplianceMap {
            at: now,
            scope: scope.map(|w| (w.id, w.name)),
            facts,
            controls,
        })
    }
}

impl ComplianceMap {
    /// One row per control: framework, control, title, status, mechanisms, facts.
    pub fn to_csv(&self) -> String {
        let mut out = csv::Writer::from_writer(Vec::new());
        let _ = out.write_record([
            "framework",
            "control",
            "title",
            "status",
            "mechanisms",
            "facts",
            "scope",
            "assessed_at",
        ]);
        let scope = self
            .scope
            .as_ref()
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| "console".to_owned());
        let at = self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        for control in &self.controls {
            let facts = control
                .facts
                .iter()
                .filter_map(|id| self.facts.get(id))
                .map(|f| format!("{}: {} ({})", f.id.as_str(), f.summary, f.status.as_str()))
                .collect::<Vec<_>>()
                .join("; ");
            // Fact items name identities and workflows: no cell runs as a formula.
            let safe = crate::spreadsheet::cell;
            let _ = out.write_record([
                control.framework.as_str(),
                control.id.as_str(),
                control.title.as_str(),
                control.status.as_str(),
                &safe(&control.mechanisms.join("; ")),
                &safe(&facts),
                &safe(&scope),
                &at,
            ]);
        }
        String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// A random (version 4) UUID: OSCAL accepts versions 4 and 5 only.
fn oscal_uuid() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The namespace of Countersign's OSCAL properties.
const OSCAL_NS: &str = "https://countersign.dev/ns/oscal";

impl ComplianceMap {
    /// The map as an OSCAL 1.2 assessment-results document: one result, an observation per
    /// fact (how it was measured and what it found), a finding per control with its status.
    pub fn to_oscal(&self) -> serde_json::Value {
        use serde_json::json;
        let at = self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let scope = match &self.scope {
            Some((_, name)) => format!("the workflow \u{201c}{name}\u{201d}"),
            None => "the whole console".to_owned(),
        };
        let observations: BTreeMap<FactId, (String, serde_json::Value)> = self
            .facts
            .values()
            .map(|fact| {
                let uuid = oscal_uuid();
                let mut description = fact.summary.clone();
                if !fact.items.is_empty() {
                    description.push_str(": ");
                    description.push_str(&fact.items.join("; "));
                }
                let observation = json!({
                    "uuid": uuid,
                    "title": fact.id.as_str(),
                    "description": description,
                    "props": [
                        { "name": "status", "ns": OSCAL_NS, "value": fact.status.as_str() },
                        { "name": "evidence-page", "ns": OSCAL_NS, "value": fact.link },
                    ],
                    "methods": ["TEST"],
                    "types": ["finding"],
                    "collected": at,
                });
                (fact.id, (uuid, observation))
            })
            .collect();
        let findings: Vec<serde_json::Value> = self
            .controls
            .iter()
            .map(|control| {
                let related: Vec<serde_json::Value> = control
                    .facts
                    .iter()
                    .filter_map(|id| observations.get(id))
                    .map(|(uuid, _)| json!({ "observation-uuid": uuid }))
                    .collect();
                let state = match control.status {
                    Status::Met | Status::ByDesign => "satisfied",
                    Status::Attention | Status::NotMet => "not-satisfied",
                };
                let mut finding = json!({
                    "uuid": oscal_uuid(),
                    "title": format!("{} {}", control.id, control.title),
                    "description": control.mechanisms.join(" "),
                    "props": [
                        { "name": "framework", "ns": OSCAL_NS, "value": control.framework },
                        { "name": "status", "ns": OSCAL_NS, "value": control.status.as_str() },
                    ],
                    "target": {
                        "type": "objective-id",
                        "target-id": format!("{}_{}", control.framework, control.id),
                        "status": { "state": state },
                    },
                });
                if !related.is_empty() {
                    finding["related-observations"] = json!(related);
                }
                finding
            })
            .collect();
        json!({
            "assessment-results": {
                "uuid": oscal_uuid(),
                "metadata": {
                    "title": format!("Countersign framework map: {scope}"),
                    "last-modified": at,
                    "version": at,
                    "oscal-version": "1.2.1",
                    "remarks": compliance::catalogue().about,
                },
                "import-ap": { "href": "#countersign-framework-map" },
                "results": [{
                    "uuid": oscal_uuid(),
                    "title": format!("Live assessment of {scope}"),
                    "description": "Each control's status is computed from facts Countersign measured at the time of the assessment: by design (addressed by how Countersign works), met, needs attention, or not met.",
                    "start": at,
                    "end": at,
                    "reviewed-controls": { "control-selections": [{ "include-all": {} }] },
                    "observations": observations.into_values().map(|(_, o)| o).collect::<Vec<_>>(),
                    "findings": findings,
                }],
            }
        })
    }
}
