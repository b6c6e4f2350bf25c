#!/usr/bin/env bash
# API conformance: schemathesis generates requests from /api/v1/openapi.json and sends them, with
# a valid agent token, to a fresh console (`countersign-load fixture`: an active workflow, an
# agent, the reference system). It fails on any server error and on any answer the document does
# not describe (status, content type, body schema, headers). COUNTERSIGN_API_EXAMPLES bounds the
# examples per operation (default 50). One worker: two threads generating query parameters at
# once hit a CPython 3.11 ast.parse race inside hypothesis ("AST constructor recursion depth
# mismatch"), a runtime error that is not the API's.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
ensure_schemathesis

examples="${COUNTERSIGN_API_EXAMPLES:-50}"
out=$(mktemp -d)
cargo build --quiet -p countersign --bin countersign-load
RUST_LOG="${RUST_LOG:-warn}" target/debug/countersign-load fixture >"$out/fixture.json" 2>"$out/console.log" &
console=$!
trap 'kill "$console" 2>/dev/null || true; wait "$console" 2>/dev/null || true' EXIT
# The fixture prints one line once it listens; wait for that line (or for it to die).
for _ in $(seq 1 120); do
  [ -s "$out/fixture.json" ] && break
  kill -0 "$console" 2>/dev/null || { cat "$out/console.log" >&2; exit 1; }
  sleep 0.5
done
read_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$out/fixture.json" "$1"; }
base=$(read_field base_url)
token=$(read_field access_token)

# Run from the scratch directory: schemathesis keeps a cache in its working directory.
venv="$PWD/$SCHEMATHESIS_VENV"
(cd "$out" && "$venv/bin/schemathesis" run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --max-examples "$examples" --workers 1 --warnings off \
  --report junit --report-dir "$out")
if grep -qiE '\b(ERROR|panicked)\b' "$out/console.log"; then
  echo "error: the console logged errors during the run:" >&2
  grep -iE '\b(ERROR|panicked)\b' "$out/console.log" | head -20 >&2
  exit 1
fi
echo "API conformance: no server error, every answer as documented ($examples examples per operation)"
