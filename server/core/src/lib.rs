//! Countersign's core: domain types, the authorization chokepoint (Cedar), the services that
//! change state, the store (SQLite and PostgreSQL) and the hash-chained audit ledger.
//!
//! This is the only crate that talks to the database or evaluates policy. Every command of the
//! service layer starts with one `authorize(actor, action, resource)` call and writes its ledger
//! event in the same transaction as the state change it records.

pub mod actor;
pub mod clock;
pub mod connector;
pub mod credentials;
pub mod domain;
pub mod error;
pub mod fuzzing;
pub mod ledger;
pub mod notifier;
pub mod policy;
pub mod secrets;
pub mod services;
pub mod spreadsheet;
pub mod store;
pub mod webhooks;

pub use actor::Actor;
pub use clock::{Clock, SystemClock};
pub use error::{CoreError, CoreResult};
pub use services::Services;
