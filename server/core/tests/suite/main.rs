//! Every integration suite of the core in one test binary: one link instead of one per file,
//! which keeps a fresh build's time and disk use down (each binary carries the whole stack).

mod common;

mod agent_changes;
mod audit_search;
mod auditor_tokens;
mod credentials;
mod decisions;
mod decisions_confirmed;
mod delegations;
mod directory;
mod drafts;
mod drift;
mod flow;
mod freshness;
mod fuzz_regressions;
mod gate;
mod identities;
mod integrity;
mod investigate_index;
mod notifications;
mod policy_cases;
mod registry_pages;
mod store;
mod systems;
mod templates;
mod throttles;
mod variant_sets;
mod verifiable_log;
mod workflows;
mod workflows_as_code;
