#!/usr/bin/env bash
# A throwaway SoftHSM2 token for Coffer's PKCS#11 tests, in a temp directory.
#
#   eval "$(bash scripts/hsm.sh start)"   # makes the token, prints `export` lines
#   bash scripts/hsm.sh stop [DIR]        # removes DIR (and so the token)
#
# `start` writes a softhsm2.conf whose token directory is inside DIR, initialises a token
# labelled `coffer` with random user and SO PINs (softhsm2-util --init-token --free), writes the
# user PIN to DIR/pin (mode 0600) and prints:
#   COFFER_HSM_DIR              the directory (give it to `stop`)
#   SOFTHSM2_CONF               the configuration SoftHSM2 reads (the token lives only there)
#   COFFER_TEST_PKCS11_MODULE   the SoftHSM2 module path
#   COFFER_TEST_PKCS11_TOKEN    the token label (coffer)
#   COFFER_TEST_PKCS11_PIN_FILE the user PIN file
# No key is created: the tests create theirs (through `coffer kek generate --pkcs11`).
set -euo pipefail

die() { echo "hsm.sh: $*" >&2; exit 1; }

module_path() {
  local m
  for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
           /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
    [[ -f "$m" ]] && { echo "$m"; return 0; }
  done
  return 1
}

start() {
  command -v softhsm2-util >/dev/null 2>&1 || die "softhsm2-util not found: run scripts/install-deps.sh (Debian softhsm2)"
  local module dir pin sopin
  module=$(module_path) || die "libsofthsm2.so not found (Debian softhsm2)"
  dir=$(mktemp -d /tmp/coffer-hsm.XXXXXX)
  mkdir -p "$dir/tokens"
  cat >"$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
  pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  sopin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  (umask 077 && printf '%s\n' "$pin" >"$dir/pin")
  SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free --label coffer --pin "$pin" --so-pin "$sopin" >&2
  echo "hsm.sh: SoftHSM2 token 'coffer' in $dir" >&2
  echo "export COFFER_HSM_DIR=$dir"
  echo "export SOFTHSM2_CONF=$dir/softhsm2.conf"
  echo "export COFFER_TEST_PKCS11_MODULE=$module"
  echo "export COFFER_TEST_PKCS11_TOKEN=coffer"
  echo "export COFFER_TEST_PKCS11_PIN_FILE=$dir/pin"
}

stop() {
  local dir="${1:-${COFFER_HSM_DIR:-}}"
  [[ -n "$dir" && -d "$dir" && "$dir" == /tmp/coffer-hsm.* ]] || die "stop needs the directory printed by start"
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  *) die "usage: hsm.sh start | stop DIR" ;;
esac
