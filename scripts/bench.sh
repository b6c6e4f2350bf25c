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
REQUESTS="${REQUESTS:-20000}"
CONCURRENCY="${CONCURRENCY:-32}"
SECONDS_MAX="${SECONDS_MAX:-60}"
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

if [ "$BENCH" = all ] || [ "$BENCH" = decisions ]; then
  for database in sqlite "$(fresh_db)"; do
    echo "==> Access decisions under load ($database)"
    target/release/countersign-load decisions --database "$database" \
      --requests "$REQUESTS" --concurrency "$CONCURRENCY" --seconds "$SECONDS_MAX"
  done
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
