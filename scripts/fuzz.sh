#!/usr/bin/env bash
# libFuzzer targets for Coffer's parsers of hostile input (Fuzz/, docs/SECURITY.md "Fuzzing").
#
#   scripts/fuzz.sh --list                    the targets
#   scripts/fuzz.sh --build                   build them all (ASan + libFuzzer, .build-fuzz)
#   scripts/fuzz.sh TARGET [SECONDS|-runs=N] [LIBFUZZER_OPTION...]
#                                             fuzz one target (default 60 s)
#   scripts/fuzz.sh --smoke [SECONDS]         every target for SECONDS (default 10), from the
#                                             committed seeds only (CI)
#   scripts/fuzz.sh --seeds                   rewrite the committed seed corpora (Fuzz/Corpus)
#
# New inputs go to .build-fuzz/corpus/TARGET (not committed); a crash is saved as
# .build-fuzz/artifacts/TARGET-crash-... and the script exits nonzero. Reproduce one with
#   .build-fuzz/debug/FuzzTARGET .build-fuzz/artifacts/TARGET-crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=$root/.build-fuzz
# Swift's own crash handler (backtracer) trips over ASan's shadow memory; libFuzzer reports crashes.
export SWIFT_BACKTRACE=enable=no

targets=(ciphertext-open bundle sealed-file fernet-token fernet-import export-json credential-json kek-uri postgres-url duration timestamp kms-parsers pkcs11-parsers)

product() {  # ciphertext-open -> FuzzCiphertextOpen
  local name=$1 out="Fuzz" part
  case $name in kek-uri) echo FuzzKEKURI; return ;; export-json) echo FuzzExportJSON; return ;;
                credential-json) echo FuzzCredentialJSON; return ;; postgres-url) echo FuzzPostgresURL; return ;;
                kms-parsers) echo FuzzKMSParsers; return ;; pkcs11-parsers) echo FuzzPKCS11Parsers; return ;; esac
  IFS=- read -ra parts <<< "$name"
  for part in "${parts[@]}"; do out+="${part^}"; done
  echo "$out"
}

build() {
  local args=()
  for t in "$@"; do args+=(--product "$(product "$t")"); done
  if (($# == ${#targets[@]})); then args=(); fi
  # swiftc's -sanitize=fuzzer links libFuzzer but (at -Onone) adds no coverage instrumentation:
  # ask for clang's -fsanitize=fuzzer set explicitly, or libFuzzer fuzzes blind.
  swift build --package-path Fuzz --scratch-path "$scratch" --sanitize=fuzzer --sanitize=address \
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,indirect-calls,trace-cmp "${args[@]}"
}

binary() { echo "$scratch/debug/$(product "$1")"; }

known() {
  local t
  for t in "${targets[@]}"; do [[ $t == "$1" ]] && return 0; done
  echo "scripts/fuzz.sh: unknown target '$1'; targets: ${targets[*]}" >&2
  exit 64
}

# run TARGET LIMIT [corpus dirs...] [-- options]: LIMIT is seconds or -runs=N.
run() {
  local target=$1 limit=$2; shift 2
  local work=$scratch/corpus/$target
  mkdir -p "$work" "$scratch/artifacts"
  local stop
  if [[ $limit == -runs=* ]]; then stop=$limit; else stop=-max_total_time=$limit; fi
  # Leak detection is off: the Swift runtime's and Foundation's process-lifetime caches read
  # as leaks; ASan's memory-error checks stay on.
  "$(binary "$target")" "$stop" -detect_leaks=0 -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
    -artifact_prefix="$scratch/artifacts/$target-" "$@"
}

case ${1:-} in
  --list) printf '%s\n' "${targets[@]}" ;;
  --build) build "${targets[@]}" ;;
  --seeds)
    build "${targets[@]}"
    for t in "${targets[@]}"; do
      rm -rf "Fuzz/Corpus/$t"
      COFFER_FUZZ_WRITE_SEEDS="$root/Fuzz/Corpus/$t" "$(binary "$t")"
      echo "$t: $(ls "Fuzz/Corpus/$t" | wc -l) seeds"
    done ;;
  --smoke)
    seconds=${2:-10}
    build "${targets[@]}"
    for t in "${targets[@]}"; do
      echo "== fuzz smoke: $t (${seconds} s)"
      # A fresh working corpus each time: CI starts from the committed seeds only.
      smoke=$scratch/smoke/$t
      rm -rf "$smoke"; mkdir -p "$smoke" "$scratch/artifacts"
      log=$scratch/smoke/$t.log
      # A fixed seed (COFFER_FUZZ_SMOKE_SEED) keeps the mutation sequence the same run to run.
      if ! "$(binary "$t")" -seed="${COFFER_FUZZ_SMOKE_SEED:-1}" -max_total_time="$seconds" -detect_leaks=0 -rss_limit_mb=2048 -timeout=20 \
           -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$t-" "$smoke" "Fuzz/Corpus/$t" > "$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "fuzz smoke: $t FAILED (input saved under $scratch/artifacts/)" >&2
        exit 1
      fi
      grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" | tr '\n' ' '; echo
    done ;;
  ""|-h|--help) sed -n '2,15p' "$0" ;;
  *)
    target=$1; known "$target"; shift
    limit=${1:-60}; [[ $# -gt 0 ]] && shift
    build "$target"
    run "$target" "$limit" "$@" "$scratch/corpus/$target" "Fuzz/Corpus/$target" ;;
esac
