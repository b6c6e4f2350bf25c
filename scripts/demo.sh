#!/usr/bin/env bash
# Builds Countersign and starts it in demo mode on SQLite: http://127.0.0.1:3000
# Installs what the build needs the first time (wasm target, node packages, wasm-bindgen-cli,
# cargo-leptos).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh

ensure_build_tools
step "Building (cargo leptos build)"
cargo leptos build
step "Starting Countersign in demo mode at http://127.0.0.1:3000 (Ctrl-C to stop)"
exec ./target/debug/countersign serve --demo "$@"
