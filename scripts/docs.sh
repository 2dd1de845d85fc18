#!/usr/bin/env bash
# Builds the DocC documentation of CofferCrypto and Coffer and fails on any DocC warning or any
# public symbol without `///` documentation (CI runs this; see README "Documentation").
#
#   bash scripts/docs.sh                 # archives in .build/plugins/Swift-DocC/outputs/
#   bash scripts/docs.sh --preview       # serves Coffer's documentation on localhost:8080
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--preview" ]]; then
  exec swift package --disable-sandbox preview-documentation --target Coffer
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --disable-sandbox: the plugin writes the archives under .build (allowed) and runs docc.
if ! swift package --disable-sandbox generate-documentation --target CofferCrypto --target Coffer \
     --warnings-as-errors >"$log" 2>&1; then
  cat "$log"
  echo "docs.sh: the documentation does not build without warnings (above)" >&2
  exit 1
fi
# SwiftPM's own notes about dependencies' packaging ("found N file(s) which are unhandled") are
# not DocC diagnostics; anything else starting with warning/error is.
if grep -E "^(warning|error)" "$log" | grep -v "which are unhandled; explicitly declare them"; then
  echo "docs.sh: DocC reported warnings (above)" >&2
  exit 1
fi
# The symbol graphs the plugin extracted (public symbols), newest first.
graph=$(ls -t $(find .build -path "*/extracted-symbols/*/Coffer/Coffer.symbols.json") 2>/dev/null | head -1)
[[ -n "$graph" ]] || { echo "docs.sh: no symbol graphs found under .build" >&2; exit 1; }
python3 scripts/doc_coverage.py "$(dirname "$(dirname "$graph")")" CofferCrypto Coffer
echo "docs.sh: CofferCrypto and Coffer documentation built, no warnings, every public symbol documented"
