//! The tools an agent sees: each a thin adapter over the core command the agent API uses, with
//! the principal the bearer check put on the request.

use countersign_core::domain::{IdempotencyKey, Provenance};
use countersign_core::error::CoreError;
use countersign_core::services::{
    AccessRequest, DraftInput, DraftTarget, TemplateFill, TokenPrincipal, VariantInput,
    VersionInput,
};
use countersign_core::Services;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::{tool, tool_handler, tool_router, ErrorData, RoleServer, ServerHandler};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone)]
pub struct CountersignTools {
    services: Services,
    tool_router: ToolRouter<Self>,
}

impl std::fmt::Debug for CountersignTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CountersignTools")
    }
}

/// The identity and step the request's token stands for (put there by the bearer check).
fn principal(context: &RequestContext<RoleServer>) -> Result<TokenPrincipal, ErrorData> {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<TokenPrincipal>())
        .cloned()
        .ok_or_else(|| ErrorData::invalid_request("no step token on this request", None))
}

/// A refusal the agent reads as the tool's answer, named as the API names it.
fn refused(error: CoreError) -> Result<CallToolResult, ErrorData> {
    let text = match error {
        CoreError::Store(error) => {
            tracing::error!(%error, "an MCP tool failed in the store");
            "the console could not complete this; try again later".to_owned()
        }
        CoreError::Invalid { field, problem } => format!("{field}: {problem}"),
        CoreError::Denied(denied) => format!(
            "not allowed to {} in this step",
            denied.action.replace('_', " ")
        ),
        CoreError::NotFound(what) => format!("no such {what}"),
        other => other.to_string(),
    };
    Ok(CallToolResult::error(vec![ContentBlock::text(text)]))
}

fn structured(value: impl Serialize) -> Result<CallToolResult, ErrorData> {
    serde_json::to_value(value)
        .map(CallToolResult::structured)
        .map_err(|e| ErrorData::internal_error(e.to_string(), None))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ChangeRef {
    /// The change's id, as `submit_draft` returned it.
    pub change_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DataAccess {
    /// The purpose the data is read for; it must be one of the step's.
    pub purpose: String,
    /// The fields asked for (at most 100).
    pub fields: Vec<String>,
    /// The customers, by the connected system's ids (at most 1,000).
    pub subjects: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Target {
    /// The connected system's id (`whoami` lists where this workflow publishes).
    pub system: String,
    /// Where in that system, e.g. `campaigns/spring-2027` (left out for a variant set: each
    /// variant names its own).
    #[serde(default)]
    pub reference: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Draft {
    /// Send the same key again (with the same draft) after a timeout or a lost answer: it
    /// finds the change the first attempt made instead of opening a second one.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    pub title: String,
    /// The content, in `format` (left out for a variant set).
    #[serde(default)]
    pub content: String,
    /// `markdown`, `html` or `text` (left out for a variant set).
    #[serde(default)]
    pub format: String,
    pub channel: String,
    /// `internal` or `external` (left out for a variant set).
    #[serde(default)]
    pub audience: String,
    pub purpose: String,
    pub target: Target,
    /// A variant set instead of one content: 1 to 50 variants (A/B arms, locales, segments),
    /// the base first, reviewed and signed as one.
    #[serde(default)]
    pub variants: Option<Vec<VariantInput>>,
    /// A pre-approved template this draft fills (leave `content` out): filled within every
    /// constraint, in a tier the operator allows, the change is approved by policy.
    #[serde(default)]
    pub template: Option<TemplateFill>,
    pub provenance: Provenance,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Version {
    /// The change to revise (this identity's, pending review or sent back).
    pub change_id: String,
    /// The new content (left out for a variant set).
    #[serde(default)]
    pub content: String,
    /// `markdown`, `html` or `text` (left out for a variant set).
    #[serde(default)]
    pub format: String,
    /// For a variant set: every variant again, the base first.
    #[serde(default)]
    pub variants: Option<Vec<VariantInput>>,
    pub provenance: Provenance,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListChanges {
    /// Only changes in this status (e.g. `pending_review`, `changes_requested`, `published`).
    #[serde(default)]
    pub status: Option<String>,
    /// The `next` of the previous page.
    #[serde(default)]
    pub before: Option<String>,
    /// 1 to 100; 20 when absent.
    #[serde(default)]
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Withdrawal {
    pub change_id: String,
    /// Why it is taken back (3 to 500 characters); reviewers and the ledger see it.
    pub reason: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RollbackPlan {
    pub change_id: String,
    /// How to undo the change, step by step.
    pub steps: String,
    /// What to restore: the reference live before (empty when `first_publication`).
    #[serde(default)]
    pub previous_reference: String,
    /// Nothing was live at the target before: rolling back takes it down.
    #[serde(default)]
    pub first_publication: bool,
}

impl CountersignTools {
    /// What a command that changed the change leaves for the agent to see: its status now.
    async fn status_after(
        &self,
        principal: &TokenPrincipal,
        outcome: Result<String, CoreError>,
    ) -> Result<CallToolResult, ErrorData> {
        match outcome {
            Ok(change_id) => match self.services.change_status(principal, &change_id).await {
                Ok(view) => structured(view),
                Err(error) => refused(error),
            },
            Err(error) => refused(error),
        }
    }
}

#[tool_router]
impl CountersignTools {
    pub fn new(services: Services) -> Self {
        Self {
            services,
            tool_router: Self::tool_router(),
        }
    }

    /// Who this token belongs to, the step it is bound to, where the workflow publishes, and when
    /// the token ends.
    #[tool(annotations(read_only_hint = true, open_world_hint = false))]
    async fn whoami(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let principal = principal(&context)?;
        structured(serde_json::json!({
            "identity": { "id": principal.nhi.id.to_string(), "name": principal.nhi.name, "kind": principal.nhi.kind.as_str() },
            "workflow": {
                "id": principal.workflow.id.to_string(),
                "name": principal.workflow.name,
                "publish_targets": principal.workflow.steps.iter()
                    .filter(|s| s.kind == countersign_core::domain::StepKind::Publish)
                    .filter_map(|s| s.grant.system.map(|id| id.to_string()))
                    .collect::<Vec<_>>(),
            },
            "step": { "id": principal.step.id.to_string(), "name": principal.step.name, "kind": principal.step.kind.as_str() },
            "expires_at": principal.expires_at.to_rfc3339(),
        }))
    }

    /// A change this identity drafted: its status, reviews so far and publication.
    #[tool(annotations(read_only_hint = true, open_world_hint = false))]
    async fn get_change(
        &self,
        Parameters(input): Parameters<ChangeRef>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let principal = principal(&context)?;
        self.status_after(&principal, Ok(input.change_id)).await
    }

    /// Asks which fields and which customers this step may use for a purpose; the decision is
    /// recorded and its id is what a draft cites.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn check_data_access(
        &self,
        Parameters(input): Parameters<DataAccess>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let principal = principal(&context)?;
        let request = AccessRequest {
            purpose: input.purpose,
            fields: input.fields,
            subjects: input.subjects,
        };
        match self.services.decide_access(&principal, request).await {
            Ok(decision) => structured(decision),
            Err(error) => refused(error),
        }
    }

    /// Submits a draft with its provenance; it becomes a change waiting for people to sign it.
    /// Nothing is published by this.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn submit_draft(
        &self,
        Parameters(input): Parameters<Draft>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let principal = principal(&context)?;
        let key = match input.idempotency_key.as_deref().map(IdempotencyKey::parse) {
            Some(Err(error)) => {
                return refused(CoreError::invalid("idempotency_key", error.to_string()))
            }
            Some(Ok(key)) => Some(key),
            None => None,
        };
        let draft = DraftInput {
            title: input.title,
            content: input.content,
            format: input.format,
            channel: input.channel,
            audience: input.audience,
            purpose: input.purpose,
            target: DraftTarget {
                system: input.target.system,
                reference: input.target.reference,
            },
            variants: input.variants,
            template: input.template,
            provenance: input.provenance,
        };
        let outcome = self
            .services
            .submit_draft_once(&principal, draft, key.as_ref())
            .await;
        self.status_after(&principal, outcome.map(|(change, _)| change.id))
            .await
    }

    /// Submits a new version of a change this identity drafted; every sign-off of the old
    /// version is void, and reviewers see what changed.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn submit_version(
        &self,
        Parameters(input): Parameters<Version>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let principal = principal(&context)?;
        let change_id = input.change_id;
        let version = VersionInput {
            content: input.content,
            format: input.format,
            variants: input.variants,
            provenance: input.provenance,
        };
        let outcome = self
            .services
            .submit_version(&principal, &change_id, version)
            .await;
        self.status_after(&principal, outcome.map(|(change, _)| change.id))
            .await
    }

    /// Writes the rollback plan of a change this identity drafted (the gate needs one before
    /// approval).
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn set_rollback_plan(
        &self,
        Parameters(input): Parameters<RollbackPlan>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let principal = principal(&context)?;
        let outcome = self
            .services
            .set_rollback_plan(
                &principal.actor,
                &input.change_id,
                &input.steps,
                &input.previous_reference,
                input.first_publication,
            )
            .await;
        self.status_after(&principal, outcome.map(|_| input.change_id))
            .await
    }
    /// The changes this identity drafted in this step, newest first, with their status; pass
    /// `next` back as `before` for the next page.
    #[tool(annotations(read_only_hint = true, open_world_hint = false))]
    async fn list_my_changes(
        &self,
        Parameters(input): Parameters<ListChanges>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let principal = principal(&context)?;
        match self
            .services
            .changes_drafted(
                &principal,
                input.status.as_deref(),
                input.before.as_deref(),
                input.limit,
            )
            .await
        {
            Ok(list) => structured(list),
            Err(error) => refused(error),
        }
    }

    /// Takes back a change of this identity that is still in review (pending or sent back): it
    /// leaves the reviewers' queue for good and can no longer be approved or revised.
    #[tool(annotations(
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn withdraw_draft(
        &self,
        Parameters(input): Parameters<Withdrawal>,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let principal = principal(&context)?;
        let outcome = self
            .services
            .withdraw_draft(&principal, &input.change_id, &input.reason)
            .await;
        self.status_after(&principal, outcome.map(|_| input.change_id))
            .await
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for CountersignTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_instructions(
            "Countersign governs what you publish: check data access for a purpose, then submit \
             drafts citing the decision. People review and sign; only the console publishes.",
        )
    }
}
