use super::{Action, Resource};
use crate::actor::Actor;
use cedar_policy::{
    Authorizer, Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicyId,
    PolicySet, Request, RestrictedExpression, Schema, SlotId, ValidationMode, Validator,
};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

const NAMESPACE: &str = "Countersign";

/// One named policy file.
#[derive(Debug, Clone)]
pub struct PolicySource {
    pub name: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyLoadError {
    #[error("policy schema is invalid: {0}")]
    Schema(String),
    #[error("policy file {file} does not parse: {problem}")]
    Parse { file: String, problem: String },
    #[error("policy file {file}: every policy needs an @id(\"...\") annotation")]
    MissingId { file: String },
    #[error("policy id {id} appears twice (second time in {file})")]
    DuplicateId { id: String, file: String },
    #[error("policy {id} (in {file}) fails validation against the schema: {problem}")]
    Invalid {
        id: String,
        file: String,
        problem: String,
    },
    #[error("no policy files found in {0}")]
    Empty(String),
    #[error("cannot read policy directory {dir}: {problem}")]
    Io { dir: String, problem: String },
}

/// The outcome of an allowed request: which policies permitted it (Cedar's diagnostics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub policies: Vec<String>,
}

/// A refused request. `policies` names the forbid policies that decided it; empty means no
/// policy permitted it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not allowed to {action}")]
pub struct Denied {
    pub action: &'static str,
    pub policies: Vec<String>,
}

/// Parsed, schema-validated policies and the evaluator.
pub struct PolicyEngine {
    schema: Schema,
    /// For each action, only the policies and templates whose action scope can match it:
    /// Cedar evaluates every policy it is given, and one that cannot match the request's action
    /// never decides it, so leaving it out changes no decision and no diagnostic.
    by_action: HashMap<Action, PolicySet>,
    authorizer: Authorizer,
    policy_files: HashMap<String, String>,
    /// `sha256:` over the schema and every policy file (name and text, by name): which policy
    /// was in force, as evidence packs record it.
    digest: String,
    /// The grant templates linked per (step, performer, action).
    linked: RwLock<HashMap<LinkKey, Arc<PolicySet>>>,
    /// The entities of an identity and the step it acts in, built and checked against the schema
    /// once for each exact value of both (see [`EntityKey`]).
    step_entities: RwLock<HashMap<EntityKey, Arc<Built>>>,
}

type LinkKey = (crate::domain::StepId, crate::domain::NhiId, Action);

/// A request's principal and resource, and the entities they stand for.
type Built = (EntityUid, EntityUid, Entities);

/// Everything the entities of an identity acting in a step are built from: equal keys build equal
/// entities, so a cached set is exact, never stale (a change to the identity or the step is a
/// different key).
type EntityKey = (
    crate::domain::NhiId,
    crate::domain::NhiKind,
    crate::domain::NhiState,
    bool,
    bool,
    Resource,
);

/// Entity sets kept at most; past it the cache starts again (a step's set is rebuilt in
/// microseconds, and the hot path asks about few steps).
const STEP_ENTITIES_KEPT: usize = 4096;

impl std::fmt::Debug for PolicyEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyEngine")
            .field("policies", &self.policy_files.len())
            .finish()
    }
}

const BUILTIN_SCHEMA: &str = include_str!("../../policies/countersign.cedarschema");
const BUILTIN_POLICIES: &[(&str, &str)] = &[
    (
        "console.cedar",
        include_str!("../../policies/console.cedar"),
    ),
    (
        "standing.cedar",
        include_str!("../../policies/standing.cedar"),
    ),
    (
        "identities.cedar",
        include_str!("../../policies/identities.cedar"),
    ),
    ("gate.cedar", include_str!("../../policies/gate.cedar")),
    (
        "effects.cedar",
        include_str!("../../policies/effects.cedar"),
    ),
    (
        "templates.cedar",
        include_str!("../../policies/templates.cedar"),
    ),
];

impl PolicyEngine {
    /// The policies shipped with this build.
    pub fn builtin() -> Result<Self, PolicyLoadError> {
        let sources = BUILTIN_POLICIES
            .iter()
            .map(|(name, text)| PolicySource {
                name: (*name).to_owned(),
                text: (*text).to_owned(),
            })
            .collect();
        Self::from_sources(BUILTIN_SCHEMA, sources)
    }

    /// Loads `*.cedar` files from `dir`, validated against the built-in schema.
    pub fn from_dir(dir: &Path) -> Result<Self, PolicyLoadError> {
        let io = |e: std::io::Error| PolicyLoadError::Io {
            dir: dir.display().to_string(),
            problem: e.to_string(),
        };
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|ext| ext == "cedar") {
                sources.push(PolicySource {
                    name: path
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                    text: std::fs::read_to_string(&path).map_err(io)?,
                });
            }
        }
        if sources.is_empty() {
            return Err(PolicyLoadError::Empty(dir.display().to_string()));
        }
        sources.sort_by(|a, b| a.name.cmp(&b.name));
        Self::from_sources(BUILTIN_SCHEMA, sources)
    }

    pub fn from_sources(
        schema_text: &str,
        sources: Vec<PolicySource>,
    ) -> Result<Self, PolicyLoadError> {
        let (schema, _warnings) = Schema::from_cedarschema_str(schema_text)
            .map_err(|e| PolicyLoadError::Schema(e.to_string()))?;
        let mut policies = PolicySet::new();
        let mut policy_files = HashMap::new();
        for source in &sources {
            let parsed = PolicySet::from_str(&source.text).map_err(|e| PolicyLoadError::Parse {
                file: source.name.clone(),
                problem: e.to_string(),
            })?;
            for policy in parsed.policies() {
                let id = policy
                    .annotation("id")
                    .ok_or_else(|| PolicyLoadError::MissingId {
                        file: source.name.clone(),
                    })?
                    .to_owned();
                if policy_files.contains_key(&id) {
                    return Err(PolicyLoadError::DuplicateId {
                        id,
                        file: source.name.clone(),
                    });
                }
                let renamed = policy.new_id(PolicyId::new(&id));
                policies.add(renamed).map_err(|e| PolicyLoadError::Parse {
                    file: source.name.clone(),
                    problem: e.to_string(),
                })?;
                policy_files.insert(id, source.name.clone());
            }
            for template in parsed.templates() {
                let id = template
                    .annotation("id")
                    .ok_or_else(|| PolicyLoadError::MissingId {
                        file: source.name.clone(),
                    })?
                    .to_owned();
                if policy_files.contains_key(&id) {
                    return Err(PolicyLoadError::DuplicateId {
                        id,
                        file: source.name.clone(),
                    });
                }
                policies
                    .add_template(template.new_id(PolicyId::new(&id)))
                    .map_err(|e| PolicyLoadError::Parse {
                        file: source.name.clone(),
                        problem: e.to_string(),
                    })?;
                policy_files.insert(id, source.name.clone());
            }
        }
        let validation = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if let Some(error) = validation.validation_errors().next() {
            let id = error.policy_id().to_string();
            return Err(PolicyLoadError::Invalid {
                file: policy_files.get(&id).cloned().unwrap_or_default(),
                id,
                problem: error.to_string(),
            });
        }
        let by_action = Action::ALL
            .into_iter()
            .map(|action| Ok((action, policies_for_action(&policies, action)?)))
            .collect::<Result<_, PolicyLoadError>>()?;
        let mut ordered: Vec<&PolicySource> = sources.iter().collect();
        ordered.sort_by(|a, b| a.name.cmp(&b.name));
        let mut hashed = format!("{schema_text}\0");
        for source in ordered {
            hashed.push_str(&format!("{}\0{}\0", source.name, source.text));
        }
        let digest = crate::domain::content_hash(&hashed);
        Ok(Self {
            schema,
            by_action,
            authorizer: Authorizer::new(),
            policy_files,
            digest,
            linked: RwLock::new(HashMap::new()),
            step_entities: RwLock::new(HashMap::new()),
        })
    }

    /// Which policy this is: `sha256:` over the schema and the policy files.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    pub fn policy_count(&self) -> usize {
        self.policy_files.len()
    }

    /// The one question every command asks first.
    pub fn authorize(
        &self,
        actor: &Actor,
        action: Action,
        resource: &Resource,
    ) -> Result<Decision, Denied> {
        self.authorize_with(actor, action, resource, &[])
    }

    /// The same question with a request context (string values, as the schema declares them).
    pub fn authorize_with(
        &self,
        actor: &Actor,
        action: Action,
        resource: &Resource,
        context: &[(&str, &str)],
    ) -> Result<Decision, Denied> {
        self.authorize_each(actor, action, resource, &[context.to_vec()])
            .pop()
            .unwrap_or_else(|| {
                Err(Denied {
                    action: action.as_str(),
                    policies: Vec::new(),
                })
            })
    }

    /// One decision per context, for the same actor, action and resource: the step's grant
    /// templates are linked and the entities built once for all of them.
    pub fn authorize_each(
        &self,
        actor: &Actor,
        action: Action,
        resource: &Resource,
        contexts: &[Vec<(&str, &str)>],
    ) -> Vec<Result<Decision, Denied>> {
        let denied = |policies: Vec<String>| Denied {
            action: action.as_str(),
            policies,
        };
        let refuse_all = || contexts.iter().map(|_| Err(denied(Vec::new()))).collect();
        let Some(built) = self.entities_for(actor, resource) else {
            return refuse_all();
        };
        let (principal, resource_uid, entities) = built.as_ref();
        let Some(for_action) = self.by_action.get(&action) else {
            return refuse_all();
        };
        let linked = self.linked_for(for_action, action, resource);
        let policies = linked.as_deref().unwrap_or(for_action);
        let first_keys: Vec<&str> = contexts
            .first()
            .map(|c| c.iter().map(|(k, _)| *k).collect())
            .unwrap_or_default();
        contexts
            .iter()
            .enumerate()
            .map(|(n, context)| {
                // The first request is checked against the schema; later ones with the same
                // context keys (all values are strings) have the same shape, so the check is not
                // repeated for every field of a decision.
                let same_shape = n > 0
                    && context
                        .iter()
                        .map(|(k, _)| *k)
                        .eq(first_keys.iter().copied());
                let schema = if same_shape { None } else { Some(&self.schema) };
                let context = Context::from_pairs(context.iter().map(|(k, v)| {
                    (
                        (*k).to_owned(),
                        RestrictedExpression::new_string((*v).to_owned()),
                    )
                }));
                let request = context.ok().and_then(|context| {
                    Request::new(
                        principal.clone(),
                        uid("Action", action.as_str()),
                        resource_uid.clone(),
                        context,
                        schema,
                    )
                    .ok()
                });
                // A request that does not fit the schema (say, a System principal asking for a
                // person's action, or a missing context value) is refused.
                let Some(request) = request else {
                    return Err(denied(Vec::new()));
                };
                let response = self.authorizer.is_authorized(&request, policies, entities);
                let reasons: Vec<String> = response
                    .diagnostics()
                    .reason()
                    .map(|id| display_id(id.as_ref()))
                    .collect();
                match response.decision() {
                    cedar_policy::Decision::Allow => Ok(Decision { policies: reasons }),
                    cedar_policy::Decision::Deny => Err(denied(reasons)),
                }
            })
            .collect()
    }

    /// The principal, the resource and their entities, checked against the schema; `None` when
    /// they do not fit it (refused, never evaluated loosely). Cached for an identity in a step.
    fn entities_for(&self, actor: &Actor, resource: &Resource) -> Option<Arc<Built>> {
        let key = match (actor, resource) {
            (
                Actor::Nhi {
                    id,
                    kind,
                    state,
                    expired,
                    orphaned,
                    ..
                },
                Resource::Step { .. },
            ) => Some((*id, *kind, *state, *expired, *orphaned, resource.clone())),
            _ => None,
        };
        if let Some(key) = &key {
            let cached = self
                .step_entities
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .get(key)
                .cloned();
            if cached.is_some() {
                return cached;
            }
        }
        let (principal, mut all) = principal_entities(actor)?;
        let (resource_uid, resource_entities) = resource_entities(resource)?;
        all.extend(resource_entities);
        let entities = Entities::from_entities(all, Some(&self.schema)).ok()?;
        let built = Arc::new((principal, resource_uid, entities));
        if let Some(key) = key {
            let mut cache = self
                .step_entities
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if cache.len() >= STEP_ENTITIES_KEPT {
                cache.clear();
            }
            cache.insert(key, built.clone());
        }
        Some(built)
    }

    /// The action's policies with each of its grant templates linked to this step and the
    /// identity that performs it; `None` when the resource is not a step performed by an identity.
    fn linked_for(
        &self,
        for_action: &PolicySet,
        action: Action,
        resource: &Resource,
    ) -> Option<Arc<PolicySet>> {
        let Resource::Step {
            id,
            performer: Some(performer),
            ..
        } = resource
        else {
            return None;
        };
        // Linking depends only on the step and its performer, and the policies never change
        // while the process runs, so each linked set is built once.
        let key = (*id, *performer, action);
        if let Some(linked) = self
            .linked
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&key)
        {
            return Some(linked.clone());
        }
        let mut policies = for_action.clone();
        let templates: Vec<PolicyId> = policies.templates().map(|t| t.id().clone()).collect();
        for template in templates {
            let vals = HashMap::from([
                (SlotId::principal(), uid("Nhi", &performer.to_string())),
                (SlotId::resource(), uid("Step", &id.to_string())),
            ]);
            let linked = PolicyId::new(format!("{template}{LINK_SEPARATOR}{id}"));
            if let Err(error) = policies.link(template.clone(), linked, vals) {
                tracing::error!(%error, %template, "a grant template does not link");
            }
        }
        let policies = Arc::new(policies);
        let mut cache = self
            .linked
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cache.len() >= MAX_LINKED_SETS {
            cache.clear();
        }
        cache.insert(key, policies.clone());
        Some(policies)
    }

    /// Every policy and template id, with its file: for the policy simulator.
    pub fn policy_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.policy_files.keys().cloned().collect();
        ids.sort();
        ids
    }
}

/// The policies and templates of `all` whose action scope can match `action`. A scope naming
/// something other than a known action (an action group, were the schema to gain one) is kept.
fn policies_for_action(all: &PolicySet, action: Action) -> Result<PolicySet, PolicyLoadError> {
    let this = uid("Action", action.as_str());
    let may_match = |constraint: cedar_policy::ActionConstraint| match constraint {
        cedar_policy::ActionConstraint::Any => true,
        cedar_policy::ActionConstraint::Eq(one) => one == this,
        cedar_policy::ActionConstraint::In(many) => many
            .iter()
            .any(|uid| *uid == this || Action::parse(uid.id().unescaped()).is_none()),
    };
    let problem = |e: cedar_policy::PolicySetError| PolicyLoadError::Parse {
        file: format!("(policies for {})", action.as_str()),
        problem: e.to_string(),
    };
    let mut subset = PolicySet::new();
    for template in all.templates() {
        if may_match(template.action_constraint()) {
            subset.add_template(template.clone()).map_err(problem)?;
        }
    }
    for policy in all.policies() {
        if may_match(policy.action_constraint()) {
            subset.add(policy.clone()).map_err(problem)?;
        }
    }
    Ok(subset)
}

/// Linked policy sets kept at most; a step's set is rebuilt if it was dropped.
const MAX_LINKED_SETS: usize = 10_000;

/// Separates a template's id from the step it is linked to in a linked policy's id.
const LINK_SEPARATOR: &str = "@step:";

/// A linked policy is reported by its template's id: the step is the request's own.
fn display_id(id: &str) -> String {
    id.split(LINK_SEPARATOR).next().unwrap_or(id).to_owned()
}

fn uid(type_name: &str, id: &str) -> EntityUid {
    #[allow(clippy::expect_used)]
    let type_name = EntityTypeName::from_str(&format!("{NAMESPACE}::{type_name}"))
        .expect("entity type names are static and valid");
    EntityUid::from_type_name_and_id(type_name, EntityId::new(id))
}

fn principal_entities(actor: &Actor) -> Option<(EntityUid, Vec<Entity>)> {
    match actor {
        Actor::Human {
            id, roles, active, ..
        } => {
            let principal = uid("Human", &id.to_string());
            let role_uids: HashSet<EntityUid> = roles
                .iter()
                .map(|role| uid("Role", role.as_str()))
                .collect();
            let mut entities: Vec<Entity> = role_uids
                .iter()
                .map(|role| Entity::new_no_attrs(role.clone(), HashSet::new()))
                .collect();
            let attrs =
                HashMap::from([("active".to_owned(), RestrictedExpression::new_bool(*active))]);
            entities.push(Entity::new(principal.clone(), attrs, role_uids).ok()?);
            Some((principal, entities))
        }
        Actor::Nhi {
            id,
            kind,
            state,
            expired,
            orphaned,
            ..
        } => {
            let principal = uid("Nhi", &id.to_string());
            let attrs = HashMap::from([
                (
                    "kind".to_owned(),
                    RestrictedExpression::new_string(kind.as_str().to_owned()),
                ),
                (
                    "state".to_owned(),
                    RestrictedExpression::new_string(state.as_str().to_owned()),
                ),
                (
                    "expired".to_owned(),
                    RestrictedExpression::new_bool(*expired),
                ),
                (
                    "orphaned".to_owned(),
                    RestrictedExpression::new_bool(*orphaned),
                ),
            ]);
            let entity = Entity::new(principal.clone(), attrs, HashSet::new()).ok()?;
            Some((principal, vec![entity]))
        }
        Actor::AuditorToken { id, .. } => {
            let principal = uid("AuditorToken", &id.to_string());
            Some((
                principal.clone(),
                vec![Entity::new_no_attrs(principal, HashSet::new())],
            ))
        }
        Actor::Directory { id, .. } => {
            let principal = uid("DirectoryToken", &id.to_string());
            Some((
                principal.clone(),
                vec![Entity::new_no_attrs(principal, HashSet::new())],
            ))
        }
        Actor::System => {
            let principal = uid("System", "countersign");
            Some((
                principal.clone(),
                vec![Entity::new_no_attrs(principal, HashSet::new())],
            ))
        }
        Actor::Anonymous => None,
    }
}

fn resource_entities(resource: &Resource) -> Option<(EntityUid, Vec<Entity>)> {
    match resource {
        Resource::Console => {
            let id = uid("Console", "console");
            Some((id.clone(), vec![Entity::new_no_attrs(id, HashSet::new())]))
        }
        Resource::Ledger => {
            let id = uid("Ledger", "ledger");
            Some((id.clone(), vec![Entity::new_no_attrs(id, HashSet::new())]))
        }
        Resource::Step {
            id,
            workflow,
            workflow_state,
            performer,
            workflow_tier,
            grant_actions,
            grant_fields,
            grant_purposes,
        } => {
            let step = uid("Step", &id.to_string());
            let workflow = uid("Workflow", &workflow.to_string());
            let strings = |values: &[String]| {
                RestrictedExpression::new_set(
                    values
                        .iter()
                        .map(|v| RestrictedExpression::new_string(v.clone())),
                )
            };
            let mut attrs = HashMap::from([
                (
                    "workflow_state".to_owned(),
                    RestrictedExpression::new_string(workflow_state.as_str().to_owned()),
                ),
                (
                    "workflow_tier".to_owned(),
                    RestrictedExpression::new_long(*workflow_tier),
                ),
                ("grant_actions".to_owned(), strings(grant_actions)),
                ("grant_fields".to_owned(), strings(grant_fields)),
                ("grant_purposes".to_owned(), strings(grant_purposes)),
            ]);
            if let Some(nhi) = performer {
                attrs.insert(
                    "performer".to_owned(),
                    RestrictedExpression::new_entity_uid(uid("Nhi", &nhi.to_string())),
                );
            }
            let parents = HashSet::from([workflow.clone()]);
            Some((
                step.clone(),
                vec![
                    Entity::new(step, attrs, parents).ok()?,
                    Entity::new_no_attrs(workflow, HashSet::new()),
                ],
            ))
        }
        Resource::Workflow {
            id,
            owner,
            state,
            widened_by,
        } => {
            let workflow = uid("Workflow", &id.to_string());
            let attrs = HashMap::from([
                (
                    "widened_by".to_owned(),
                    RestrictedExpression::new_set(widened_by.iter().map(|person| {
                        RestrictedExpression::new_entity_uid(uid("Human", &person.to_string()))
                    })),
                ),
                (
                    "owner".to_owned(),
                    RestrictedExpression::new_entity_uid(uid("Human", &owner.to_string())),
                ),
                (
                    "state".to_owned(),
                    RestrictedExpression::new_string(state.as_str().to_owned()),
                ),
            ]);
            Some((
                workflow.clone(),
                vec![Entity::new(workflow, attrs, HashSet::new()).ok()?],
            ))
        }
        Resource::Change {
            id,
            status,
            tier,
            audience,
            drafted_by,
            signer_roles,
            excluded_signers,
        } => {
            let change = uid("Change", id);
            let attrs = HashMap::from([
                (
                    "status".to_owned(),
                    RestrictedExpression::new_string(status.as_str().to_owned()),
                ),
                ("tier".to_owned(), RestrictedExpression::new_long(*tier)),
                (
                    "audience".to_owned(),
                    RestrictedExpression::new_string(audience.as_str().to_owned()),
                ),
                (
                    "drafted_by".to_owned(),
                    RestrictedExpression::new_entity_uid(uid("Nhi", &drafted_by.to_string())),
                ),
                (
                    "signer_roles".to_owned(),
                    RestrictedExpression::new_set(
                        signer_roles
                            .iter()
                            .map(|r| RestrictedExpression::new_string(r.as_str().to_owned())),
                    ),
                ),
                (
                    "excluded_signers".to_owned(),
                    RestrictedExpression::new_set(excluded_signers.iter().map(|h| {
                        RestrictedExpression::new_entity_uid(uid("Human", &h.to_string()))
                    })),
                ),
            ]);
            Some((
                change.clone(),
                vec![Entity::new(change, attrs, HashSet::new()).ok()?],
            ))
        }
    }
}
