#!/usr/bin/env bash
# A throwaway PostgreSQL for the test suite, under var/pg, on 127.0.0.1 only.
#
#   scripts/pg.sh run -- <command …>   start (installing and initialising when needed), run the
#                                      command with DATABASE_URL set, stop again if we started it
#   scripts/pg.sh start | stop | status | url
#
# Installs the server from Debian packages when none is found (needs root). As root the cluster
# belongs to the `postgres` system user (initdb refuses to run as root). Idempotent: a second run
# reuses the cluster, the role and the database. The cluster uses UTF8 and the C collation, and
# trades durability for speed (fsync off): it holds nothing but test data.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PGDIR="${SHOUWANG_PG_DIR:-$ROOT/var/pg}"
DATA="$PGDIR/data"
SOCK="$PGDIR/run"
LOG="$PGDIR/server.log"
PORT_FILE="$PGDIR/port"
PORT="${SHOUWANG_PG_PORT:-55432}"
ROLE=shouwang
PASSWORD=shouwang
DB=shouwang

say() { echo "pg.sh: $*" >&2; }

find_bin() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
    if [[ -z "$dir" ]] && command -v pg_ctl >/dev/null 2>&1; then
        dir="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
    fi
    echo "$dir"
}

install_server() {
    if [[ "$(id -u)" != 0 ]]; then
        say "PostgreSQL is not installed and this is not root: apt-get install postgresql"
        exit 1
    fi
    say "installing PostgreSQL from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
}

BIN="$(find_bin)"
if [[ -z "$BIN" || ! -x "$BIN/initdb" ]]; then
    install_server
    BIN="$(find_bin)"
fi

# Everything that touches the cluster runs as its owner.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

prepare_dirs() {
    mkdir -p "$PGDIR" "$SOCK"
    if [[ "$(id -u)" == 0 ]]; then
        chown postgres:postgres "$PGDIR" "$SOCK"
        chmod 700 "$PGDIR"
        # The owner must be able to reach var/pg through every parent directory.
        if ! runuser -u postgres -- test -w "$PGDIR"; then
            say "user postgres cannot write $PGDIR (a parent directory is closed);"
            say "set SHOUWANG_PG_DIR to a directory it can reach, e.g. /tmp/shouwang-pg"
            exit 1
        fi
    fi
}

running() {
    [[ -f "$DATA/PG_VERSION" ]] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

init_cluster() {
    [[ -f "$DATA/PG_VERSION" ]] && return
    say "initialising a cluster in $DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --encoding=UTF8 --locale=C \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
}

start() {
    prepare_dirs
    init_cluster
    if running; then
        PORT="$(cat "$PORT_FILE")"
        return 1  # already running: not ours to stop
    fi
    while ! port_free "$PORT"; do PORT=$((PORT + 1)); done
    echo "$PORT" >"$PORT_FILE"
    say "starting PostgreSQL ($("$BIN/postgres" --version | awk '{print $3}')) on 127.0.0.1:$PORT"
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start -o \
        "-p $PORT -k $SOCK -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" >/dev/null
    ensure_database
    return 0
}

psql_su() {
    as_owner "$BIN/psql" -h "$SOCK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

ensure_database() {
    if [[ "$(psql_su -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]]; then
        psql_su -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'"
    fi
    if [[ "$(psql_su -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]]; then
        psql_su -c "CREATE DATABASE $DB OWNER $ROLE ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
    fi
}

stop() {
    if running; then
        say "stopping PostgreSQL"
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    fi
}

url() {
    echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$(cat "$PORT_FILE")/$DB"
}

case "${1:-}" in
    start)
        start || true
        url
        ;;
    stop)
        stop
        ;;
    status)
        if running; then echo "running on 127.0.0.1:$(cat "$PORT_FILE")"; else echo "stopped"; fi
        ;;
    url)
        url
        ;;
    run)
        shift
        [[ "${1:-}" == "--" ]] && shift
        [[ $# -gt 0 ]] || { say "usage: pg.sh run -- <command …>"; exit 2; }
        started=0
        if start; then started=1; else ensure_database; fi
        if [[ "$started" == 1 ]]; then trap stop EXIT; fi
        DATABASE_URL="$(url)"
        export DATABASE_URL
        say "DATABASE_URL=$DATABASE_URL"
        "$@"
        ;;
    *)
        echo "usage: $0 run -- <command …> | start | stop | status | url" >&2
        exit 2
        ;;
esac
