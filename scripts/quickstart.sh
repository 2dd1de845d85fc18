#!/usr/bin/env bash
# Coffer quick start on a fresh Debian machine: installs what is missing, builds the `coffer`
# CLI, and runs the main job on the embedded default (a SQLite vault file) with the demo KEK
# in keys-example/: create a workspace, store tokens, read them back, show versions and
# metadata, and show that tampered or wrongly keyed data does not open.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
echo "== building coffer (release)" >&2
swift build -c release --product coffer >&2
COFFER=$PWD/.build/release/coffer

chmod 600 keys-example/demo-kek.key          # git does not keep mode 0600
set -a; . keys-example/coffer.env; set +a    # COFFER_KEK=file:keys-example/demo-kek.key

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export COFFER_STORE="$WORK/vault.db"
run() { echo "\$ coffer $*"; "$COFFER" "$@"; }

echo "== a vault on SQLite with one workspace per tenant"
run init
run workspace create acme
run workspace create globex

echo "== store tokens (values on stdin, never in argv); each put prints the new version"
printf 'gho_16C7e42F292c6912E7710c838347Ae178B4a' | run put acme github/token --label env=prod
printf 'gho_NEWtoken0000000000000000000000000000' | run put acme github/token --label env=prod
printf '{"access_token":"ya29.a0Af-demo","refresh_token":"1//0g-demo","token_type":"Bearer","scope":"email profile","expires_in":3600}' \
  | run put acme google/oauth --kind oauth-token

echo "== read them back: exact bytes on stdout"
run get acme github/token; echo
run get acme github/token --version 1; echo
run get acme google/oauth; echo

echo "== metadata, never values"
run list acme
run history acme github/token
run workspace show acme

echo "== key rotation: new data key, move old values to it, census"
run rotate acme
run reencrypt acme
run status acme

echo "== check-and-set: a stale writer is refused (exit 75)"
set +e
printf 'stale' | "$COFFER" put acme github/token --expect-version 1; echo "exit status: $?"

echo "== tenant isolation: globex has no such secret (exit 66)"
"$COFFER" get globex github/token; echo "exit status: $?"

echo "== a value moved to another workspace's row does not open (exit 77)"
python3 - "$COFFER_STORE" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
blob = db.execute("SELECT ciphertext FROM secret_versions WHERE workspace_id='acme' AND name='github/token' AND version=2").fetchone()[0]
db.execute("INSERT INTO secrets(workspace_id, name, last_version) VALUES ('globex', 'github/token', 1)")
db.execute("""INSERT INTO secret_versions(workspace_id, name, version, dek_version, ciphertext, kind, labels, created_at)
              SELECT 'globex', name, 1, dek_version, ?, kind, labels, created_at FROM secret_versions
              WHERE workspace_id='acme' AND name='github/token' AND version=2""", (blob,))
db.commit()
PY
"$COFFER" get globex github/token; echo "exit status: $?"

echo "== the wrong KEK does not open anything (exit 77)"
openssl rand -base64 32 > "$WORK/other.key"; chmod 600 "$WORK/other.key"
"$COFFER" get acme github/token --kek "file:$WORK/other.key"; echo "exit status: $?"
set -e
echo "== quick start done"
