import Foundation
import Testing

/// Issue 10 §4–§6: bundle errors speak of the bundle (not the KEK), a malformed bundle is its
/// own error (exit 65) and only a bundle that fails authentication is 77; a passphrase bundle
/// asking for too much Argon2id work is refused before it runs; `inspect` blames the document.
@Suite struct BundleErrorsCLITests {
    typealias Env = VaultCLITests.Env

    static func source() throws -> (Env, key: String, bundle: String) {
        let e = try Env().initialised()
        #expect(try e.run(["put"], ["acme", "token"], stdin: Data("bundle-error-token".utf8)).status == 0)
        let key = e.cli.path("recipient.key")
        #expect(try e.cli.run(["keygen", "--out", key]).status == 0)
        let bundle = e.cli.path("acme.bundle")
        #expect(try e.run(["export"], ["acme", "--to", key + ".pub", "--out", bundle]).status == 0)
        return (e, key, bundle)
    }

    @Test func malformedDamagedAndMismatchedBundlesAreTheirOwnErrors() throws {
        let (e, key, bundle) = try Self.source()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
        var flipped = bytes
        flipped[flipped.count / 2] ^= 0x01
        let cases: [(String, Data, [String], Int32)] = [
            ("damaged", flipped, ["--identity", key], 77),
            ("truncated", bytes.prefix(bytes.count - 7), ["--identity", key], 77),
            ("not a bundle", Data("{\"format\":\"coffer-export\"}".utf8), ["--identity", key], 65),
            ("empty", Data(), ["--identity", key], 65),
            ("unknown version", { var d = bytes; d[4] = 9; return d }(), ["--identity", key], 65),
            ("X25519 bundle opened with a passphrase", bytes, [], 65),
        ]
        for (label, data, opener, status) in cases {
            let path = e.cli.path("case.bundle")
            try data.write(to: URL(fileURLWithPath: path))
            let r = try e.run(["import"], ["dest", "--format", "bundle", "--file", path] + opener,
                              env: ["COFFER_BUNDLE_PASSPHRASE": "some passphrase"])
            #expect(r.status == status, "\(label): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("bundle"), "\(label): \(r.stderr)")
            #expect(!r.stderr.contains("KEK") && !r.stderr.contains("--kek"), "\(label): \(r.stderr)")
            #expect(KeyHandlingCLITests.lines(r.stderr).count == 1, "\(label): \(r.stderr)")
        }
    }

    @Test func aPassphraseBundleAboveTheArgon2CapIsRefusedBeforeArgon2Runs() throws {
        let e = try Env().initialised()
        #expect(try e.run(["put"], ["acme", "token"], stdin: Data("cap-token".utf8)).status == 0)
        let bundle = e.cli.path("p.bundle")
        let passphrase = ["COFFER_BUNDLE_PASSPHRASE": "correct horse battery staple"]
        #expect(try e.run(["export"], ["acme", "--passphrase", "--out", bundle], env: passphrase).status == 0)
        // The importer lowers the cap below the bundle's cost (256 MiB): refused, nothing written.
        let lowered = try e.run(["import"], ["dest", "--format", "bundle", "--file", bundle, "--max-argon2-memory", "64"], env: passphrase)
        #expect(lowered.status == 65, "\(lowered.stderr)")
        #expect(lowered.stderr.contains("Argon2id"), "\(lowered.stderr)")
        // A forged header asking for the format's maximum (32 passes over 1 GiB) with the default cap.
        var forged = try Data(contentsOf: URL(fileURLWithPath: bundle))
        forged.replaceSubrange(6..<22, with: [0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0, 0, 0x40, 0, 0, 0])
        let forgedPath = e.cli.path("forged.bundle")
        try forged.write(to: URL(fileURLWithPath: forgedPath))
        let refused = try e.run(["import"], ["dest", "--format", "bundle", "--file", forgedPath], env: passphrase)
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("32 passes"), "\(refused.stderr)")
        let list = try e.run(["list"], ["dest"])
        #expect(list.status != 0 || !list.stdoutText.contains("token"))
        // Out-of-range caps are usage errors.
        for bad in [["--max-argon2-memory", "0"], ["--max-argon2-memory", "4096"], ["--max-argon2-passes", "0"], ["--max-argon2-passes", "33"]] {
            #expect(try e.run(["import"], ["dest", "--format", "bundle", "--file", bundle] + bad, env: passphrase).status == 64, "\(bad)")
        }
        // The default cap accepts what export writes.
        let imported = try e.run(["import"], ["dest", "--format", "bundle", "--file", bundle], env: passphrase)
        #expect(imported.status == 0, "\(imported.stderr)")
    }

    @Test func inspectOnADamagedDocumentBlamesTheDocumentNotTheKEK() throws {
        let e = try Env().initialised()
        let sealed = try e.cli.run(["seal", "--kek", e.kek, "--workspace", "acme", "--name", "n"], stdin: Data("v".utf8))
        #expect(sealed.status == 0, "\(sealed.stderr)")
        var document = try JSONSerialization.jsonObject(with: sealed.stdout) as! [String: Any]
        for (field, value) in [("ciphertext", ""), ("ciphertext", "AQE="), ("wrappedDataKey", "")] {
            var damaged = document
            damaged[field] = value
            let path = e.cli.path("doc.json")
            try JSONSerialization.data(withJSONObject: damaged).write(to: URL(fileURLWithPath: path))
            let r = try e.cli.run(["inspect", "--in", path])
            #expect(r.status == 65, "\(field)=\(value): \(r.status) \(r.stderr)")
            #expect(!r.stderr.contains("--kek") && !r.stderr.contains("KEK"), "\(r.stderr)")
            #expect(r.stderr.contains(field), "\(r.stderr)")
        }
        document["format"] = "coffer-sealed-file"
    }
}
