//! The HTTP application in-process, over a real SQLite database: routing, sessions, CSRF,
//! body limits, sign-in refusals and health.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use countersign::config::{Config, Mode};
use countersign::startup::build_state;
use countersign_core::clock::ManualClock;
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

pub(crate) const ORIGIN: &str = "http://127.0.0.1:3000";

pub(crate) struct TestApp {
    pub(crate) router: Router,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) services: countersign_core::Services,
    _dir: tempfile::TempDir,
}

pub(crate) async fn start_app(mode: Mode, extra: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut env: HashMap<String, String> = HashMap::from([
        (
            "COUNTERSIGN_DATABASE_URL".to_owned(),
            format!("sqlite://{}/cs.db", dir.path().display()),
        ),
        (
            "COUNTERSIGN_SECRET_KEY_FILE".to_owned(),
            format!("{}/countersign.key", dir.path().display()),
        ),
    ]);
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let config = Config::from_sources(None, &env, mode).unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let state = build_state(config, clock.clone()).await.unwrap();
    TestApp {
        services: state.services.clone(),
        router: countersign::web::build(state),
        clock,
        _dir: dir,
    }
}

/// Demo mode plus an IdP that is not there.
pub(crate) async fn app_with_unreachable_idp() -> TestApp {
    start_app(
        Mode::Demo,
        &[
            ("COUNTERSIGN_OIDC_ISSUER", "http://127.0.0.1:9"),
            ("COUNTERSIGN_OIDC_CLIENT_ID", "countersign"),
            ("COUNTERSIGN_OIDC_CLIENT_SECRET", "s3cret-value"),
            ("COUNTERSIGN_ROLE_MAP", "auditor=audit"),
        ],
    )
    .await
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) set_cookie: Option<String>,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: String,
}

impl TestApp {
    /// Stored browser sessions, counted in the database.
    pub(crate) async fn count_sessions(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM sessions", "").await
    }

    /// Ledger events with this action, counted in the database.
    pub(crate) async fn count_events(&self, action: &str) -> i64 {
        self.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            action,
        )
        .await
    }

    async fn count(&self, sql: &str, bind: &str) -> i64 {
        let url = format!("sqlite://{}/cs.db", self._dir.path().display());
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        let mut query = sqlx::query_scalar(sql);
        if !bind.is_empty() {
            query = query.bind(bind);
        }
        query.fetch_one(&mut conn).await.unwrap()
    }

    /// What the console's minute-by-minute sweep does.
    pub(crate) async fn sweep(&self) {
        self.services.sweep_throttles().await.unwrap();
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let status = response.status();
        let location = header(header::LOCATION);
        let set_cookie = header(header::SET_COOKIE);
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 4 << 20)
            .await
            .unwrap();
        Reply {
            status,
            location,
            set_cookie,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub(crate) async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    pub(crate) async fn post_form(&self, path: &str, form: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .header(header::ORIGIN, ORIGIN);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(form.to_owned())).unwrap())
            .await
    }

    /// Signs in as a demo persona and returns the session cookie (`name=value`).
    pub(crate) async fn sign_in_as(&self, persona: &str) -> (Reply, String) {
        let reply = self
            .post_form(
                "/auth/demo",
                &format!("persona={persona}&next=/audit"),
                None,
            )
            .await;
        let cookie = reply
            .set_cookie
            .clone()
            .expect("a session cookie")
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        (reply, cookie)
    }
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = start_app(Mode::Demo, &[]).await;
    let health = app.get("/healthz", None).await;
    assert_eq!(
        (health.status, health.body.as_str()),
        (StatusCode::OK, "ok")
    );
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert!(
        ready.body.contains(r#""migrations":"current""#),
        "{}",
        ready.body
    );
    assert!(ready
        .body
        .contains(r#""identity_provider":"not_configured""#));
}

#[tokio::test]
async fn an_unreachable_idp_makes_the_console_unready_and_sign_in_explains() {
    let app = app_with_unreachable_idp().await;
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        ready.body.contains(r#""identity_provider":"unreachable""#),
        "{}",
        ready.body
    );
    let login = app.get("/auth/login?next=/audit", None).await;
    assert_eq!(
        login.location.as_deref(),
        Some("/signin?error=idp_unavailable")
    );
    let page = app.get("/signin?error=idp_unavailable", None).await;
    assert!(
        page.body.contains("cannot be reached"),
        "the sign-in page says why"
    );
    assert!(!page.body.contains("s3cret-value"));
}

#[tokio::test]
async fn pages_send_anonymous_visitors_to_sign_in_and_keep_the_destination() {
    let app = start_app(Mode::Demo, &[]).await;
    let reply = app.get("/audit?before=10", None).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reply.location.as_deref(),
        Some("/signin?next=%2Faudit%3Fbefore%3D10")
    );
    let signin = app.get("/signin?next=%2Faudit", None).await;
    assert_eq!(signin.status, StatusCode::OK);
    assert!(signin.body.contains("Demo personas"));
}

#[tokio::test]
async fn demo_sign_in_sets_a_hardened_cookie_and_opens_the_persons_pages() {
    let app = start_app(Mode::Demo, &[]).await;
    let (reply, cookie) = app.sign_in_as("tomasz").await;
    assert_eq!(reply.location.as_deref(), Some("/audit"));
    let set_cookie = reply.set_cookie.unwrap();
    assert!(
        set_cookie.starts_with("countersign_session="),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    assert!(!set_cookie.contains("Secure"), "plain http on loopback");

    let audit = app.get("/audit", Some(&cookie)).await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(audit.body.contains("auth.sign_in") && audit.body.contains("Tomasz"));
}

#[tokio::test]
async fn an_approver_cannot_read_the_ledger_even_by_calling_the_server_function() {
    let app = start_app(Mode::Demo, &[]).await;
    let (_, cookie) = app.sign_in_as("amira").await;
    let page = app.get("/audit", Some(&cookie)).await;
    assert!(
        page.body.contains("You do not have access"),
        "the page explains"
    );
    let call = app.post_form("/ui/audit_page", "", Some(&cookie)).await;
    assert_eq!(
        call.status,
        StatusCode::FORBIDDEN,
        "a refusal, not a server error"
    );
    assert!(call.body.contains("Forbidden"), "{}", call.body);
    assert!(!call.body.contains("auth.sign_in"), "no ledger data leaks");
}

#[tokio::test]
async fn bad_input_to_a_server_function_is_a_refusal_not_a_server_error() {
    let app = start_app(Mode::Demo, &[]).await;
    let (_, cookie) = app.sign_in_as("priya").await;
    let call = app
        .post_form("/ui/activate_workflow", "id=not-an-id", Some(&cookie))
        .await;
    assert_eq!(
        call.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        call.body
    );
    assert!(call.body.contains("is not a valid id"), "{}", call.body);
    let approver = app.sign_in_as("amira").await.1;
    let builder = app
        .post_form("/ui/workflow_builder", "", Some(&approver))
        .await;
    assert_eq!(builder.status, StatusCode::FORBIDDEN, "{}", builder.body);
}

#[tokio::test]
async fn a_person_without_a_role_reaches_only_the_no_access_page() {
    let app = start_app(Mode::Demo, &[]).await;
    let (reply, cookie) = app.sign_in_as("noah").await;
    assert_eq!(reply.location.as_deref(), Some("/no-access"));
    for path in ["/", "/audit", "/queue"] {
        let page = app.get(path, Some(&cookie)).await;
        assert_eq!(page.location.as_deref(), Some("/no-access"), "{path}");
    }
    let page = app.get("/no-access", Some(&cookie)).await;
    assert!(page.body.contains("You have no access to Countersign"));
    let call = app.post_form("/ui/verify_ledger", "", Some(&cookie)).await;
    assert!(call.body.contains("Forbidden"), "{}", call.body);
}

#[tokio::test]
async fn signing_out_ends_the_session_and_is_recorded() {
    let app = start_app(Mode::Demo, &[]).await;
    let (_, cookie) = app.sign_in_as("priya").await;
    let out = app.post_form("/auth/logout", "", Some(&cookie)).await;
    assert_eq!(out.location.as_deref(), Some("/signin?signed_out=1"));
    let after = app.get("/audit", Some(&cookie)).await;
    assert_eq!(after.location.as_deref(), Some("/signin?next=%2Faudit"));

    let (_, auditor) = app.sign_in_as("tomasz").await;
    let audit = app.get("/audit", Some(&auditor)).await;
    assert!(audit.body.contains("auth.sign_out"));
}

#[tokio::test]
async fn sessions_end_after_the_absolute_timeout_even_when_active() {
    let app = start_app(
        Mode::Demo,
        &[
            ("COUNTERSIGN_SESSION_IDLE_TIMEOUT", "30m"),
            ("COUNTERSIGN_SESSION_ABSOLUTE_TIMEOUT", "1h"),
        ],
    )
    .await;
    let (_, cookie) = app.sign_in_as("tomasz").await;
    assert_eq!(
        app.get("/audit", Some(&cookie)).await.status,
        StatusCode::OK
    );
    app.clock.advance(chrono::Duration::minutes(61));
    let expired = app.get("/audit", Some(&cookie)).await;
    assert_eq!(expired.location.as_deref(), Some("/signin?next=%2Faudit"));
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let app = start_app(Mode::Demo, &[]).await;
    let (_, cookie) = app.sign_in_as("tomasz").await;
    for path in ["/auth/logout", "/auth/demo", "/ui/verify_ledger"] {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "cross-site")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::COOKIE, &cookie)
            .body(Body::from("persona=priya"))
            .unwrap();
        let reply = app.send(request).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        assert!(reply.body.contains("Cross-site request refused"));
    }
    // The session survived the forged sign-out.
    assert_eq!(
        app.get("/audit", Some(&cookie)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_the_limit() {
    let app = start_app(Mode::Demo, &[("COUNTERSIGN_MAX_BODY_BYTES", "2048")]).await;
    let big = format!("persona={}", "a".repeat(4096));
    let reply = app.post_form("/auth/demo", &big, None).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.body.contains("limit is 2048 bytes"), "{}", reply.body);
}

#[tokio::test]
async fn a_forged_or_replayed_callback_is_refused_and_recorded() {
    let app = app_with_unreachable_idp().await;
    let reply = app
        .get("/auth/callback?code=stolen&state=guess", None)
        .await;
    assert_eq!(
        reply.location.as_deref(),
        Some("/signin?error=no_sign_in_in_progress")
    );
    let page = app.get("/signin?error=no_sign_in_in_progress", None).await;
    assert!(page.body.contains("no sign-in was in progress"));

    let (_, auditor) = app.sign_in_as("tomasz").await;
    let audit = app.get("/audit", Some(&auditor)).await;
    assert!(audit.body.contains("auth.sign_in_failed"));
    assert!(audit.body.contains("no_sign_in_in_progress"));
}

#[tokio::test]
async fn unknown_personas_and_demo_sign_in_outside_demo_mode_are_refused() {
    let app = start_app(Mode::Demo, &[]).await;
    let reply = app.post_form("/auth/demo", "persona=mallory", None).await;
    assert_eq!(
        reply.location.as_deref(),
        Some("/signin?error=unknown_persona")
    );

    let idp_only = start_app(
        Mode::Serve,
        &[
            ("COUNTERSIGN_OIDC_ISSUER", "http://127.0.0.1:9"),
            ("COUNTERSIGN_OIDC_CLIENT_ID", "countersign"),
            ("COUNTERSIGN_OIDC_CLIENT_SECRET", "x"),
            ("COUNTERSIGN_ROLE_MAP", "auditor=audit"),
        ],
    )
    .await;
    let reply = idp_only
        .post_form("/auth/demo", "persona=tomasz", None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_sign_ins() {
    let app = start_app(Mode::Demo, &[]).await;
    app.sign_in_as("lukas").await;
    app.get("/healthz", None).await;
    let metrics = app.get("/metrics", None).await.body;
    assert!(
        metrics.contains(
            r#"countersign_http_requests_total{method="POST",route="/auth/demo",status="303"} 1"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains(r#"countersign_sign_ins_total{outcome="granted"} 1"#));
    // The outbox backlog, read from the database: the demo seeding's drill was delivered.
    assert!(
        metrics.contains(r#"countersign_outbox_effects{state="pending"} 0"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"countersign_outbox_effects{state="dead"} 0"#));
    assert!(metrics.contains("countersign_outbox_oldest_pending_seconds 0"));
    assert!(metrics.contains("countersign_http_request_duration_seconds_bucket"));
    // Review latency and what waits, read from the database too.
    for family in [
        "# TYPE countersign_review_latency_seconds gauge",
        "# TYPE countersign_changes_drafted gauge",
        "countersign_changes_waiting ",
        "countersign_oldest_waiting_seconds ",
    ] {
        assert!(metrics.contains(family), "{family} in {metrics}");
    }
}

#[tokio::test]
async fn demo_mode_seeds_identities_once_with_one_orphan() {
    let dir = tempfile::tempdir().unwrap();
    let env: HashMap<String, String> = HashMap::from([
        (
            "COUNTERSIGN_DATABASE_URL".to_owned(),
            format!("sqlite://{}/cs.db", dir.path().display()),
        ),
        (
            "COUNTERSIGN_SECRET_KEY_FILE".to_owned(),
            format!("{}/countersign.key", dir.path().display()),
        ),
    ]);
    for _ in 0..2 {
        let config = Config::from_sources(None, &env, Mode::Demo).unwrap();
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let state = build_state(config, clock).await.unwrap();
        let nhis = state
            .services
            .store()
            .nhis(&Default::default())
            .await
            .unwrap();
        let names: Vec<&str> = nhis.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "crm-contact-reader",
                "legacy-segment-agent",
                "spring-offer-drafter",
                "winback-sms-drafter"
            ]
        );
        let orphans: Vec<&str> = nhis
            .iter()
            .filter(|n| n.is_orphaned())
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(orphans, ["legacy-segment-agent"]);
        let workflows = state.services.store().workflows().await.unwrap();
        assert_eq!(workflows.len(), 1, "the demo workflow is seeded once");
        assert_eq!(workflows[0].name, "Spring offer email");
        assert_eq!(workflows[0].tier, countersign_core::domain::Tier::Two);
        assert_eq!(workflows[0].steps.len(), 4);
        assert_eq!(state.services.store().systems().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn the_secret_key_file_is_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = start_app(Mode::Demo, &[]).await;
    let path = app._dir.path().join("countersign.key");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let first = std::fs::read_to_string(&path).unwrap();
    drop(app);
    assert_eq!(first.trim().len(), 44, "32 bytes, base64");
}

#[tokio::test]
async fn assets_are_served_without_touching_the_session() {
    let app = start_app(Mode::Demo, &[]).await;
    let (_, cookie) = app.sign_in_as("tomasz").await;
    let asset = app.get("/pkg/countersign.css", Some(&cookie)).await;
    assert_eq!(
        asset.set_cookie, None,
        "no session read or save for an asset"
    );
    assert_eq!(
        asset.status,
        StatusCode::NOT_FOUND,
        "no site was built for this test"
    );
    let page = app.get("/audit", Some(&cookie)).await;
    assert!(
        page.set_cookie.is_some(),
        "pages keep the idle deadline moving"
    );
}

#[tokio::test]
async fn the_console_signs_ledger_checkpoints_with_a_log_key_kept_beside_its_secret_key() {
    let app = start_app(Mode::Demo, &[]).await;
    let (_, _cookie) = app.sign_in_as("tomasz").await;
    let signed = app
        .services
        .checkpoint_ledger()
        .await
        .unwrap()
        .expect("demo data and a sign-in are events to checkpoint");
    let key = app.services.log_verifier().expect("a log key");
    assert_eq!(key.name(), "127.0.0.1:3000/ledger");
    let (checkpoint, _) = countersign_transparency::Checkpoint::open(&signed.note, &key).unwrap();
    assert_eq!(checkpoint.size, signed.tree_size);
    let events = app.count("SELECT COUNT(*) FROM audit_events", "").await;
    assert_eq!(checkpoint.size, events as u64);
    let key_file = app._dir.path().join("countersign-log.key");
    assert!(key_file.exists(), "created beside the secret key");
}
