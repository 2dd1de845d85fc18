#!/usr/bin/env bash
# A throwaway KMS-compatible endpoint for Coffer's tests: moto_server (PyPI `moto[server]`) on
# loopback.
#
#   eval "$(bash scripts/kms.sh start)"   # starts it, prints `export` lines
#   bash scripts/kms.sh stop [DIR]        # stops it and removes DIR
#
# `start` installs moto[server] with pip if moto_server is missing, starts it on 127.0.0.1 on a
# free port (nothing else listens), waits until it answers, and prints:
#   COFFER_KMS_DIR            its directory (pid file and log; give it to `stop`)
#   COFFER_TEST_KMS_URL       http://127.0.0.1:PORT
# moto does not check request signatures: the SigV4 signer is proved by the botocore vectors
# (scripts/sigv4_vectors.py), not by this server.
set -euo pipefail

die() { echo "kms.sh: $*" >&2; exit 1; }

start() {
  if ! command -v moto_server >/dev/null 2>&1; then
    echo "kms.sh: installing moto[server] (PyPI)" >&2
    python3 -m pip install -q 'moto[server]' >&2
  fi
  command -v moto_server >/dev/null 2>&1 || die "moto_server not found after installing moto[server]"
  local dir port
  dir=$(mktemp -d /tmp/coffer-kms.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  (cd "$dir" && exec setsid moto_server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1) &
  echo $! >"$dir/pid"
  local i
  for i in $(seq 1 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
      echo "kms.sh: moto_server on 127.0.0.1:$port (dir $dir)" >&2
      echo "export COFFER_KMS_DIR=$dir"
      echo "export COFFER_TEST_KMS_URL=http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.2
  done
  cat "$dir/moto.log" >&2 || true
  die "moto_server did not answer on 127.0.0.1:$port"
}

stop() {
  local dir="${1:-${COFFER_KMS_DIR:-}}"
  [[ -n "$dir" && -d "$dir" ]] || die "stop needs the directory printed by start"
  if [[ -f "$dir/pid" ]]; then
    local pid; pid=$(cat "$dir/pid")
    kill "$pid" 2>/dev/null || true
    pkill -P "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  *) die "usage: kms.sh start | stop DIR" ;;
esac
