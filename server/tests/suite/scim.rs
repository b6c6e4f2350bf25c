//! The SCIM service provider over HTTP, in-process on a real SQLite database: the exact request
//! bodies Microsoft Entra ID and Okta document, replayed in order with their effects checked;
//! the offboarding story (an agent's owner deactivated through SCIM, the agent's very next call
//! refused); and the refusals, each a SCIM error document.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::agent_api::api;
use crate::http::{start_app, TestApp};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use countersign::config::Mode;
use countersign_core::domain::HumanId;
use countersign_core::Actor;
use serde_json::{json, Value};
use std::path::Path;

const SCIM_JSON: &str = "application/scim+json";

/// Entra ID's and Okta's sample groups map to roles, so membership changes show in roles.
const ROLE_MAP: &str = "approver=displayName;legal=Test SCIMv2";

async fn directory_token(services: &countersign_core::Services, admin: &Actor) -> String {
    services
        .create_directory_token(
            &admin.clone().authenticated_at(services.now_ms()),
            "Entra ID",
        )
        .await
        .unwrap()
        .1
         .0
}

fn encode(path: &str) -> String {
    path.replace(' ', "%20")
        .replace('"', "%22")
        .replace('[', "%5B")
        .replace(']', "%5D")
}

async fn scim(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/scim/v2{}", encode(path)));
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, SCIM_JSON)
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    };
    let reply = app.send(request.unwrap()).await;
    (
        reply.status,
        serde_json::from_str(&reply.body).unwrap_or(Value::Null),
        reply.headers,
    )
}

fn fill(value: &str, ids: &[(&str, String)]) -> String {
    ids.iter().fold(value.to_owned(), |v, (k, id)| {
        v.replace(&format!("{{{k}}}"), id)
    })
}

/// Replays every fixture of a directory in order, checking each answer and its effect, against
/// a console on `database` (its own SQLite file when `None`).
async fn replay(vendor: &str, database: Option<&str>) {
    let mut env = vec![("COUNTERSIGN_ROLE_MAP", ROLE_MAP)];
    if let Some(url) = database {
        env.push(("COUNTERSIGN_DATABASE_URL", url));
    }
    let app = start_app(Mode::Demo, &env).await;
    let admin = app.services.demo_persona("priya").await.unwrap();
    let token = directory_token(&app.services, &admin).await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scim")
        .join(vendor);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{vendor}: fixtures missing");
    let mut ids: Vec<(&str, String)> = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let step: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let path = fill(step["path"].as_str().unwrap(), &ids);
        let body = step
            .get("body")
            .map(|b| serde_json::from_str::<Value>(&fill(&b.to_string(), &ids)).unwrap());
        let method = step["method"].as_str().unwrap();
        let (status, answer, headers) =
            scim(&app, method, &path, Some(&token), body.as_ref()).await;
        assert_eq!(
            status.as_u16(),
            step["status"].as_u64().unwrap() as u16,
            "{vendor}/{name}: {answer}"
        );
        if status != StatusCode::NO_CONTENT {
            assert_eq!(headers[header::CONTENT_TYPE], SCIM_JSON, "{vendor}/{name}");
        }
        if let Some(kind) = step["capture"].as_str() {
            let id = answer["id"].as_str().unwrap().to_owned();
            assert_eq!(
                headers[header::LOCATION].to_str().unwrap(),
                answer["meta"]["location"].as_str().unwrap()
            );
            ids.push((if kind == "user" { "user" } else { "group" }, id));
        }
        if let Some(total) = step.get("total") {
            assert_eq!(answer["totalResults"], *total, "{vendor}/{name}: {answer}");
            assert_eq!(
                answer["schemas"][0],
                "urn:ietf:params:scim:api:messages:2.0:ListResponse"
            );
        }
        if step.get("no_password").is_some() {
            assert!(
                answer.get("password").is_none(),
                "{vendor}/{name}: a password came back"
            );
        }
        let user = ids
            .iter()
            .find(|(k, _)| *k == "user")
            .map(|(_, id)| id.parse::<HumanId>().unwrap());
        if let Some(roles) = step.get("roles_of_user") {
            let person = app
                .services
                .store()
                .human(user.unwrap())
                .await
                .unwrap()
                .unwrap();
            let held: Vec<&str> = person.roles.iter().map(|r| r.as_str()).collect();
            let expected: Vec<&str> = roles
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            assert_eq!(held, expected, "{vendor}/{name}");
        }
        if let Some(active) = step.get("user_active") {
            let person = app
                .services
                .store()
                .human(user.unwrap())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                person.is_active(),
                active.as_bool().unwrap(),
                "{vendor}/{name}"
            );
            assert_eq!(answer["active"], *active, "{vendor}/{name}");
        }
    }
    // Every write is one ledger event of the directory.
    let events = app.services.store().events_page(None, 500).await.unwrap();
    let count = |action: &str| events.iter().filter(|e| e.action == action).count();
    assert_eq!(count("directory.user_provisioned"), 1, "{vendor}");
    assert_eq!(count("directory.group_deleted"), 1, "{vendor}");
}

#[tokio::test]
async fn entra_id_provisions_as_its_documentation_shows() {
    replay("entra", None).await;
    let postgres = crate::core_common::postgres().await;
    replay("entra", Some(&postgres.url)).await;
}

#[tokio::test]
async fn okta_provisions_as_its_documentation_shows() {
    replay("okta", None).await;
    let postgres = crate::core_common::postgres().await;
    replay("okta", Some(&postgres.url)).await;
}

#[tokio::test]
async fn an_agents_owner_deactivated_through_scim_is_refused_at_the_agents_next_call() {
    let api = api(&[]).await;
    let services = &api.services;
    // Another security admin holds the directory link: priya, the agent's owner, is the leaver.
    let sam = crate::core_common::signed_in(
        services,
        "sam",
        &[countersign_core::domain::Role::SecurityAdmin],
    )
    .await;
    let token = services
        .create_directory_token(&sam, "Okta")
        .await
        .unwrap()
        .1
         .0;
    let scim = services.authenticate_directory_token(&token).await.unwrap();
    let priya = services
        .scim_create_user(
            &scim,
            &json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                     "userName": "priya.nair@example.com", "externalId": "priya" }),
        )
        .await
        .unwrap();
    let access = api.token_for_step().await;
    assert_eq!(api.me(Some(&access)).await.status, StatusCode::OK);

    let request = Request::patch(format!("/scim/v2/Users/{}", priya.row.human_id))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, SCIM_JSON)
        .body(Body::from(
            json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{ "op": "replace", "value": { "active": false } }] })
            .to_string(),
        ))
        .unwrap();
    let answered = api.send(request).await;
    let started = std::time::Instant::now();
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.json);
    // The very next call is refused: no polling, no cache to wait out.
    let refused = api.me(Some(&access)).await;
    let elapsed = started.elapsed();
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.json);
    assert!(
        refused.json["detail"]
            .as_str()
            .unwrap()
            .contains("no active human owner"),
        "{}",
        refused.json
    );
    println!(
        "SCIM answer → the agent's next call refused: {:.1} ms",
        elapsed.as_secs_f64() * 1e3
    );
    // A fresh token is refused too.
    let again = api.token(&api.body_auth(&api.scope), None).await;
    assert_ne!(again.status, StatusCode::OK);
}

#[tokio::test]
async fn refusals_are_scim_error_documents() {
    let app = start_app(
        Mode::Demo,
        &[
            ("COUNTERSIGN_ROLE_MAP", ROLE_MAP),
            ("COUNTERSIGN_MAX_BODY_BYTES", "4096"),
        ],
    )
    .await;
    let admin = app.services.demo_persona("priya").await.unwrap();
    let token = directory_token(&app.services, &admin).await;
    let user = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.com" });
    let error_doc =
        |answer: &Value| answer["schemas"][0] == "urn:ietf:params:scim:api:messages:2.0:Error";

    let (status, answer, headers) = scim(&app, "GET", "/Users", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        error_doc(&answer) && headers.contains_key(header::WWW_AUTHENTICATE),
        "{answer}"
    );
    let (status, answer, _) = scim(&app, "GET", "/Users", Some("csscim_forged"), None).await;
    assert_eq!(
        (status, error_doc(&answer)),
        (StatusCode::UNAUTHORIZED, true)
    );

    let (status, answer, _) = scim(&app, "POST", "/Users", Some(&token), Some(&user)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (status, answer, _) = scim(&app, "POST", "/Users", Some(&token), Some(&user)).await;
    assert_eq!(
        (status, answer["scimType"].as_str()),
        (StatusCode::CONFLICT, Some("uniqueness")),
        "{answer}"
    );
    assert_eq!(answer["status"], "409");

    let (status, answer, _) = scim(
        &app,
        "GET",
        "/Users?filter=userName co \"a\"",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        (status, answer["scimType"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalidFilter")),
        "{answer}"
    );
    let (status, answer, _) = scim(&app, "GET", "/Users?count=many", Some(&token), None).await;
    assert_eq!(
        (status, answer["scimType"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalidValue")),
        "{answer}"
    );
    let (status, answer, _) = scim(&app, "GET", "/Teams", Some(&token), None).await;
    assert_eq!(
        (status, error_doc(&answer)),
        (StatusCode::NOT_FOUND, true),
        "{answer}"
    );

    let wrong_type = app
        .send(
            Request::post("/scim/v2/Users")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from(user.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(
        wrong_type.status,
        StatusCode::BAD_REQUEST,
        "{}",
        wrong_type.body
    );
    let not_json = app
        .send(
            Request::post("/scim/v2/Users")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, SCIM_JSON)
                .body(Body::from("{\"schemas\": ["))
                .unwrap(),
        )
        .await;
    assert!(not_json.body.contains("invalidSyntax"), "{}", not_json.body);

    let big = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "big@example.com", "title": "x".repeat(8000) });
    let (status, answer, _) = scim(&app, "POST", "/Users", Some(&token), Some(&big)).await;
    assert_eq!(
        (status, error_doc(&answer)),
        (StatusCode::PAYLOAD_TOO_LARGE, true),
        "{answer}"
    );
    assert_eq!(
        app.count_events("directory.user_provisioned").await,
        1,
        "only the first create"
    );

    // The directory's token is for SCIM only.
    let elsewhere = app
        .send(
            Request::get("/api/v1/me")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        elsewhere.body
    );
    let people = app
        .send(
            Request::get("/identities")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(people.status, StatusCode::FORBIDDEN);
    // Discovery answers the directory.
    for path in [
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/Schemas",
        "/ResourceTypes/User",
    ] {
        let (status, answer, _) = scim(&app, "GET", path, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    }
}
