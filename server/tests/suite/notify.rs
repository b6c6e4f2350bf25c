//! Notices leave the console through real servers: a change that needs review reaches an
//! approver by email (aiosmtpd on loopback, STARTTLS on a test authority's certificate) and in a
//! Slack-compatible channel (an HTTP server here); a Teams webhook nobody answers is retried and
//! shows on the Deliveries page without holding the change up; quiet hours hold a message back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::core_common::adopt_sqlite;
use crate::core_common::chain::chain_named;
use crate::core_common::drafting::{decide, draft, provenance, session_with};
use axum::extract::State;
use axum::routing::post;
use countersign::config::{Config, Mode};
use countersign_core::domain::{EffectKind, NotifyPrefs, OutboxState, Role};
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The Python with aiosmtpd and trustme (scripts/test.sh installs it).
fn smtp_python() -> PathBuf {
    let path = std::env::var_os("COUNTERSIGN_TEST_SMTP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tools/smtp/bin/python")
        });
    assert!(
        path.exists(),
        "aiosmtpd is not installed at {}: run the suite with scripts/test.sh, which installs it, \
         or set COUNTERSIGN_TEST_SMTP_PYTHON",
        path.display()
    );
    path
}

struct SmtpServer {
    child: std::process::Child,
    port: u16,
    ca_file: String,
    dir: PathBuf,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_smtp(dir: PathBuf) -> SmtpServer {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/smtp/test_server.py");
    let mut child = std::process::Command::new(smtp_python())
        .arg(script)
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let parts: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        parts.first(),
        Some(&"READY"),
        "the SMTP server said {line:?}"
    );
    SmtpServer {
        child,
        port: parts[1].parse().unwrap(),
        ca_file: parts[2].to_owned(),
        dir,
    }
}

/// What the chat server received, by path.
type Posts = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

async fn start_chat() -> (String, Posts) {
    let posts: Posts = Arc::default();
    let record = |path: &'static str| {
        move |State(posts): State<Posts>, axum::Json(body): axum::Json<serde_json::Value>| async move {
            posts.lock().unwrap().push((path.to_owned(), body));
            "ok"
        }
    };
    let app = axum::Router::new()
        .route("/services/T0/B0/secret-slack", post(record("slack")))
        .route("/workflows/secret-teams", post(record("teams")))
        .with_state(posts.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, posts)
}

/// Waits until `check` holds, delivering due messages meanwhile; panics after 20 s.
async fn until<T>(
    services: &countersign_core::Services,
    what: &str,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        services.deliver_due_effects().await.unwrap();
        if let Some(found) = check() {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_change_needing_review_reaches_people_by_email_and_chat_and_a_dead_channel_blocks_nothing(
) {
    let dir = tempfile::tempdir().unwrap();
    let smtp = start_smtp(dir.path().join("mail"));
    let (chat, posts) = start_chat().await;
    // Nothing listens here: the Teams channel is down.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("sqlite://{}/cs.db", dir.path().display());
    let env = [
        ("COUNTERSIGN_DATABASE_URL", url.clone()),
        (
            "COUNTERSIGN_SECRET_KEY_FILE",
            format!("{}/countersign.key", dir.path().display()),
        ),
        ("COUNTERSIGN_PUBLIC_URL", "http://127.0.0.1:3000".to_owned()),
        (
            "COUNTERSIGN_SMTP_URL",
            format!("smtp://127.0.0.1:{}", smtp.port),
        ),
        (
            "COUNTERSIGN_SMTP_FROM",
            "Countersign <countersign@example.test>".to_owned(),
        ),
        ("COUNTERSIGN_SMTP_CA_FILE", smtp.ca_file.clone()),
        (
            "COUNTERSIGN_SLACK_WEBHOOK_URL",
            format!("{chat}/services/T0/B0/secret-slack"),
        ),
        (
            "COUNTERSIGN_TEAMS_WEBHOOK_URL",
            format!("http://127.0.0.1:{closed_port}/workflows/secret-teams"),
        ),
        ("COUNTERSIGN_OUTBOUND_ALLOW", "127.0.0.1".to_owned()),
        ("COUNTERSIGN_DELIVERY_TIMEOUT", "5s".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = Config::from_sources(None, &env, Mode::Demo).unwrap();
    let state = countersign::startup::build_state(config, Arc::new(countersign_core::SystemClock))
        .await
        .unwrap();
    let services = state.services.clone();
    let db = adopt_sqlite(url, services.store().clone());
    let chain = chain_named(
        &services,
        "https://campaigns.example.com",
        "Spring Campaigns",
        "Spring offer north",
    )
    .await;
    let session = session_with(&services, &db, chain).await;
    let amy = crate::core_common::signed_in(&services, "amy", &[Role::Approver]).await;
    let lee = crate::core_common::signed_in(&services, "lee", &[Role::Legal]).await;
    services
        .set_notification_settings(
            &amy,
            NotifyPrefs {
                email: true,
                slack: true,
                teams: true,
                ..NotifyPrefs::default()
            },
        )
        .await
        .unwrap();
    // Lee is in quiet hours around the clock but for one minute: nothing goes out now.
    let now = chrono::Utc::now();
    let minute = (now.time().hour_minute() + 2) % 1440;
    services
        .set_notification_settings(
            &lee,
            NotifyPrefs {
                email: true,
                quiet: Some(((minute + 1) % 1440, minute)),
                ..NotifyPrefs::default()
            },
        )
        .await
        .unwrap();

    let decision = decide(&services, &session.drafter).await;
    let change = services
        .submit_draft(
            &session.drafter,
            draft(&session, provenance(&[&decision], &["email"])),
        )
        .await
        .unwrap();

    // Email: over STARTTLS, to Amy, saying what, for whom, by when, with the link.
    let mail_dir = smtp.dir.clone();
    let email = until(&services, "Amy's email", || {
        std::fs::read_dir(&mail_dir)
            .ok()?
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .find(|mail| mail.contains("X-Envelope-To: amy@example.test"))
    })
    .await;
    assert!(email.contains("X-Tls: True"), "{email}");
    assert!(email.contains("X-Envelope-To: amy@example.test"), "{email}");
    assert!(email.contains("waits for a sign-off"), "{email}");
    assert!(
        email.contains("For: Spring offer north, drafted by offer-drafter"),
        "{email}"
    );
    assert!(email.contains("By: "), "{email}");
    assert!(
        email.contains(&format!(
            "Open: http://127.0.0.1:3000/changes/{}",
            change.id
        )),
        "{email}"
    );
    assert!(email.contains("Message-ID: <msg_"), "{email}");

    // Slack: the post names the person and links the page.
    let slack = until(&services, "the Slack post", || {
        posts.lock().unwrap().first().cloned()
    })
    .await;
    let text = slack.1["text"].as_str().unwrap();
    assert!(text.starts_with("*For Person amy:*"), "{text}");
    assert!(
        text.contains(&format!(
            "<http://127.0.0.1:3000/changes/{}|Open in Countersign>",
            change.id
        )),
        "{text}"
    );

    // Teams is down: retried, visible with its error, the change unaffected; the URL's secret
    // is nowhere in what is shown.
    let effects = services
        .store()
        .effects_of_change(&change.id)
        .await
        .unwrap();
    let teams = effects
        .iter()
        .find(|e| e.kind == EffectKind::Chat && e.destination == "teams")
        .expect("a Teams message was queued");
    assert_eq!(teams.state, OutboxState::Pending, "{teams:?}");
    assert!(teams.attempts >= 1);
    let error = teams.last_error.clone().unwrap();
    assert!(!error.contains("secret-teams"), "{error}");
    assert_eq!(
        services
            .store()
            .change(&change.id)
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "pending_review"
    );

    // Quiet hours: Lee's email waits for them to end.
    let lees = effects
        .iter()
        .find(|e| e.kind == EffectKind::Email && e.destination == "lee@example.test")
        .expect("Lee's email was queued");
    assert_eq!(lees.state, OutboxState::Pending);
    assert_eq!(lees.attempts, 0, "not sent in quiet hours");
    assert!(lees.next_attempt_at > now + chrono::Duration::seconds(30));
    let to_lee = std::fs::read_dir(&mail_dir)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .any(|mail| mail.contains("X-Envelope-To: lee@example.test"));
    assert!(!to_lee, "nothing reaches Lee in quiet hours");
}

trait HourMinute {
    fn hour_minute(&self) -> u16;
}

impl HourMinute for chrono::NaiveTime {
    fn hour_minute(&self) -> u16 {
        use chrono::Timelike;
        u16::try_from(self.hour() * 60 + self.minute()).unwrap()
    }
}

#[tokio::test]
async fn a_teams_workflow_webhook_gets_an_adaptive_card_naming_the_person_and_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let (chat, posts) = start_chat().await;
    let url = format!("sqlite://{}/cs.db", dir.path().display());
    let env = [
        ("COUNTERSIGN_DATABASE_URL", url.clone()),
        (
            "COUNTERSIGN_SECRET_KEY_FILE",
            format!("{}/countersign.key", dir.path().display()),
        ),
        ("COUNTERSIGN_PUBLIC_URL", "http://127.0.0.1:3000".to_owned()),
        (
            "COUNTERSIGN_TEAMS_WEBHOOK_URL",
            format!("{chat}/workflows/secret-teams"),
        ),
        ("COUNTERSIGN_OUTBOUND_ALLOW", "127.0.0.1".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = Config::from_sources(None, &env, Mode::Demo).unwrap();
    let state = countersign::startup::build_state(config, Arc::new(countersign_core::SystemClock))
        .await
        .unwrap();
    let services = state.services.clone();
    let db = adopt_sqlite(url, services.store().clone());
    let chain = chain_named(
        &services,
        "https://campaigns.example.com",
        "Spring Campaigns",
        "Spring offer north",
    )
    .await;
    let session = session_with(&services, &db, chain).await;
    let amy = crate::core_common::signed_in(&services, "amy", &[Role::Approver]).await;
    services
        .set_notification_settings(
            &amy,
            NotifyPrefs {
                email: false,
                teams: true,
                ..NotifyPrefs::default()
            },
        )
        .await
        .unwrap();
    let decision = decide(&services, &session.drafter).await;
    let change = services
        .submit_draft(
            &session.drafter,
            draft(&session, provenance(&[&decision], &["email"])),
        )
        .await
        .unwrap();
    let card = until(&services, "the Teams post", || {
        posts
            .lock()
            .unwrap()
            .iter()
            .find(|(path, body)| path == "teams" && body.to_string().contains("Person amy"))
            .cloned()
    })
    .await
    .1;
    assert_eq!(card["type"], "message");
    let content = &card["attachments"][0]["content"];
    assert_eq!(content["type"], "AdaptiveCard");
    assert_eq!(content["body"][0]["inlines"][0]["text"], "For Person amy");
    // Plain runs, never markdown: what an agent titled cannot become a link.
    assert_eq!(content["body"][1]["type"], "RichTextBlock");
    assert!(content["body"][1]["inlines"][0]["text"]
        .as_str()
        .unwrap()
        .contains("waits for a sign-off"));
    assert_eq!(
        content["actions"][0]["url"],
        format!("http://127.0.0.1:3000/changes/{}", change.id)
    );
}
