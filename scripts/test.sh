#!/usr/bin/env bash
# The whole test suite, as CI runs it: format, clippy (ssr and hydrate), unit and integration
# tests on SQLite and PostgreSQL, and end-to-end tests in Chromium against a real OpenID Connect
# provider. Installs what is missing first; starts and stops its own PostgreSQL server unless
# COUNTERSIGN_TEST_POSTGRES_URL is set.
set -eEuo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
source scripts/lib/postgres.sh

started=$(date +%s)
trap report_failed_stage ERR
# Stops the test database (if this script started one) and reports how long each stage took,
# whether the run passed or not.
finish() {
  stop_postgres
  report_stages
}
trap finish EXIT
# Incremental caches speed up nothing on a fresh clone and cost gigabytes of disk; a developer
# rerunning this script can keep them with CARGO_INCREMENTAL=1.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
report_free_disk
ensure_build_tools
ensure_chromium

step "Format (cargo fmt --check)"
cargo fmt --all -- --check

# The flags debug site builds use (countersign-build, as cargo-leptos), so a developer's debug
# build and these stages share compiled dependencies.
export RUSTFLAGS="--cfg erase_components"

step "Build the reference connected system and the offline verifier (countersign-sandbox, countersign-verify)"
cargo build -p countersign --bin countersign-sandbox
cargo build -p countersign-evidence --bin countersign-verify

step "Clippy, ssr (-D warnings)"
cargo clippy --workspace --exclude countersign-frontend --all-targets --features countersign-app/ssr -- -D warnings

step "Clippy, hydrate (-D warnings)"
cargo clippy -p countersign-frontend -p countersign-app --features countersign-app/hydrate \
  --target wasm32-unknown-unknown -- -D warnings

start_postgres
ensure_trestle
ensure_scim2
ensure_smtp_server

step "Unit and integration tests (SQLite and PostgreSQL)"
cargo nextest run --workspace --exclude countersign-frontend --no-fail-fast

step "API conformance (schemathesis against /api/v1/openapi.json, a fresh console, an agent's token)"
scripts/api-conformance.sh

# The end-to-end suite runs against the release build, as users deploy it (wasm-opt from npm's
# binaryen: only a browser shows whether the optimised WebAssembly still hydrates).
# COUNTERSIGN_E2E_BUILD=debug runs it against the debug build instead, faster to build.
E2E_BUILD="${COUNTERSIGN_E2E_BUILD:-release}"
case "$E2E_BUILD" in
  release) site_args=(--release) ;;
  debug) site_args=() ;;
  *) echo "error: COUNTERSIGN_E2E_BUILD must be release or debug, not $E2E_BUILD" >&2; exit 2 ;;
esac
step "Build the $E2E_BUILD site for the browser tests (countersign-build ${site_args[*]:-}: server, WebAssembly, CSS)"
build_site "${site_args[@]}"

step "End-to-end tests against the $E2E_BUILD build (Playwright, Debian's Chromium, oidc-provider)"
(cd end2end && COUNTERSIGN_E2E_BUILD="$E2E_BUILD" playwright test --config playwright.config.mjs)

printf '\n==> All checks passed in %s s\n' "$(( $(date +%s) - started ))"
