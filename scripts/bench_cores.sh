#!/usr/bin/env bash
# Seal/open throughput on 1 core vs 2 cores (issue 14, target >= 1.8x on two cores).
#
#   bash scripts/bench_cores.sh [--api vault|into] [--target-ms MS]
#
# Runs the release coffer-bench (built with `swift build -c release --product coffer-bench` if
# missing) twice: `taskset -c 0 coffer-bench --threads 1` and `taskset -c 0,1 coffer-bench
# --threads 2`. Each thread seals then opens a 256-byte token with one shared EnvelopeKey (the
# vault's API by default). Prints both aggregate figures (seal+open pairs/s) and their ratio.
# Needs two CPUs and `taskset` (util-linux); run on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
api=vault
target=300
while [[ $# -gt 0 ]]; do
  case "$1" in
    --api) api="${2:?}"; shift 2 ;;
    --target-ms) target="${2:?}"; shift 2 ;;
    *) echo "usage: bash scripts/bench_cores.sh [--api vault|into] [--target-ms MS]" >&2; exit 64 ;;
  esac
done
[[ "$api" == vault || "$api" == into ]] || { echo "bench_cores.sh: --api must be vault or into" >&2; exit 64; }
[[ "$target" =~ ^[0-9]+$ && "$target" -ge 10 && "$target" -le 60000 ]] || { echo "bench_cores.sh: --target-ms must be 10..60000" >&2; exit 64; }
command -v taskset >/dev/null || { echo "bench_cores.sh: taskset not found (util-linux)" >&2; exit 69; }
[[ "$(nproc --all)" -ge 2 ]] || { echo "bench_cores.sh: needs at least 2 CPUs" >&2; exit 69; }
bin=.build/release/coffer-bench
[[ -x "$bin" ]] || swift build -c release --product coffer-bench >&2

figure() {  # $1 = CPU list, $2 = threads: prints pairs/s from the THREADS line
  taskset -c "$1" "$bin" --threads "$2" --api "$api" --target-ms "$target" | tee /dev/stderr | awk -F'\t' '$1 == "THREADS" { print $4 }'
}
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
one=$(figure 0 1)
two=$(figure 0,1 2)
ratio=$(awk -v a="$one" -v b="$two" 'BEGIN { printf "%.2f", b / a }')
echo "seal+open pairs/s ($api API, 256-byte token): 1 thread on CPU 0: $one; 2 threads on CPUs 0,1: $two; ratio ${ratio}x (target >= 1.8x)"
