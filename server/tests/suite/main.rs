//! Every integration suite of the server in one test binary: one link instead of one per file,
//! which keeps a fresh build's time and disk use down (each binary carries the whole stack).

mod common;
/// The core's test databases and workflow fixtures, shared rather than copied.
#[path = "../../core/tests/suite/common/mod.rs"]
mod core_common;

mod agent_api;
mod authz_matrix;
mod cli;
mod compliance;
mod crash;
mod demo;
mod drill;
mod effects;
mod evidence;
mod fuzz_regressions;
mod hardening;
mod http;
mod investigate;
mod ledger_api;
mod mcp;
mod notify;
mod outbound;
mod scim;
mod scim_conformance;
mod templates;
mod variant_sets;
mod witness;
