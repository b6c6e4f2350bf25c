//! The `countersign` binary's commands and start-up refusals.

#![allow(clippy::unwrap_used, clippy::expect_used)]

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

#[test]
fn audit_key_creates_the_log_key_once_owner_only_and_prints_its_public_half() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let key_file = dir.path().join("log.key");
    let key_path = key_file.display().to_string();
    let env = [
        ("COUNTERSIGN_LOG_KEY_FILE", key_path.as_str()),
        ("COUNTERSIGN_PUBLIC_URL", "https://countersign.example.com/"),
    ];
    let first = countersign(&["audit", "key"], &env);
    assert!(first.status.success(), "{}", text(&first));
    let printed = String::from_utf8_lossy(&first.stdout).trim().to_owned();
    let key = countersign_transparency::VerifierKey::parse(&printed).expect("a verifier key");
    assert_eq!(key.name(), "countersign.example.com/ledger");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let stored = std::fs::read_to_string(&key_file).unwrap();
    assert!(stored.starts_with("PRIVATE+KEY+countersign.example.com/ledger+"));
    assert!(
        !text(&first).contains(stored.trim()),
        "the private key is never printed"
    );

    let again = countersign(&["audit", "key"], &env);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        printed,
        "the same key"
    );

    let renamed = countersign(
        &["audit", "key"],
        &[
            ("COUNTERSIGN_LOG_KEY_FILE", key_path.as_str()),
            ("COUNTERSIGN_LOG_ORIGIN", "elsewhere.example.com/ledger"),
        ],
    );
    assert!(!renamed.status.success());
    assert!(
        text(&renamed).contains("COUNTERSIGN_LOG_ORIGIN=countersign.example.com/ledger"),
        "{}",
        text(&renamed)
    );

    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let shared = countersign(&["audit", "key"], &env);
    assert!(!shared.status.success());
    assert!(text(&shared).contains("chmod 600"), "{}", text(&shared));

    let bad_origin = countersign(
        &["audit", "key"],
        &[("COUNTERSIGN_LOG_ORIGIN", "two words")],
    );
    assert_eq!(bad_origin.status.code(), Some(2));
    assert!(text(&bad_origin).contains("COUNTERSIGN_LOG_ORIGIN"));
}

/// A console's ledger checkpointed and anchored, then cut short by someone with the database's
/// rights who also removed the database's checkpoints: `audit verify` names the anchored
/// checkpoint the ledger contradicts.
#[tokio::test]
async fn audit_verify_checks_the_ledger_against_anchored_checkpoints() {
    use countersign::config::{Config, Mode};
    use sqlx::Connection;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}/cs.db", dir.path().display());
    let key_file = format!("{}/countersign.key", dir.path().display());
    let anchors = format!("{}/anchors", dir.path().display());
    let env = [
        ("COUNTERSIGN_DATABASE_URL", db.as_str()),
        ("COUNTERSIGN_SECRET_KEY_FILE", key_file.as_str()),
        ("COUNTERSIGN_CHECKPOINT_DIR", anchors.as_str()),
    ];
    {
        let vars = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let config = Config::from_sources(None, &vars, Mode::Demo).unwrap();
        let state = countersign::startup::build_state(
            config,
            std::sync::Arc::new(countersign_core::SystemClock),
        )
        .await
        .unwrap();
        let signed = state.services.checkpoint_ledger().await.unwrap().unwrap();
        assert!(countersign::anchor::write(std::path::Path::new(&anchors), &signed).unwrap());
        assert!(
            !countersign::anchor::write(std::path::Path::new(&anchors), &signed).unwrap(),
            "written once"
        );
    }
    let verify = countersign(&["audit", "verify"], &env);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(
        text(&verify).contains("consistent with 2 signed checkpoints"),
        "{}",
        text(&verify)
    );

    let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
    for sql in [
        "DROP TRIGGER audit_events_no_delete",
        "DROP TRIGGER ledger_checkpoints_no_delete",
        "DELETE FROM audit_events WHERE seq > (SELECT MAX(seq) - 3 FROM audit_events)",
        "DELETE FROM ledger_checkpoints",
        "UPDATE ledger_head SET seq = (SELECT MAX(seq) FROM audit_events), \
         hash = (SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1)",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    drop(conn);
    let verify = countersign(&["audit", "verify"], &env);
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify));
    let report = text(&verify);
    assert!(report.contains("ledger NOT intact"), "{report}");
    assert!(
        report.contains("contradicted by") && report.contains(".checkpoint"),
        "{report}"
    );
    assert!(report.contains("cut off its end"), "{report}");

    // An auditor's own copy and the public key they were given work the same way.
    let key = String::from_utf8_lossy(&countersign(&["audit", "key"], &env).stdout)
        .trim()
        .to_owned();
    let copy = dir.path().join("auditor.checkpoint");
    let anchored = std::fs::read_dir(&anchors)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::copy(anchored, &copy).unwrap();
    let by_auditor = countersign(
        &[
            "audit",
            "verify",
            "--key",
            &key,
            "--checkpoint",
            &copy.display().to_string(),
        ],
        &[("COUNTERSIGN_DATABASE_URL", db.as_str())],
    );
    assert_eq!(by_auditor.status.code(), Some(1));
    assert!(
        text(&by_auditor).contains("auditor.checkpoint"),
        "{}",
        text(&by_auditor)
    );

    let bad_key = countersign(&["audit", "verify", "--key", "not a key"], &env);
    assert!(!bad_key.status.success());
    assert!(text(&bad_key).contains("--key"));
}

#[tokio::test]
async fn audit_rotate_key_hands_the_log_over_and_verify_trusts_either_key() {
    use countersign::config::{Config, Mode};
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}/cs.db", dir.path().display());
    let key_file = format!("{}/countersign.key", dir.path().display());
    let env = [
        ("COUNTERSIGN_DATABASE_URL", db.as_str()),
        ("COUNTERSIGN_SECRET_KEY_FILE", key_file.as_str()),
    ];
    let vars: std::collections::HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let console = || async {
        let config = Config::from_sources(None, &vars, Mode::Demo).unwrap();
        countersign::startup::build_state(
            config,
            std::sync::Arc::new(countersign_core::SystemClock),
        )
        .await
        .unwrap()
    };
    console()
        .await
        .services
        .checkpoint_ledger()
        .await
        .unwrap()
        .unwrap();
    let key = |env: &[(&str, &str)]| {
        String::from_utf8_lossy(&countersign(&["audit", "key"], env).stdout)
            .trim()
            .to_owned()
    };
    let old = key(&env);

    let rotated = countersign(&["audit", "rotate-key"], &env);
    assert!(rotated.status.success(), "{}", text(&rotated));
    assert!(
        text(&rotated).contains("restart the console"),
        "{}",
        text(&rotated)
    );
    let new = key(&env);
    assert_ne!(old, new);
    assert_eq!(
        old.split('+').next(),
        new.split('+').next(),
        "the log keeps its name"
    );
    let retired = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().contains(".key.retired-"));
    assert!(retired, "the old key is kept");

    // The restarted console signs with the new key; both keys verify the whole history.
    let restarted = console().await;
    record_an_event(&restarted.services).await;
    restarted
        .services
        .checkpoint_ledger()
        .await
        .unwrap()
        .unwrap();
    for given in [&old, &new] {
        let verify = countersign(&["audit", "verify", "--key", given], &env);
        assert!(verify.status.success(), "{}", text(&verify));
        assert!(
            text(&verify).contains("consistent with 3 signed checkpoints"),
            "{}",
            text(&verify)
        );
    }
}

async fn record_an_event(services: &countersign_core::Services) {
    let mut tx = services
        .store()
        .begin_write(services.now_ms())
        .await
        .unwrap();
    tx.append_event(&countersign_core::ledger::NewEvent::new(
        &countersign_core::Actor::System,
        "test.event",
        "test:1",
        serde_json::json!({}),
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn workflows_export_and_apply_round_trip_plan_first_and_refuse_a_bad_file() {
    use countersign::config::{Config, Mode};
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}/cs.db", dir.path().display());
    let key_file = format!("{}/countersign.key", dir.path().display());
    let env = [
        ("COUNTERSIGN_DATABASE_URL", db.as_str()),
        ("COUNTERSIGN_SECRET_KEY_FILE", key_file.as_str()),
    ];
    let vars: std::collections::HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    // The demo's people and workflows, told once.
    drop(
        countersign::startup::build_state(
            Config::from_sources(None, &vars, Mode::Demo).unwrap(),
            std::sync::Arc::new(countersign_core::SystemClock),
        )
        .await
        .unwrap(),
    );
    let file = dir.path().join("workflows.toml");
    let file = file.to_str().unwrap();
    let admin = "priya.nair@example.com";

    let exported = countersign(&["workflows", "export", "--as", admin, "--out", file], &env);
    assert!(exported.status.success(), "{}", text(&exported));
    let written = std::fs::read_to_string(file).unwrap();
    assert!(written.contains("[[workflow.step]]"), "{written}");
    assert!(
        written.contains("name = \"Spring offer email\""),
        "{written}"
    );

    let same = countersign(&["workflows", "apply", file, "--as", admin], &env);
    assert!(same.status.success(), "{}", text(&same));
    assert!(text(&same).contains("nothing to apply"), "{}", text(&same));

    // A change is planned first, applied only with --yes, and then there is nothing left.
    std::fs::write(
        file,
        written.replacen("human_review = false", "human_review = true", 1),
    )
    .unwrap();
    let planned = countersign(&["workflows", "apply", file, "--as", admin], &env);
    assert!(
        text(&planned).contains("adds human review"),
        "{}",
        text(&planned)
    );
    assert!(text(&planned).contains("plan only"), "{}", text(&planned));
    let applied = countersign(&["workflows", "apply", file, "--as", admin, "--yes"], &env);
    assert!(applied.status.success(), "{}", text(&applied));
    assert!(text(&applied).contains("applied: ~"), "{}", text(&applied));
    let again = countersign(&["workflows", "apply", file, "--as", admin], &env);
    assert!(
        text(&again).contains("nothing to apply"),
        "{}",
        text(&again)
    );

    // Bad input, each named, nothing written.
    std::fs::write(file, written.replacen("purposes =", "porposes =", 1)).unwrap();
    let typo = countersign(&["workflows", "apply", file, "--as", admin, "--yes"], &env);
    assert!(!typo.status.success());
    assert!(text(&typo).contains("porposes"), "{}", text(&typo));
    let stranger = countersign(&["workflows", "export", "--as", "nobody@example.com"], &env);
    assert!(!stranger.status.success());
    assert!(
        text(&stranger).contains("no person with the email"),
        "{}",
        text(&stranger)
    );
    let approver = countersign(
        &["workflows", "export", "--as", "amira.haddad@example.com"],
        &env,
    );
    assert!(!approver.status.success());
    assert!(
        text(&approver).contains("not allowed to manage_workflows"),
        "{}",
        text(&approver)
    );
}
