//! The agent API over HTTP, in-process, on a real SQLite database, with the workflow's connected
//! system played by the real reference system: `POST /api/v1/token` (client credentials),
//! `GET /api/v1/me`, access decisions, consent batches, and the refusals (RFC 6749 / RFC 6750 /
//! RFC 9457) — including an identity's token on the gate's and the console's routes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use base64::Engine as _;
use common::{free_port, start_sandbox, Sandbox};
use countersign::config::{Config, Mode};
use countersign::startup::build_state;
use countersign_core::clock::ManualClock;
use countersign_core::domain::{
    ExternalIdentity, Grant, GrantAction, Lifecycle, NhiKind, Performer, Role, Step, StepKind,
};
use countersign_core::services::{
    DefineWorkflow, RegisterNhi, RegisterSystem, SignIn, SignInOutcome, DEMO_ISSUER,
};
use countersign_core::{Actor, Services};
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

pub(crate) struct Api {
    router: Router,
    pub(crate) services: Services,
    admin: Actor,
    agent: String,
    secret: String,
    pub(crate) scope: String,
    /// The connected system drafts target.
    system: String,
    _sandbox: Sandbox,
    _dir: tempfile::TempDir,
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) json: serde_json::Value,
}

/// A console with an active one-step-plus-publish workflow whose drafting agent has a secret.
pub(crate) async fn api(extra: &[(&str, &str)]) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let mut env: HashMap<String, String> = HashMap::from([
        (
            "COUNTERSIGN_DATABASE_URL".to_owned(),
            format!("sqlite://{}/cs.db", dir.path().display()),
        ),
        (
            "COUNTERSIGN_SECRET_KEY_FILE".to_owned(),
            format!("{}/cs.key", dir.path().display()),
        ),
    ]);
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let config = Config::from_sources(None, &env, Mode::Demo).unwrap();
    let state = build_state(config, Arc::new(ManualClock::new(chrono::Utc::now())))
        .await
        .unwrap();
    let services = state.services.clone();
    let SignInOutcome::Granted { actor: admin } = services
        .sign_in(SignIn {
            identity: ExternalIdentity::new(DEMO_ISSUER, "priya").unwrap(),
            name: Some("Priya Nair".to_owned()),
            email: Some("priya.nair@example.com".to_owned()),
            roles: [Role::SecurityAdmin, Role::Approver].into_iter().collect(),
            groups_seen: 0,
            reauthentication: false,
            email_verified: true,
        })
        .await
        .unwrap()
    else {
        panic!("granted")
    };
    let Actor::Human { id: owner, .. } = admin else {
        panic!()
    };
    let (agent, secret) = services
        .register_nhi(
            &admin,
            RegisterNhi {
                kind: NhiKind::Agent,
                name: "api-drafter".to_owned(),
                purpose: "Drafts the offer email through the API.".to_owned(),
                owners: vec![owner],
                expires_at: Some(services.clock().now() + chrono::Duration::days(30)),
                model: Some("claude-sonnet-4.5 (Anthropic)".to_owned()),
            },
        )
        .await
        .unwrap();
    let port = free_port();
    let (system, signing) = services
        .register_system(
            &admin,
            RegisterSystem {
                name: "Campaigns".to_owned(),
                kind: "campaign".to_owned(),
                base_url: format!("http://127.0.0.1:{port}"),
                fields: "email:contact\nincome:financial".to_owned(),
            },
        )
        .await
        .unwrap();
    let sandbox = start_sandbox(&signing.0, &dir.path().join("sandbox"), port).await;
    assert!(
        services
            .run_revocation_drill(&admin, system.id)
            .await
            .unwrap()
            .passed
    );
    let grant = |actions: &[GrantAction], fields: &[&str], review| Grant {
        system: Some(system.id),
        actions: actions.iter().copied().collect(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        purposes: ["spring_offer".to_owned()].into_iter().collect(),
        human_review: review,
    };
    let workflow = services
        .define_workflow(
            &admin,
            DefineWorkflow {
                name: "API offer".to_owned(),
                purpose: "Draft and publish the offer email.".to_owned(),
                owner,
                steps: vec![
                    Step::new(
                        "Draft",
                        StepKind::DraftContent,
                        Performer::Nhi(agent.id),
                        Some(owner),
                        grant(
                            &[
                                GrantAction::Read,
                                GrantAction::Draft,
                                GrantAction::RecordConsent,
                            ],
                            &["email"],
                            true,
                        ),
                    ),
                    Step::new(
                        "Publish",
                        StepKind::Publish,
                        Performer::Publisher,
                        Some(owner),
                        grant(&[GrantAction::Publish], &[], false),
                    ),
                ],
            },
        )
        .await
        .unwrap();
    let workflow = services
        .activate_workflow(&admin, workflow.id)
        .await
        .unwrap();
    Api {
        router: countersign::web::build(state),
        services,
        admin,
        agent: agent.id.to_string(),
        secret: secret.0,
        scope: format!("step:{}", workflow.steps[0].id),
        system: system.id.to_string(),
        _sandbox: sandbox,
        _dir: dir,
    }
}

impl Api {
    pub(crate) async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            json: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        }
    }

    pub(crate) async fn token(&self, form: &str, basic: Option<(&str, &str)>) -> Reply {
        let mut request = Request::post("/api/v1/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some((id, secret)) = basic {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            request = request.header(header::AUTHORIZATION, format!("Basic {encoded}"));
        }
        self.send(request.body(Body::from(form.to_owned())).unwrap())
            .await
    }

    pub(crate) fn body_auth(&self, scope: &str) -> String {
        format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
            self.agent,
            self.secret,
            scope.replace(':', "%3A")
        )
    }

    pub(crate) async fn me(&self, token: Option<&str>) -> Reply {
        let mut request = Request::get("/api/v1/me");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }
}

#[tokio::test]
async fn an_agent_gets_a_token_by_basic_or_body_auth_and_sees_its_step() {
    let api = api(&[]).await;
    let basic = api
        .token(
            &format!("grant_type=client_credentials&scope={}", api.scope),
            Some((&api.agent, &api.secret)),
        )
        .await;
    assert_eq!(basic.status, StatusCode::OK, "{}", basic.json);
    assert_eq!(basic.json["token_type"], "Bearer");
    assert_eq!(basic.json["expires_in"], 900);
    assert_eq!(basic.json["scope"], api.scope.as_str());
    assert_eq!(basic.headers[header::CACHE_CONTROL], "no-store");
    let token = basic.json["access_token"].as_str().unwrap().to_owned();

    let me = api.me(Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.json);
    assert_eq!(me.json["principal"]["id"], api.agent.as_str());
    assert_eq!(me.json["principal"]["kind"], "agent");
    assert_eq!(me.json["step"]["name"], "Draft");
    assert_eq!(me.json["workflow"]["name"], "API offer");
    assert!(me.json["expires_at"].as_str().is_some());

    let body = api.token(&api.body_auth(&api.scope), None).await;
    assert_eq!(body.status, StatusCode::OK, "{}", body.json);

    // Suspending the agent ends the token at once.
    api.services
        .change_nhi_state(
            &api.admin,
            api.agent.parse().unwrap(),
            Lifecycle::Suspend,
            "Odd output",
        )
        .await
        .unwrap();
    let refused = api.me(Some(&token)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.headers[header::WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .contains("error=\"invalid_token\""));
    assert!(refused.json["detail"]
        .as_str()
        .unwrap()
        .contains("api-drafter is suspended"));
    let again = api.token(&api.body_auth(&api.scope), None).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.json["error"], "unauthorized_client");
}

#[tokio::test]
async fn bad_token_requests_get_the_rfc_6749_error_that_names_the_problem() {
    let api = api(&[]).await;
    let wrong_secret = format!(
        "grant_type=client_credentials&client_id={}&client_secret=cssec_wrong&scope={}",
        api.agent, api.scope
    );
    let other_step = api.body_auth("step:01930000-0000-7000-8000-000000000000");
    let duplicate = format!("{}&scope=step:x", api.body_auth(&api.scope));
    // (form, HTTP Basic credentials, status, error, words in the description)
    type Case<'a> = (
        String,
        Option<(&'a str, &'a str)>,
        StatusCode,
        &'a str,
        &'a str,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            wrong_secret,
            None,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authentication failed",
        ),
        (
            format!("grant_type=client_credentials&scope={}", api.scope),
            None,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required",
        ),
        (
            api.body_auth(&api.scope)
                .replace("client_credentials", "password"),
            None,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only client_credentials",
        ),
        (
            format!("client_id={}&client_secret={}", api.agent, api.secret),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type is required",
        ),
        (
            api.body_auth(&api.scope),
            Some((&api.agent, &api.secret)),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "not both",
        ),
        (
            other_step,
            None,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "no step",
        ),
        (
            duplicate,
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "appears more than once",
        ),
        (
            api.body_auth("everything"),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "scope must be step:<step id>",
        ),
    ];
    for (form, basic, status, error, description) in cases {
        let reply = api.token(&form, basic).await;
        assert_eq!(reply.status, status, "{form}: {}", reply.json);
        assert_eq!(reply.json["error"], error, "{form}");
        assert!(
            reply.json["error_description"]
                .as_str()
                .unwrap()
                .contains(description),
            "{form}: {}",
            reply.json
        );
        if status == StatusCode::UNAUTHORIZED {
            assert!(reply.headers.contains_key(header::WWW_AUTHENTICATE));
        }
    }

    let json = api
        .send(
            Request::post("/api/v1/token")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(json.json["error"], "invalid_request");
    assert!(json.json["error_description"]
        .as_str()
        .unwrap()
        .contains("x-www-form-urlencoded"));

    let anonymous = api.me(None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.headers[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let forged = api
        .me(Some("cstok_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert!(forged.json["detail"].as_str().unwrap().contains("unknown"));
    let missing = api
        .send(Request::get("/api/v1/nothing").body(Body::empty()).unwrap())
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json["status"], 404);
}

#[tokio::test]
async fn token_requests_are_rate_limited_per_client() {
    let api = api(&[("COUNTERSIGN_TOKEN_RATE_LIMIT", "2")]).await;
    for _ in 0..2 {
        let reply = api.token(&api.body_auth(&api.scope), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    }
    let limited = api.token(&api.body_auth(&api.scope), None).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(limited.json["error"], "rate_limited");
    // Another client is not held back by this one.
    let other = api
        .token(
            "grant_type=client_credentials&client_id=someone-else&client_secret=x&scope=step:y",
            None,
        )
        .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
}

impl Api {
    pub(crate) async fn token_for_step(&self) -> String {
        let reply = self.token(&self.body_auth(&self.scope), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        reply.json["access_token"].as_str().unwrap().to_owned()
    }

    async fn post_json(&self, path: &str, token: &str, body: &str) -> Reply {
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
    }
}

#[tokio::test]
async fn an_agent_loads_consent_and_gets_a_decision_it_can_cite() {
    let api = api(&[]).await;
    let token = api.token_for_step().await;
    let loaded = api
        .post_json(
            "/api/v1/consents",
            &token,
            r#"{"records":[
                {"subject":"crm-1","purpose":"spring_offer","legal_basis":"consent","granted_at":"2026-01-01T00:00:00Z","source":"crm"},
                {"subject":"crm-2","purpose":"spring_offer","legal_basis":"consent","granted_at":"2026-01-01T00:00:00Z","withdrawn_at":"2026-02-01T00:00:00Z","source":"crm"}
            ]}"#,
        )
        .await;
    assert_eq!(loaded.status, StatusCode::CREATED, "{}", loaded.json);
    assert_eq!(loaded.json["recorded"], 2);

    let decision = api
        .post_json(
            "/api/v1/access-decisions",
            &token,
            r#"{"purpose":"spring_offer","fields":["email","income"],"subjects":["crm-1","crm-2","crm-3"]}"#,
        )
        .await;
    assert_eq!(decision.status, StatusCode::OK, "{}", decision.json);
    assert_eq!(
        decision.json["allowed_fields"],
        serde_json::json!(["email"])
    );
    assert_eq!(decision.json["denied_fields"][0]["reason"], "not_in_grant");
    assert_eq!(
        decision.json["allowed_subjects"][0]["legal_basis"],
        "consent"
    );
    assert_eq!(decision.json["denied_subjects"][0]["reason"], "withdrawn");
    assert_eq!(decision.json["denied_subjects"][1]["reason"], "no_consent");
    assert!(decision.json["decision_id"].as_str().is_some());
    assert!(decision.json["expires_at"].as_str().is_some());
}

#[tokio::test]
async fn bad_bodies_get_a_problem_that_names_what_is_wrong() {
    let api = api(&[]).await;
    let token = api.token_for_step().await;
    let cases = [
        ("{", StatusCode::BAD_REQUEST, "the JSON body is not valid"),
        (
            r#"{"purpose":"spring_offer","fields":["email"],"subjects":["c1"],"extra":1}"#,
            StatusCode::BAD_REQUEST,
            "unknown field `extra`",
        ),
        (
            r#"{"purpose":"spring_offer","fields":["email"],"subjects":["c1","c1"]}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "appears twice",
        ),
        (
            r#"{"purpose":"spring_offer","fields":[],"subjects":["c1"]}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "ask for 1 to 100 fields",
        ),
    ];
    for (body, status, detail) in cases {
        let reply = api
            .post_json("/api/v1/access-decisions", &token, body)
            .await;
        assert_eq!(reply.status, status, "{body}: {}", reply.json);
        assert_eq!(
            reply.headers[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert!(
            reply.json["detail"].as_str().unwrap().contains(detail),
            "{body}: {}",
            reply.json
        );
    }
    let oversized = format!(
        r#"{{"records":[{}]}}"#,
        vec![r#"{"subject":"c","purpose":"p","legal_basis":"consent","granted_at":"2026-01-01T00:00:00Z","source":"s"}"#; 1001].join(",")
    );
    let reply = api.post_json("/api/v1/consents", &token, &oversized).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.json
    );
    assert!(reply.json["detail"]
        .as_str()
        .unwrap()
        .contains("1 to 1000 records"));
    let no_token = api
        .send(
            Request::post("/api/v1/access-decisions")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_identity_never_approves_or_publishes_and_the_attempt_is_flagged() {
    let api = api(&[]).await;
    let token = api.token_for_step().await;
    for action in ["approve", "publish"] {
        let reply = api
            .post_json(
                &format!("/api/v1/changes/any-change/{action}"),
                &token,
                "{}",
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.json);
        assert!(reply.json["detail"]
            .as_str()
            .unwrap()
            .contains("identities-never-approve-or-publish"));
    }
    // The console's own routes (a server function here) refuse a token outright.
    let console = api
        .send(
            Request::post("/ui/activate_workflow")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("id=x"))
                .unwrap(),
        )
        .await;
    assert_eq!(console.status, StatusCode::FORBIDDEN);
    let events = api.services.store().events_page(None, 3).await.unwrap();
    let flagged: Vec<_> = events
        .iter()
        .filter(|e| {
            e.action == "authorization.denied" && e.details.contains("possible_privilege_abuse")
        })
        .collect();
    assert_eq!(flagged.len(), 3, "{events:?}");
    assert!(flagged
        .iter()
        .any(|e| e.details.contains("/ui/activate_workflow")));
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let api = api(&[]).await;
    let doc = api
        .send(
            Request::get("/api/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.json["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc.json["paths"].as_object().unwrap();
    // Every route the router registers (read from its source) is documented.
    let router = include_str!("../../src/api/mod.rs");
    let routed: Vec<String> = router
        .split(".route(")
        .skip(1)
        .map(|rest| {
            let path = rest.trim_start().trim_start_matches('"');
            format!("/api/v1{}", path.split('"').next().unwrap())
        })
        .collect();
    assert!(routed.len() >= 10, "{routed:?}");
    for path in &routed {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    assert_eq!(
        paths.len(),
        routed.len(),
        "documented paths that are not routed"
    );
    // Errors are problem documents, and the schemas come from the code's types.
    let decision = &paths["/api/v1/access-decisions"]["post"];
    assert!(decision["responses"]["422"]["content"]["application/problem+json"].is_object());
    let schemas = doc.json["components"]["schemas"].as_object().unwrap();
    for schema in [
        "AccessRequest",
        "AccessDecision",
        "DraftInput",
        "Provenance",
        "ProblemBody",
        "TokenResponse",
    ] {
        assert!(schemas.contains_key(schema), "{schema}");
    }
    assert!(schemas["AccessRequest"]["properties"]["subjects"].is_object());
}

#[tokio::test]
async fn an_agent_brings_its_rollback_plan_and_reads_the_gate_state_of_its_change() {
    let api = api(&[]).await;
    let token = api.token_for_step().await;
    let loaded = api
        .post_json(
            "/api/v1/consents",
            &token,
            r#"{"records":[{"subject":"crm-1","purpose":"spring_offer","legal_basis":"consent","granted_at":"2026-01-01T00:00:00Z","source":"crm"}]}"#,
        )
        .await;
    assert_eq!(loaded.status, StatusCode::CREATED, "{}", loaded.json);
    let decision = api
        .post_json(
            "/api/v1/access-decisions",
            &token,
            r#"{"purpose":"spring_offer","fields":["email"],"subjects":["crm-1"]}"#,
        )
        .await;
    let decision_id = decision.json["decision_id"].as_str().unwrap().to_owned();
    let draft = serde_json::json!({
        "title": "Spring offer",
        "content": "Save 20% on every plan this spring.",
        "format": "text",
        "channel": "email",
        "audience": "external",
        "purpose": "spring_offer",
        "target": { "system": api.system, "reference": "campaigns/spring" },
        "provenance": {
            "model": "m", "model_version": "1", "prompt": "p", "raw_output": "o",
            "access_decisions": [decision_id], "fields_used": ["email"],
            "legal_bases": { decision_id.clone(): "consent" }
        }
    });
    let drafted = api
        .post_json("/api/v1/drafts", &token, &draft.to_string())
        .await;
    assert_eq!(drafted.status, StatusCode::CREATED, "{}", drafted.json);
    let id = drafted.json["change_id"].as_str().unwrap().to_owned();
    let put = |body: &'static str| {
        let api = &api;
        let token = token.clone();
        let id = id.clone();
        async move {
            api.send(
                Request::put(format!("/api/v1/changes/{id}/rollback-plan"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
        }
    };
    for (body, status, detail) in [
        (
            r#"{"steps":"Unpublish.","extra":1}"#,
            StatusCode::BAD_REQUEST,
            "unknown field `extra`",
        ),
        (
            r#"{"steps":"Unpublish."}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "name the version to restore",
        ),
        (
            r#"{"steps":"","first_publication":true}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "describe the rollback steps",
        ),
    ] {
        let reply = put(body).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.json);
        assert!(
            reply.json["detail"].as_str().unwrap().contains(detail),
            "{}",
            reply.json
        );
    }
    let saved = put(r#"{"steps":"Unpublish the campaign.","first_publication":true}"#).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.json);
    assert_eq!(saved.json["has_rollback_plan"], true);
    assert_eq!(
        saved.json["open_claims"], 1,
        "the 20% claim: {}",
        saved.json
    );
    assert_eq!(saved.json["status"], "pending_review");
    assert_eq!(saved.json["reviews"], serde_json::json!([]));
    let unknown = api
        .send(
            Request::put("/api/v1/changes/nope/rollback-plan")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(r#"{"steps":"x","first_publication":true}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.json);
}

#[tokio::test]
async fn an_agent_retries_a_draft_with_its_key_lists_its_changes_and_withdraws_one() {
    let api = api(&[]).await;
    let token = api.token_for_step().await;
    let decision = api
        .post_json(
            "/api/v1/access-decisions",
            &token,
            r#"{"purpose":"spring_offer","fields":["email"],"subjects":["crm-1"]}"#,
        )
        .await;
    let decision_id = decision.json["decision_id"].as_str().unwrap().to_owned();
    let draft = |title: &str| {
        serde_json::json!({
            "title": title, "content": "The spring range is back.", "format": "text",
            "channel": "email", "audience": "external", "purpose": "spring_offer",
            "target": { "system": api.system, "reference": "campaigns/spring" },
            "provenance": {
                "model": "m", "model_version": "1", "prompt": "p", "raw_output": "o",
                "access_decisions": [decision_id], "fields_used": ["email"],
                "legal_bases": { decision_id.clone(): "consent" }
            }
        })
        .to_string()
    };
    let send_draft = |title: String, key: Option<&'static str>| {
        let (api, token) = (&api, token.clone());
        async move {
            let mut request = Request::post("/api/v1/drafts")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"));
            if let Some(key) = key {
                request = request.header("idempotency-key", key);
            }
            api.send(request.body(Body::from(title)).unwrap()).await
        }
    };
    let first = send_draft(draft("Spring offer"), Some("9f0e-retry")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.json);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = send_draft(draft("Spring offer"), Some("9f0e-retry")).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json["change_id"], first.json["change_id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let reused = send_draft(draft("Summer offer"), Some("9f0e-retry")).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reused.json["detail"]
            .as_str()
            .unwrap()
            .starts_with("idempotency_key: this key was used for a different draft"),
        "{}",
        reused.json
    );
    let bad_key = send_draft(draft("Spring offer"), Some("two words")).await;
    assert_eq!(bad_key.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_key.json["detail"]
        .as_str()
        .unwrap()
        .starts_with("Idempotency-Key:"));
    let second = send_draft(draft("Summer offer"), None).await;
    assert_eq!(second.status, StatusCode::CREATED);

    let get = |path: String| {
        let (api, token) = (&api, token.clone());
        async move {
            api.send(
                Request::get(path)
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    let page = get("/api/v1/changes?limit=1".to_owned()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.json);
    assert_eq!(page.json["changes"][0]["title"], "Summer offer");
    let next = page.json["next"].as_str().unwrap().to_owned();
    let rest = get(format!("/api/v1/changes?limit=1&before={next}")).await;
    assert_eq!(rest.json["changes"][0]["title"], "Spring offer");
    assert_eq!(rest.json["next"], serde_json::Value::Null);
    for (query, status) in [
        ("limit=lots", StatusCode::BAD_REQUEST),
        ("limit=500", StatusCode::UNPROCESSABLE_ENTITY),
        ("status=live", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        assert_eq!(
            get(format!("/api/v1/changes?{query}")).await.status,
            status,
            "{query}"
        );
    }

    let id = first.json["change_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/changes/{id}/withdraw");
    let withdraw = |body: &'static str| api.post_json(&path, &token, body);
    assert_eq!(
        withdraw(r#"{"why":"x"}"#).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        withdraw(r#"{"reason":""}"#).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let withdrawn = withdraw(r#"{"reason":"The offer moved to May."}"#).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.json);
    assert_eq!(withdrawn.json["status"], "cancelled");
    let twice = withdraw(r#"{"reason":"The offer moved to May."}"#).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.json);
    let event = api
        .services
        .store()
        .events_page(None, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(event.action, "change.withdrawn");
    assert!(
        !event.details.contains("\"via\""),
        "the API is the default door"
    );
}

#[tokio::test]
async fn an_agent_drafts_a_variant_set_and_a_malformed_set_is_named_by_its_field() {
    let api = api(&[]).await;
    let token = api.token_for_step().await;
    let decision = api
        .post_json(
            "/api/v1/access-decisions",
            &token,
            r#"{"purpose":"spring_offer","fields":["email"],"subjects":["crm-1"]}"#,
        )
        .await;
    let decision_id = decision.json["decision_id"].as_str().unwrap().to_owned();
    let set = |variants: serde_json::Value| {
        serde_json::json!({
            "title": "Spring offer, two locales", "channel": "email", "purpose": "spring_offer",
            "target": { "system": api.system },
            "variants": variants,
            "provenance": {
                "model": "m", "model_version": "1", "prompt": "p", "raw_output": "o",
                "access_decisions": [decision_id], "fields_used": ["email"],
                "legal_bases": { decision_id.clone(): "consent" }
            }
        })
        .to_string()
    };
    let variant = |name: &str, text: &str| {
        serde_json::json!({
            "name": name, "content": text, "format": "text", "audience": "external",
            "target_reference": format!("campaigns/spring/{name}"),
        })
    };
    let drafted = api
        .post_json(
            "/api/v1/drafts",
            &token,
            &set(serde_json::json!([
                variant("en-GB", "The spring range is back."),
                variant("de-DE", "Die Frühlingskollektion ist zurück."),
            ])),
        )
        .await;
    assert_eq!(drafted.status, StatusCode::CREATED, "{}", drafted.json);
    let names: Vec<&str> = drafted.json["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["en-GB", "de-DE"]);
    assert!(drafted.json["content_hash"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));

    for (variants, field) in [
        (serde_json::json!([]), "variants: "),
        (
            serde_json::json!([variant("en-GB", "a"), variant("en-GB", "b")]),
            "variants[1].name: ",
        ),
        (
            serde_json::json!([variant("en-GB", "a"), {"name": "x", "content": "b"}]),
            "",
        ),
    ] {
        let refused = api
            .post_json("/api/v1/drafts", &token, &set(variants))
            .await;
        assert!(
            refused.status == StatusCode::UNPROCESSABLE_ENTITY
                || refused.status == StatusCode::BAD_REQUEST,
            "{}",
            refused.json
        );
        assert!(
            refused.json["detail"].as_str().unwrap().starts_with(field),
            "{field}: {}",
            refused.json
        );
    }
}
