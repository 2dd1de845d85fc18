#!/usr/bin/env bash
# A throwaway PostgreSQL server for Coffer's tests (and for trying the PostgreSQL store).
#
#   eval "$(bash scripts/postgres.sh start)"   # starts a cluster, prints `export` lines
#   bash scripts/postgres.sh env [DIR]         # prints the `export` lines again
#   bash scripts/postgres.sh stop [DIR]        # stops the cluster and removes DIR
#
# `start` installs PostgreSQL from Debian (`postgresql`) if initdb is missing, creates a cluster
# in a new temporary directory, listening on 127.0.0.1 on a free port (and a Unix socket inside
# the directory, nothing else), runs it as an unprivileged user (PostgreSQL refuses to run as
# root: as root the `postgres` system user is used, created if missing), and provisions what
# docs/POSTGRES.md describes:
#   - database  coffer_test, owned by
#   - role      coffer_maint  (maintenance: owns the database and the schema Coffer creates; runs
#               migrations and fleet-wide jobs; no SUPERUSER, no BYPASSRLS)
#   - role      coffer_app    (application: CONNECT only; Coffer's migrations grant it the table
#               privileges it needs; no BYPASSRLS, owns nothing, so row-level security applies)
# Passwords are random per cluster (scram-sha-256 over TCP). The printed variables:
#   COFFER_PG_DIR                  the cluster's directory (give it to `stop`)
#   COFFER_TEST_POSTGRES_URL       postgres://coffer_maint:…@127.0.0.1:PORT/coffer_test
#   COFFER_TEST_POSTGRES_APP_URL   postgres://coffer_app:…@127.0.0.1:PORT/coffer_test
# Progress goes to stderr, so `eval "$(… start)"` sees only the exports.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

find_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x "$d/initdb" ]] && { echo "$d"; return 0; }
  done
  return 1
}

install_if_missing() {
  find_bin >/dev/null && return 0
  echo "postgres.sh: installing PostgreSQL (Debian package postgresql)" >&2
  local SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  find_bin >/dev/null || die "initdb not found under /usr/lib/postgresql/*/bin after installing postgresql"
}

# Runs "$@" as the unprivileged cluster user.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

random_password() {
  python3 -c 'import secrets; print(secrets.token_hex(16))'
}

cmd_start() {
  install_if_missing
  local bin; bin=$(find_bin)
  PG_USER=$(id -un)
  if [[ $(id -u) -eq 0 ]]; then
    PG_USER=postgres
    id -u "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
  fi
  local dir; dir=$(mktemp -d "${TMPDIR:-/tmp}/coffer-pg.XXXXXX")
  chmod 700 "$dir"
  [[ $(id -u) -eq 0 ]] && chown "$PG_USER" "$dir"
  local port; port=$(free_port)
  local super_pw maint_pw app_pw
  super_pw=$(random_password); maint_pw=$(random_password); app_pw=$(random_password)
  printf '%s\n' "$super_pw" > "$dir/superuser.pw"
  [[ $(id -u) -eq 0 ]] && chown "$PG_USER" "$dir/superuser.pw"

  echo "postgres.sh: initdb in $dir (user $PG_USER, port $port)" >&2
  as_pg "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/superuser.pw" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  rm -f "$dir/superuser.pw"
  # Speed over durability: the cluster is thrown away after the tests.
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$dir/server.log" >&2; die "the server did not start"; }

  as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres >/dev/null <<SQL
CREATE ROLE coffer_maint LOGIN PASSWORD '$maint_pw' NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
CREATE ROLE coffer_app LOGIN PASSWORD '$app_pw' NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
CREATE DATABASE coffer_test OWNER coffer_maint;
REVOKE ALL ON DATABASE coffer_test FROM PUBLIC;
GRANT CONNECT ON DATABASE coffer_test TO coffer_app;
SQL

  cat >"$dir/env.sh" <<ENV
export COFFER_PG_DIR='$dir'
export COFFER_TEST_POSTGRES_URL='postgres://coffer_maint:$maint_pw@127.0.0.1:$port/coffer_test'
export COFFER_TEST_POSTGRES_APP_URL='postgres://coffer_app:$app_pw@127.0.0.1:$port/coffer_test'
ENV
  chmod 600 "$dir/env.sh"
  echo "$bin" >"$dir/bin"
  echo "$PG_USER" >"$dir/user"
  echo "postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') ready on 127.0.0.1:$port (stop with: bash scripts/postgres.sh stop $dir)" >&2
  cat "$dir/env.sh"
}

state_dir() {
  local dir="${1:-${COFFER_PG_DIR:-}}"
  [[ -n "$dir" ]] || die "no cluster directory: pass it as an argument or set COFFER_PG_DIR"
  [[ -f "$dir/env.sh" ]] || die "$dir is not a cluster made by postgres.sh start"
  echo "$dir"
}

cmd_env() {
  local dir; dir=$(state_dir "${1:-}")
  cat "$dir/env.sh"
}

cmd_stop() {
  local dir; dir=$(state_dir "${1:-}")
  local bin; bin=$(cat "$dir/bin")
  PG_USER=$(cat "$dir/user")
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
      || echo "postgres.sh: pg_ctl stop failed; see $dir/server.log" >&2
  fi
  case "$dir" in
    "${TMPDIR:-/tmp}"/coffer-pg.*) rm -rf "$dir" ;;
    *) die "refusing to remove $dir (not a postgres.sh directory)" ;;
  esac
  echo "postgres.sh: stopped and removed $dir" >&2
}

case "${1:-}" in
  start) cmd_start ;;
  env) cmd_env "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  *) echo "usage: $0 start | env [DIR] | stop [DIR]" >&2; exit 2 ;;
esac
