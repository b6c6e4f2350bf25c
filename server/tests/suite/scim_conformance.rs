//! SCIM conformance judged by independent implementations from PyPI (scim2-tester's checks and
//! a provisioning run scripted with scim2-client), against a console listening on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use countersign::config::{Config, Mode};
use std::path::PathBuf;

/// The Python that has scim2-tester and scim2-client (scripts/test.sh installs them).
fn scim2_python() -> PathBuf {
    let path = std::env::var_os("COUNTERSIGN_TEST_SCIM2_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tools/scim2/bin/python")
        });
    assert!(
        path.exists(),
        "scim2-tester is not installed at {}: run the suite with scripts/test.sh, which installs it, \
         or set COUNTERSIGN_TEST_SCIM2_PYTHON",
        path.display()
    );
    path
}

#[tokio::test]
async fn independent_scim_clients_find_the_service_provider_conformant() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let env = [
        (
            "COUNTERSIGN_DATABASE_URL".to_owned(),
            format!("sqlite://{}/cs.db", dir.path().display()),
        ),
        (
            "COUNTERSIGN_SECRET_KEY_FILE".to_owned(),
            format!("{}/countersign.key", dir.path().display()),
        ),
        ("COUNTERSIGN_PUBLIC_URL".to_owned(), base.clone()),
        (
            "COUNTERSIGN_ROLE_MAP".to_owned(),
            "approver=brand-leads".to_owned(),
        ),
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
    tokio::spawn(countersign::serve_http::serve(
        listener,
        countersign::web::build(state),
        std::future::pending(),
    ));
    let admin = services
        .demo_persona("priya")
        .await
        .unwrap()
        .authenticated_at(services.now_ms());
    let token = services
        .create_directory_token(&admin, "Conformance run")
        .await
        .unwrap()
        .1
         .0;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/scim/conformance.py");
    let output = tokio::process::Command::new(scim2_python())
        .arg(script)
        .arg(&base)
        .arg(&token)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let failures: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("\"ok\": false"))
        .collect();
    assert!(
        output.status.success() && failures.is_empty(),
        "{} failures:\n{}\nstderr:\n{}",
        failures.len(),
        failures.join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
    let checks = stdout
        .lines()
        .filter(|l| l.contains("\"kind\": \"check\""))
        .count();
    assert!(
        checks >= 20,
        "scim2-tester ran only {checks} checks:\n{stdout}"
    );
}
