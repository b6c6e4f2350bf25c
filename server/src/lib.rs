//! The Countersign console process: configuration, start-up, the HTTP application, single sign-on
//! and sessions. Governance rules live in `countersign-core`; this crate adapts HTTP to it.

pub mod anchor;
pub mod api;
pub mod api_fixture;
pub mod auth;
pub mod browser_headers;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod connector;
pub mod csrf;
pub mod deliveries;
pub mod demo_agent;
pub mod demo_story;
pub mod errors;
pub mod evidence_bench;
pub mod evidence_download;
pub mod flood_bench;
pub mod fuzzing;
pub mod health;
pub mod killswitch_bench;
pub mod ledger_bench;
pub mod loadtest;
pub mod log_key;
pub mod metrics;
pub mod outbound;
pub mod queue_bench;
pub mod sandbox;
pub mod serve_http;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
pub mod witness_server;
pub mod witnessing;
