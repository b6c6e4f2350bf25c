//! Workflows as code: export every workflow as a [`WorkflowsFile`], and apply one back through
//! the same commands the console uses (define, change a step's grant, activate), so drift
//! rules, reviews and the ledger work exactly as they do for clicks. A plan is computed and
//! checked in full before anything is written: a file that names an unknown person, identity,
//! system or field, or asks for a change the console cannot make, writes nothing.

use super::{DefineWorkflow, Services};
use crate::actor::Actor;
use crate::domain::{
    risk_tier, Grant, GrantAction, GrantSpec, HumanId, Performer, Step, StepKind, StepSpec,
    Workflow, WorkflowSpec, WorkflowState, WorkflowsFile,
};
use crate::error::{CoreError, CoreResult};
use crate::policy::{Action, Resource};
use std::collections::{BTreeMap, BTreeSet};

/// A problem in the file, with where it is.
fn bad(at: &str, problem: impl Into<String>) -> CoreError {
    CoreError::invalid("file", format!("{at}: {}", problem.into()))
}

/// One thing `apply` would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedChange {
    Define {
        workflow: String,
        tier: i64,
        activate: bool,
    },
    Grant {
        workflow: String,
        step: String,
        tier_before: i64,
        tier_after: i64,
        /// A widening of a live workflow that raises its tier: it waits for a second security
        /// admin, and the narrower grant stays in force meanwhile.
        needs_review: bool,
        summary: String,
    },
    Activate {
        workflow: String,
    },
}

impl std::fmt::Display for PlannedChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlannedChange::Define {
                workflow,
                tier,
                activate,
            } => write!(
                f,
                "+ define \"{workflow}\" (tier {tier}){}",
                if *activate { ", then activate it" } else { "" }
            ),
            PlannedChange::Grant {
                workflow,
                step,
                tier_before,
                tier_after,
                needs_review,
                summary,
            } => write!(
                f,
                "~ \"{workflow}\" / \"{step}\": {summary}; tier {tier_before} -> {tier_after}{}",
                if *needs_review {
                    " (a widening of a live workflow: waits for a second security admin's review)"
                } else {
                    ""
                }
            ),
            PlannedChange::Activate { workflow } => write!(f, "> activate \"{workflow}\""),
        }
    }
}

/// Everything the file asks for, with ids resolved.
#[derive(Debug, Clone)]
pub struct WorkflowPlan {
    pub changes: Vec<PlannedChange>,
    /// Workflows the file leaves as they are.
    pub unchanged: Vec<String>,
    steps: Vec<Resolved>,
}

#[derive(Debug, Clone)]
enum Resolved {
    Define(DefineWorkflow, bool),
    Grant(crate::domain::WorkflowId, crate::domain::StepId, Grant),
    Activate(crate::domain::WorkflowId),
}

/// Names and ids of everything a file may name.
struct Directory {
    people: Vec<crate::domain::Human>,
    identities: BTreeMap<String, crate::domain::NhiId>,
    identity_names: BTreeMap<crate::domain::NhiId, String>,
    systems: BTreeMap<String, crate::domain::SystemId>,
    system_names: BTreeMap<crate::domain::SystemId, String>,
}

impl Directory {
    fn person_label(&self, id: HumanId) -> String {
        self.people
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.email.clone().unwrap_or_else(|| p.name.clone()))
            .unwrap_or_else(|| id.reference())
    }

    fn person(&self, at: &str, raw: &str) -> CoreResult<HumanId> {
        let wanted = raw.trim();
        let found: Vec<&crate::domain::Human> = self
            .people
            .iter()
            .filter(|p| {
                p.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(wanted))
                    || p.name == wanted
            })
            .collect();
        match found.as_slice() {
            [one] => Ok(one.id),
            [] => Err(bad(at, format!("no person \"{wanted}\""))),
            _ => Err(bad(
                at,
                format!("\"{wanted}\" names more than one person: use their email"),
            )),
        }
    }

    fn grant_spec(&self, grant: &Grant) -> GrantSpec {
        GrantSpec {
            system: grant.system.map(|s| {
                self.system_names
                    .get(&s)
                    .cloned()
                    .unwrap_or_else(|| s.reference())
            }),
            actions: grant
                .actions
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            fields: grant.fields.iter().cloned().collect(),
            purposes: grant.purposes.iter().cloned().collect(),
            human_review: grant.human_review,
        }
    }

    fn grant(&self, at: &str, spec: &GrantSpec) -> CoreResult<Grant> {
        let system = spec
            .system
            .as_deref()
            .map(|name| {
                self.systems.get(name.trim()).copied().ok_or_else(|| {
                    bad(
                        &format!("{at}.system"),
                        format!("no connected system \"{name}\""),
                    )
                })
            })
            .transpose()?;
        let actions = spec
            .actions
            .iter()
            .map(|a| {
                GrantAction::parse(a.trim()).ok_or_else(|| {
                    bad(
                        &format!("{at}.actions"),
                        format!(
                            "\"{a}\" is not one of {}",
                            GrantAction::ALL.map(|a| a.as_str()).join(", ")
                        ),
                    )
                })
            })
            .collect::<CoreResult<BTreeSet<_>>>()?;
        Ok(Grant {
            system,
            actions,
            fields: spec.fields.iter().map(|f| f.trim().to_owned()).collect(),
            purposes: spec.purposes.iter().map(|p| p.trim().to_owned()).collect(),
            human_review: spec.human_review,
        })
    }

    fn performer(&self, at: &str, raw: &str) -> CoreResult<Performer> {
        let raw = raw.trim();
        if raw == "publisher" {
            return Ok(Performer::Publisher);
        }
        if let Some(name) = raw.strip_prefix("identity:") {
            return self
                .identities
                .get(name.trim())
                .map(|id| Performer::Nhi(*id))
                .ok_or_else(|| bad(at, format!("no identity \"{}\"", name.trim())));
        }
        if let Some(person) = raw.strip_prefix("person:") {
            return self.person(at, person).map(Performer::Human);
        }
        Err(bad(
            at,
            format!("\"{raw}\" is not publisher, identity:<name> or person:<email>"),
        ))
    }

    fn performer_label(&self, performer: &Performer) -> String {
        match performer {
            Performer::Publisher => "publisher".to_owned(),
            Performer::Nhi(id) => format!(
                "identity:{}",
                self.identity_names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| id.reference())
            ),
            Performer::Human(id) => format!("person:{}", self.person_label(*id)),
        }
    }
}

/// What changed in a grant, in words.
fn grant_summary(before: &Grant, after: &Grant) -> String {
    let mut parts = Vec::new();
    let diff = |what: &str, old: Vec<String>, new: Vec<String>, parts: &mut Vec<String>| {
        let added: Vec<&String> = new.iter().filter(|x| !old.contains(x)).collect();
        let removed: Vec<&String> = old.iter().filter(|x| !new.contains(x)).collect();
        if !added.is_empty() {
            parts.push(format!(
                "adds {what} {}",
                added
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !removed.is_empty() {
            parts.push(format!(
                "removes {what} {}",
                removed
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    };
    diff(
        "actions",
        before
            .actions
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        after
            .actions
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        &mut parts,
    );
    diff(
        "fields",
        before.fields.iter().cloned().collect(),
        after.fields.iter().cloned().collect(),
        &mut parts,
    );
    diff(
        "purposes",
        before.purposes.iter().cloned().collect(),
        after.purposes.iter().cloned().collect(),
        &mut parts,
    );
    if before.system != after.system {
        parts.push("changes its system".to_owned());
    }
    if before.human_review != after.human_review {
        parts.push(if after.human_review {
            "adds human review".to_owned()
        } else {
            "removes human review".to_owned()
        });
    }
    parts.join("; ")
}

impl Services {
    /// The person the operator acts for at the server's command line (`--as EMAIL`): whoever
    /// runs commands there holds the database and its keys already; naming a person puts their
    /// name on every event and lets the policy judge their roles as for a click.
    pub async fn command_line_actor(&self, email: &str) -> CoreResult<Actor> {
        let person = self
            .store
            .humans()
            .await?
            .into_iter()
            .find(|p| {
                p.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email.trim()))
            })
            .ok_or_else(|| {
                CoreError::invalid(
                    "--as",
                    format!("no person with the email \"{}\"", email.trim()),
                )
            })?;
        Ok(Actor::Human {
            id: person.id,
            active: person.is_active(),
            name: person.name,
            roles: person.roles,
            authenticated_at_ms: Some(self.now_ms()),
        })
    }

    async fn directory(&self) -> CoreResult<Directory> {
        let nhis = self.store.nhis(&Default::default()).await?;
        let systems = self.store.systems().await?;
        Ok(Directory {
            people: self.store.humans().await?,
            identities: nhis.iter().map(|n| (n.name.clone(), n.id)).collect(),
            identity_names: nhis.iter().map(|n| (n.id, n.name.clone())).collect(),
            systems: systems.iter().map(|s| (s.name.clone(), s.id)).collect(),
            system_names: systems.iter().map(|s| (s.id, s.name.clone())).collect(),
        })
    }

    /// Every workflow, as a file `apply` reads back to no changes.
    pub async fn export_workflows(&self, actor: &Actor) -> CoreResult<WorkflowsFile> {
        self.authorize(actor, Action::ManageWorkflows, &Resource::Console)?;
        let directory = self.directory().await?;
        let mut workflows = self.store.workflows().await?;
        workflows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(WorkflowsFile {
            workflows: workflows
                .iter()
                .map(|w| WorkflowSpec {
                    name: w.name.clone(),
                    purpose: w.purpose.clone(),
                    owner: directory.person_label(w.owner),
                    state: w.state.as_str().to_owned(),
                    tier: Some(w.tier.number()),
                    steps: w
                        .steps
                        .iter()
                        .map(|s| StepSpec {
                            name: s.name.clone(),
                            kind: s.kind.as_str().to_owned(),
                            performer: directory.performer_label(&s.performer),
                            owner: s.owner.map(|o| directory.person_label(o)),
                            grant: directory.grant_spec(&s.grant),
                            awaiting_review: s
                                .pending_grant
                                .as_ref()
                                .map(|g| directory.grant_spec(g)),
                        })
                        .collect(),
                })
                .collect(),
        })
    }

    /// What applying `file` would do, every name resolved and every change checked; an error
    /// names the first problem (with where it is in the file).
    pub async fn plan_workflows(
        &self,
        actor: &Actor,
        file: &WorkflowsFile,
    ) -> CoreResult<WorkflowPlan> {
        self.authorize(actor, Action::ManageWorkflows, &Resource::Console)?;
        let directory = self.directory().await?;
        let existing: BTreeMap<String, Workflow> = self
            .store
            .workflows()
            .await?
            .into_iter()
            .map(|w| (w.name.clone(), w))
            .collect();
        let mut plan = WorkflowPlan {
            changes: Vec::new(),
            unchanged: Vec::new(),
            steps: Vec::new(),
        };
        let mut seen = BTreeSet::new();
        for (n, spec) in file.workflows.iter().enumerate() {
            let at = format!("workflow[{n}] \"{}\"", spec.name);
            if !seen.insert(spec.name.clone()) {
                return Err(bad(&at, "is in the file twice".to_owned()));
            }
            let activate = match spec.state.as_str() {
                "draft" => false,
                "active" => true,
                other => match existing.get(&spec.name) {
                    Some(w) if w.state.as_str() == other => false,
                    _ => {
                        return Err(bad(
                            &format!("{at}.state"),
                            format!("\"{other}\": a file asks only for draft or active; review and revocation happen in the console"),
                        ))
                    }
                },
            };
            let owner = directory.person(&format!("{at}.owner"), &spec.owner)?;
            let mut steps = Vec::new();
            for (i, step) in spec.steps.iter().enumerate() {
                let sat = format!("{at}.step[{i}] \"{}\"", step.name);
                let kind = StepKind::parse(step.kind.trim()).ok_or_else(|| {
                    bad(
                        &format!("{sat}.kind"),
                        format!("\"{}\" is not a step kind", step.kind),
                    )
                })?;
                let performer =
                    directory.performer(&format!("{sat}.performer"), &step.performer)?;
                let step_owner = step
                    .owner
                    .as_deref()
                    .map(|o| directory.person(&format!("{sat}.owner"), o))
                    .transpose()?;
                let grant = directory.grant(&format!("{sat}.grant"), &step.grant)?;
                steps.push(Step::new(
                    step.name.trim(),
                    kind,
                    performer,
                    step_owner,
                    grant,
                ));
            }
            let Some(current) = existing.get(&spec.name) else {
                let facts = self.check_steps(&steps).await?;
                let (tier, _) = risk_tier(&steps, &facts);
                plan.changes.push(PlannedChange::Define {
                    workflow: spec.name.clone(),
                    tier: tier.number(),
                    activate,
                });
                plan.steps.push(Resolved::Define(
                    DefineWorkflow {
                        name: spec.name.clone(),
                        purpose: spec.purpose.clone(),
                        owner,
                        steps,
                    },
                    activate,
                ));
                continue;
            };
            // The console changes a defined workflow's grants only: anything else is named.
            let unsupported = |what: &str| {
                bad(
                    &at,
                    format!("changes {what} of a defined workflow, which the console does not do: define a new workflow instead"),
                )
            };
            if current.purpose != spec.purpose.trim() {
                return Err(unsupported("the purpose"));
            }
            if current.owner != owner {
                return Err(unsupported("the owner"));
            }
            let names: Vec<&str> = current.steps.iter().map(|s| s.name.as_str()).collect();
            let wanted: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
            if names != wanted {
                return Err(unsupported(
                    "the steps (added, removed, renamed or reordered)",
                ));
            }
            let mut proposed = current.steps.clone();
            let mut tier_before = current.tier.number();
            let mut changed = false;
            for (index, (now, want)) in current.steps.iter().zip(&steps).enumerate() {
                if now.kind != want.kind
                    || now.performer != want.performer
                    || now.owner != want.owner
                {
                    return Err(unsupported(&format!(
                        "step \"{}\" (its kind, performer or owner)",
                        now.name
                    )));
                }
                if now.grant == want.grant {
                    continue;
                }
                proposed[index].grant = want.grant.clone();
                proposed[index].pending_grant = None;
                let facts = self.check_steps(&proposed).await?;
                let (tier_after, _) = risk_tier(&proposed, &facts);
                let live = current.state != WorkflowState::Draft;
                let widened = !crate::domain::widening(&now.grant, &want.grant).is_empty();
                let needs_review = live && widened && tier_after.number() > tier_before;
                plan.changes.push(PlannedChange::Grant {
                    workflow: spec.name.clone(),
                    step: now.name.clone(),
                    tier_before,
                    tier_after: tier_after.number(),
                    needs_review,
                    summary: grant_summary(&now.grant, &want.grant),
                });
                plan.steps
                    .push(Resolved::Grant(current.id, now.id, want.grant.clone()));
                if needs_review {
                    // Until reviewed, the narrower grant stays in force.
                    proposed[index].grant = now.grant.intersection(&want.grant);
                } else {
                    tier_before = tier_after.number();
                }
                changed = true;
            }
            if activate && current.state == WorkflowState::Draft {
                plan.changes.push(PlannedChange::Activate {
                    workflow: spec.name.clone(),
                });
                plan.steps.push(Resolved::Activate(current.id));
                changed = true;
            }
            if !changed {
                plan.unchanged.push(spec.name.clone());
            }
        }
        Ok(plan)
    }

    /// Applies a plan through the console's own commands, in order; returns what each did.
    /// Stops at the first refusal (what came before stays applied, each with its ledger event).
    pub async fn apply_workflow_plan(
        &self,
        actor: &Actor,
        plan: WorkflowPlan,
    ) -> CoreResult<Vec<String>> {
        let mut done = Vec::new();
        for (step, change) in plan.steps.into_iter().zip(plan.changes) {
            match step {
                Resolved::Define(request, activate) => {
                    let workflow = self.define_workflow(actor, request).await?;
                    done.push(format!(
                        "defined \"{}\" (tier {})",
                        workflow.name,
                        workflow.tier.number()
                    ));
                    if activate {
                        self.activate_workflow(actor, workflow.id)
                            .await
                            .map_err(|e| {
                                CoreError::Conflict(format!(
                                    "\"{}\" was defined but not activated: {e}",
                                    workflow.name
                                ))
                            })?;
                        done.push(format!("activated \"{}\"", workflow.name));
                    }
                }
                Resolved::Grant(workflow, step, grant) => {
                    let (_, outcome) = self.change_step_grant(actor, workflow, step, grant).await?;
                    done.push(format!(
                        "{change}: {}",
                        match outcome {
                            super::GrantOutcome::AwaitingReview => "waiting for review",
                            _ => "applied",
                        }
                    ));
                }
                Resolved::Activate(workflow) => {
                    let workflow = self.activate_workflow(actor, workflow).await?;
                    done.push(format!("activated \"{}\"", workflow.name));
                }
            }
        }
        Ok(done)
    }
}
