#!/usr/bin/env python3
"""Tink's KmsEnvelopeAead with its KEK in a real KMS-compatible endpoint (BENCHMARKS.md, "KEK in
AWS KMS"): the peer `py-tink-kms-envelope` of ../shared/peers, but with the KEK behind
`tink.integration.awskms` (boto3) instead of a local AEAD, so every message costs the KMS call
it costs in production (Encrypt to wrap the per-message DEK, Decrypt to unwrap it).

    AWS_ENDPOINT_URL_KMS=http://127.0.0.1:PORT AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=x \
    AWS_SECRET_ACCESS_KEY=y python3 Benchmarks/kms/tink_kms_envelope.py [N]

Needs `tink` and `boto3` (pip). Prints microseconds per encrypt and per decrypt of 256 bytes
and the KMS calls made, for N messages (default 200).
"""
import os
import sys
import time

import boto3
import tink
from tink import aead
from tink.integration import awskms

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
aead.register()
kms = boto3.client("kms")
arn = kms.create_key(Description="tink peer")["KeyMetadata"]["Arn"]
uri = "aws-kms://" + arn
remote = awskms.AwsKmsClient(uri, None).get_aead(uri)
env = aead.KmsEnvelopeAead(aead.aead_key_templates.AES256_GCM, remote)
payload, aad = os.urandom(256), b"workspace=acme;name=github/token"
blob = env.encrypt(payload, aad)
assert env.decrypt(blob, aad) == payload

t0 = time.perf_counter()
blobs = [env.encrypt(payload, aad) for _ in range(n)]
t1 = time.perf_counter()
for b in blobs:
    env.decrypt(b, aad)
t2 = time.perf_counter()
print(f"tink-kms-envelope 256B n={n} encrypt_us={(t1 - t0) / n * 1e6:.1f} decrypt_us={(t2 - t1) / n * 1e6:.1f} "
      f"kms_calls_per_message=1 (Encrypt on seal, Decrypt on open) tink={tink.__version__ if hasattr(tink, '__version__') else '?'}")
