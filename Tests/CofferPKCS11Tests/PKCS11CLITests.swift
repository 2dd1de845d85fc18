#if canImport(Glibc)
import Glibc
#endif
import Coffer
import CofferCrypto
import CofferPKCS11
import CofferSQLite
import CofferTestSupport
import Foundation
import GRDB
import Testing

extension PKCS11TokenTests {
/// `coffer` with `--kek pkcs11:…` against the SoftHSM2 token: `kek generate --pkcs11` and
/// `kek id`, file → PKCS#11 → file rotation, a rotation to PKCS#11 killed with SIGKILL and
/// resumed, and the exit codes of a wrong PIN, a missing key and a PIN in the URI.
@Suite(.enabled(if: LocalHSM.available, LocalHSM.skipReason))
struct PKCS11CLITests {
    struct Env {
        let dir: URL
        let store: String
        let fileKEK: String

        init() throws {
            dir = try LocalHSM.tempDirectory()
            store = dir.appendingPathComponent("vault.db").path
            let keyPath = dir.appendingPathComponent("kek").path
            let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
            try (Data(key).base64EncodedString() + "\n").write(toFile: keyPath, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
            fileKEK = "file:" + keyPath
        }

        var environment: [String: String] { ["HOME": dir.path, "SOFTHSM2_CONF": LocalHSM.environment["SOFTHSM2_CONF"] ?? ""] }

        func coffer(_ arguments: [String], kek: String? = nil, stdin: Data? = nil, extra: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
            let kekArgs = kek.map { ["--kek", $0] } ?? []
            return try ChildProcess.run(try ChildProcess.executable("coffer"), arguments + kekArgs + ["--store", store],
                                        environment: environment.merging(extra) { $1 }, stdin: stdin)
        }

        func cofferNoStore(_ arguments: [String], extra: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
            try ChildProcess.run(try ChildProcess.executable("coffer"), arguments, environment: environment.merging(extra) { $1 })
        }
    }

    /// `kek generate --pkcs11` prints the KEK id that `kek id` shows; a second run with the
    /// same label creates nothing and fails 78.
    @Test func generateAndID() throws {
        let e = try Env()
        let uri = try LocalHSM.uri(object: LocalHSM.newLabel("cli"))
        let made = try e.cofferNoStore(["kek", "generate", "--pkcs11", uri.text])
        #expect(made.status == 0, "\(made.stderr)")
        let expected = try KEKIdentifier(externalKey: uri.keyName, provider: "pkcs11").description
        #expect(made.stdout == expected + "\n")
        let id = try e.cofferNoStore(["kek", "id", "--kek", uri.text])
        #expect(id.status == 0 && id.stdout == expected + "\n", "\(id.stderr)")
        let again = try e.cofferNoStore(["kek", "generate", "--pkcs11", uri.text])
        #expect(again.status == 78 && again.stderr.contains("already has"), "\(again.stderr)")
        let neither = try e.cofferNoStore(["kek", "generate"])
        #expect(neither.status == 64, "\(neither.stderr)")
    }

    /// file → PKCS#11 → file through `coffer rotate-kek`.
    @Test func fileToPKCS11ToFile() throws {
        let uri = try LocalHSM.createKey("rot")
        let hsm = uri.text
        let e = try Env()
        let scenario = KEKRotationCLIScenario(fileKEK: e.fileKEK) { try e.coffer($0, kek: $1, stdin: $2) }
        try scenario.fileToExternal(hsm, externalID: try KEKIdentifier(externalKey: uri.keyName, provider: "pkcs11").description)
        try scenario.backToFile(from: hsm)
    }

    /// PKCS#11 → AWS KMS → PKCS#11 directly (no file key between) through `coffer
    /// rotate-kek`, against the SoftHSM2 token and moto_server: each direction re-wraps every
    /// data key, after which only the new KEK opens the store, and the audit chain verifies.
    @Test(.enabled(if: LocalKMSServer.available, "no local KMS: run eval \"$(bash scripts/kms.sh start)\""))
    func pkcs11ToKMSToPKCS11() async throws {
        let hsm = try LocalHSM.createKey("tokms").text
        let kms = "aws-kms:" + (try await LocalKMSServer.createKey())
        let e = try Env()
        let env = LocalKMSServer.environment(timeout: "30s")
        func run(_ arguments: [String], _ kek: String, _ stdin: Data? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
            try e.coffer(arguments, kek: kek, stdin: stdin, extra: env)
        }
        #expect(try run(["init"], hsm).status == 0)
        for ws in ["acme", "globex"] {
            #expect(try run(["workspace", "create", ws], hsm).status == 0)
            #expect(try run(["put", ws, "oauth"], hsm, Data("\(ws)-secret".utf8)).status == 0)
        }
        for (from, to) in [(hsm, kms), (kms, hsm)] {
            let r = try run(["rotate-kek", "--new-kek", to], from)
            #expect(r.status == 0, "\(r.stderr)")
            for ws in ["acme", "globex"] {
                let get = try run(["get", ws, "oauth"], to)
                #expect(get.status == 0 && get.stdout == "\(ws)-secret", "\(ws): \(get.stderr)")
            }
            let stale = try run(["get", "acme", "oauth"], from)
            #expect(stale.status == 77, "the old KEK no longer opens the store: \(stale.stderr)")
            #expect(try run(["audit", "verify"], to).status == 0)
        }
    }

    /// `rotate-kek` to PKCS#11 over 1,000 workspaces, killed with SIGKILL mid-run (at least
    /// once with the store half re-wrapped), then run again: every data key ends wrapped by the
    /// token key and every secret opens.
    @Test func rotateKEKToPKCS11KilledAndResumed() async throws {
        let uri = try LocalHSM.createKey("kill")
        let hsm = uri.text
        let hsmID = try KEKIdentifier(externalKey: uri.keyName, provider: "pkcs11")
        let e = try Env()
        #expect(try e.coffer(["init"], kek: e.fileKEK).status == 0)
        let store = try SQLiteStore(path: e.store, logger: LocalHSM.logger, options: .init(create: false))
        let count = 1_000
        try await KEKRotationCLIScenario.seedWorkspaces(count: count, store: store, kek: try KEKProviders.make(uri: e.fileKEK), logger: LocalHSM.logger)

        // Kill each run as soon as the store shows it has re-wrapped some data keys, until two
        // runs died half done. Polled with a blocking read (no await): with the cooperative
        // pool busy with other tests, an async poll may not run again before the child ends.
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(5)
        let probe = try DatabaseQueue(path: e.store, configuration: config)
        let hsmKeys = { () throws -> Int in
            try probe.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM data_keys WHERE kek_id = ?", arguments: [hsmID.description]) ?? 0 }
        }
        var killedMidway = 0
        var outcomes: [String] = []
        for _ in 0..<6 {
            let running = try ChildProcess.start(
                try ChildProcess.executable("coffer"), ["rotate-kek", "--new-kek", hsm, "--batch", "1", "--kek", e.fileKEK, "--store", e.store],
                environment: e.environment)
            let before = try hsmKeys()
            while running.process.isRunning, try hsmKeys() <= before {
                usleep(2_000)
            }
            guard running.process.isRunning else {
                let r = running.finish()
                outcomes.append("finished \(r.status) before progress was seen: \(r.stderr.prefix(200))")
                break
            }
            kill(running.process.processIdentifier, SIGKILL)
            _ = running.finish()
            let done = try await store.dataKeyCountByKEK()[hsmID] ?? 0
            outcomes.append("killed at \(done)")
            if done > 0 && done < count { killedMidway += 1 }
            if killedMidway >= 2 { break }
        }
        #expect(killedMidway >= 1, "no run was killed with the rotation half done: \(outcomes)")
        let resume = try ChildProcess.run(
            try ChildProcess.executable("coffer"), ["rotate-kek", "--new-kek", hsm, "--kek", e.fileKEK, "--store", e.store],
            environment: e.environment)
        #expect(resume.status == 0, "\(resume.stderr)")
        print("rotate-kek to PKCS#11 over \(count) workspaces: killed \(killedMidway) time(s) half done, then resumed")
        #expect(try await store.dataKeyCountByKEK() == [hsmID: count])

        let vault = Vault(store: store, kek: try LocalHSM.provider(uri), logger: LocalHSM.logger)
        for i in 0..<count {
            #expect(try await vault.workspace("ws\(i)").get("token").value == SecretBytes(Array("v\(i)".utf8)))
        }
    }

    /// Wrong PIN, missing key, PIN file others can read, a PIN in the URI: 78, one line, the
    /// PIN never shown. A wrong but working token key: 77.
    @Test func failuresHaveTheirExitCodes() throws {
        let uri = try LocalHSM.createKey("codes")
        let e = try Env()
        #expect(try e.coffer(["init"], kek: uri.text).status == 0)
        #expect(try e.coffer(["workspace", "create", "acme"], kek: uri.text).status == 0)
        #expect(try e.coffer(["put", "acme", "t"], kek: uri.text, stdin: Data("v".utf8)).status == 0)
        let pin = try LocalHSM.pin()

        let wrongPIN = try LocalHSM.uri(object: uri.object, pinFile: try LocalHSM.pinFile("0000-wrong-pin"))
        let r1 = try e.coffer(["get", "acme", "t"], kek: wrongPIN.text)
        #expect(r1.status == 78 && r1.stderr.contains("CKR_PIN_INCORRECT"), "\(r1.stderr)")
        #expect(r1.stderr.split(separator: "\n").count == 1 && !r1.stderr.contains("0000-wrong-pin"), "\(r1.stderr)")

        let missing = try LocalHSM.uri(object: "none-such")
        let r2 = try e.coffer(["get", "acme", "t"], kek: missing.text)
        #expect(r2.status == 78 && r2.stderr.contains("none-such"), "\(r2.stderr)")

        let readable = try LocalHSM.uri(object: uri.object, pinFile: try LocalHSM.pinFile(pin, mode: 0o644))
        let r3 = try e.coffer(["get", "acme", "t"], kek: readable.text)
        #expect(r3.status == 78 && r3.stderr.contains("chmod 600"), "\(r3.stderr)")

        let inURI = try PKCS11URI(token: uri.token, object: uri.object, modulePath: uri.modulePath, pin: .value(pin))
        let r4 = try e.coffer(["get", "acme", "t"], kek: inURI.text)
        #expect(r4.status == 78 && r4.stderr.contains("pin-source=file:"), "\(r4.stderr)")
        let r5 = try e.coffer(["get", "acme", "t"], kek: inURI.text, extra: [PKCS11KEKProvider.allowPINValueVariable: "1"])
        #expect(r5.status == 0 && r5.stdout == "v", "\(r5.stderr)")

        let other = try LocalHSM.createKey("other")
        let r6 = try e.coffer(["get", "acme", "t"], kek: other.text)
        #expect(r6.status == 77, "\(r6.stderr)")
        for r in [r1, r2, r3, r4, r6] { #expect(!r.stderr.contains(pin) && !r.stdout.contains(pin)) }
    }
}
}
