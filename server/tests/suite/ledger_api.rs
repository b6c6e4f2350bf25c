//! The ledger's proof API (`/api/v1/ledger`) as an auditor's tool uses it: the checkpoint it
//! returns verifies with the log's public key, the inclusion and consistency proofs verify
//! against the signed roots, and every token that should not read proofs is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::http::{start_app, TestApp};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use countersign::config::Mode;
use countersign_core::Actor;
use countersign_transparency::merkle::{self, Hash};
use countersign_transparency::Checkpoint;
use serde_json::Value;

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value, Option<String>) {
    let reply = app
        .send(
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let challenge = reply
        .headers
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    (
        reply.status,
        serde_json::from_str(&reply.body).unwrap_or(Value::Null),
        challenge,
    )
}

fn hashes(value: &Value) -> Vec<Hash> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|h| B64.decode(h.as_str().unwrap()).unwrap().try_into().unwrap())
        .collect()
}

fn hash(value: &Value) -> Hash {
    B64.decode(value.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

async fn fresh(app: &TestApp, persona: &str) -> Actor {
    app.services
        .demo_persona(persona)
        .await
        .unwrap()
        .authenticated_at(app.services.now_ms())
}

#[tokio::test]
async fn an_auditors_tool_checks_the_checkpoint_and_proofs_it_fetches() {
    let app = start_app(Mode::Demo, &[]).await;
    app.sign_in_as("tomasz").await;
    let first = app.services.checkpoint_ledger().await.unwrap().unwrap();
    let admin = fresh(&app, "priya").await;
    let (_, token) = app
        .services
        .issue_auditor_token(&admin, "Acme LLP audit tool", 30)
        .await
        .unwrap();
    let token = token.0;
    app.sign_in_as("amira").await;
    let second = app.services.checkpoint_ledger().await.unwrap().unwrap();
    assert!(second.tree_size > first.tree_size);
    let key = app.services.log_verifier().unwrap();

    let (status, body, _) = get(&app, "/api/v1/ledger/checkpoint", &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["public_key"], key.to_string());
    let (checkpoint, _) = Checkpoint::open(body["note"].as_str().unwrap(), &key).unwrap();
    assert_eq!(checkpoint.size, second.tree_size);
    assert_eq!(body["tree_size"], second.tree_size);
    assert_eq!(hash(&body["root_hash"]), checkpoint.root);

    // Event 1's leaf is the hash of its bytes, and its path leads to the signed root.
    let (status, proof, _) = get(&app, "/api/v1/ledger/events/1/proof", &token).await;
    assert_eq!(status, StatusCode::OK, "{proof}");
    assert_eq!(
        proof["tree_size"], second.tree_size,
        "the latest checkpoint's tree"
    );
    let event = app.services.store().events_after(0, 1).await.unwrap();
    let leaf = merkle::leaf_hash(&event[0].hashed_bytes());
    assert_eq!(hash(&proof["leaf_hash"]), leaf);
    merkle::verify_inclusion(
        &leaf,
        0,
        second.tree_size,
        &hashes(&proof["proof"]),
        &checkpoint.root,
    )
    .unwrap();
    // A proof in an older, smaller tree verifies against that tree's root.
    let last = first.tree_size;
    let (status, old, _) = get(
        &app,
        &format!("/api/v1/ledger/events/{last}/proof?size={last}"),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{old}");
    merkle::verify_inclusion(
        &hash(&old["leaf_hash"]),
        last - 1,
        last,
        &hashes(&old["proof"]),
        &first.root_hash,
    )
    .unwrap();

    let (status, consistency, _) = get(
        &app,
        &format!(
            "/api/v1/ledger/consistency?from={}&to={}",
            first.tree_size, second.tree_size
        ),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{consistency}");
    merkle::verify_consistency(
        first.tree_size,
        second.tree_size,
        &first.root_hash,
        &checkpoint.root,
        &hashes(&consistency["proof"]),
    )
    .unwrap();

    // Reading proofs writes nothing: the tool is not a visitor the ledger records.
    assert_eq!(
        app.services.store().event_count().await.unwrap() as u64,
        second.tree_size
    );
}

#[tokio::test]
async fn requests_outside_the_tree_are_refused_by_name() {
    let app = start_app(Mode::Demo, &[]).await;
    app.sign_in_as("tomasz").await;
    let admin = fresh(&app, "priya").await;
    let (_, token) = app
        .services
        .issue_auditor_token(&admin, "Acme LLP audit tool", 30)
        .await
        .unwrap();
    let token = token.0;

    let (status, body, _) = get(&app, "/api/v1/ledger/checkpoint", &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body, _) = get(&app, "/api/v1/ledger/events/1/proof", &token).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("no checkpoint"));

    let size = app
        .services
        .checkpoint_ledger()
        .await
        .unwrap()
        .unwrap()
        .tree_size;
    for (path, status, says) in [
        (
            "/api/v1/ledger/events/0/proof",
            StatusCode::UNPROCESSABLE_ENTITY,
            "seq",
        ),
        (
            "/api/v1/ledger/events/-3/proof",
            StatusCode::UNPROCESSABLE_ENTITY,
            "seq",
        ),
        (
            &format!("/api/v1/ledger/events/{}/proof", size + 1),
            StatusCode::UNPROCESSABLE_ENTITY,
            "seq",
        ),
        (
            &format!("/api/v1/ledger/events/1/proof?size={}", size + 5),
            StatusCode::UNPROCESSABLE_ENTITY,
            "size",
        ),
        (
            "/api/v1/ledger/events/1/proof?size=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "size",
        ),
        (
            "/api/v1/ledger/events/x/proof",
            StatusCode::BAD_REQUEST,
            "seq",
        ),
        (
            "/api/v1/ledger/events/99999999999999999999/proof",
            StatusCode::BAD_REQUEST,
            "seq",
        ),
        (
            "/api/v1/ledger/events/1/proof?size=-1",
            StatusCode::BAD_REQUEST,
            "size",
        ),
        (
            "/api/v1/ledger/consistency?from=2&to=1",
            StatusCode::UNPROCESSABLE_ENTITY,
            "from",
        ),
        (
            "/api/v1/ledger/consistency?from=0&to=1",
            StatusCode::UNPROCESSABLE_ENTITY,
            "from",
        ),
        (
            &format!("/api/v1/ledger/consistency?from=1&to={}", size + 1),
            StatusCode::UNPROCESSABLE_ENTITY,
            "to",
        ),
        (
            "/api/v1/ledger/consistency?from=1",
            StatusCode::BAD_REQUEST,
            "from and to",
        ),
        (
            "/api/v1/ledger/consistency?from=a&to=2",
            StatusCode::BAD_REQUEST,
            "from and to",
        ),
    ] {
        let (got, body, _) = get(&app, path, &token).await;
        assert_eq!(got, status, "{path}: {body}");
        if !says.is_empty() {
            assert!(
                body["detail"].as_str().unwrap_or_default().contains(says),
                "{path}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn a_token_stops_working_when_revoked_expired_or_its_issuer_leaves() {
    let app = start_app(Mode::Demo, &[]).await;
    app.sign_in_as("tomasz").await;
    app.services.checkpoint_ledger().await.unwrap();
    let path = "/api/v1/ledger/checkpoint";
    let refused = |expected: &'static str| {
        move |(status, body, challenge): (StatusCode, Value, Option<String>)| {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
            assert!(challenge.unwrap().contains("invalid_token"));
            let detail = body["detail"].as_str().unwrap().to_owned();
            assert!(detail.contains(expected), "{detail}");
        }
    };

    let reply = app.get(path, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.body.contains("auditor token"), "{}", reply.body);
    refused("malformed")(get(&app, path, "csaud_short").await);
    refused("unknown")(get(&app, path, &format!("csaud_{}", "A".repeat(43))).await);

    let priya = fresh(&app, "priya").await;
    let sam = fresh(&app, "sana").await;
    let issue = |name: &'static str| {
        let app = &app;
        let priya = priya.clone();
        async move {
            app.services
                .issue_auditor_token(&priya, name, 30)
                .await
                .unwrap()
        }
    };
    let (revoked, revoked_token) = issue("Revoked tool").await;
    app.services
        .revoke_auditor_token(&sam, revoked.id)
        .await
        .unwrap();
    assert_eq!(app.count_events("auditor_token.revoked").await, 1);
    refused("revoked")(get(&app, path, &revoked_token.0).await);
    let again = app.services.revoke_auditor_token(&sam, revoked.id).await;
    assert!(again.unwrap_err().to_string().contains("already revoked"));

    let (_, working) = issue("Working tool").await;
    assert_eq!(get(&app, path, &working.0).await.0, StatusCode::OK);
    let Actor::Human { id: priya_id, .. } = &priya else {
        unreachable!()
    };
    app.services
        .set_person_active(&sam, *priya_id, false, "Left the company.")
        .await
        .unwrap();
    refused("no longer active")(get(&app, path, &working.0).await);
    app.services
        .set_person_active(&sam, *priya_id, true, "Back on the team.")
        .await
        .unwrap();
    assert_eq!(get(&app, path, &working.0).await.0, StatusCode::OK);

    app.clock.advance(chrono::Duration::days(31));
    refused("expired")(get(&app, path, &working.0).await);
    assert_eq!(app.count_events("auditor_token.issued").await, 2);
}

#[tokio::test]
async fn only_fresh_security_admins_issue_tokens_and_within_bounds() {
    let app = start_app(Mode::Demo, &[]).await;
    let services = &app.services;
    let auditor = fresh(&app, "tomasz").await;
    let refused = services.issue_auditor_token(&auditor, "Own tool", 30).await;
    assert!(
        refused.is_err(),
        "auditors use tokens; they do not issue them"
    );
    let stale = services
        .demo_persona("priya")
        .await
        .unwrap()
        .authenticated_at(services.now_ms() - 86_400_000);
    let refused = services.issue_auditor_token(&stale, "Acme tool", 30).await;
    assert!(refused.unwrap_err().to_string().contains("sign-in"));
    let admin = fresh(&app, "priya").await;
    for (name, days, field) in [
        ("ab", 30, "name"),
        ("Acme tool", 0, "days"),
        ("Acme tool", 91, "days"),
    ] {
        let error = services
            .issue_auditor_token(&admin, name, days)
            .await
            .unwrap_err();
        assert!(error.to_string().contains(field), "{error}");
    }
    assert_eq!(app.count_events("auditor_token.issued").await, 0);
}

#[tokio::test]
async fn the_filtered_ledger_exports_as_json_lines_and_csv() {
    let app = start_app(Mode::Demo, &[]).await;
    let (_, cookie) = app.sign_in_as("tomasz").await;
    let total = app.services.store().event_count().await.unwrap();

    let reply = app.get("/audit/export?format=jsonl", Some(&cookie)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("countersign-ledger.jsonl"));
    let lines: Vec<Value> = reply
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as i64, total);
    assert!(
        lines
            .windows(2)
            .all(|w| w[0]["seq"].as_i64() > w[1]["seq"].as_i64()),
        "newest first"
    );
    assert!(lines[0]["details"].is_object());

    let reply = app
        .get("/audit/export?format=csv&action=auth.", Some(&cookie))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let mut rows = csv::Reader::from_reader(reply.body.as_bytes());
    let actions: Vec<String> = rows.records().map(|r| r.unwrap()[4].to_owned()).collect();
    assert!(!actions.is_empty() && actions.iter().all(|a| a.starts_with("auth.")));

    let reply = app.get("/audit/export?format=xml", Some(&cookie)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = app
        .get("/audit/export?subject=nonsense", Some(&cookie))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.starts_with("subject:"), "{}", reply.body);
    let (_, legal) = app.sign_in_as("lukas").await;
    let reply = app.get("/audit/export", Some(&legal)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}
