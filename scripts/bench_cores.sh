#!/usr/bin/env bash
# Seal/open throughput on 1 core vs 2 cores (issue 14, target >= 1.8x on two cores).
#
#   bash scripts/bench_cores.sh [--api vault|into] [--target-ms MS] [--trials N]
#
# Runs the release coffer-bench (built with `swift build -c release --product coffer-bench` if
# missing), alternating N times (default 3): `taskset -c 0 coffer-bench --threads 1` and
# `taskset -c 0,1 coffer-bench --threads 2`. Each thread seals then opens a 256-byte token with
# one shared EnvelopeKey (the vault's allocating API by default; `--api into`: the
# zero-allocation API). Prints per trial the two aggregate figures (seal+open pairs/s), their
# ratio, the threads' CPU/wall and the per-thread pairs per CPU second, then the median ratio.
#
# Reading it: CPU/wall below ~0.95 means other processes took the CPUs during that run (its
# ratio says nothing about Coffer). The CPU-second ratio (2-thread pairs per thread-CPU-second
# over 1-thread) is ~1.0 when the threads do not slow each other down (no lock, no contended
# cache line); serialisation inside Coffer would show as a wall ratio below 2 with CPU/wall
# below 1 on an idle host, or as a CPU-second ratio well below 1.
# Needs two CPUs and `taskset` (util-linux); run on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
api=vault
target=300
trials=3
usage() { echo "usage: bash scripts/bench_cores.sh [--api vault|into] [--target-ms MS] [--trials N]" >&2; exit 64; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --api) api="${2:-}"; shift 2 || usage ;;
    --target-ms) target="${2:-}"; shift 2 || usage ;;
    --trials) trials="${2:-}"; shift 2 || usage ;;
    *) usage ;;
  esac
done
[[ "$api" == vault || "$api" == into ]] || { echo "bench_cores.sh: --api must be vault or into" >&2; exit 64; }
[[ "$target" =~ ^[0-9]+$ ]] && (( target >= 10 && target <= 60000 )) || { echo "bench_cores.sh: --target-ms must be 10..60000" >&2; exit 64; }
[[ "$trials" =~ ^[0-9]+$ ]] && (( trials >= 1 && trials <= 100 )) || { echo "bench_cores.sh: --trials must be 1..100" >&2; exit 64; }
command -v taskset >/dev/null || { echo "bench_cores.sh: taskset not found (util-linux)" >&2; exit 69; }
[[ "$(nproc --all)" -ge 2 ]] || { echo "bench_cores.sh: needs at least 2 CPUs" >&2; exit 69; }
bin=.build/release/coffer-bench
[[ -x "$bin" ]] || swift build -c release --product coffer-bench >&2

run() {  # $1 = CPU list, $2 = threads: prints "pairs/s pairs_per_cpu_s cpu_over_wall"
  taskset -c "$1" "$bin" --threads "$2" --api "$api" --target-ms "$target" | awk -F'\t' '$1 == "THREADS" { print $4, $6, $7 }'
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); api $api, 256-byte token, $target ms x 3 per figure"
ratios=()
for ((i = 1; i <= trials; i++)); do
  read -r one one_cpu one_util < <(run 0 1)
  read -r two two_cpu two_util < <(run 0,1 2)
  ratio=$(awk -v a="$one" -v b="$two" 'BEGIN { printf "%.2f", b / a }')
  cpu_ratio=$(awk -v a="$one_cpu" -v b="$two_cpu" 'BEGIN { printf "%.2f", b / a }')
  ratios+=("$ratio")
  echo "trial $i: 1 thread on CPU 0: $one pairs/s (CPU/wall $one_util); 2 threads on CPUs 0,1: $two pairs/s (CPU/wall $two_util); ratio ${ratio}x; per-CPU-second ratio ${cpu_ratio}"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "seal+open on 2 cores / 1 core ($api API): median ratio ${median}x over $trials trials (target >= 1.8x)"
