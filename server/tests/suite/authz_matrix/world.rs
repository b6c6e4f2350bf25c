//! The world the matrix runs in: one console in demo mode with the spring-offer chain at the gate,
//! its people signed in and its identities holding tokens, saved as one SQLite file per workflow
//! state. Every case runs on a copy, so no case sees another's writes.

use super::principals::{Credential, Principal};
use crate::common::{free_port, start_sandbox, Sandbox};
use crate::core_common::chain::{chain_named, grant, spring_offer};
use crate::core_common::drafting::decide;
use crate::core_common::gate::{complete_evidence, gate_with, sign};
use crate::core_common::{adopt_sqlite, signed_in};
use crate::http::ORIGIN;
use axum::body::Body;
use axum::http::{header, Request};
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use countersign::config::{Config, Mode};
use countersign::startup::build_state;
use countersign_core::clock::ManualClock;
use countersign_core::domain::{
    GrantAction, Lifecycle, NhiKind, Performer, Role, Step, StepId, StepKind,
};
use countersign_core::services::{DefineWorkflow, RegisterNhi, RevokeInput};
use countersign_core::{Actor, Services};
use sqlx::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

/// The workflow states the matrix asks every route about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// The change waits for sign-offs (its evidence complete).
    Pending,
    /// Approved by the quorum; its publication queued, not yet sent.
    Approved,
    /// Delivered to the connected system.
    Published,
    /// The workflow revoked (kill switch): identities suspended, the change rolled back.
    Revoked,
    /// The change pending, its drafting identity suspended.
    Suspended,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Pending,
        State::Approved,
        State::Published,
        State::Revoked,
        State::Suspended,
    ];

    pub fn label(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Published => "published",
            State::Revoked => "revoked",
            State::Suspended => "suspended",
        }
    }
}

/// The ids and secrets requests name. The same in every state: each state is the same world
/// carried further.
#[derive(Debug, Clone)]
pub struct Ids {
    pub change: String,
    pub content_hash: String,
    pub claim: String,
    pub workflow: String,
    pub read_step: String,
    pub draft_step: String,
    /// A defined, not yet active workflow on the same chain.
    pub inactive_workflow: String,
    pub drafter: String,
    pub drafter_secret: String,
    pub reader: String,
    pub system: String,
    pub owner: String,
    pub other_owner: String,
    pub no_role_person: String,
    pub pre_registered: String,
    /// The change's publication (queued from the approved state on).
    pub effect: String,
    /// An access decision the drafting token's step made, for drafts to cite.
    pub decision: String,
    pub sandbox_url: String,
    /// An auditor's token that may be revoked (not the one the matrix's auditor tool holds).
    pub spare_auditor_token: String,
    /// A live directory token that may be rotated or revoked.
    pub spare_directory_token: String,
    /// The person with both reviewer roles (a delegate an approver may name).
    pub two_roles_person: String,
    /// A day after the world's now, as a datetime-local field sends it.
    pub tomorrow: String,
    /// A template proposed by someone outside the matrix's principals, and its hash.
    pub template: String,
    pub template_hash: String,
}

pub struct World {
    dir: tempfile::TempDir,
    /// The world in its state, saved.
    snapshot: PathBuf,
    pub state: State,
    at: DateTime<Utc>,
    pub ids: Ids,
    pub credentials: HashMap<Principal, Credential>,
    /// Drills and deliveries reach it while the matrix runs.
    _sandbox: Sandbox,
}

/// A console over one database file.
pub struct Console {
    pub router: Router,
    pub services: Services,
    pub path: PathBuf,
    /// A read-only connection of the test's own, to see what requests wrote.
    pub probe: tokio::sync::Mutex<sqlx::SqliteConnection>,
}

impl Console {
    pub async fn send(&self, request: Request<Body>) -> axum::response::Response {
        self.router.clone().oneshot(request).await.unwrap()
    }
}

fn config(database: &Path, key_file: &Path) -> Config {
    let env = HashMap::from([
        (
            "COUNTERSIGN_DATABASE_URL".to_owned(),
            format!("sqlite://{}", database.display()),
        ),
        (
            "COUNTERSIGN_SECRET_KEY_FILE".to_owned(),
            key_file.display().to_string(),
        ),
        // The reference system runs on loopback.
        (
            "COUNTERSIGN_OUTBOUND_ALLOW".to_owned(),
            "127.0.0.0/8".to_owned(),
        ),
    ]);
    Config::from_sources(None, &env, Mode::Demo).unwrap()
}

async fn open(database: &Path, key_file: &Path, clock: Arc<ManualClock>) -> Console {
    let state = build_state(config(database, key_file), clock)
        .await
        .unwrap();
    let probe =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", database.display()))
            .await
            .unwrap();
    Console {
        services: state.services.clone(),
        router: countersign::web::build(state),
        path: database.to_owned(),
        probe: tokio::sync::Mutex::new(probe),
    }
}

/// A consistent copy of a live database, owner-only as the console requires.
async fn snapshot(live: &Path, to: &Path) {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", live.display()))
        .await
        .unwrap();
    sqlx::query("VACUUM INTO ?")
        .bind(to.display().to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    owner_only(to);
}

fn owner_only(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

async fn demo_sign_in(console: &Console, persona: &str) -> String {
    let request = Request::post("/auth/demo")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from(format!("persona={persona}&next=/")))
        .unwrap();
    let response = console.send(request).await;
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .expect("demo sign-in sets a session cookie")
        .to_str()
        .unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

async fn token(services: &Services, client: &str, secret: &str, step: &str) -> String {
    services
        .issue_token(client, secret, Some(&format!("step:{step}")))
        .await
        .unwrap()
        .access_token
        .0
}

async fn scalar(path: &Path, sql: &str) -> String {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

impl World {
    /// Builds the world and carries it to `state`.
    pub async fn build(state: State) -> World {
        let dir = tempfile::tempdir().unwrap();
        let at = Utc::now();
        let clock = Arc::new(ManualClock::new(at - Duration::minutes(60)));
        let base = dir.path().join("base.db");
        let console = open(&base, &key_file(dir.path()), clock.clone()).await;
        let services = &console.services;
        let db = adopt_sqlite(
            format!("sqlite://{}", base.display()),
            services.store().clone(),
        );
        let mut credentials = HashMap::new();

        // A security admin whose sign-in is older than the re-authentication window at `at`.
        credentials.insert(
            Principal::StaleAdmin,
            Credential::Cookie(demo_sign_in(&console, "sana").await),
        );

        let port = free_port();
        let sandbox_url = format!("http://127.0.0.1:{port}");
        let chain = chain_named(
            services,
            &sandbox_url,
            "Spring Campaigns",
            "Spring offer north",
        )
        .await;
        let sandbox = start_sandbox(&chain.crm_secret, &dir.path().join("sandbox"), port).await;
        let admin = chain.admin.clone();
        let g = gate_with(services, &db, chain).await;
        complete_evidence(services, &g).await;
        let chain = &g.session.chain;
        let workflow = &g.session.workflow;

        // An identity of the fifth step kind: it loads consent records.
        let (loader, loader_secret) = services
            .register_nhi(
                &admin,
                RegisterNhi {
                    kind: NhiKind::ServiceAccount,
                    name: "consent-loader".to_owned(),
                    purpose: "Loads consent records from the CRM.".to_owned(),
                    owners: vec![chain.owner],
                    expires_at: Some(services.clock().now() + Duration::days(30)),
                    model: None,
                },
            )
            .await
            .unwrap();
        let consent_sync = services
            .define_workflow(
                &admin,
                DefineWorkflow {
                    name: "Consent sync".to_owned(),
                    purpose: "Load the CRM's consent records into Countersign.".to_owned(),
                    owner: chain.owner,
                    steps: vec![Step {
                        id: StepId::new(),
                        pending_grant: None,
                        name: "Load consent".into(),
                        kind: StepKind::Other,
                        performer: Performer::Nhi(loader.id),
                        owner: Some(chain.owner),
                        grant: grant(Some(chain.crm), &[GrantAction::RecordConsent], &[]),
                    }],
                },
            )
            .await
            .unwrap();
        let consent_sync = services
            .activate_workflow(&admin, consent_sync.id)
            .await
            .unwrap();
        let mut autumn = spring_offer(chain, &["email"]);
        autumn.name = "Autumn offer email".to_owned();
        let autumn = services.define_workflow(&admin, autumn).await.unwrap();

        // A widening the asking admin may not approve: another admin reviews it.
        let mut wider = workflow.steps[1].grant.clone();
        wider.fields.insert("region".to_owned());
        services
            .change_step_grant(&admin, workflow.id, workflow.steps[1].id, wider)
            .await
            .unwrap();
        let pre_registered = services
            .pre_register_person(&admin, "ines.duarte@example.com", "Ines Duarte")
            .await
            .unwrap();

        // A token ended by a secret rotation, then one that expired.
        let draft_step = workflow.steps[1].id.to_string();
        let drafter = chain.drafter.to_string();
        let revoked = token(services, &drafter, &chain.drafter_secret, &draft_step).await;
        let (_, drafter_secret) = services
            .rotate_client_secret(&admin, chain.drafter)
            .await
            .unwrap();
        let drafter_secret = drafter_secret.0;
        clock.set(at - Duration::minutes(20));
        let expired = token(services, &drafter, &drafter_secret, &draft_step).await;
        clock.set(at);

        let admin = signed_in(services, "sam", &[Role::SecurityAdmin]).await;
        for (principal, persona) in [
            (Principal::Approver, "amira"),
            (Principal::Legal, "lukas"),
            (Principal::SecurityAdmin, "priya"),
            (Principal::Auditor, "tomasz"),
            (Principal::TwoRoles, "grace"),
            (Principal::NoRole, "noah"),
        ] {
            credentials.insert(
                principal,
                Credential::Cookie(demo_sign_in(&console, persona).await),
            );
        }
        let (_, tool_token) = services
            .issue_auditor_token(&admin, "Matrix audit tool", 30)
            .await
            .unwrap();
        credentials.insert(Principal::AuditorToken, Credential::Bearer(tool_token.0));
        let (spare, _) = services
            .issue_auditor_token(&admin, "Spare audit tool", 30)
            .await
            .unwrap();
        let (directory_token, _) = services
            .create_directory_token(&admin, "Matrix directory")
            .await
            .unwrap();
        let read_step = workflow.steps[0].id.to_string();
        let drafting = token(services, &drafter, &drafter_secret, &draft_step).await;
        for (principal, bearer) in [
            (
                Principal::ReadToken,
                token(
                    services,
                    &chain.reader.to_string(),
                    &chain.reader_secret,
                    &read_step,
                )
                .await,
            ),
            (Principal::DraftToken, drafting.clone()),
            (
                Principal::OtherStepToken,
                token(
                    services,
                    &loader.id.to_string(),
                    &loader_secret.0,
                    &consent_sync.steps[0].id.to_string(),
                )
                .await,
            ),
            (Principal::ExpiredToken, expired),
            (Principal::RevokedToken, revoked),
        ] {
            credentials.insert(principal, Credential::Bearer(bearer));
        }
        credentials.insert(Principal::Nobody, Credential::None);
        let drafting = services.authenticate_token(&drafting).await.unwrap();
        let decision = decide(services, &drafting).await;

        let claim = services
            .gate_view(&g.legal, &g.change.id)
            .await
            .unwrap()
            .claims
            .first()
            .expect("the draft's offer is a claim")
            .id
            .clone();
        let Actor::Human { id: no_role, .. } = services.demo_persona("noah").await.unwrap() else {
            panic!("noah is a person")
        };
        let Actor::Human {
            id: other_owner, ..
        } = services.demo_persona("priya").await.unwrap()
        else {
            panic!("priya is a person")
        };

        let Actor::Human { id: grace, .. } = services.demo_persona("grace").await.unwrap() else {
            panic!("grace is a person")
        };
        let template = services
            .propose_template(&g.approver, crate::core_common::templates::proposal(&g))
            .await
            .unwrap();
        let ids = Ids {
            change: g.change.id.clone(),
            content_hash: g.change.current_hash.clone(),
            claim,
            workflow: workflow.id.to_string(),
            read_step,
            draft_step,
            inactive_workflow: autumn.id.to_string(),
            drafter,
            drafter_secret,
            reader: chain.reader.to_string(),
            system: chain.crm.to_string(),
            owner: chain.owner.to_string(),
            other_owner: other_owner.to_string(),
            no_role_person: no_role.to_string(),
            pre_registered: pre_registered.id.to_string(),
            effect: String::new(),
            decision,
            sandbox_url,
            spare_auditor_token: spare.id.to_string(),
            spare_directory_token: directory_token.id.to_string(),
            two_roles_person: grace.to_string(),
            tomorrow: (at + Duration::days(1))
                .format("%Y-%m-%dT%H:%M")
                .to_string(),
            template: template.id.clone(),
            template_hash: template.hash.clone(),
        };
        let mut world = World {
            snapshot: dir.path().join(format!("{}.db", state.label())),
            state,
            ids,
            credentials,
            at,
            dir,
            _sandbox: sandbox,
        };
        let carry = |to: State| to == state;
        if carry(State::Suspended) {
            services
                .change_nhi_state(
                    &admin,
                    chain.drafter,
                    Lifecycle::Suspend,
                    "Matrix: the drafting agent is under investigation.",
                )
                .await
                .unwrap();
        }
        if matches!(state, State::Pending | State::Suspended) {
            // A signed checkpoint of the whole state: proofs and evidence packs need one.
            services.checkpoint_ledger().await.unwrap();
            snapshot(&base, &world.snapshot).await;
            return world;
        }

        let hash = &g.change.current_hash;
        services
            .sign_off(
                &g.approver,
                &g.change.id,
                sign("approver", "approve", "Reads well.", hash),
            )
            .await
            .unwrap();
        services
            .sign_off(&g.both, &g.change.id, sign("legal", "approve", "", hash))
            .await
            .unwrap();
        let status_sql = format!(
            "SELECT status FROM change_requests WHERE id = '{}'",
            g.change.id
        );
        assert_eq!(scalar(&base, &status_sql).await, "approved");
        world.ids.effect = scalar(
            &base,
            &format!(
                "SELECT id FROM outbox WHERE kind = 'publish' AND change_id = '{}'",
                g.change.id
            ),
        )
        .await;
        if carry(State::Approved) {
            // A signed checkpoint of the whole state: proofs and evidence packs need one.
            services.checkpoint_ledger().await.unwrap();
            snapshot(&base, &world.snapshot).await;
            return world;
        }

        services.deliver_due_effects().await.unwrap();
        assert_eq!(scalar(&base, &status_sql).await, "published");
        if carry(State::Published) {
            // A signed checkpoint of the whole state: proofs and evidence packs need one.
            services.checkpoint_ledger().await.unwrap();
            snapshot(&base, &world.snapshot).await;
            return world;
        }

        services
            .revoke_workflow(
                &admin,
                workflow.id,
                RevokeInput {
                    reason: "Matrix: the spring offer is withdrawn.".to_owned(),
                    revoke_identities: false,
                    roll_back_live: true,
                },
            )
            .await
            .unwrap();
        services.deliver_due_effects().await.unwrap();
        assert_eq!(scalar(&base, &status_sql).await, "rolled_back");
        // A signed checkpoint of the whole state: proofs and evidence packs need one.
        services.checkpoint_ledger().await.unwrap();
        snapshot(&base, &world.snapshot).await;
        world
    }

    /// A fresh console over a fresh copy of the world in its state, its clock at the world's now.
    pub async fn console(&self, name: &str) -> Console {
        let path = self.dir.path().join(format!("{name}.db"));
        std::fs::copy(&self.snapshot, &path).unwrap();
        owner_only(&path);
        open(
            &path,
            &key_file(self.dir.path()),
            Arc::new(ManualClock::new(self.at)),
        )
        .await
    }
}

fn key_file(dir: &Path) -> PathBuf {
    dir.join("countersign.key")
}
