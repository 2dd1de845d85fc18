#!/usr/bin/env bash
# Coffer quick start on a fresh Debian machine: installs what is missing, builds the `coffer`
# CLI, and runs the main job on the embedded default (a SQLite vault file) with the demo KEK
# in keys-example/: create a workspace, store tokens, read them back, show versions and
# metadata, and show that tampered or wrongly keyed data does not open; then the lifecycle
# commands: workspace delete/undelete, export/import, bundles, crypto-shred, purge, audit; and
# last, the KMS envelope: the vault's KEK moved into a local AWS KMS endpoint (moto_server).
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
echo "== lifecycle: soft-delete a workspace (30-day grace), restore it"
run workspace create initech
printf 'initech-db-password' | run put initech db/password --label env=prod
run workspace delete initech
set +e
"$COFFER" get initech db/password; echo "exit status: $?"
set -e
run workspace undelete initech
run get initech db/password; echo

echo "== export as plaintext JSON (only with --plaintext) and import into a second workspace"
set +e
"$COFFER" export initech --format json; echo "exit status: $?"
set -e
run export initech --format json --plaintext --out "$WORK/initech.json"
run import initech-copy --file "$WORK/initech.json"
run get initech-copy db/password; echo

echo "== an encrypted bundle for another deployment, sealed to its X25519 key"
run keygen --out "$WORK/recipient.key"
run export initech --to "$WORK/recipient.key.pub" --out "$WORK/initech.bundle"
run import initech-bundle --format bundle --identity "$WORK/recipient.key" --file "$WORK/initech.bundle"
run get initech-bundle db/password; echo

echo "== crypto-shred: destroy the workspace's data keys now; the receipt goes to the customer"
run workspace shred initech --now --confirm initech --receipt "$WORK/initech-shred.json"
set +e
"$COFFER" get initech db/password; echo "exit status: $?"
set -e
run workspace list

echo "== retention: purge removes versions deleted longer ago than the grace (0s for the demo)"
printf 'initech-db-password-2' | run put initech-copy db/password
run delete initech-copy db/password --version 1
COFFER_DELETION_GRACE=0s run purge
run history initech-copy db/password

echo "== the tamper-evident audit log: verify the chain, list who did what (never values)"
run audit verify
run audit list --workspace initech

echo "== KMS envelope: move the vault's root key into a KMS (a local AWS KMS endpoint, moto_server)"
eval "$(bash scripts/kms.sh start)"
trap 'bash scripts/kms.sh stop "$COFFER_KMS_DIR"; rm -rf "$WORK"' EXIT
export AWS_ENDPOINT_URL_KMS=$COFFER_TEST_KMS_URL AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret   # moto accepts any credentials
KMS_KEY=$(python3 -c "import boto3; print(boto3.client('kms').create_key(Description='coffer demo')['KeyMetadata']['Arn'])")
run kek id --kek "aws-kms:$KMS_KEY"
run rotate-kek --new-kek "aws-kms:$KMS_KEY"     # every data key re-wrapped by KMS (Encrypt), resumable
export COFFER_KEK="aws-kms:$KMS_KEY"            # from now on the key file is not needed
run get acme github/token; echo                  # one Decrypt for acme's data key, then cached
run workspace create hooli                       # its data key comes from KMS (GenerateDataKey)
printf 'hooli-webhook-secret' | run put hooli stripe/webhook
run get hooli stripe/webhook; echo
run status
echo "== KMS down: exit 69 (the KEK service is unavailable), nothing changes"
set +e
AWS_ENDPOINT_URL_KMS=http://127.0.0.1:9 COFFER_KMS_TIMEOUT=1s "$COFFER" get acme github/token; echo "exit status: $?"
set -e
echo "== quick start done"
