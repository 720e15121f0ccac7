#!/bin/sh
# Start a throw-away PostgreSQL 15 server for trying the app or the store on PostgreSQL
# by hand (the test suite starts its own: tests/conftest_db.py).
#   scripts/pg_test_server.sh start   -> prints the DATABASE_URL to use
#   scripts/pg_test_server.sh stop
# Needs Debian's postgresql-15 package; run as root (drops to the postgres user) or as any non-root user.
set -eu
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DIR=${PG_TEST_DIR:-/tmp/monitor-pg}
PORT=${PG_TEST_PORT:-55432}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-start}" in
  start)
    [ -x "$BIN/initdb" ] || { echo "PostgreSQL binaries not found in $BIN (apt-get install postgresql)" >&2; exit 1; }
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    [ -f "$DIR/data/PG_VERSION" ] || as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DIR" start >/dev/null
    as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='monitor'" | grep -q 1 \
      || as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres monitor
    echo "DATABASE_URL=postgresql://postgres@127.0.0.1:$PORT/monitor"
    ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop
    ;;
  *)
    echo "usage: $0 start|stop" >&2; exit 2
    ;;
esac
