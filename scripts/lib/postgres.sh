# Starts a throwaway PostgreSQL server from the installed binaries (initdb + pg_ctl) in a temporary
# directory, on a free loopback port, and exports COUNTERSIGN_TEST_POSTGRES_URL. `stop_postgres`
# stops it and removes the directory. Sourced by scripts/test.sh.

pg_bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# PostgreSQL refuses to run as root: as root, run it as the `postgres` user.
as_pg_user() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_postgres() {
  if [ -n "${COUNTERSIGN_TEST_POSTGRES_URL:-}" ]; then
    echo "==> PostgreSQL: using COUNTERSIGN_TEST_POSTGRES_URL"
    return 0
  fi
  local bin
  bin=$(pg_bin_dir) || {
    echo "error: PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql or set COUNTERSIGN_TEST_POSTGRES_URL" >&2
    return 1
  }
  PG_TEST_DIR=$(mktemp -d /tmp/countersign-pg.XXXXXX)
  chmod 755 "$PG_TEST_DIR"
  if [ "$(id -u)" = "0" ]; then chown postgres "$PG_TEST_DIR"; fi
  PG_TEST_PORT=$(free_port)
  echo "==> PostgreSQL: starting a test server on 127.0.0.1:$PG_TEST_PORT ($PG_TEST_DIR)"
  as_pg_user "$bin/initdb" -D "$PG_TEST_DIR/data" -U postgres --auth=trust -E UTF8 >"$PG_TEST_DIR/initdb.log" 2>&1 || {
    cat "$PG_TEST_DIR/initdb.log" >&2
    return 1
  }
  as_pg_user "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -w -t 60 \
    -o "-p $PG_TEST_PORT -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" \
    -l "$PG_TEST_DIR/pg.log" start >/dev/null || {
    cat "$PG_TEST_DIR/pg.log" >&2
    return 1
  }
  PG_TEST_BIN="$bin"
  export COUNTERSIGN_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_TEST_PORT/postgres"
}

stop_postgres() {
  if [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR/data" ]; then
    as_pg_user "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
    unset PG_TEST_DIR
  fi
}
