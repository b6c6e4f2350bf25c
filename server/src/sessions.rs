//! Browser sessions, kept in the console's own database (SQLite or PostgreSQL) through the core
//! store. Only the SHA-256 of a session id is stored.

use countersign_core::store::{SessionRow, Store};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

/// Session keys.
pub const HUMAN_ID: &str = "human_id";
pub const SIGNED_IN_AT: &str = "signed_in_at_ms";
/// When the person last proved who they are to the IdP (sign-in, or re-authentication for a
/// dangerous action); milliseconds.
pub const AUTHENTICATED_AT: &str = "authenticated_at_ms";

/// The session cookie's name. Over https it carries the `__Host-` prefix: browsers then accept
/// it only with `Secure`, `Path=/` and no `Domain`, so a sibling subdomain cannot plant or
/// overwrite it.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-countersign_session"
    } else {
        "countersign_session"
    }
}

#[derive(Clone)]
pub struct DbSessionStore {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Deletes expired sessions every `every`, until the process ends.
    pub fn spawn_cleanup(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let store = self.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let now = OffsetDateTime::now_utc().unix_timestamp() * 1000;
                match store.sessions_delete_expired(now).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(removed = n, "expired sessions removed"),
                    Err(e) => tracing::warn!(error = %e, "expired-session cleanup failed"),
                }
            }
        })
    }
}

fn key(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn row(record: &Record) -> Result<SessionRow> {
    Ok(SessionRow {
        data: serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?,
        expires_at_ms: i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000)
            .map_err(|e| Error::Encode(e.to_string()))?,
        human_id: record
            .data
            .get(HUMAN_ID)
            .and_then(|v| v.as_str())
            .map(str::to_owned),
    })
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Ids are 128 random bits; on the astronomically unlikely collision, draw again.
        loop {
            if self
                .store
                .session_insert(&key(&record.id), &row(record)?)
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.store
            .session_upsert(&key(&record.id), &row(record)?)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let Some(row) = self
            .store
            .session_load(&key(id), now)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(row.expires_at_ms) * 1_000_000)
                .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.store.session_delete(&key(id)).await.map_err(backend)
    }
}
