#!/usr/bin/env bash
# Soak test for crash-safe rotation: many SIGKILLs at random moments during
# `coffer reencrypt` and `coffer rotate-kek`, each followed by a run to completion and a
# check that every secret still opens with its value (compared by SHA-256, never printed).
#
# Usage: scripts/soak-rotation.sh [ITERATIONS] [SECRETS]     (defaults: 200, 150)
# Needs a built binary (swift build) at .build/debug/coffer, or set COFFER=/path/to/coffer.
set -euo pipefail

ITERATIONS=${1:-200}
SECRETS=${2:-150}
COFFER=${COFFER:-"$(cd "$(dirname "$0")/.." && pwd)/.build/debug/coffer"}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-soak.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK"
unset COFFER_KEK COFFER_KEK_PREVIOUS
STORE="$WORK/vault.db"
KEK_A="$WORK/kek-a"; KEK_B="$WORK/kek-b"
"$COFFER" kek generate "$KEK_A" 2>/dev/null
"$COFFER" kek generate "$KEK_B" 2>/dev/null
CUR="file:$KEK_A"; NEXT="file:$KEK_B"
c() { "$COFFER" "$@" --kek "$CUR" --store "$STORE"; }

c init >/dev/null
c workspace create acme >/dev/null
c workspace create beta >/dev/null
declare -A SUM
echo "seeding $SECRETS secrets per workspace..."
for ws in acme beta; do
  for i in $(seq 1 "$SECRETS"); do
    v="soak-$ws-$i-$RANDOM$RANDOM"
    printf '%s' "$v" | c put "$ws" "s/$i" >/dev/null
    SUM["$ws/s/$i"]=$(printf '%s' "$v" | sha256sum | cut -d' ' -f1)
  done
done

# Random delay in seconds, 0 to $1 ms.
rnd() { awk -v max="$1" -v r="$RANDOM" 'BEGIN { printf "%.3f", (r / 32767) * max / 1000 }'; }

killed_mid=0
run_and_kill() { # delay_ms command...
  local delay=$1; shift
  "$@" >/dev/null 2>&1 & local pid=$!
  sleep "$(rnd "$delay")"
  if kill -9 "$pid" 2>/dev/null; then killed_mid=$((killed_mid + 1)); fi
  wait "$pid" 2>/dev/null || true
}

verify() {
  for key in "${!SUM[@]}"; do
    local ws=${key%%/*} name=${key#*/}
    got=$(c get "$ws" "$name" | sha256sum | cut -d' ' -f1)
    [[ "$got" == "${SUM[$key]}" ]] || { echo "FAIL: $ws $name does not open to its value"; exit 1; }
  done
}

for it in $(seq 1 "$ITERATIONS"); do
  if (( it % 2 )); then
    # DEK rotation + killed re-encryption, then finish.
    c rotate acme >/dev/null; c rotate beta >/dev/null
    run_and_kill 400 c reencrypt --batch "$((RANDOM % 20 + 1))"
    c reencrypt --batch 50 >/dev/null
    left=$(c status --json | grep -o '"secretVersionsToReencrypt" : [0-9]*' | awk '{s+=$3} END {print s+0}')
    [[ "$left" == 0 ]] || { echo "FAIL: $left secret versions left under old data keys"; exit 1; }
  else
    # Killed KEK rotation: both KEKs must work, then finish and swap.
    run_and_kill 300 c rotate-kek --new-kek "$NEXT" --batch "$((RANDOM % 3 + 1))"
    "$COFFER" get --kek "$NEXT" --previous-kek "$CUR" --store "$STORE" acme s/1 >/dev/null
    c rotate-kek --new-kek "$NEXT" >/dev/null
    tmp=$CUR; CUR=$NEXT; NEXT=$tmp
    c status | grep -q "no other KEK is needed" || { echo "FAIL: old KEK still needed after rotate-kek"; exit 1; }
  fi
  if (( it % 10 == 0 )); then verify; echo "iteration $it ok (killed mid-run so far: $killed_mid)"; fi
done
verify
echo "soak passed: $ITERATIONS iterations, $killed_mid runs killed mid-way, $((2 * SECRETS)) secrets verified"
