#!/usr/bin/env bash
# Runs every Coffer test on a fresh Debian machine: installs what is missing, checks the
# published format vectors with Python's `cryptography` (an independent AES-GCM), then runs
# the Swift Testing suites (standard vectors, envelope properties, KEK providers, CLI).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
echo "== format v1 vectors, checked independently with Python cryptography"
python3 scripts/format_vectors.py --verify
echo "== swift test"
swift build --build-tests
swift test --skip-build
