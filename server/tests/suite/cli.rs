//! The `countersign` binary's commands and start-up refusals.

use std::process::{Command, Output};

fn countersign(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_countersign"));
    command.args(args);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("COUNTERSIGN_")) {
        command.env_remove(key);
    }
    command.envs(env.iter().copied());
    command.output().expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn migrate_then_verify_an_empty_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/cs.db", dir.path().display());
    let env = [("COUNTERSIGN_DATABASE_URL", url.as_str())];
    let migrate = countersign(&["migrate"], &env);
    assert!(migrate.status.success(), "{}", text(&migrate));
    assert!(text(&migrate).contains("migrations applied"));
    let verify = countersign(&["audit", "verify"], &env);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(text(&verify).contains("ledger intact: 0 events verified"));
}

#[test]
fn invalid_configuration_stops_start_up_naming_the_key() {
    let cases = [
        (vec![("COUNTERSIGN_BIND", "nonsense")], "COUNTERSIGN_BIND"),
        (
            vec![("COUNTERSIGN_SESSION_IDLE_TIMEOUT", "forever")],
            "COUNTERSIGN_SESSION_IDLE_TIMEOUT",
        ),
        (vec![("COUNTERSIGN_BIND", "0.0.0.0:3999")], "--demo"),
    ];
    for (env, key) in cases {
        let output = countersign(&["serve", "--demo"], &env);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        let message = text(&output);
        assert!(
            message.contains(&format!("configuration error: {key}:")),
            "{message}"
        );
    }
    let no_idp = countersign(&["serve"], &[]);
    assert_eq!(no_idp.status.code(), Some(2));
    assert!(text(&no_idp).contains("COUNTERSIGN_OIDC_ISSUER: required"));
}

#[test]
fn an_unreachable_database_is_named_without_its_password() {
    let output = countersign(
        &["migrate"],
        &[(
            "COUNTERSIGN_DATABASE_URL",
            "postgres://cs:hunter2@127.0.0.1:1/countersign",
        )],
    );
    assert_eq!(output.status.code(), Some(1));
    let message = text(&output);
    assert!(
        message.contains("cannot open the database at postgres://cs:***@127.0.0.1:1/countersign"),
        "{message}"
    );
    assert!(!message.contains("hunter2"));
}

#[test]
fn an_invalid_policy_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("broken.cedar"),
        "@id(\"everyone-publishes\")\npermit (principal, action == Countersign::Action::\"publish\", resource);\n",
    )
    .expect("write policy");
    let db = format!("sqlite://{}/cs.db", dir.path().display());
    let policy_dir = dir.path().display().to_string();
    let output = countersign(
        &["serve", "--demo"],
        &[
            ("COUNTERSIGN_DATABASE_URL", db.as_str()),
            ("COUNTERSIGN_POLICY_DIR", policy_dir.as_str()),
            ("COUNTERSIGN_BIND", "127.0.0.1:0"),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let message = text(&output);
    assert!(
        message.contains("the authorization policy is invalid"),
        "{message}"
    );
    assert!(
        message.contains("everyone-publishes") && message.contains("broken.cedar"),
        "{message}"
    );
}
