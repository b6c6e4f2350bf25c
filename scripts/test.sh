#!/usr/bin/env bash
# The whole test suite, as CI runs it: format, clippy (ssr and hydrate), unit and integration
# tests on SQLite and PostgreSQL, and end-to-end tests in Chromium against a real OpenID Connect
# provider. Installs what is missing first; starts and stops its own PostgreSQL server unless
# COUNTERSIGN_TEST_POSTGRES_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
source scripts/lib/postgres.sh

started=$(date +%s)
# Incremental caches speed up nothing on a fresh clone and cost gigabytes of disk; a developer
# rerunning this script can keep them with CARGO_INCREMENTAL=1.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
report_free_disk
ensure_build_tools
ensure_chromium

step "Format (cargo fmt --check)"
cargo fmt --all -- --check

step "Build (cargo leptos build: server, WebAssembly, CSS)"
cargo leptos build

# The same flags cargo-leptos gives debug builds, so tests reuse its compiled dependencies.
export RUSTFLAGS="--cfg erase_components"

step "Build the reference connected system (countersign-sandbox)"
cargo build -p countersign --bin countersign-sandbox

step "Clippy, ssr (-D warnings)"
cargo clippy --workspace --exclude countersign-frontend --all-targets --features countersign-app/ssr -- -D warnings

step "Clippy, hydrate (-D warnings)"
cargo clippy -p countersign-frontend -p countersign-app --features countersign-app/hydrate \
  --target wasm32-unknown-unknown -- -D warnings

trap stop_postgres EXIT
start_postgres

step "Unit and integration tests (SQLite and PostgreSQL)"
cargo nextest run --workspace --exclude countersign-frontend --no-fail-fast

step "End-to-end tests (Playwright, Debian's Chromium, oidc-provider)"
(cd end2end && playwright test --config playwright.config.mjs)

step "All checks passed in $(( $(date +%s) - started )) s"
