#!/usr/bin/env bash
# Builds the release a user would deploy: the optimised server and WebAssembly (wasm-opt from
# npm's binaryen 132, never Debian's older one, which breaks hydration), and the CSS. Prints the
# artefacts' sizes and how to run them. Installs what the build needs the first time.
set -eEuo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
trap report_failed_stage ERR

ensure_build_tools
step "Building the release (cargo run -p countersign-build -- --release)"
build_site --release

step "Release artefacts"
wasm=target/site/pkg/countersign.wasm
printf '  server      %s (%s MB)\n' target/release/countersign \
  "$(( $(stat -c %s target/release/countersign) / 1048576 ))"
printf '  WebAssembly %s (%s KB, %s KB gzipped)\n' "$wasm" \
  "$(( $(stat -c %s "$wasm") / 1024 ))" "$(( $(gzip -9 -c "$wasm" | wc -c) / 1024 ))"
printf '  site root   target/site (CSS, JS, WebAssembly, public assets)\n'
cat <<'USAGE'

Run it (see README → Running it for real for the settings):
  COUNTERSIGN_SITE_ROOT=target/site target/release/countersign serve --config countersign.toml
or try it in demo mode:
  COUNTERSIGN_SITE_ROOT=target/site target/release/countersign serve --demo
USAGE
