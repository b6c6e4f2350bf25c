//! What an attacker's requests cost and what a browser is told to enforce: sign-in starts that
//! write nothing, throttled sign-in floods, strict browser headers and cookies, and the
//! configuration refusing an unsafe public URL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::http::start_app;
use axum::http::{header, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use countersign::config::{Config, Mode};
use std::collections::HashMap;

/// An identity provider's discovery document and (empty) key set, served for real: enough for
/// the console to start sign-ins against it.
async fn discovery_only_idp() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let document = serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                let document = document.clone();
                async move { Json(document) }
            }),
        )
        .route(
            "/jwks",
            get(|| async { Json(serde_json::json!({ "keys": [] })) }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    issuer
}

#[tokio::test]
async fn starting_a_sign_in_writes_nothing_and_the_flow_rides_in_a_sealed_cookie() {
    let issuer = discovery_only_idp().await;
    let app = start_app(
        Mode::Demo,
        &[
            ("COUNTERSIGN_OIDC_ISSUER", &issuer),
            ("COUNTERSIGN_OIDC_CLIENT_ID", "countersign"),
            ("COUNTERSIGN_OIDC_CLIENT_SECRET", "s3cret-value"),
            ("COUNTERSIGN_ROLE_MAP", "auditor=audit"),
        ],
    )
    .await;
    let before = app.count_sessions().await;
    let mut cookies = Vec::new();
    for _ in 0..20 {
        let start = app.get("/auth/login?next=/audit", None).await;
        assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
        assert!(start
            .location
            .unwrap()
            .starts_with(&format!("{issuer}/authorize?")));
        let cookie = start.set_cookie.expect("the flow cookie");
        assert!(cookie.starts_with("countersign_flow="), "{cookie}");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        assert!(cookie.contains("Max-Age=600"), "{cookie}");
        cookies.push(cookie.split(';').next().unwrap().to_owned());
    }
    assert_eq!(
        app.count_sessions().await,
        before,
        "no stored session for a sign-in start"
    );

    // The callback reads the flow back from the cookie: with the right cookie but a wrong
    // state, it is a state mismatch (not "no sign-in in progress"), and the cookie is cleared.
    let wrong_state = app
        .get("/auth/callback?code=c&state=guess", Some(&cookies[0]))
        .await;
    assert_eq!(
        wrong_state.location.as_deref(),
        Some("/signin?error=state_mismatch")
    );
    assert!(wrong_state.set_cookie.unwrap().contains("Max-Age=0"));
    // A cookie that was not sealed by this console is no flow at all.
    let forged = app
        .get(
            "/auth/callback?code=c&state=guess",
            Some("countersign_flow=v1.AAAA.BBBB"),
        )
        .await;
    assert_eq!(
        forged.location.as_deref(),
        Some("/signin?error=no_sign_in_in_progress")
    );
}

#[tokio::test]
async fn a_flood_of_failed_sign_ins_is_throttled_and_recorded_once() {
    let app = start_app(
        Mode::Demo,
        &[
            ("COUNTERSIGN_OIDC_ISSUER", "http://127.0.0.1:9"),
            ("COUNTERSIGN_OIDC_CLIENT_ID", "countersign"),
            ("COUNTERSIGN_OIDC_CLIENT_SECRET", "s3cret-value"),
            ("COUNTERSIGN_ROLE_MAP", "auditor=audit"),
            ("COUNTERSIGN_FAILED_SIGN_IN_LIMIT", "5"),
        ],
    )
    .await;
    for _ in 0..30 {
        let reply = app
            .get("/auth/callback?code=stolen&state=guess", None)
            .await;
        assert!(reply.location.unwrap().starts_with("/signin?error="));
    }
    assert_eq!(
        app.count_events("auth.sign_in_failed").await,
        1,
        "one detailed event"
    );
    let paused = app.post_form("/auth/demo", "persona=tomasz", None).await;
    assert_eq!(paused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        paused.body.contains("too many failed sign-ins"),
        "{}",
        paused.body
    );
    let retry: u64 = paused.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(
        paused.set_cookie.is_none(),
        "no session for a refused sign-in"
    );
    let login = app.get("/auth/login", None).await;
    assert_eq!(login.status, StatusCode::TOO_MANY_REQUESTS);

    // The window ends; the source may sign in again, and the ledger holds one detailed event
    // and one summary, not thirty.
    app.clock.advance(chrono::Duration::minutes(16));
    app.sweep().await;
    let (reply, _) = app.sign_in_as("tomasz").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count_events("auth.sign_in_failed").await, 1);
    assert_eq!(
        app.count_events("auth.sign_in_failures").await,
        1,
        "and one summary"
    );
}

#[tokio::test]
async fn pages_carry_a_nonce_policy_and_nothing_is_cached() {
    let app = start_app(Mode::Demo, &[]).await;
    let page = app.get("/signin", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let policy = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    for directive in [
        "img-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(policy.contains(directive), "{directive}: {policy}");
    }
    // Every inline script the page carries has this response's nonce.
    let scripts = page.body.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        page.body.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "{}",
        page.body
    );
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(page.headers[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(
        page.headers
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_none(),
        "plain http"
    );

    let again = app.get("/signin", None).await;
    assert_ne!(
        again.headers[header::CONTENT_SECURITY_POLICY],
        policy,
        "a fresh nonce each time"
    );

    let api = app.get("/api/v1/openapi.json", None).await;
    let api_policy = api.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(api_policy.starts_with("default-src 'none'"), "{api_policy}");
    let call = app.post_form("/ui/verify_ledger", "", None).await;
    assert_eq!(
        call.headers[header::CACHE_CONTROL],
        "no-store",
        "server functions too"
    );
}

#[tokio::test]
async fn over_https_cookies_are_host_bound_and_hsts_is_sent() {
    let app = start_app(
        Mode::Demo,
        &[("COUNTERSIGN_PUBLIC_URL", "https://console.example.com")],
    )
    .await;
    let request = axum::http::Request::post("/auth/demo")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(axum::body::Body::from("persona=tomasz"))
        .unwrap();
    let reply = app.send(request).await;
    let cookie = reply.set_cookie.unwrap();
    assert!(
        cookie.starts_with("__Host-countersign_session="),
        "{cookie}"
    );
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert!(reply.headers[header::STRICT_TRANSPORT_SECURITY]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
}

#[test]
fn serving_on_plain_http_beyond_loopback_needs_the_operators_word() {
    let env = |extra: &[(&str, &str)]| {
        let mut env: HashMap<String, String> = [
            ("COUNTERSIGN_OIDC_ISSUER", "https://idp.example.com"),
            ("COUNTERSIGN_OIDC_CLIENT_ID", "countersign"),
            ("COUNTERSIGN_OIDC_CLIENT_SECRET", "s"),
            ("COUNTERSIGN_ROLE_MAP", "auditor=audit"),
            ("COUNTERSIGN_PUBLIC_URL", "http://console.example.com"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in extra {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        env
    };
    let refused = Config::from_sources(None, &env(&[]), Mode::Serve).unwrap_err();
    assert_eq!(refused.key, "COUNTERSIGN_PUBLIC_URL");
    assert!(
        refused.problem.contains("must be https"),
        "{}",
        refused.problem
    );
    assert!(Config::from_sources(
        None,
        &env(&[("COUNTERSIGN_ALLOW_INSECURE_PUBLIC_URL", "true")]),
        Mode::Serve
    )
    .is_ok());
    for loopback in [
        "http://127.0.0.1:3000",
        "http://localhost:3000",
        "http://[::1]:3000",
    ] {
        assert!(
            Config::from_sources(
                None,
                &env(&[("COUNTERSIGN_PUBLIC_URL", loopback)]),
                Mode::Serve
            )
            .is_ok(),
            "{loopback}"
        );
    }
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token() {
    let token = "m".repeat(40);
    let app = start_app(Mode::Demo, &[("COUNTERSIGN_METRICS_TOKEN", &token)]).await;
    let anonymous = app.get("/metrics", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.body.contains("COUNTERSIGN_METRICS_TOKEN"));
    let bearer = |value: &str| {
        axum::http::Request::get("/metrics")
            .header(header::AUTHORIZATION, format!("Bearer {value}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let wrong = app.send(bearer(&"x".repeat(40))).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let right = app.send(bearer(&token)).await;
    assert_eq!(right.status, StatusCode::OK);
    assert!(right.body.contains("countersign_"), "{}", right.body);

    let short = Config::from_sources(
        None,
        &HashMap::from([("COUNTERSIGN_METRICS_TOKEN".to_owned(), "short".to_owned())]),
        Mode::Demo,
    )
    .unwrap_err();
    assert_eq!(short.key, "COUNTERSIGN_METRICS_TOKEN");
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_and_key_files_are_owner_only_or_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let db = dir.path().join("cs.db");
    let key = dir.path().join("cs.key");
    let env = HashMap::from([
        (
            "COUNTERSIGN_DATABASE_URL".to_owned(),
            format!("sqlite://{}", db.display()),
        ),
        (
            "COUNTERSIGN_SECRET_KEY_FILE".to_owned(),
            key.display().to_string(),
        ),
    ]);
    let config = Config::from_sources(None, &env, Mode::Demo).unwrap();
    let clock = std::sync::Arc::new(countersign_core::clock::ManualClock::new(chrono::Utc::now()));
    drop(
        countersign::startup::build_state(config.clone(), clock.clone())
            .await
            .unwrap(),
    );
    assert_eq!(mode(&db), 0o600, "the database is created owner-only");
    assert_eq!(mode(&key), 0o600, "the key file is created owner-only");

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = countersign::startup::build_state(config.clone(), clock.clone())
        .await
        .err()
        .expect("a shared key file is refused");
    assert!(format!("{error:#}").contains("chmod 600"), "{error:#}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();

    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o664)).unwrap();
    let error = countersign::startup::build_state(config, clock)
        .await
        .err()
        .expect("a shared database file is refused");
    assert!(
        format!("{error:#}").contains("open to other users (mode 664)"),
        "{error:#}"
    );
}

#[test]
fn database_passwords_never_show_in_the_configuration() {
    let config = Config::from_sources(
        None,
        &HashMap::from([(
            "COUNTERSIGN_DATABASE_URL".to_owned(),
            "postgres://cs:hunter2@db/cs?sslpassword=k3y".to_owned(),
        )]),
        Mode::Demo,
    )
    .unwrap();
    let shown = format!("{config:?} {}", config.database_url);
    assert!(
        !shown.contains("hunter2") && !shown.contains("k3y"),
        "{shown}"
    );
}

/// Behind a proxy, the source is the address the proxy appended, not what the client wrote
/// before it: a client cannot dodge its throttle by inventing earlier entries.
#[tokio::test]
async fn behind_a_proxy_the_source_is_the_last_forwarded_address() {
    let app = start_app(
        Mode::Demo,
        &[
            ("COUNTERSIGN_CLIENT_IP_HEADER", "X-Forwarded-For"),
            ("COUNTERSIGN_FAILED_SIGN_IN_LIMIT", "2"),
            ("COUNTERSIGN_OIDC_ISSUER", "http://127.0.0.1:9"),
            ("COUNTERSIGN_OIDC_CLIENT_ID", "countersign"),
            ("COUNTERSIGN_OIDC_CLIENT_SECRET", "s3cret-value"),
            ("COUNTERSIGN_ROLE_MAP", "auditor=audit"),
        ],
    )
    .await;
    let with_source = |path: &str, forwarded: &str| {
        axum::http::Request::get(path)
            .header("x-forwarded-for", forwarded)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    for invented in ["1.1.1.1", "2.2.2.2", "3.3.3.3"] {
        let reply = app
            .send(with_source(
                "/auth/callback?code=x&state=y",
                &format!("{invented}, 10.0.0.1"),
            ))
            .await;
        assert!(reply.location.unwrap().starts_with("/signin?error="));
    }
    let demo = |forwarded: &str| {
        axum::http::Request::post("/auth/demo")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .header("x-forwarded-for", forwarded.to_owned())
            .body(axum::body::Body::from("persona=tomasz"))
            .unwrap()
    };
    let same = app.send(demo("9.9.9.9, 10.0.0.1")).await;
    assert_eq!(
        same.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the same source"
    );
    let other = app.send(demo("10.0.0.2")).await;
    assert_eq!(
        other.status,
        StatusCode::SEE_OTHER,
        "another source is not held back"
    );
}
