#if canImport(Glibc)
import Glibc
#endif
import Coffer
import CofferAWSKMS
import CofferCrypto
import CofferSQLite
import CofferTestSupport
import Foundation
import Testing

/// `coffer` with `--kek aws-kms:…` against the local KMS: file → KMS → file rotation, a
/// rotation to KMS killed with SIGKILL and resumed, and the exit codes of KMS failures.
@Suite(.enabled(if: LocalKMS.available, "COFFER_TEST_KMS_URL is not set: start moto with scripts/kms.sh"))
struct KMSCLITests {
    struct Env {
        let dir: URL
        let store: String
        let fileKEK: String
        let kmsEnvironment: [String: String]

        init(kmsEndpoint: String? = nil) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-kms-cli-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            store = dir.appendingPathComponent("vault.db").path
            let keyPath = dir.appendingPathComponent("kek").path
            let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
            try (Data(key).base64EncodedString() + "\n").write(toFile: keyPath, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
            fileKEK = "file:" + keyPath
            kmsEnvironment = LocalKMS.environment(endpoint: kmsEndpoint) .merging(["HOME": dir.path]) { $1 }
        }

        func coffer(_ arguments: [String], kek: String, stdin: Data? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
            try ChildProcess.run(try ChildProcess.executable("coffer"), arguments + ["--kek", kek, "--store", store],
                                 environment: kmsEnvironment, stdin: stdin)
        }
    }

    /// file → KMS → another KMS key → file, through `coffer rotate-kek`.
    @Test func fileToKMSToFile() async throws {
        let arn = try await LocalKMS.createKey()
        let kms = "aws-kms:" + arn
        let e = try Env()
        let scenario = KEKRotationCLIScenario(fileKEK: e.fileKEK) { try e.coffer($0, kek: $1, stdin: $2) }
        try scenario.fileToExternal(kms, externalID: try await LocalKMS.provider(key: arn).keyID().description)

        // KMS key → another KMS key, then back to the file.
        let kms2 = "aws-kms:" + (try await LocalKMS.createKey())
        let across = try e.coffer(["rotate-kek", "--new-kek", kms2], kek: kms)
        #expect(across.status == 0, "\(across.stderr)")
        let viaSecond = try e.coffer(["get", "initech", "oauth"], kek: kms2)
        #expect(viaSecond.status == 0 && viaSecond.stdout == "initech-secret", "\(viaSecond.stderr)")
        try scenario.backToFile(from: kms2)
    }

    /// `rotate-kek` to KMS over 1,000 workspaces, killed with SIGKILL mid-run (at least once
    /// with the store half re-wrapped), then run again: every data key ends wrapped by KMS and
    /// every secret opens.
    @Test func rotateKEKToKMSKilledAndResumed() async throws {
        let arn = try await LocalKMS.createKey()
        let kms = "aws-kms:" + arn
        let kmsID = try await LocalKMS.provider(key: arn).keyID()
        let e = try Env()
        #expect(try e.coffer(["init"], kek: e.fileKEK).status == 0)
        // Seed through the library (1,000 CLI processes would take far longer than the rotation).
        let store = try SQLiteStore(path: e.store, logger: LocalKMS.logger, options: .init(create: false))
        let count = 1_000
        try await KEKRotationCLIScenario.seedWorkspaces(count: count, store: store, kek: try KEKProviders.make(uri: e.fileKEK), logger: LocalKMS.logger)

        // Kill runs until two of them were killed with the store half re-wrapped. The delay
        // grows while a kill comes too early (nothing re-wrapped yet: a loaded host starts the
        // process slowly) and stops growing once a kill lands mid-way.
        var killedMidway = 0
        var delay = 150
        for _ in 0..<12 where killedMidway < 2 {
            let running = try ChildProcess.start(
                try ChildProcess.executable("coffer"), ["rotate-kek", "--new-kek", kms, "--batch", "10", "--kek", e.fileKEK, "--store", e.store],
                environment: e.kmsEnvironment)
            try await Task.sleep(for: .milliseconds(delay))
            guard running.process.isRunning else { _ = running.finish(); break }
            kill(running.process.processIdentifier, SIGKILL)
            _ = running.finish()
            let rewrapped = try await store.dataKeyCountByKEK()[kmsID] ?? 0
            if rewrapped == 0 { delay = delay * 8 / 5 } else if rewrapped < count { killedMidway += 1 } else { break }
        }
        #expect(killedMidway >= 1, "no run was killed with the rotation half done")
        let resume = try ChildProcess.run(
            try ChildProcess.executable("coffer"), ["rotate-kek", "--new-kek", kms, "--kek", e.fileKEK, "--store", e.store],
            environment: e.kmsEnvironment)
        #expect(resume.status == 0, "\(resume.stderr)")
        print("rotate-kek to KMS over \(count) workspaces: killed \(killedMidway) time(s) half done, then resumed")
        #expect(try await store.dataKeyCountByKEK() == [kmsID: count])

        let vault = Vault(store: store, kek: try LocalKMS.provider(key: arn), logger: LocalKMS.logger)
        for i in 0..<count {
            #expect(try await vault.workspace("ws\(i)").get("token").value == SecretBytes(Array("v\(i)".utf8)))
        }
        let status = try e.coffer(["status"], kek: kms)
        #expect(status.status == 0, "\(status.stderr)")
    }

    @Test func kmsFailuresHaveTheirExitCodes() async throws {
        let arn = try await LocalKMS.createKey()
        let e = try Env()
        #expect(try e.coffer(["init"], kek: "aws-kms:" + arn).status == 0)
        #expect(try e.coffer(["workspace", "create", "acme"], kek: "aws-kms:" + arn).status == 0)
        #expect(try e.coffer(["put", "acme", "t"], kek: "aws-kms:" + arn, stdin: Data("v".utf8)).status == 0)

        // Unreachable KMS: 69, one line.
        let proxy = try FaultProxy()
        proxy.kill()
        let down = Env.init(copying: e, endpoint: proxy.url)
        let r = try down.coffer(["get", "acme", "t"], kek: "aws-kms:" + arn)
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("unavailable"), "\(r.stderr)")

        // Nothing is written when KMS cannot wrap: a workspace create fails (69) and leaves no workspace.
        let create = try down.coffer(["workspace", "create", "globex"], kek: "aws-kms:" + arn)
        #expect(create.status == 69, "\(create.stderr)")
        let list = try e.coffer(["workspace", "list"], kek: "aws-kms:" + arn)
        #expect(list.status == 0 && list.stdout.contains("acme") && !list.stdout.contains("globex"), "\(list.stdout)")

        // Unknown key or alias: 78 (configuration).
        let unknown = try e.coffer(["get", "acme", "t"], kek: "aws-kms:alias/none-such")
        #expect(unknown.status == 78, "\(unknown.stderr)")
        // A malformed key never reaches KMS and is not echoed: 78.
        let malformed = try e.coffer(["get", "acme", "t"], kek: "aws-kms:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        #expect(malformed.status == 78 && !malformed.stderr.contains("wJalrXUtnFEMI"), "\(malformed.stderr)")
        // Missing credentials: 78 naming the variables.
        let noCreds = try ChildProcess.run(
            try ChildProcess.executable("coffer"), ["get", "acme", "t", "--kek", "aws-kms:" + arn, "--store", e.store],
            environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "HOME": e.dir.path])
        #expect(noCreds.status == 78 && noCreds.stderr.contains("AWS_ACCESS_KEY_ID"), "\(noCreds.stderr)")
        // A wrong but working KMS key: the store's data keys do not open with it (77).
        let other = try await LocalKMS.createKey()
        let wrong = try e.coffer(["get", "acme", "t"], kek: "aws-kms:" + other)
        #expect(wrong.status == 77, "\(wrong.stderr)")
        #expect(!(r.stderr + unknown.stderr + wrong.stderr).contains("coffer-test-secret-access-key"))
    }
}

extension KMSCLITests.Env {
    /// The same store and keys, with KMS requests sent to `endpoint`.
    init(copying other: KMSCLITests.Env, endpoint: String) {
        dir = other.dir
        store = other.store
        fileKEK = other.fileKEK
        kmsEnvironment = other.kmsEnvironment.merging(["AWS_ENDPOINT_URL_KMS": endpoint, "COFFER_KMS_TIMEOUT": "1s"]) { $1 }
    }
}
