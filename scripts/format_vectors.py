#!/usr/bin/env python3
"""Coffer ciphertext format v1: published test vectors.

Written from docs/FORMAT.md alone, with Python's `cryptography` AESGCM as the only crypto:

    python3 scripts/format_vectors.py --generate   # (re)writes Tests/Fixtures/format-v1-vectors.json
    python3 scripts/format_vectors.py --verify     # re-checks every vector, exit status 1 on any mismatch

Generation is deterministic: keys and nonces are fixed (derived from labels with SHA-256), so
running --generate twice gives the same file byte for byte.
"""
import argparse
import hashlib
import json
import struct
import sys
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / "Tests" / "Fixtures" / "format-v1-vectors.json"

FORMAT_VERSION = 0x01
ALG_AES256GCM = 0x01
HEADER_LEN = 6  # version, algorithm, u32be key id
NONCE_LEN = 12
TAG_LEN = 16
OVERHEAD = HEADER_LEN + NONCE_LEN + TAG_LEN  # 34
PURPOSE_SECRET_VALUE = 1
PURPOSE_WRAPPED_DATA_KEY = 2
MAX_FIELD = 0xFFFF
MAX_PLAINTEXT = 1 << 30

AUTH_FAILED = "authentication_failed"
MALFORMED = "malformed_header"


class OpenError(Exception):
    def __init__(self, kind):
        super().__init__(kind)
        self.kind = kind


# ---------------------------------------------------------------------------- the format


def header(key_id: int) -> bytes:
    return struct.pack(">BBI", FORMAT_VERSION, ALG_AES256GCM, key_id)


def encode_context(purpose: int, workspace: str, name: str, version: int) -> bytes:
    ws, nm = workspace.encode("utf-8"), name.encode("utf-8")
    if len(ws) > MAX_FIELD or len(nm) > MAX_FIELD:
        raise ValueError("context field longer than 65535 bytes")
    return (
        struct.pack(">B", purpose)
        + struct.pack(">H", len(ws)) + ws
        + struct.pack(">H", len(nm)) + nm
        + struct.pack(">I", version)
    )


def aad(header6: bytes, ctx: dict) -> bytes:
    return header6 + encode_context(ctx["purpose"], ctx["workspace"], ctx["name"], ctx["version"])


def seal(key: bytes, key_id: int, ctx: dict, nonce: bytes, plaintext: bytes) -> bytes:
    assert len(key) == 32 and len(nonce) == NONCE_LEN and len(plaintext) <= MAX_PLAINTEXT
    h = header(key_id)
    return h + nonce + AESGCM(key).encrypt(nonce, plaintext, aad(h, ctx))


def open_(key: bytes, key_id: int, ctx: dict, blob: bytes) -> bytes:
    """Opens a v1 blob the way Coffer does; raises OpenError(AUTH_FAILED | MALFORMED)."""
    if len(blob) < HEADER_LEN:
        raise OpenError(AUTH_FAILED)
    if blob[0] != FORMAT_VERSION or blob[1] != ALG_AES256GCM:
        raise OpenError(MALFORMED)
    if len(blob) < OVERHEAD:
        raise OpenError(AUTH_FAILED)
    (blob_key_id,) = struct.unpack(">I", blob[2:6])
    if blob_key_id != key_id:
        raise OpenError(AUTH_FAILED)
    nonce, body = blob[HEADER_LEN:HEADER_LEN + NONCE_LEN], blob[HEADER_LEN + NONCE_LEN:]
    try:
        return AESGCM(key).decrypt(nonce, body, aad(blob[:HEADER_LEN], ctx))
    except InvalidTag:
        raise OpenError(AUTH_FAILED) from None


# ---------------------------------------------------------------------------- generation


KEK_ID_DOMAIN = b"coffer/kek-id/v1"
KEK_ID_LEN = 16


def kek_id(kek: bytes) -> bytes:
    """FORMAT.md §4: BLAKE2b keyed with the KEK over the domain string, 16-byte output."""
    return hashlib.blake2b(KEK_ID_DOMAIN, key=kek, digest_size=KEK_ID_LEN).digest()


def kek_id_vector(name: str, kek: bytes) -> dict:
    ident = kek_id(kek)
    return {
        "name": name,
        "kek": kek.hex(),
        "kek_id": "kek-" + ident.hex(),
        "header_key_id": struct.unpack(">I", ident[:4])[0],
    }


def fixed(label: str, n: int) -> bytes:
    return hashlib.sha256(("coffer format v1 vectors: " + label).encode()).digest()[:n]


def ctx(purpose, workspace, name, version):
    return {"purpose": purpose, "workspace": workspace, "name": name, "version": version}


def positive(name, description, key_label, key_id, context, plaintext):
    key, nonce = fixed("key " + key_label, 32), fixed("nonce " + name, NONCE_LEN)
    blob = seal(key, key_id, context, nonce, plaintext)
    return {
        "name": name,
        "description": description,
        "key": key.hex(),
        "key_id": key_id,
        "context": context,
        "nonce": nonce.hex(),
        "aad": aad(header(key_id), context).hex(),
        "plaintext": plaintext.hex(),
        "ciphertext": blob.hex(),
        "expected": "ok",
    }


def negative(base, name, description, expected, ciphertext=None, context=None, key=None, key_id=None):
    v = {
        "name": name,
        "description": description,
        "key": key.hex() if key is not None else base["key"],
        "key_id": key_id if key_id is not None else base["key_id"],
        "context": context if context is not None else base["context"],
        "nonce": base["nonce"],
        "plaintext": base["plaintext"],
        "ciphertext": (ciphertext if ciphertext is not None else bytes.fromhex(base["ciphertext"])).hex(),
        "sealed_with": {"key_id": base["key_id"], "context": base["context"]},
        "expected": expected,
    }
    return v


def build() -> dict:
    token = b"ghp_C0ffeeC0ffeeC0ffeeC0ffeeC0ffee0000"
    big_token = bytes((0x21 + (i * 7) % 94) for i in range(256))  # printable ASCII
    dek = fixed("data key v3", 32)
    pos = [
        positive("empty-plaintext", "Empty secret value.", "dek-1", 1,
                 ctx(PURPOSE_SECRET_VALUE, "acme", "empty", 1), b""),
        positive("short-ascii-token", "Short ASCII API token.", "dek-1", 1,
                 ctx(PURPOSE_SECRET_VALUE, "acme", "github-token", 1), token),
        positive("token-256-bytes", "256-byte printable token (crosses no size limit).", "dek-2", 2,
                 ctx(PURPOSE_SECRET_VALUE, "acme-prod", "signing/private-key", 7), big_token),
        positive("wrapped-data-key", "Workspace data key v3 wrapped under a KEK: purpose 2, empty name, "
                 "version = data-key version, key id = KEK id.", "kek", 0x8C2F51A7,
                 ctx(PURPOSE_WRAPPED_DATA_KEY, "acme-prod", "", 3), dek),
        positive("utf8-context", "Non-ASCII workspace and name (lengths are UTF-8 byte counts).", "dek-1", 1,
                 ctx(PURPOSE_SECRET_VALUE, "équipe-東京", "clé-🔑-ñ", 5), "pâté 🍞".encode()),
        positive("version-zero", "Secret version 0.", "dek-1", 1,
                 ctx(PURPOSE_SECRET_VALUE, "acme", "db-password", 0), b"hunter2"),
        positive("version-max", "Secret version 2^32-1 and key id 2^32-1.", "dek-max", 0xFFFFFFFF,
                 ctx(PURPOSE_SECRET_VALUE, "acme", "db-password", 0xFFFFFFFF), b"correct horse battery staple"),
        positive("key-id-large", "Large key id 0x80000001 (high bit set).", "dek-large", 0x80000001,
                 ctx(PURPOSE_SECRET_VALUE, "w", "n", 1), b"x"),
        positive("empty-workspace-and-name", "Empty workspace and name strings.", "dek-1", 1,
                 ctx(PURPOSE_SECRET_VALUE, "", "", 1), b"value"),
    ]
    base = pos[1]  # short-ascii-token
    blob = bytes.fromhex(base["ciphertext"])
    wrapped = pos[3]

    def edit(b: bytes, i: int, value: int) -> bytes:
        x = bytearray(b)
        x[i] = value
        return bytes(x)

    def flip(b: bytes, i: int, bit: int) -> bytes:
        return edit(b, i, b[i] ^ (1 << bit))

    c = base["context"]
    neg = [
        negative(base, "unknown-format-version", "Format version byte changed to 0x02.", MALFORMED,
                 ciphertext=edit(blob, 0, 0x02)),
        negative(base, "unknown-algorithm", "Algorithm byte changed to 0x02.", MALFORMED,
                 ciphertext=edit(blob, 1, 0x02)),
        negative(base, "tampered-key-id", "Key id in the header changed from 1 to 2, opened with the same key "
                 "under key id 2 (the key id is authenticated).", AUTH_FAILED,
                 ciphertext=edit(blob, 5, 0x02), key_id=2),
        negative(base, "key-id-mismatch", "Untouched ciphertext opened with the right key bytes but key id 2.",
                 AUTH_FAILED, key_id=2),
        negative(base, "tampered-nonce", "One nonce bit flipped (header byte 6).", AUTH_FAILED,
                 ciphertext=flip(blob, 6, 0)),
        negative(base, "tampered-ciphertext", "One ciphertext bit flipped.", AUTH_FAILED,
                 ciphertext=flip(blob, 18, 3)),
        negative(base, "flipped-tag-bit", "Last bit of the tag flipped.", AUTH_FAILED,
                 ciphertext=flip(blob, len(blob) - 1, 7)),
        negative(base, "wrong-purpose", "Opened as purpose 2 instead of 1.", AUTH_FAILED,
                 context=ctx(PURPOSE_WRAPPED_DATA_KEY, c["workspace"], c["name"], c["version"])),
        negative(base, "wrong-workspace", "Opened under workspace \"acme2\".", AUTH_FAILED,
                 context=ctx(c["purpose"], "acme2", c["name"], c["version"])),
        negative(base, "wrong-name", "Opened under name \"github-tokeN\".", AUTH_FAILED,
                 context=ctx(c["purpose"], c["workspace"], "github-tokeN", c["version"])),
        negative(base, "wrong-version", "Opened under version 2.", AUTH_FAILED,
                 context=ctx(c["purpose"], c["workspace"], c["name"], 2)),
        negative(base, "field-boundary-shift", "Workspace \"acmeg\" and name \"ithub-token\": same "
                 "concatenation, different fields.", AUTH_FAILED,
                 context=ctx(c["purpose"], "acmeg", "ithub-token", c["version"])),
        negative(wrapped, "wrapped-key-as-secret", "Wrapped data key opened as a secret value (purpose 1).",
                 AUTH_FAILED, context=ctx(PURPOSE_SECRET_VALUE, "acme-prod", "", 3)),
        negative(wrapped, "wrapped-key-wrong-dek-version", "Wrapped data key opened as data-key version 4.",
                 AUTH_FAILED, context=ctx(PURPOSE_WRAPPED_DATA_KEY, "acme-prod", "", 4)),
        negative(base, "wrong-key", "Opened with another key under the same key id.", AUTH_FAILED,
                 key=fixed("key other", 32)),
        negative(base, "truncated-by-one", "Last byte (of the tag) removed.", AUTH_FAILED,
                 ciphertext=blob[:-1]),
        negative(base, "truncated-below-overhead", "Only 33 bytes (less than header + nonce + tag).",
                 AUTH_FAILED, ciphertext=blob[:33]),
        negative(base, "truncated-below-header", "Only 5 bytes (less than the 6-byte header).",
                 AUTH_FAILED, ciphertext=blob[:5]),
        negative(base, "extended", "One zero byte appended.", AUTH_FAILED, ciphertext=blob + b"\x00"),
    ]
    return {
        "format": "coffer-ciphertext-v1",
        "generator": "scripts/format_vectors.py --generate (see docs/FORMAT.md)",
        "notes": [
            "All byte strings are lowercase hex. 'ciphertext' is the full blob: "
            "version || algorithm || u32be key id || nonce || ciphertext || tag.",
            "Open each vector with 'key' under 'key_id' and 'context'. 'expected' is 'ok' (the result "
            "must equal 'plaintext', and sealing 'plaintext' with 'nonce' must reproduce 'ciphertext'), "
            "'authentication_failed' or 'malformed_header'.",
            "Negative vectors keep the nonce and plaintext of the value they were derived from; "
            "'sealed_with' records the key id and context it was sealed under.",
            "Keys and nonces here are fixed for reproducibility; real ciphertexts use random nonces.",
            "'kek_ids': KEK fingerprints (docs/FORMAT.md §4): 'kek_id' is the text stored in data_keys.kek_id, "
            "'header_key_id' the u32 written in the header of a data key wrapped under 'kek'.",
        ],
        "vectors": pos + neg,
        "kek_ids": [
            kek_id_vector("kek-zero", bytes(32)),
            kek_id_vector("kek-fixed", fixed("key kek", 32)),
            kek_id_vector("kek-ff", b"\xff" * 32),
        ],
    }


def render(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------- verification


def verify(path: Path) -> int:
    doc = json.loads(path.read_text(encoding="utf-8"))
    passed = failed = 0

    def check(ok: bool, what: str):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL: {what}")

    check(doc.get("format") == "coffer-ciphertext-v1", "format tag")
    for v in doc["vectors"]:
        name = v["name"]
        key, nonce = bytes.fromhex(v["key"]), bytes.fromhex(v["nonce"])
        pt, blob = bytes.fromhex(v["plaintext"]), bytes.fromhex(v["ciphertext"])
        context, key_id = v["context"], v["key_id"]
        try:
            got = open_(key, key_id, context, blob)
            outcome = "ok"
        except OpenError as e:
            got, outcome = None, e.kind
        if v["expected"] == "ok":
            ok = (outcome == "ok" and got == pt
                  and seal(key, key_id, context, nonce, pt) == blob
                  and blob[HEADER_LEN:HEADER_LEN + NONCE_LEN] == nonce
                  and bytes.fromhex(v["aad"]) == aad(blob[:HEADER_LEN], context))
            check(ok, f"{name}: expected ok, got {outcome}")
        else:
            check(outcome == v["expected"], f"{name}: expected {v['expected']}, got {outcome}")
    for k in doc.get("kek_ids", []):
        ident = kek_id(bytes.fromhex(k["kek"]))
        check(k["kek_id"] == "kek-" + ident.hex() and k["header_key_id"] == struct.unpack(">I", ident[:4])[0],
              f"{k['name']}: KEK id")
    check(len(doc.get("kek_ids", [])) > 0, "KEK id vectors present")
    # Generation is deterministic and the file is its output.
    check(render(build()) == path.read_text(encoding="utf-8"), "file differs from --generate output")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--generate", action="store_true", help="write the vectors file")
    g.add_argument("--verify", action="store_true", help="check every vector in the file")
    ap.add_argument("--path", type=Path, default=DEFAULT_PATH)
    args = ap.parse_args()
    if args.generate:
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(render(build()), encoding="utf-8")
        doc = json.loads(args.path.read_text(encoding="utf-8"))
        print(f"wrote {len(doc['vectors'])} vectors to {args.path}")
        return 0
    return verify(args.path)


if __name__ == "__main__":
    sys.exit(main())
