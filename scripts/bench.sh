#!/usr/bin/env bash
# Performance runs a reader can repeat: Cedar evaluation in-process (criterion), a bounded HTTP
# load run of the access-decision API on loopback, and the queue page's server render with 100k
# and then 1M pending changes — each on SQLite and on a PostgreSQL server started here from the
# installed binaries, and the kill switch on a workflow with 1,000 credentials and 10 connected
# systems, and the verifiable ledger (audited writes with and without checkpoints, tree building
# and `audit verify` over LEDGER_EVENTS events), and the change page of a 50-locale variant set.
# Figures go to stdout; the README quotes them.
# `BENCH=decisions`, `queue`, `killswitch`, `ledger`, `variants`, `investigate` or `registry` runs
# only one.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh

export RUSTFLAGS="--cfg erase_components"
REQUESTS="${REQUESTS:-100000}"
CONCURRENCY="${CONCURRENCY:-32}"
SECONDS_MAX="${SECONDS_MAX:-30}"
QUEUE_CHANGES="${QUEUE_CHANGES:-100000}"
QUEUE_GROW_TO="${QUEUE_GROW_TO:-1000000}"
QUEUE_EVENTS="${QUEUE_EVENTS:-1000000}"
LEDGER_EVENTS="${LEDGER_EVENTS:-1000000}"
INVESTIGATE_DECISIONS="${INVESTIGATE_DECISIONS:-1000000}"
BENCH="${BENCH:-all}"

if [ "$BENCH" = all ] || [ "$BENCH" = decisions ]; then
  echo "==> Cedar evaluation (criterion)"
  cargo bench -p countersign-core --bench policy -- --noplot
fi

echo "==> Building the load generator (release)"
cargo build --release -p countersign --bin countersign-load

start_postgres
trap stop_postgres EXIT
fresh_db() {
  local db="cs_load_$(date +%s%N)"
  psql "$COUNTERSIGN_TEST_POSTGRES_URL" -qc "CREATE DATABASE $db"
  echo "${COUNTERSIGN_TEST_POSTGRES_URL%/*}/$db"
}

# One core each: the console (and PostgreSQL's processes) on core 1, the load generator on core 0;
# the console is `countersign-load fixture`, serving the same world from its own process.
pinned_decisions() {
  local database="$1" out fixture url token
  out="$(mktemp)"
  taskset -c 1 target/release/countersign-load fixture --database "$database" --consent >"$out" &
  fixture=$!
  for _ in $(seq 1 600); do
    if grep -q base_url "$out"; then break; fi
    if ! kill -0 "$fixture" 2>/dev/null; then echo "error: the fixture stopped" >&2; return 1; fi
    sleep 0.1
  done
  url="$(sed -n 's/.*"base_url":"\([^"]*\)".*/\1/p' "$out")"
  token="$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$out")"
  for connections in "$CONCURRENCY" 8; do
    echo "==> Access decisions, pinned: console on core 1, load generator on core 0 ($database, $connections connections)"
    taskset -c 0 target/release/countersign-load decisions --target "$url" --token "$token" \
      --requests "$REQUESTS" --concurrency "$connections" --seconds "$SECONDS_MAX"
  done
  kill "$fixture"
  wait "$fixture" 2>/dev/null || true
  rm -f "$out"
}

if [ "$BENCH" = all ] || [ "$BENCH" = decisions ]; then
  for database in sqlite "$(fresh_db)"; do
    for connections in "$CONCURRENCY" 8; do
      # A fresh PostgreSQL database for each run: the world is set up from scratch.
      [ "$database" = sqlite ] || database="$(fresh_db)"
      echo "==> Access decisions under load ($database, $connections connections, shared cores)"
      target/release/countersign-load decisions --database "$database" \
        --requests "$REQUESTS" --concurrency "$connections" --seconds "$SECONDS_MAX"
    done
  done
  if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pinned_decisions sqlite
    # PostgreSQL's server (and the backends it forks from now on) joins the console's core.
    for pid in $(pgrep -x postgres); do taskset -a -p -c 1 "$pid" >/dev/null; done
    pinned_decisions "$(fresh_db)"
    for pid in $(pgrep -x postgres); do taskset -a -p -c "0-$(($(nproc) - 1))" "$pid" >/dev/null; done
  else
    echo "==> Pinned runs skipped: taskset or a second core is missing"
  fi
fi

if [ "$BENCH" = all ] || [ "$BENCH" = queue ]; then
  for database in sqlite "$(fresh_db)"; do
    echo "==> Queue page render ($database)"
    target/release/countersign-load queue --database "$database" \
      --changes "$QUEUE_CHANGES" --grow-to "$QUEUE_GROW_TO" --events "$QUEUE_EVENTS"
  done
fi

if [ "$BENCH" = all ] || [ "$BENCH" = variants ]; then
  for database in sqlite "$(fresh_db)"; do
    echo "==> A 50-locale variant set's change page ($database)"
    target/release/countersign-load variants --database "$database" --variants 50
  done
fi

if [ "$BENCH" = all ] || [ "$BENCH" = investigate ]; then
  for database in sqlite "$(fresh_db)"; do
    echo "==> Investigate over $INVESTIGATE_DECISIONS access decisions ($database)"
    target/release/countersign-load investigate --database "$database" \
      --decisions "$INVESTIGATE_DECISIONS"
  done
fi

if [ "$BENCH" = all ] || [ "$BENCH" = registry ]; then
  for database in sqlite "$(fresh_db)"; do
    echo "==> Workflows and identities pages, 1,000 workflows and 5,000 identities ($database)"
    target/release/countersign-load registry --database "$database" --workflows 1000 --identities 5000
  done
fi

if [ "$BENCH" = all ] || [ "$BENCH" = killswitch ]; then
  for database in sqlite "$(fresh_db)"; do
    echo "==> Kill switch ($database)"
    target/release/countersign-load killswitch --database "$database" --credentials 1000 --systems 10
  done
fi

if [ "$BENCH" = all ] || [ "$BENCH" = ledger ]; then
  for database in sqlite "$(fresh_db)"; do
    echo "==> Verifiable ledger ($database)"
    target/release/countersign-load ledger --database "$database" --events "$LEDGER_EVENTS"
  done
fi
