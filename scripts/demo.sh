#!/usr/bin/env bash
# Builds Countersign and starts it in demo mode on SQLite: http://127.0.0.1:3000
# Installs what the build needs the first time (the wasm32 target, node packages).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh

ensure_build_tools
step "Building (server, WebAssembly, CSS: cargo run -p countersign-build)"
build_site
step "Starting Countersign in demo mode at http://127.0.0.1:3000 (Ctrl-C to stop)"
exec ./target/debug/countersign serve --demo "$@"
