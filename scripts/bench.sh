#!/usr/bin/env bash
# Performance runs a reader can repeat: Cedar evaluation in-process (criterion), then a bounded
# HTTP load run of the access-decision API on loopback, on SQLite and on a PostgreSQL server
# started here from the installed binaries. Figures go to stdout; the README quotes them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh

export RUSTFLAGS="--cfg erase_components"
REQUESTS="${REQUESTS:-20000}"
CONCURRENCY="${CONCURRENCY:-32}"
SECONDS_MAX="${SECONDS_MAX:-60}"

echo "==> Cedar evaluation (criterion)"
cargo bench -p countersign-core --bench policy -- --noplot

echo "==> Building the load generator (release)"
cargo build --release -p countersign --bin countersign-load

echo "==> Load run on SQLite"
target/release/countersign-load --database sqlite \
  --requests "$REQUESTS" --concurrency "$CONCURRENCY" --seconds "$SECONDS_MAX"

echo "==> Load run on PostgreSQL"
start_postgres
trap stop_postgres EXIT
DB="cs_load_$(date +%s)"
psql "$COUNTERSIGN_TEST_POSTGRES_URL" -qc "CREATE DATABASE $DB"
target/release/countersign-load --database "${COUNTERSIGN_TEST_POSTGRES_URL%/*}/$DB" \
  --requests "$REQUESTS" --concurrency "$CONCURRENCY" --seconds "$SECONDS_MAX"
