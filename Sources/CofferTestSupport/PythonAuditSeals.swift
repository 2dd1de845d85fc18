import Foundation

/// Recomputes the seals of an audit chain head and checkpoint from `coffer audit verify --json`
/// output with an independent implementation, following docs/FORMAT.md alone: Python unwraps
/// the audit key from the SQLite store with pyca's AES-GCM (section 3, purpose 2, binding "")
/// and MACs with hashlib's keyed BLAKE2b-256 (section 10).
public enum PythonAuditSeals {
    /// The seals Python computed, lowercase hex; `checkpoint` nil when the report has none.
    public struct Seals: Decodable, Sendable {
        public var head: String
        public var checkpoint: String?
    }

    static let script = #"""
import base64, hashlib, json, sqlite3, struct, sys
try:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError:
    sys.exit(3)
req = json.load(sys.stdin)
kek = base64.b64decode(req["kek"])
db = sqlite3.connect("file:" + req["db"] + "?mode=ro", uri=True)

def field(s):
    b = s.encode("utf-8")
    return struct.pack(">H", len(b)) + b

def audit_key(version):
    (blob,) = db.execute("SELECT wrapped FROM audit_keys WHERE version = ?", (version,)).fetchone()
    aad = blob[:6] + bytes([2]) + field("") + field("") + struct.pack(">I", version)
    return AESGCM(kek).decrypt(blob[6:18], blob[18:], aad)

def mac(key, message):
    return hashlib.blake2b(message, key=key, digest_size=32).hexdigest()

report = json.loads(req["report"])
h = report["head"]
out = {"head": mac(audit_key(h["keyVersion"]),
                   b"coffer/audit-head/v1" + struct.pack(">Q", h["sequence"]) + bytes.fromhex(h["mac"]))}
c = report.get("checkpoint")
if c is not None:
    out["checkpoint"] = mac(audit_key(c["keyVersion"]),
                            b"coffer/audit-checkpoint/v1" + struct.pack(">Q", c["sequence"]) + bytes.fromhex(c["mac"])
                            + struct.pack(">q", c["createdAtMicros"]))
json.dump(out, sys.stdout)
"""#

    private struct Request: Encodable {
        let kek: String
        let db: String
        let report: String
    }

    /// The seals of the head and checkpoint in `report` (the JSON text of `coffer audit verify
    /// --json`), with the audit key unwrapped from the SQLite store at `database` by the KEK
    /// whose 32 bytes are `kekBase64`.
    public static func compute(report: String, database: String, kekBase64: String) throws -> Seals {
        let request = try JSONEncoder().encode(Request(kek: kekBase64, db: database, report: report))
        let out = try PythonHelper.run(script, input: request, purpose: "recompute audit seals")
        return try JSONDecoder().decode(Seals.self, from: out)
    }
}
