//! The routes, read from the registries the console serves them from (server functions, the
//! OpenAPI document of `/api/v1`, the page routes), and a well-formed request for each: a refusal
//! in the matrix is then about who asks and when, never about a malformed request.

use super::world::Ids;
use crate::http::ORIGIN;
use axum::body::Body;
use axum::http::{header, Method, Request};
use serde_json::json;
use std::collections::BTreeSet;

/// Whether a route may change anything when it succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reads only: it must write nothing, even when it answers.
    Query,
    /// Changes state when allowed (with its ledger event); a refusal writes nothing.
    Command,
    /// A reviewer reading a change: when allowed it records the view (`review_views`, what
    /// review-quality measures are made of) and nothing else, without a ledger event.
    RecordsView,
    /// A person marking their own notices read: their reading state (`notifications`) and
    /// nothing else, without a ledger event.
    MarksRead,
    /// An investigation: when allowed it records the search as one ledger event (who looked
    /// at whose data) and writes nothing else; a search is never answered unrecorded.
    RecordsSearch,
}

pub struct RouteRequest {
    pub kind: Kind,
    method: Method,
    uri: String,
    body: Payload,
}

enum Payload {
    Empty,
    Form(String),
    Json(String),
    /// A JSON-RPC message to the MCP endpoint, as a streamable HTTP client sends it.
    Mcp(String),
}

/// Every route the console serves to people and identities, as `METHOD /path`.
pub fn registered() -> BTreeSet<String> {
    let mut routes = BTreeSet::new();
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        routes.insert(format!("{method} {path}"));
    }
    let api = <countersign::api::ApiDoc as utoipa::OpenApi>::openapi();
    for (path, item) in &api.paths.paths {
        for (method, operation) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if operation.is_some() {
                routes.insert(format!("{method} {path}"));
            }
        }
    }
    for page in leptos_axum::generate_route_list(countersign_app::App) {
        routes.insert(format!("GET {}", page.path()));
    }
    routes.insert(format!("POST {}", countersign::mcp::PATH));
    routes.insert(format!("GET {}", countersign::mcp::METADATA_PATH));
    for download in countersign::evidence_download::ROUTES
        .into_iter()
        .chain(countersign::compliance_download::ROUTES)
        .chain(countersign::audit_export::ROUTES)
    {
        routes.insert(format!("GET {download}"));
    }
    routes
}

fn form(pairs: &[(&str, &str)]) -> Payload {
    let mut encoded = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        encoded.append_pair(k, v);
    }
    Payload::Form(encoded.finish())
}

fn query(uri: String) -> RouteRequest {
    RouteRequest {
        kind: Kind::Query,
        method: Method::GET,
        uri,
        body: Payload::Empty,
    }
}

fn ui(kind: Kind, endpoint: &str, body: Payload) -> RouteRequest {
    RouteRequest {
        kind,
        method: Method::POST,
        uri: format!("/ui/{endpoint}"),
        body,
    }
}

fn api(kind: Kind, method: Method, path: String, body: Payload) -> RouteRequest {
    RouteRequest {
        kind,
        method,
        uri: format!("/api/v1{path}"),
        body,
    }
}

fn provenance(ids: &Ids) -> serde_json::Value {
    json!({
        "model": "claude-sonnet-4.5",
        "model_version": "2026-09-01",
        "prompt": "Write the spring offer email for opted-in customers.",
        "system_prompt": "You are a careful marketing writer.",
        "access_decisions": [ids.decision],
        "fields_used": ["email"],
        "data_sources": ["spring-2027 price sheet"],
        "tool_calls": [],
        "raw_output": "Spring is here: 20% off for you.",
        "legal_bases": { (ids.decision.clone()): "consent" },
    })
}

const COPY: &str = "Hello {first_name}, spring is here: 20% off everything until 30 April.";

fn draft_json(ids: &Ids) -> Payload {
    Payload::Json(
        json!({
            "title": "Spring offer email, second region",
            "content": COPY,
            "format": "markdown",
            "channel": "email",
            "audience": "external",
            "purpose": "spring_offer",
            "target": { "system": ids.system, "reference": "campaigns/spring-2027-north" },
            "provenance": provenance(ids),
        })
        .to_string(),
    )
}

fn version_json(ids: &Ids) -> Payload {
    Payload::Json(
        json!({
            "content": format!("{COPY} Offer ends soon."),
            "format": "markdown",
            "provenance": provenance(ids),
        })
        .to_string(),
    )
}

/// The request the matrix sends to `route`, or `None` for a route it does not know yet.
pub fn request_for(route: &str, ids: &Ids) -> Option<RouteRequest> {
    use Kind::{Command, MarksRead, Query, RecordsSearch, RecordsView};
    let change = ids.change.as_str();
    let reason = "Matrix: checking who may do this.";
    Some(match route {
        // Pages.
        "GET /"
        | "GET /signin"
        | "GET /no-access"
        | "GET /queue"
        | "GET /workflows"
        | "GET /workflows/new"
        | "GET /identities"
        | "GET /systems"
        | "GET /data-access"
        | "GET /deliveries"
        | "GET /review-quality"
        | "GET /flow"
        | "GET /directory"
        | "GET /compliance"
        | "GET /inbox"
        | "GET /audit" => query(route["GET ".len()..].to_owned()),
        // A real search, recorded in the ledger for whoever may make it.
        "GET /investigate" => RouteRequest {
            kind: RecordsSearch,
            ..query("/investigate?kind=subject&q=crm-1".to_owned())
        },
        "GET /templates" => query("/templates".to_owned()),
        "GET /templates/{id}" => query(format!("/templates/{}", ids.template)),
        "GET /workflows/{id}" => query(format!("/workflows/{}", ids.workflow)),
        "GET /identities/{id}" => query(format!("/identities/{}", ids.drafter)),
        "GET /changes/{id}" => RouteRequest {
            kind: RecordsView,
            ..query(format!("/changes/{change}"))
        },

        // Server functions: the session and the ledger.
        "POST /ui/session" => ui(Query, "session", Payload::Empty),
        "POST /ui/sign_in_choices" => ui(Query, "sign_in_choices", Payload::Empty),
        "POST /ui/area_access" => ui(Query, "area_access", form(&[("area", "audit")])),
        "POST /ui/audit_page" => ui(Query, "audit_page", form(&[("action", "change.")])),
        "POST /ui/verify_ledger" => ui(Query, "verify_ledger", Payload::Empty),
        "POST /ui/log_status" => ui(Query, "log_status", Payload::Empty),
        "POST /ui/event_proof" => ui(Query, "event_proof", form(&[("seq", "1")])),
        "POST /ui/auditor_tokens" => ui(Query, "auditor_tokens", Payload::Empty),
        "POST /ui/directory" => ui(Query, "directory", Payload::Empty),
        "POST /ui/create_directory_token" => ui(
            Command,
            "create_directory_token",
            form(&[("name", "Okta (second tenant)")]),
        ),
        "POST /ui/rotate_directory_token" => ui(
            Command,
            "rotate_directory_token",
            form(&[("id", &ids.spare_directory_token)]),
        ),
        "POST /ui/revoke_directory_token" => ui(
            Command,
            "revoke_directory_token",
            form(&[("id", &ids.spare_directory_token)]),
        ),
        // The inbox: every person's own.
        "POST /ui/inbox" => ui(Query, "inbox", Payload::Empty),
        "POST /ui/unread_notices" => ui(Query, "unread_notices", Payload::Empty),
        "POST /ui/notice_settings" => ui(Query, "notice_settings", Payload::Empty),
        "POST /ui/away" => ui(Query, "away", Payload::Empty),
        "POST /ui/set_away" => ui(
            Command,
            "set_away",
            form(&[
                ("role", "approver"),
                ("delegate", &ids.two_roles_person),
                ("until", &ids.tomorrow),
                ("reason", "Matrix: annual leave"),
            ]),
        ),
        "POST /ui/end_away" => ui(
            Command,
            "end_away",
            form(&[("id", "0190f5f0-0000-7000-8000-000000000000")]),
        ),
        "POST /ui/mark_notices" => ui(MarksRead, "mark_notices", form(&[("read", "true")])),
        "POST /ui/save_notice_settings" => ui(
            Command,
            "save_notice_settings",
            form(&[
                ("email", "on"),
                ("delivery", "daily"),
                ("digest_hour", "9"),
                ("quiet_from", "22:00"),
                ("quiet_to", "07:00"),
                ("utc_offset", "60"),
            ]),
        ),
        "POST /ui/issue_auditor_token" => ui(
            Command,
            "issue_auditor_token",
            form(&[("name", "Regulator's tool"), ("days", "30")]),
        ),
        "POST /ui/revoke_auditor_token" => ui(
            Command,
            "revoke_auditor_token",
            form(&[("id", &ids.spare_auditor_token)]),
        ),
        "POST /ui/review_quality" => ui(Query, "review_quality", form(&[("days", "30")])),
        "POST /ui/flow" => ui(Query, "flow", form(&[("days", "30")])),
        "POST /ui/investigate" => ui(
            RecordsSearch,
            "investigate",
            form(&[("kind", "subject"), ("q", "crm-1")]),
        ),
        "POST /ui/compliance" => ui(Query, "compliance", form(&[("workflow", &ids.workflow)])),

        // The queue and the gate.
        "POST /ui/queue" => ui(
            Query,
            "queue",
            form(&[
                ("filters[view]", "all"),
                ("filters[status]", ""),
                ("filters[tier]", ""),
                ("filters[workflow]", ""),
                ("filters[channel]", ""),
                ("filters[audience]", ""),
                ("filters[age]", ""),
                ("filters[sort]", ""),
                ("filters[after]", ""),
            ]),
        ),
        "POST /ui/change" => ui(RecordsView, "change", form(&[("id", change)])),
        // Templates.
        "POST /ui/templates" => ui(Query, "templates", Payload::Empty),
        "POST /ui/template" => ui(Query, "template", form(&[("id", &ids.template)])),
        "POST /ui/workflow" => ui(Query, "workflow", form(&[("id", &ids.workflow)])),
        "POST /ui/identity" => ui(Query, "identity", form(&[("id", &ids.drafter)])),
        "POST /ui/pre_approved" => ui(Query, "pre_approved", form(&[("days", "7")])),
        "POST /ui/propose_template" => ui(
            Command,
            "propose_template",
            form(&[(
                "proposal",
                &json!({
                    "workflow": ids.workflow,
                    "name": "Matrix reminder",
                    "text": "Hello, the store opens on {{day}}.",
                    "format": "text",
                    "audience": "external",
                    "slots": [{"name": "day", "allowed": ["Monday"], "max_chars": 10}],
                    "rollback_steps": "Unpublish the reminder.",
                    "valid_days": 30,
                })
                .to_string(),
            )]),
        ),
        "POST /ui/sign_template" => ui(
            Command,
            "sign_template",
            form(&[
                ("id", &ids.template),
                ("role", "legal"),
                ("decision", "approve"),
                ("comment", ""),
                ("template_hash", &ids.template_hash),
            ]),
        ),
        "POST /ui/withdraw_template" => ui(
            Command,
            "withdraw_template",
            form(&[("id", &ids.template), ("reason", reason)]),
        ),
        "POST /ui/full_text" => ui(
            RecordsView,
            "full_text",
            form(&[("change", change), ("version", "1")]),
        ),
        "POST /ui/diff" => ui(Query, "diff", form(&[("change", change)])),
        "POST /ui/sign_off" => ui(
            Command,
            "sign_off",
            Payload::Json(
                json!({ "form": {
                    "change": change,
                    "role": "approver",
                    "decision": "approve",
                    "comment": "",
                    "content_hash": ids.content_hash,
                }})
                .to_string(),
            ),
        ),
        "POST /ui/mark_claim" => ui(
            Command,
            "mark_claim",
            form(&[
                ("change", change),
                ("version", "1"),
                ("start", "0"),
                ("end", "5"),
            ]),
        ),
        "POST /ui/review_claim" => ui(
            Command,
            "review_claim",
            form(&[
                ("change", change),
                ("claim", &ids.claim),
                ("status", "substantiated"),
                ("evidence", "https://intranet.example/pricing/spring-2027"),
                ("comment", ""),
            ]),
        ),
        "POST /ui/rollback_plan" => ui(
            Command,
            "rollback_plan",
            form(&[
                ("change", change),
                ("steps", "Unpublish the campaign and send nothing further."),
                ("previous", ""),
                ("first_publication", "true"),
            ]),
        ),

        // Effects: rollback, the kill switch, deliveries.
        "POST /ui/roll_back" => ui(
            Command,
            "roll_back",
            form(&[("change", change), ("reason", reason)]),
        ),
        "POST /ui/revoke_workflow" => ui(
            Command,
            "revoke_workflow",
            form(&[
                ("workflow", &ids.workflow),
                ("reason", reason),
                ("revoke_identities", "false"),
                ("roll_back_live", "true"),
            ]),
        ),
        "POST /ui/revocation" => ui(Query, "revocation", form(&[("workflow", &ids.workflow)])),
        "POST /ui/clone_workflow" => ui(
            Command,
            "clone_workflow",
            form(&[("workflow", &ids.workflow), ("name", "Spring offer again")]),
        ),
        "POST /ui/deliveries" => ui(Query, "deliveries", Payload::Empty),
        "POST /ui/retry_delivery" => ui(Command, "retry_delivery", form(&[("id", &ids.effect)])),

        // Data access.
        "POST /ui/data_access" => ui(Query, "data_access", Payload::Empty),
        "POST /ui/consent_csv" => ui(
            Command,
            "consent_csv",
            form(&[
                (
                    "text",
                    "subject,purpose,legal_basis,granted_at,withdrawn_at,source\n\
                     crm-7,spring_offer,consent,2026-02-01,,crm\n",
                ),
                ("import", "true"),
            ]),
        ),
        "POST /ui/simulate_policy" => ui(
            Query,
            "simulate_policy",
            form(&[
                ("nhi", &ids.drafter),
                ("step", &ids.draft_step),
                ("action", "read_data"),
                ("purpose", "spring_offer"),
                ("fields", "email"),
            ]),
        ),

        // Identities and people.
        "POST /ui/identities" => ui(
            Query,
            "identities",
            form(&[
                ("orphaned", "false"),
                ("expiring", "false"),
                ("unused", "false"),
            ]),
        ),
        "POST /ui/register_identity" => ui(
            Command,
            "register_identity",
            Payload::Json(
                json!({
                    "kind": "agent",
                    "name": "matrix-agent",
                    "purpose": "Drafts the matrix's test copy.",
                    "model": "claude-sonnet-4.5 (Anthropic)",
                    "owners": [ids.owner],
                    "expires_on": (chrono::Utc::now() + chrono::Duration::days(20))
                        .format("%Y-%m-%d")
                        .to_string(),
                })
                .to_string(),
            ),
        ),
        "POST /ui/rotate_client_secret" => ui(
            Command,
            "rotate_client_secret",
            form(&[("id", &ids.reader)]),
        ),
        "POST /ui/change_identity_state" => ui(
            Command,
            "change_identity_state",
            form(&[
                ("id", &ids.reader),
                ("command", "suspend"),
                ("reason", reason),
            ]),
        ),
        "POST /ui/reassign_owners" => ui(
            Command,
            "reassign_owners",
            Payload::Json(
                json!({ "ids": [ids.reader], "owners": [ids.other_owner], "reason": reason })
                    .to_string(),
            ),
        ),
        "POST /ui/pre_register_person" => ui(
            Command,
            "pre_register_person",
            form(&[("email", "rui.costa@example.com"), ("name", "Rui Costa")]),
        ),
        "POST /ui/link_sign_in" => ui(
            Command,
            "link_sign_in",
            form(&[
                ("pre_registered", &ids.pre_registered),
                ("signed_in", &ids.no_role_person),
                ("reason", reason),
            ]),
        ),
        "POST /ui/set_person_active" => ui(
            Command,
            "set_person_active",
            form(&[
                ("id", &ids.no_role_person),
                ("active", "false"),
                ("reason", reason),
            ]),
        ),

        // Connected systems.
        "POST /ui/systems" => ui(Query, "systems", Payload::Empty),
        "POST /ui/register_system" => ui(
            Command,
            "register_system",
            form(&[
                ("name", "Matrix CMS"),
                ("kind", "cms"),
                ("base_url", "https://cms.example.com"),
                ("fields", "email:contact"),
            ]),
        ),
        "POST /ui/rotate_system_secret" => ui(
            Command,
            "rotate_system_secret",
            form(&[("id", &ids.system), ("reason", reason)]),
        ),
        "POST /ui/run_drill" => ui(Command, "run_drill", form(&[("id", &ids.system)])),
        "POST /ui/set_content_hosts" => ui(
            Command,
            "set_content_hosts",
            form(&[("id", &ids.system), ("hosts", "www.example.com")]),
        ),

        // Workflows.
        "POST /ui/workflows" => ui(Query, "workflows", Payload::Empty),
        "POST /ui/workflow_builder" => ui(Query, "workflow_builder", Payload::Empty),
        "POST /ui/define_workflow" => ui(
            Command,
            "define_workflow",
            Payload::Json(
                json!({ "workflow": {
                    "name": "Matrix workflow",
                    "purpose": "Checks who may define workflows.",
                    "owner": ids.owner,
                    "steps": [{
                        "name": "Review",
                        "kind": "human_review",
                        "performer": format!("human:{}", ids.owner),
                        "owner": ids.owner,
                        "grant": {
                            "system": "",
                            "actions": [],
                            "fields": [],
                            "purposes": "",
                            "human_review": true,
                        },
                    }],
                }})
                .to_string(),
            ),
        ),
        "POST /ui/activate_workflow" => ui(
            Command,
            "activate_workflow",
            form(&[("id", &ids.inactive_workflow)]),
        ),
        "POST /ui/change_step_grant" => ui(
            Command,
            "change_step_grant",
            Payload::Json(
                json!({
                    "workflow": ids.workflow,
                    "step": ids.read_step,
                    "grant": {
                        "system": ids.system,
                        "actions": ["read"],
                        "fields": [],
                        "purposes": "spring_offer",
                        "human_review": false,
                    },
                })
                .to_string(),
            ),
        ),
        "POST /ui/review_widening" => ui(
            Command,
            "review_widening",
            form(&[
                ("workflow", &ids.workflow),
                ("approve", "true"),
                ("reason", reason),
            ]),
        ),

        // The agent API.
        "POST /api/v1/token" => api(
            Command,
            Method::POST,
            "/token".to_owned(),
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &ids.drafter),
                ("client_secret", &ids.drafter_secret),
                ("scope", &format!("step:{}", ids.draft_step)),
            ]),
        ),
        "GET /audit/export" => query("/audit/export?format=csv&action=change.".to_owned()),
        "GET /compliance/csv" => query("/compliance/csv".to_owned()),
        "GET /compliance/oscal" => query(format!("/compliance/oscal?workflow={}", ids.workflow)),
        "GET /evidence/changes/{id}" => query(format!("/evidence/changes/{}", ids.change)),
        "GET /evidence/workflows/{id}" => query(format!("/evidence/workflows/{}", ids.workflow)),
        "GET /api/v1/me" => api(Query, Method::GET, "/me".to_owned(), Payload::Empty),
        "GET /api/v1/ledger/checkpoint" => api(
            Query,
            Method::GET,
            "/ledger/checkpoint".to_owned(),
            Payload::Empty,
        ),
        "GET /api/v1/ledger/events/{seq}/proof" => api(
            Query,
            Method::GET,
            "/ledger/events/2/proof?size=3".to_owned(),
            Payload::Empty,
        ),
        "GET /api/v1/ledger/consistency" => api(
            Query,
            Method::GET,
            "/ledger/consistency?from=1&to=3".to_owned(),
            Payload::Empty,
        ),
        "GET /api/v1/openapi.json" => api(
            Query,
            Method::GET,
            "/openapi.json".to_owned(),
            Payload::Empty,
        ),
        "POST /api/v1/access-decisions" => api(
            Command,
            Method::POST,
            "/access-decisions".to_owned(),
            Payload::Json(
                json!({ "purpose": "spring_offer", "fields": ["email"], "subjects": ["crm-1"] })
                    .to_string(),
            ),
        ),
        "POST /api/v1/consents" => api(
            Command,
            Method::POST,
            "/consents".to_owned(),
            Payload::Json(
                json!({ "records": [{
                    "subject": "crm-2",
                    "purpose": "spring_offer",
                    "legal_basis": "consent",
                    "granted_at": "2026-01-01T00:00:00Z",
                    "withdrawn_at": null,
                    "source": "crm",
                }]})
                .to_string(),
            ),
        ),
        "POST /api/v1/drafts" => api(Command, Method::POST, "/drafts".to_owned(), draft_json(ids)),
        "POST /api/v1/drafts/{id}/versions" => api(
            Command,
            Method::POST,
            format!("/drafts/{change}/versions"),
            version_json(ids),
        ),
        "POST /mcp" => RouteRequest {
            kind: Query,
            method: Method::POST,
            uri: countersign::mcp::PATH.to_owned(),
            body: Payload::Mcp(
                json!({
                    "jsonrpc": "2.0", "id": 1, "method": "initialize",
                    "params": {
                        "protocolVersion": "2025-06-18",
                        "capabilities": {},
                        "clientInfo": { "name": "matrix", "version": "1" },
                    },
                })
                .to_string(),
            ),
        },
        "GET /.well-known/oauth-protected-resource" => {
            query(countersign::mcp::METADATA_PATH.to_owned())
        }
        "GET /api/v1/changes" => api(Query, Method::GET, "/changes".to_owned(), Payload::Empty),
        "POST /api/v1/changes/{id}/withdraw" => api(
            Command,
            Method::POST,
            format!("/changes/{change}/withdraw"),
            Payload::Json(json!({ "reason": reason }).to_string()),
        ),
        "GET /api/v1/changes/{id}" => api(
            Query,
            Method::GET,
            format!("/changes/{change}"),
            Payload::Empty,
        ),
        "PUT /api/v1/changes/{id}/rollback-plan" => api(
            Command,
            Method::PUT,
            format!("/changes/{change}/rollback-plan"),
            Payload::Json(
                json!({ "steps": "Unpublish the campaign.", "first_publication": true })
                    .to_string(),
            ),
        ),
        "PUT /api/v1/changes/{id}/callback" => api(
            Command,
            Method::PUT,
            format!("/changes/{change}/callback"),
            Payload::Json(
                json!({ "url": format!("{}/hooks/matrix", ids.sandbox_url) }).to_string(),
            ),
        ),
        "POST /api/v1/changes/{id}/approve" => api(
            Command,
            Method::POST,
            format!("/changes/{change}/approve"),
            Payload::Empty,
        ),
        "POST /api/v1/changes/{id}/publish" => api(
            Command,
            Method::POST,
            format!("/changes/{change}/publish"),
            Payload::Empty,
        ),
        _ => return None,
    })
}

impl RouteRequest {
    /// The request as `credential` sends it: people's calls come from the console's own pages.
    pub fn build(&self, credential: &super::principals::Credential) -> Request<Body> {
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(&self.uri)
            .header("sec-fetch-site", "same-origin")
            .header(header::ORIGIN, ORIGIN);
        request = credential.apply(request);
        let body = match &self.body {
            Payload::Empty => Body::empty(),
            Payload::Form(text) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(text.clone())
            }
            Payload::Json(text) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(text.clone())
            }
            Payload::Mcp(text) => {
                request = request
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::ACCEPT, "application/json, text/event-stream")
                    .header(header::HOST, ORIGIN.trim_start_matches("http://"));
                Body::from(text.clone())
            }
        };
        request.body(body).unwrap()
    }
}
