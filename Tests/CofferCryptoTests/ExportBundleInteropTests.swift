import Foundation
import Testing
@testable import CofferCrypto

/// The Python reader printed in docs/FORMAT.md ("Opening a bundle with Python") opens
/// passphrase bundles that Coffer seals, using only pyca's `cryptography` (AES-GCM, Argon2id):
/// the documented layout, contexts and Argon2id parameters are the ones the code uses. Needs
/// `python3` with `cryptography` ≥ 44 (scripts/install-deps.sh); fails with a message saying
/// so without it.
@Suite("Export bundle format, checked with Python")
struct ExportBundleInteropTests {
    struct PythonFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// The Python code block that follows the "### Opening a bundle with Python" heading.
    static func documentedReader() throws -> String {
        let doc = try String(contentsOf: TestSupport.testsDirectory.deletingLastPathComponent()
            .appendingPathComponent("docs/FORMAT.md"), encoding: .utf8)
        guard let heading = doc.range(of: "### Opening a bundle with Python"),
              let start = doc.range(of: "```python\n", range: heading.upperBound..<doc.endIndex),
              let end = doc.range(of: "```", range: start.upperBound..<doc.endIndex)
        else { throw PythonFailed(description: "docs/FORMAT.md has no Python reader for export bundles") }
        return String(doc[start.upperBound..<end.lowerBound])
    }

    @Test("the documented Python reader opens Coffer's passphrase bundles", arguments: [0, 1, 4096])
    func pythonOpensPassphraseBundle(_ size: Int) throws {
        let dir = try TemporaryDirectory()
        let payload = TestSupport.pattern(size, seed: 3)
        let passphrase = "pässphrase 🔑"
        let cost = PassphraseKEKProvider.Cost(opsLimit: 2, memLimitBytes: 16 * 1024)
        let bundle = try ExportBundle.seal(SecretBytes(payload), passphrase: SecretBytes(Array(passphrase.utf8)), cost: cost)
        let bundlePath = try dir.write("bundle", bundle, mode: 0o600)
        let outPath = dir.file("out")
        let script = try Self.documentedReader() + """

            import sys
            try:
                pt = open_bundle(open(sys.argv[1], "rb").read(), passphrase=sys.argv[2].encode("utf-8"))
            except ImportError as e:
                sys.stderr.write("import failed: %s\\n" % e)
                sys.exit(3)
            open(sys.argv[3], "wb").write(pt)
            # A damaged copy must fail in Python too.
            damaged = bytearray(open(sys.argv[1], "rb").read())
            damaged[30] ^= 1
            try:
                open_bundle(bytes(damaged), passphrase=sys.argv[2].encode("utf-8"))
                sys.exit(4)
            except Exception:
                pass
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, bundlePath, passphrase, outPath]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        switch process.terminationStatus {
        case 0: break
        case 3: throw PythonFailed(description: "python3 lacks `cryptography` >= 44 (Argon2id); run scripts/install-deps.sh: \(errText.suffix(300))")
        case 4: throw PythonFailed(description: "the Python reader opened a damaged bundle")
        default: throw PythonFailed(description: "python3 exited with \(process.terminationStatus): \(errText.suffix(600))")
        }
        let opened = try [UInt8](Data(contentsOf: URL(fileURLWithPath: outPath)))
        #expect(opened == payload)
    }

    @Test("the documented fingerprint is BLAKE2b-256 of the public key, first 8 bytes")
    func fingerprintMatchesPython() throws {
        let key = try X25519KeyPair.generate().publicKey
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c",
            "import hashlib,sys; print(hashlib.blake2b(bytes.fromhex(sys.argv[1]), digest_size=32).digest()[:8].hex())",
            key.bytes.hex]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == key.fingerprint)
    }
}
