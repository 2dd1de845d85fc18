#!/usr/bin/env bash
# Installs what Coffer needs on a Debian machine, only where missing: the C libraries it links
# (OpenSSL libcrypto, libsodium) with pkg-config, Python's `cryptography` for the format
# cross-check, the PKCS#11 header with SoftHSM2 and OpenSC for the HSM tests, and `moto[server]` (a local KMS endpoint, and botocore for the SigV4 vectors). Needs root (or sudo) only when something is missing.
set -euo pipefail

# libp11-kit-dev: the Cryptoki header of CofferPKCS11; softhsm2 and opensc (pkcs11-tool): the
# token of the PKCS#11 tests (scripts/hsm.sh).
APT_PKGS=(pkg-config libssl-dev libsodium-dev libsqlite3-dev python3 libp11-kit-dev softhsm2 opensc)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c 'from cryptography.hazmat.primitives.ciphers.aead import AESGCM' 2>/dev/null; then
  echo "installing Python package: cryptography" >&2
  python3 -m pip install -q cryptography
fi

# The local KMS-compatible endpoint of the KMS tests (scripts/kms.sh) and botocore, which
# computes the SigV4 vectors (scripts/sigv4_vectors.py --verify).
if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import botocore, flask' 2>/dev/null; then
  echo "installing Python package: moto[server]" >&2
  python3 -m pip install -q 'moto[server]'
fi

command -v swift >/dev/null || { echo "swift is not on PATH (expected /opt/swift/usr/bin)" >&2; exit 1; }
