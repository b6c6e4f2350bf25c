//! A console that signs its ledger with a log key and publishes to the reference system on
//! loopback: what evidence packs, variant sets and standard changes are tested against.

use super::{free_port, loopback_allowed, start_sandbox, Sandbox};
use crate::core_common::chain::chain_at;
use crate::core_common::gate::{gate_with, Gate};
use crate::core_common::{self, TestDb};
use countersign::connector::HttpConnector;
use countersign_core::Services;
use countersign_transparency::{SignerKey, VerifierKey};
use std::sync::Arc;
use std::time::Duration;

pub struct Publishing {
    pub services: Services,
    pub g: Gate,
    /// The log key's public half, for `verify_pack`.
    pub key: VerifierKey,
    pub sandbox: Sandbox,
    /// The reference system's files (`targets/<sha256 of the reference>/…`); keep it bound:
    /// dropping it deletes them under the running system.
    pub dir: tempfile::TempDir,
}

/// The spring-offer gate on such a console; `settings` adjusts the services first (template
/// tiers, say).
pub async fn publishing(db: &TestDb, settings: impl FnOnce(Services) -> Services) -> Publishing {
    let (services, _clock) = core_common::services(db);
    let signer = SignerKey::generate("countersign.test/ledger").unwrap();
    let key = signer.verifier();
    let services = settings(services)
        .with_log_key(signer)
        .with_connector(Arc::new(
            HttpConnector::new(Duration::from_secs(2), loopback_allowed()).unwrap(),
        ));
    let port = free_port();
    let chain = chain_at(&services, &format!("http://127.0.0.1:{port}")).await;
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start_sandbox(&chain.crm_secret, dir.path(), port).await;
    let g = gate_with(&services, db, chain).await;
    Publishing {
        services,
        g,
        key,
        sandbox,
        dir,
    }
}
