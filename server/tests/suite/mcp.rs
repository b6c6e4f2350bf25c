//! The MCP endpoint with a real MCP client (rmcp's): an agent lists its tools (no publishing,
//! approving, rolling back or revoking among them), learns its step, asks for data access,
//! drafts and reads the change's status; a token that stops working ends the session, and no
//! token, or a token in the URL, is refused before MCP starts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::core_common::adopt_sqlite;
use crate::core_common::chain::chain_named;
use crate::core_common::drafting::session_with;
use countersign::config::{Config, Mode};
use rmcp::model::CallToolRequestParams;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use serde_json::{json, Value};

fn arguments(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap()
}

#[tokio::test]
async fn an_agent_drafts_through_mcp_and_a_dead_token_ends_its_session() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cs.db", dir.path().display());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let env = [
        ("COUNTERSIGN_DATABASE_URL".to_owned(), url.clone()),
        (
            "COUNTERSIGN_SECRET_KEY_FILE".to_owned(),
            format!("{}/countersign.key", dir.path().display()),
        ),
        ("COUNTERSIGN_PUBLIC_URL".to_owned(), base.clone()),
    ]
    .into_iter()
    .collect();
    let config = Config::from_sources(None, &env, Mode::Demo).unwrap();
    let state = countersign::startup::build_state(
        config,
        std::sync::Arc::new(countersign_core::SystemClock),
    )
    .await
    .unwrap();
    let services = state.services.clone();
    let db = adopt_sqlite(url, services.store().clone());
    let chain = chain_named(
        &services,
        "http://127.0.0.1:9",
        "Spring Campaigns",
        "Spring offer north",
    )
    .await;
    let (drafter, drafter_secret) = (chain.drafter, chain.drafter_secret.clone());
    let admin = chain.admin.clone();
    let session = session_with(&services, &db, chain).await;
    let step = session.workflow.steps[1].id;
    let token = services
        .issue_token(
            &drafter.to_string(),
            &drafter_secret,
            Some(&format!("step:{step}")),
        )
        .await
        .unwrap()
        .access_token
        .0;
    let router = countersign::web::build(state);
    tokio::spawn(countersign::serve_http::serve(
        listener,
        router,
        std::future::pending(),
    ));

    // Refused before MCP starts: no token, a token in the URL.
    let http = reqwest::Client::new();
    let bare = http
        .post(format!("{base}/mcp"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 401);
    let challenge = bare.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains(&format!(
            "resource_metadata=\"{base}/.well-known/oauth-protected-resource\""
        )),
        "{challenge}"
    );
    let in_url = http
        .post(format!("{base}/mcp?access_token={token}"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(in_url.status(), 400);
    let metadata: Value = http
        .get(format!("{base}/.well-known/oauth-protected-resource"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["resource"], format!("{base}/mcp"));
    assert_eq!(metadata["bearer_methods_supported"], json!(["header"]));

    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp"))
            .auth_header(token.clone()),
    );
    let client = ().serve(transport).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
    for expected in [
        "whoami",
        "get_change",
        "check_data_access",
        "submit_draft",
        "submit_version",
        "set_rollback_plan",
        "list_my_changes",
        "withdraw_draft",
    ] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }
    for forbidden in ["publish", "approve", "sign_off", "roll_back", "revoke"] {
        assert!(!names.iter().any(|n| n.contains(forbidden)), "{names:?}");
    }
    let whoami = tools.iter().find(|t| t.name == "whoami").unwrap();
    assert_eq!(
        whoami.annotations.as_ref().and_then(|a| a.read_only_hint),
        Some(true)
    );

    let who = client
        .call_tool(CallToolRequestParams::new("whoami"))
        .await
        .unwrap();
    let who = who.structured_content.unwrap();
    assert_eq!(who["step"]["id"], step.to_string());
    assert_eq!(who["identity"]["name"], "offer-drafter");

    let decision = client
        .call_tool(
            CallToolRequestParams::new("check_data_access").with_arguments(arguments(json!({
                "purpose": "spring_offer", "fields": ["email"], "subjects": ["crm-1"],
            }))),
        )
        .await
        .unwrap()
        .structured_content
        .unwrap();
    let decision_id = decision["decision_id"].as_str().unwrap().to_owned();
    assert_eq!(decision["allowed_fields"], json!(["email"]));

    let drafted = client
        .call_tool(CallToolRequestParams::new("submit_draft").with_arguments(arguments(json!({
            "title": "Spring offer email",
            "content": "Hello {first_name}, spring is here: our garden range is back.",
            "format": "markdown",
            "channel": "email",
            "audience": "external",
            "purpose": "spring_offer",
            "target": { "system": session.chain.crm.to_string(), "reference": "campaigns/spring-2027" },
            "provenance": {
                "model": "claude-sonnet-4.5", "model_version": "2026-09-01",
                "prompt": "Write the spring email.", "raw_output": "Hello, spring is here.",
                "access_decisions": [decision_id], "fields_used": ["email"],
                "legal_bases": { (decision_id.clone()): "consent" },
            },
        }))))
        .await
        .unwrap();
    assert_ne!(drafted.is_error, Some(true), "{drafted:?}");
    let change = drafted.structured_content.unwrap();
    let change_id = change["change_id"].as_str().unwrap().to_owned();

    // A variant set through the same tool: two locales, one change, the set's hash.
    let locale = |name: &str, text: &str| {
        json!({
            "name": name, "content": text, "format": "markdown", "audience": "external",
            "target_reference": format!("campaigns/spring-2027/{name}"),
        })
    };
    let set = client
        .call_tool(CallToolRequestParams::new("submit_draft").with_arguments(arguments(json!({
            "title": "Spring offer email, two locales",
            "channel": "email",
            "purpose": "spring_offer",
            "target": { "system": session.chain.crm.to_string() },
            "variants": [
                locale("en-GB", "Hello {first_name}, our garden range is back."),
                locale("de-DE", "Hallo {first_name}, unser Gartensortiment ist zurück."),
            ],
            "provenance": {
                "model": "claude-sonnet-4.5", "model_version": "2026-09-01",
                "prompt": "Write the spring email in two locales.", "raw_output": "Hello, spring.",
                "access_decisions": [decision_id], "fields_used": ["email"],
                "legal_bases": { (decision_id.clone()): "consent" },
            },
        }))))
        .await
        .unwrap();
    assert_ne!(set.is_error, Some(true), "{set:?}");
    let set = set.structured_content.unwrap();
    assert_eq!(set["variants"].as_array().map(Vec::len), Some(2), "{set}");
    assert_eq!(
        set["variants"][1]["target_reference"],
        "campaigns/spring-2027/de-DE"
    );
    let set_id = set["change_id"].clone();
    let status = client
        .call_tool(
            CallToolRequestParams::new("get_change")
                .with_arguments(arguments(json!({ "change_id": change_id }))),
        )
        .await
        .unwrap()
        .structured_content
        .unwrap();
    assert_eq!(status["status"], "pending_review", "{status}");

    // A rollback plan, then a second version: the status follows.
    let planned = client
        .call_tool(
            CallToolRequestParams::new("set_rollback_plan").with_arguments(arguments(json!({
                "change_id": change_id, "steps": "Unpublish the campaign and send nothing further.",
                "first_publication": true,
            }))),
        )
        .await
        .unwrap();
    assert_ne!(planned.is_error, Some(true), "{planned:?}");
    let revised = client
        .call_tool(
            CallToolRequestParams::new("submit_version").with_arguments(arguments(json!({
                "change_id": change_id,
                "content": "Hello {first_name}, spring is here: the garden range is back today.",
                "format": "markdown",
                "provenance": {
                    "model": "claude-sonnet-4.5", "model_version": "2026-09-01",
                    "prompt": "Shorter, please.", "raw_output": "Hello, spring is here today.",
                    "access_decisions": [decision_id], "fields_used": ["email"],
                    "legal_bases": { (decision_id.clone()): "consent" },
                },
            }))),
        )
        .await
        .unwrap();
    assert_ne!(revised.is_error, Some(true), "{revised:?}");
    assert_eq!(revised.structured_content.unwrap()["version"], 2);

    // A draft sent twice with its key makes one change; the list shows both, newest first.
    let keyed = |title: &str| {
        CallToolRequestParams::new("submit_draft").with_arguments(arguments(json!({
            "idempotency_key": "draft-2027-04-a",
            "title": title,
            "content": "Hello {first_name}, the spring sale starts Monday.",
            "format": "markdown", "channel": "email", "audience": "external",
            "purpose": "spring_offer",
            "target": { "system": session.chain.crm.to_string(), "reference": "campaigns/spring-sale" },
            "provenance": {
                "model": "claude-sonnet-4.5", "model_version": "2026-09-01",
                "prompt": "Announce the sale.", "raw_output": "The spring sale starts Monday.",
                "access_decisions": [decision_id], "fields_used": ["email"],
                "legal_bases": { (decision_id.clone()): "consent" },
            },
        })))
    };
    let once = client.call_tool(keyed("Spring sale")).await.unwrap();
    let twice = client.call_tool(keyed("Spring sale")).await.unwrap();
    let sale_id = once.structured_content.unwrap()["change_id"].clone();
    assert_eq!(twice.structured_content.unwrap()["change_id"], sale_id);
    let reused = client.call_tool(keyed("Another sale")).await.unwrap();
    assert_eq!(reused.is_error, Some(true));
    assert!(
        format!("{reused:?}").contains("idempotency_key"),
        "{reused:?}"
    );
    let listed = client
        .call_tool(
            CallToolRequestParams::new("list_my_changes")
                .with_arguments(arguments(json!({ "status": "pending_review" }))),
        )
        .await
        .unwrap()
        .structured_content
        .unwrap();
    let listed_ids: Vec<&Value> = listed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["change_id"])
        .collect();
    assert_eq!(
        listed_ids,
        [&sale_id, &set_id, &json!(change_id)],
        "{listed}"
    );

    // Withdrawn, it leaves review; the tool is marked destructive.
    let withdraw = tools.iter().find(|t| t.name == "withdraw_draft").unwrap();
    assert_eq!(
        withdraw
            .annotations
            .as_ref()
            .and_then(|a| a.destructive_hint),
        Some(true)
    );
    let withdrawn = client
        .call_tool(
            CallToolRequestParams::new("withdraw_draft").with_arguments(arguments(json!({
                "change_id": sale_id, "reason": "The sale moved to May.",
            }))),
        )
        .await
        .unwrap()
        .structured_content
        .unwrap();
    assert_eq!(withdrawn["status"], "cancelled");

    // The ledger records each call like the API's, marked as coming through MCP.
    let events = services.store().events_page(None, 100).await.unwrap();
    for action in [
        "access.decided",
        "change.drafted",
        "change.revised",
        "change.withdrawn",
    ] {
        let event = events
            .iter()
            .find(|e| e.action == action)
            .unwrap_or_else(|| panic!("no {action} in {events:?}"));
        assert!(
            event.details.contains("\"via\":\"mcp\""),
            "{action}: {}",
            event.details
        );
    }
    let drafted_events = events
        .iter()
        .filter(|e| e.action == "change.drafted")
        .count();
    // The first draft, the set, and the retried draft once.
    assert_eq!(drafted_events, 3, "the retried draft was recorded once");

    // A token for another step: the reader's step does not draft.
    let reader_token = services
        .issue_token(
            &session.chain.reader.to_string(),
            &session.chain.reader_secret,
            Some(&format!("step:{}", session.workflow.steps[0].id)),
        )
        .await
        .unwrap()
        .access_token
        .0;
    let reader = ()
        .serve(StreamableHttpClientTransport::from_config(
            StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp"))
                .auth_header(reader_token),
        ))
        .await
        .unwrap();
    let not_here = reader.call_tool(keyed("Spring sale")).await.unwrap();
    assert_eq!(not_here.is_error, Some(true));
    assert!(
        format!("{not_here:?}").contains("not allowed to submit draft"),
        "{not_here:?}"
    );
    let not_mine = reader
        .call_tool(
            CallToolRequestParams::new("withdraw_draft").with_arguments(arguments(json!({
                "change_id": change_id, "reason": "Taking someone else's draft back.",
            }))),
        )
        .await
        .unwrap();
    assert_eq!(not_mine.is_error, Some(true));

    // Bad input is the tool's answer, named.
    let wrong = client
        .call_tool(
            CallToolRequestParams::new("get_change")
                .with_arguments(arguments(json!({ "change_id": "nope" }))),
        )
        .await
        .unwrap();
    assert_eq!(wrong.is_error, Some(true));

    // The identity's secret is rotated: its tokens end, and so does the session.
    services
        .rotate_client_secret(&admin, drafter)
        .await
        .unwrap();
    let ended = client
        .call_tool(CallToolRequestParams::new("whoami"))
        .await
        .unwrap_err();
    assert!(ended.is_authorization_required(), "{ended:?}");
}
