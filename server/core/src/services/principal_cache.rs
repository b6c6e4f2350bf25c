//! What an access token stands for (its row, identity, workflow, step and the step's fields),
//! kept per token between requests. An entry is used only while the registry generation it was
//! read at is still the store's: every write that may change what a token stands for bumps the
//! generation in its own commit, so checking one number per request keeps the cache exact, also
//! across several console processes sharing one database. Time-dependent checks (token and
//! identity expiry) and Cedar are still applied on every use.
//!
//! An access decision may skip even that read: it takes the entry read at the newest generation
//! this process has seen, and its commit checks, under the ledger head's lock, that the
//! generation is still that one (see `recorder`). A decision made for a principal that changed
//! meanwhile is never recorded nor answered; it is made again from the registry.

use crate::domain::{FieldCategory, Nhi, Step, Workflow};
use crate::store::AccessTokenRow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// Tokens remembered at most; the cache is emptied when full (tokens live ≤ 15 minutes).
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone)]
pub(super) struct Resolved {
    pub token: AccessTokenRow,
    pub nhi: Nhi,
    pub workflow: Arc<Workflow>,
    pub step: Step,
    pub fields: Arc<HashMap<String, FieldCategory>>,
}

#[derive(Debug)]
pub(super) struct PrincipalCache {
    entries: Mutex<HashMap<String, (i64, Resolved)>>,
    /// The newest registry generation this process has read or been told of.
    newest: AtomicI64,
}

impl Default for PrincipalCache {
    fn default() -> Self {
        Self {
            entries: Mutex::default(),
            newest: AtomicI64::new(i64::MIN),
        }
    }
}

impl PrincipalCache {
    /// The entry for this token hash if it was read at `generation`.
    pub fn get(&self, token_hash: &str, generation: i64) -> Option<Resolved> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match entries.get(token_hash) {
            Some((read_at, resolved)) if *read_at == generation => Some(resolved.clone()),
            _ => None,
        }
    }

    /// The entry for this token hash, with its generation, if it was read at the newest
    /// generation this process knows of: still to be confirmed at the commit.
    pub fn newest(&self, token_hash: &str) -> Option<(i64, Resolved)> {
        let newest = self.newest.load(Ordering::Acquire);
        self.get(token_hash, newest)
            .map(|resolved| (newest, resolved))
    }

    /// Learns of a generation (read from the store or found at a commit).
    pub fn observe(&self, generation: i64) {
        self.newest.fetch_max(generation, Ordering::AcqRel);
    }

    pub fn put(&self, token_hash: String, generation: i64, resolved: Resolved) {
        self.observe(generation);
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(token_hash, (generation, resolved));
    }
}
