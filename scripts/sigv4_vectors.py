#!/usr/bin/env python3
"""AWS Signature Version 4 test vectors for Coffer's signer, computed by botocore.

botocore (the AWS SDK for Python's core) signs each request below with its own SigV4Auth and a
fixed clock; the Swift tests (Tests/CofferAWSKMSTests/SigV4SignerTests.swift) sign the same
requests and must produce the same canonical request, string to sign and Authorization header.
moto_server, the local KMS the other tests use, does not check signatures, so these vectors are
what proves the signer.

    python3 scripts/sigv4_vectors.py           # writes the fixture file
    python3 scripts/sigv4_vectors.py --verify  # recomputes and compares (exit 1 on a difference)

Credentials here are AWS's documented example credentials, not real ones.
"""
import base64
import datetime
import json
import sys
from pathlib import Path
from urllib.parse import quote

import botocore
import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

OUT = Path(__file__).resolve().parent.parent / "Tests/CofferAWSKMSTests/Fixtures/sigv4-botocore.json"

AK = "AKIDEXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKEN//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+example/token=="


def kms_body(op, **fields):
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


CASES = [
    dict(name="kms-decrypt", method="POST", scheme="https", host="kms.us-east-1.amazonaws.com", path="/",
         query=[], region="us-east-1", service="kms", time="2026-12-07T12:00:00Z", token=None,
         headers=[["Content-Type", "application/x-amz-json-1.1"], ["X-Amz-Target", "TrentService.Decrypt"]],
         body=kms_body("Decrypt", CiphertextBlob="AQIDBAUGBwg=", KeyId="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                       EncryptionContext={"coffer:binding": "acme", "coffer:purpose": "data-key", "coffer:version": "1"})),
    dict(name="kms-encrypt-session-token", method="POST", scheme="https", host="kms.eu-central-1.amazonaws.com", path="/",
         query=[], region="eu-central-1", service="kms", time="2026-01-31T23:59:59Z", token=TOKEN,
         headers=[["Content-Type", "application/x-amz-json-1.1"], ["X-Amz-Target", "TrentService.Encrypt"]],
         body=kms_body("Encrypt", KeyId="alias/coffer", Plaintext="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")),
    dict(name="loopback-port-generate-data-key", method="POST", scheme="http", host="127.0.0.1:5000", path="/",
         query=[], region="us-west-2", service="kms", time="2026-12-07T00:00:00Z", token=TOKEN,
         headers=[["Content-Type", "application/x-amz-json-1.1"], ["X-Amz-Target", "TrentService.GenerateDataKey"]],
         body=kms_body("GenerateDataKey", KeyId="1234abcd-12ab-34cd-56ef-1234567890ab", KeySpec="AES_256")),
    dict(name="non-ascii-json-body", method="POST", scheme="https", host="kms.us-east-1.amazonaws.com", path="/",
         query=[], region="us-east-1", service="kms", time="2026-12-07T12:00:00Z", token=None,
         headers=[["Content-Type", "application/x-amz-json-1.1"], ["X-Amz-Target", "TrentService.Encrypt"]],
         body=kms_body("Encrypt", EncryptionContext={"coffer:binding": "zürich-ünïcødé-東京-🔑"}, KeyId="alias/x")),
    dict(name="binary-body", method="PUT", scheme="https", host="example.amazonaws.com", path="/bucket/object",
         query=[], region="us-east-1", service="s3x", time="2026-06-15T08:30:00Z", token=None,
         headers=[["Content-Type", "application/octet-stream"]],
         body=bytes(range(256))),
    dict(name="empty-body-get-query", method="GET", scheme="https", host="kms.us-east-1.amazonaws.com", path="/",
         query=[["Version", "2014-11-01"], ["Action", "ListKeys"], ["Limit", "10"]],
         region="us-east-1", service="kms", time="2026-12-07T12:00:00Z", token=None, headers=[], body=b""),
    dict(name="query-reserved-unicode-repeated", method="GET", scheme="https", host="example.amazonaws.com", path="/a/b-c_d.e~f",
         query=[["b", "space here"], ["a", "x/y+z=w&v"], ["a", "ä é 東"], ["~tilde", ""], ["Z", "*!'()"]],
         region="ap-southeast-2", service="execute-api", time="2026-12-07T12:00:00Z", token=TOKEN,
         headers=[["X-Custom", "  spaced    out   value  "], ["x-custom", "second"]], body=b""),
    dict(name="encoded-path", method="GET", scheme="https", host="example.amazonaws.com", path="/documents%20and%20settings/file%2Bname",
         query=[], region="us-east-1", service="service", time="2026-12-07T12:00:00Z", token=None, headers=[], body=b""),
]


def aws_quote(s):
    return quote(s, safe="-_.~")


def sign(case):
    fixed = datetime.datetime.strptime(case["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    botocore.auth.get_current_datetime = lambda *a, **k: fixed
    q = "&".join(f"{aws_quote(k)}={aws_quote(v)}" for k, v in case["query"])
    url = f'{case["scheme"]}://{case["host"]}{case["path"]}' + (f"?{q}" if q else "")
    headers = botocore.awsrequest.HTTPHeaders()
    headers["Host"] = case["host"]
    for k, v in case["headers"]:
        headers.add_header(k, v)
    req = AWSRequest(method=case["method"], url=url, data=case["body"])
    req.headers = headers
    auth = SigV4Auth(Credentials(AK, SK, case["token"]), case["service"], case["region"])
    auth.add_auth(req)
    authorization = req.headers["Authorization"]
    # The canonical request and string to sign as add_auth computed them (before it added the
    # Authorization header), recomputed from the same request and timestamp.
    del req.headers["Authorization"]
    creq = auth.canonical_request(req)
    sts = auth.string_to_sign(req, creq)
    assert authorization.endswith("Signature=" + auth.signature(sts, req))
    return {
        "canonicalRequest": creq,
        "stringToSign": sts,
        "authorization": authorization,
        "amzDate": req.headers["X-Amz-Date"],
    }


def build():
    out = []
    for c in CASES:
        out.append({
            "name": c["name"], "method": c["method"], "host": c["host"], "path": c["path"],
            "query": c["query"], "headers": c["headers"], "bodyBase64": base64.b64encode(c["body"]).decode(),
            "region": c["region"], "service": c["service"], "time": c["time"],
            "accessKeyID": AK, "secretAccessKey": SK, "sessionToken": c["token"],
            "expected": sign(c),
        })
    return {
        "source": f"botocore {botocore.__version__} SigV4Auth with a fixed clock (scripts/sigv4_vectors.py)",
        "license": "generated by Coffer's script; botocore is Apache-2.0; the credentials are AWS's documented examples",
        "cases": out,
    }


def main():
    data = json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
    if "--verify" in sys.argv:
        old = json.loads(OUT.read_text(encoding="utf-8"))
        new = json.loads(data)
        if old["cases"] != new["cases"]:
            print("sigv4 vectors differ from what botocore computes now", file=sys.stderr)
            sys.exit(1)
        print(f"sigv4 vectors: {len(new['cases'])} cases match botocore {botocore.__version__}")
        return
    OUT.write_text(data, encoding="utf-8")
    print(f"wrote {OUT} ({len(CASES)} cases)")


if __name__ == "__main__":
    main()
