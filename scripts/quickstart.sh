#!/usr/bin/env bash
# Coffer quick start on a fresh Debian machine: installs what is missing, builds the `coffer`
# CLI, and runs a real seal -> store -> open flow with the demo KEK in keys-example/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
echo "== building coffer (release)" >&2
swift build -c release --product coffer >&2
COFFER=.build/release/coffer

chmod 600 keys-example/demo-kek.key          # git does not keep mode 0600
set -a; . keys-example/coffer.env; set +a    # COFFER_KEK=file:keys-example/demo-kek.key

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "== seal: a GitHub OAuth token for workspace 'acme' (value on stdin, never in argv)"
printf 'gho_16C7e42F292c6912E7710c838347Ae178B4a' \
  | "$COFFER" seal --workspace acme --name github/oauth-token --out "$OUT/token.sealed.json"
echo "stored $OUT/token.sealed.json (mode $(stat -c %a "$OUT/token.sealed.json")):"
cat "$OUT/token.sealed.json"

echo "== inspect: public header fields, no key needed"
"$COFFER" inspect --in "$OUT/token.sealed.json"

echo "== open: exact bytes back on stdout"
"$COFFER" open --in "$OUT/token.sealed.json"
echo

echo "== move the ciphertext to another workspace: must fail with exit 77"
sed 's/"workspace" : "acme"/"workspace" : "globex"/' "$OUT/token.sealed.json" > "$OUT/moved.json"
set +e
"$COFFER" open --in "$OUT/moved.json"
status=$?
set -e
echo "exit status: $status"
[[ $status -eq 77 ]] || { echo "expected exit 77" >&2; exit 1; }
echo "== quick start done"
