#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the store/postgres tests and prints, as its only
# output on stdout, the line that points the tests at it:
#
#   eval "$(bash .ci/postgres.sh)"   # sets DIRSYNC_TEST_POSTGRES_DSN
#   bash .ci/postgres.sh restart [fast|immediate]   # restarts that cluster on the same port
#   bash .ci/postgres.sh stop                       # stops it
#
# The cluster listens on 127.0.0.1 only, on a free port, with trust authentication, and runs
# as the postgres user (PostgreSQL refuses to run as root) from a directory that user owns. It
# is left running in the background. Running the script again while that cluster is up prints
# the same line and starts nothing. It installs PostgreSQL with apt-get when the binaries are
# missing. Durability is off (fsync, full_page_writes, synchronous_commit): the data is
# disposable and the tests create a database each.
#
# Environment: DIRSYNC_PG_DIR (default ${TMPDIR:-/tmp}/dirsync-postgres) holds the cluster;
# DIRSYNC_PG_DURABLE=1 keeps fsync and synchronous commits on (for benchmarks).
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
BASE=${DIRSYNC_PG_DIR:-${TMPDIR:-/tmp}/dirsync-postgres}
DATA=$BASE/data
log() { echo "postgres.sh: $*" >&2; }

if [ ! -x "$PGBIN/postgres" ]; then
  log "installing PostgreSQL 15"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y postgresql-15 >&2 || apt-get install -y postgresql >&2
fi
[ -x "$PGBIN/postgres" ] || { log "no PostgreSQL 15 at $PGBIN"; exit 1; }

# as_pg runs a command as the postgres user (directly when not root), from a directory that
# user can read (initdb and pg_ctl fail in one they cannot, such as root's home).
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

case "${1:-start}" in
  start) ;;
  restart)
    as_pg "$PGBIN/pg_ctl" -D "$DATA" restart -m "${2:-fast}" -w -t 60 -l "$BASE/server.log" >&2
    exit 0 ;;
  stop)
    as_pg "$PGBIN/pg_ctl" -D "$DATA" stop -m "${2:-fast}" >&2 || true
    exit 0 ;;
  *) log "usage: $0 [start | restart [fast|immediate] | stop [fast|immediate]]"; exit 2 ;;
esac

dsn() { echo "export DIRSYNC_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:$1/postgres?sslmode=disable"; }

durable=off
[ "${DIRSYNC_PG_DURABLE:-}" = 1 ] && durable=on

# Already running with the same durability? Reuse it.
if [ -f "$BASE/port" ] && [ "$(cat "$BASE/durable" 2>/dev/null)" = "$durable" ] && as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  port=$(cat "$BASE/port")
  if as_pg "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    log "reusing the cluster on port $port"
    dsn "$port"
    exit 0
  fi
fi

mkdir -p "$BASE"
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$BASE"
fi
chmod 700 "$BASE"
if [ ! -f "$DATA/PG_VERSION" ]; then
  rm -rf "$DATA"
  as_pg "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-instructions --no-sync >&2 \
    || as_pg "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C --no-instructions --no-sync >&2
fi
as_pg "$PGBIN/pg_ctl" -D "$DATA" stop -m immediate >/dev/null 2>&1 || true

# free_port prints a port on 127.0.0.1 that nothing answers on.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  return 1
}

# Another process may take the port between the check and the start: try a few.
for _ in 1 2 3 4 5; do
  port=$(free_port)
  opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$BASE"
  opts+=" -c max_connections=300 -c shared_buffers=128MB"
  opts+=" -c fsync=$durable -c synchronous_commit=$durable -c full_page_writes=$durable"
  if as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$BASE/server.log" -w -t 60 start -o "$opts" >&2; then
    echo "$port" >"$BASE/port"
    echo "$durable" >"$BASE/durable"
    log "cluster in $DATA listening on 127.0.0.1:$port"
    dsn "$port"
    exit 0
  fi
  tail -n 5 "$BASE/server.log" >&2 || true
done
log "could not start PostgreSQL"
exit 1
