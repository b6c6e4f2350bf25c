//! Test databases: a fresh SQLite file, and a fresh PostgreSQL database on the server named by
//! `COUNTERSIGN_TEST_POSTGRES_URL` (the test command starts one from the installed binaries).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod chain;
pub mod drafting;
pub mod gate;
pub mod templates;

use countersign_core::clock::ManualClock;
use countersign_core::policy::PolicyEngine;
use countersign_core::store::{self, Store, StoreOptions};
use countersign_core::Services;
use sqlx::Connection;
use std::sync::Arc;

pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

pub fn postgres_admin_url() -> String {
    std::env::var("COUNTERSIGN_TEST_POSTGRES_URL").expect(
        "COUNTERSIGN_TEST_POSTGRES_URL is not set: run the suite with scripts/test.sh, which starts \
         a PostgreSQL server, or point it at one (postgres://user@127.0.0.1:PORT/postgres)",
    )
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/countersign.db", dir.path().display());
    let store = store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    TestDb {
        name: "sqlite",
        url,
        store,
        _dir: Some(dir),
    }
}

pub async fn postgres() -> TestDb {
    let admin_url = postgres_admin_url();
    let db_name = format!("cs_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {db_name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base);
    let url = format!("{base}/{db_name}");
    let store = store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    TestDb {
        name: "postgres",
        url,
        store,
        _dir: None,
    }
}

/// A SQLite database someone else opened (a console under test), for the fixtures here.
pub fn adopt_sqlite(url: String, store: Arc<dyn Store>) -> TestDb {
    TestDb {
        name: "sqlite",
        url,
        store,
        _dir: None,
    }
}

/// Both backends, fresh.
pub async fn both() -> Vec<TestDb> {
    vec![sqlite().await, postgres().await]
}

pub fn services(db: &TestDb) -> (Services, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-11-26T09:00:00Z")
            .unwrap()
            .to_utc(),
    ));
    let services = Services::new(
        db.store.clone(),
        Arc::new(PolicyEngine::builtin().unwrap()),
        clock.clone(),
    )
    .with_secret_key(countersign_core::secrets::SecretKey::generate());
    (services, clock)
}

/// Runs raw SQL against the test database, bypassing the store (to play an attacker with
/// database access).
pub async fn raw_sql(db: &TestDb, sql: &str) -> Result<u64, sqlx::Error> {
    if db.name == "sqlite" {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await?;
        Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await?;
        Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
    }
}

/// Signs a test person in through the real sign-in command and returns their actor.
pub async fn signed_in(
    services: &Services,
    subject: &str,
    roles: &[countersign_core::domain::Role],
) -> countersign_core::Actor {
    use countersign_core::domain::{ExternalIdentity, RoleSet};
    use countersign_core::services::{SignIn, SignInOutcome};
    let outcome = services
        .sign_in(SignIn {
            identity: ExternalIdentity::new("https://idp.example.test", subject).unwrap(),
            name: Some(format!("Person {subject}")),
            email: Some(format!("{subject}@example.test")),
            roles: roles.iter().copied().collect::<RoleSet>(),
            groups_seen: roles.len(),
            reauthentication: false,
            email_verified: true,
        })
        .await
        .unwrap();
    match outcome {
        SignInOutcome::Granted { actor } => actor,
        SignInOutcome::NoAccess { .. } => countersign_core::Actor::Anonymous,
    }
}
