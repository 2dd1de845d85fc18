#!/usr/bin/env bash
# Runs every Coffer test on a fresh Debian machine: installs what is missing, checks the
# published format vectors with Python's `cryptography` (an independent AES-GCM), then runs
# the Swift Testing suites (standard vectors, envelope properties, KEK providers, CLI, stores),
# then a short fuzz smoke (scripts/fuzz.sh --smoke; COFFER_SKIP_FUZZ=1 skips it). The AWS KMS
# tests run against moto_server on loopback (scripts/kms.sh), started here like PostgreSQL;
# the PKCS#11 tests against a SoftHSM2 token made in a temp dir (scripts/hsm.sh). Then the
# TokenBroker example package is built and tested (COFFER_SKIP_EXAMPLES=1 skips it).
#
# The PostgreSQL store tests need a server: unless COFFER_TEST_POSTGRES_URL and
# COFFER_TEST_POSTGRES_APP_URL already name one, a throwaway cluster is started with
# scripts/postgres.sh before `swift test` and removed afterwards (also on failure).
# COFFER_SKIP_POSTGRES=1 skips those tests instead (they then report as skipped, with a warning).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
echo "== format v1 vectors, checked independently with Python cryptography"
python3 scripts/format_vectors.py --verify
echo "== AWS SigV4 vectors, recomputed with botocore"
python3 scripts/sigv4_vectors.py --verify
echo "== swift build"
swift build --build-tests
if [[ "${COFFER_SKIP_POSTGRES:-}" == "1" ]]; then
  echo "WARNING: COFFER_SKIP_POSTGRES=1: the PostgreSQL store tests are SKIPPED, not run against a server" >&2
elif [[ -n "${COFFER_TEST_POSTGRES_URL:-}" && -n "${COFFER_TEST_POSTGRES_APP_URL:-}" ]]; then
  echo "== PostgreSQL: using the server in COFFER_TEST_POSTGRES_URL / COFFER_TEST_POSTGRES_APP_URL"
else
  echo "== PostgreSQL: starting a throwaway server"
  eval "$(bash scripts/postgres.sh start)"
  trap 'bash scripts/postgres.sh stop "$COFFER_PG_DIR"' EXIT
fi
# The AWS KMS tests need a KMS-compatible endpoint: moto_server on loopback (scripts/kms.sh),
# unless COFFER_TEST_KMS_URL already names one; COFFER_SKIP_KMS=1 skips them.
if [[ "${COFFER_SKIP_KMS:-}" == "1" ]]; then
  echo "WARNING: COFFER_SKIP_KMS=1: the AWS KMS tests are SKIPPED" >&2
elif [[ -n "${COFFER_TEST_KMS_URL:-}" ]]; then
  echo "== KMS: using the endpoint in COFFER_TEST_KMS_URL"
else
  echo "== KMS: starting moto_server on loopback"
  eval "$(bash scripts/kms.sh start)"
  # One trap for both servers (a second `trap ... EXIT` would replace the first).
  trap 'bash scripts/kms.sh stop "$COFFER_KMS_DIR"; [[ -n "${COFFER_PG_DIR:-}" ]] && bash scripts/postgres.sh stop "$COFFER_PG_DIR"' EXIT
fi
# The PKCS#11 tests need a token: a throwaway SoftHSM2 token (scripts/hsm.sh), unless
# COFFER_SKIP_HSM=1 skips them.
if [[ "${COFFER_SKIP_HSM:-}" == "1" ]]; then
  echo "WARNING: COFFER_SKIP_HSM=1: the PKCS#11 (SoftHSM2) tests are SKIPPED" >&2
else
  echo "== PKCS#11: making a SoftHSM2 token"
  eval "$(bash scripts/hsm.sh start)"
  trap 'bash scripts/hsm.sh stop "$COFFER_HSM_DIR"; [[ -n "${COFFER_KMS_DIR:-}" ]] && bash scripts/kms.sh stop "$COFFER_KMS_DIR"; [[ -n "${COFFER_PG_DIR:-}" ]] && bash scripts/postgres.sh stop "$COFFER_PG_DIR"' EXIT
fi
echo "== swift test"
swift test --skip-build
# The token-broker example (Examples/TokenBroker, its own package): built and tested while the
# PostgreSQL server above still runs, so its two-instance refresh test runs on PostgreSQL too.
# COFFER_SKIP_EXAMPLES=1 skips it.
if [[ "${COFFER_SKIP_EXAMPLES:-}" == "1" ]]; then
  echo "WARNING: COFFER_SKIP_EXAMPLES=1: the TokenBroker example is SKIPPED" >&2
else
  echo "== Examples/TokenBroker: swift build --build-tests, swift test"
  broker_start=$SECONDS
  (cd Examples/TokenBroker && swift build --build-tests && swift test --skip-build)
  echo "== Examples/TokenBroker took $((SECONDS - broker_start)) s"
fi
# Every libFuzzer target (Fuzz/, docs/SECURITY.md) for a few seconds from its committed seeds.
if [[ "${COFFER_SKIP_FUZZ:-}" == "1" ]]; then
  echo "WARNING: COFFER_SKIP_FUZZ=1: the fuzz smoke is SKIPPED" >&2
else
  echo "== fuzz smoke"
  bash scripts/fuzz.sh --smoke "${COFFER_FUZZ_SMOKE_SECONDS:-10}"
fi
# The DocC documentation of CofferCrypto and Coffer builds with no warning and every public
# symbol has `///` documentation (scripts/docs.sh).
if [[ "${COFFER_SKIP_DOCS:-}" == "1" ]]; then
  echo "WARNING: COFFER_SKIP_DOCS=1: the documentation check is SKIPPED" >&2
else
  echo "== documentation"
  bash scripts/docs.sh
fi
if [[ "${COFFER_SKIP_POSTGRES:-}" == "1" ]]; then
  echo "WARNING: COFFER_SKIP_POSTGRES=1: the PostgreSQL store tests were SKIPPED" >&2
fi
