#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import Logging
import Testing

/// `coffer reencrypt` and `coffer rotate-kek` killed with SIGKILL at random moments, then run
/// again to completion: every secret must open with its right value, with no version lost or
/// duplicated. 6 × 5 re-encryption runs and 5 × 5 KEK-rotation runs (55 in all); the soak
/// script `scripts/soak-rotation.sh` runs many more.
@Suite struct RotationKillTests {
    static let logger = Logger(label: "coffer.kill-tests") { _ in SwiftLogNoOpLogHandler() }

    /// What the seeded store must hold: (workspace, name) → version → value, and which
    /// versions are soft-deleted.
    struct Expected: Sendable {
        var values: [String: [String: [UInt32: String]]] = [:]
        var deleted: Set<String> = []
        var count: Int { values.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } }
    }

    static func vault(_ store: String, kek: String, previous: [String] = []) throws -> Vault {
        Vault(
            store: try SQLiteStore(path: store, logger: logger), kek: try KEKProviders.make(uri: kek, logger: logger),
            previousKEKs: try previous.map { try KEKProviders.make(uri: $0, logger: logger) }, logger: logger)
    }

    /// Copies a closed database (with its WAL files, if any) to `destination`.
    static func copyDatabase(_ source: String, to destination: String) throws {
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: source + suffix) {
            try FileManager.default.copyItem(atPath: source + suffix, toPath: destination + suffix)
        }
    }

    /// Starts `coffer` with output discarded, lets it run `delay`, then SIGKILLs it (if it is
    /// still running). Returns true when it was killed.
    static func runAndKill(_ arguments: [String], after delay: Duration) async throws -> Bool {
        let process = Process()
        process.executableURL = CLIRunner.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "COFFER_KEK")
        env.removeValue(forKey: "COFFER_KEK_PREVIOUS")
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try await Task.sleep(for: delay)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
    }

    /// Every expected version is there once, with its deleted state, and opens with `vault`
    /// to its value. Deleted versions are opened too when `final` (it undeletes them first).
    static func verify(_ vault: Vault, _ expected: Expected, final: Bool = true) async throws {
        var checked = 0
        for (ws, secrets) in expected.values {
            let scope = try vault.workspace(ws)
            for (name, versions) in secrets {
                let history = try await scope.history(name)
                #expect(history.map(\.version) == versions.keys.sorted(), "\(ws)/\(name) versions")
                for info in history {
                    #expect((info.deletedAt != nil) == expected.deleted.contains("\(ws)/\(name)/\(info.version)"))
                }
                if final { try await scope.undelete(name) }
                for (version, value) in versions {
                    if !final && expected.deleted.contains("\(ws)/\(name)/\(version)") { checked += 1; continue }
                    let secret = try await scope.get(name, version: version)
                    #expect(secret.value == SecretBytes(Array(value.utf8)), "\(ws)/\(name) v\(version) value")
                    checked += 1
                }
            }
        }
        #expect(checked == expected.count)
    }

    // MARK: Re-encryption

    /// 300 secret versions in two workspaces (some secrets with several versions, some
    /// deleted), then every workspace rotated: all of them need re-encryption.
    static func seedForReencryption(store: String, kek: String) async throws -> Expected {
        let vault = try vault(store, kek: kek)
        var expected = Expected()
        for ws in ["acme", "beta"] {
            try await vault.createWorkspace(ws)
            let scope = try vault.workspace(ws)
            for i in 0..<150 {
                let name = "svc/\(i % 100)"
                let value = "\(ws)-\(name)-\(i)-" + String(repeating: "x", count: i % 37)
                let info = try await scope.put(name, value: SecretBytes(Array(value.utf8)))
                expected.values[ws, default: [:]][name, default: [:]][info.version] = value
                if i % 23 == 0 {
                    try await scope.delete(name, version: info.version)
                    expected.deleted.insert("\(ws)/\(name)/\(info.version)")
                }
            }
            try await vault.rotateDataKey(workspace: ws)
        }
        return expected
    }

    @Test(arguments: 0..<6)
    func reencryptSurvivesSIGKILL(chunk: Int) async throws {
        let cli = try CLIRunner()
        let kek = "file:" + (try cli.makeKeyFile())
        let template = cli.path("template.db")
        let expected = try await Self.seedForReencryption(store: template, kek: kek)

        // How long a full run takes here: kill delays are drawn below it.
        let probe = cli.path("probe.db")
        try Self.copyDatabase(template, to: probe)
        let clock = ContinuousClock()
        let start = clock.now
        let full = try cli.run(["reencrypt", "--kek", kek, "--store", probe, "--batch", "10"])
        #expect(full.status == 0, "stderr: \(full.stderr)")
        let fullRun = clock.now - start

        for run in 0..<5 {
            let store = cli.path("run-\(run).db")
            try Self.copyDatabase(template, to: store)
            let batch = Int.random(in: 3...20)
            let delay = fullRun * Double.random(in: 0...1.1)
            _ = try await Self.runAndKill(["reencrypt", "--kek", kek, "--store", store, "--batch", "\(batch)"], after: delay)
            // Readable in between: nothing is half-written.
            try await Self.verify(try Self.vault(store, kek: kek), expected, final: false)
            let again = try cli.run(["reencrypt", "--kek", kek, "--store", store, "--batch", "\(batch)", "--json"])
            #expect(again.status == 0, "chunk \(chunk) run \(run): \(again.stderr)")
            let vault = try Self.vault(store, kek: kek)
            for ws in try await vault.status().workspaces {
                #expect(ws.secretVersionsToReencrypt == 0, "\(ws.id) still has old versions")
                #expect(ws.dataKeys.first { $0.version == 1 }.map { $0.liveSecretVersions + $0.deletedSecretVersions } == 0)
            }
            try await Self.verify(vault, expected)
        }
    }

    // MARK: KEK rotation

    /// 40 workspaces with three data-key versions each (120 data keys) and a secret sealed
    /// under each version.
    static func seedForKEKRotation(store: String, kek: String) async throws -> Expected {
        let vault = try vault(store, kek: kek)
        var expected = Expected()
        for w in 0..<40 {
            let ws = "ws-\(w)"
            try await vault.createWorkspace(ws)
            let scope = try vault.workspace(ws)
            for round in 1...3 {
                if round > 1 { try await vault.rotateDataKey(workspace: ws) }
                let value = "\(ws)-round-\(round)"
                let info = try await scope.put("s", value: SecretBytes(Array(value.utf8)))
                expected.values[ws, default: [:]]["s", default: [:]][info.version] = value
            }
        }
        return expected
    }

    @Test(arguments: 0..<5)
    func rotateKEKSurvivesSIGKILL(chunk: Int) async throws {
        let cli = try CLIRunner()
        let oldKEK = "file:" + (try cli.makeKeyFile("old"))
        let newKEK = "file:" + (try cli.makeKeyFile("new"))
        let newID = try await KEKProviders.make(uri: newKEK).keyID()
        let template = cli.path("template.db")
        let expected = try await Self.seedForKEKRotation(store: template, kek: oldKEK)

        let probe = cli.path("probe.db")
        try Self.copyDatabase(template, to: probe)
        let clock = ContinuousClock()
        let start = clock.now
        let full = try cli.run(["rotate-kek", "--kek", oldKEK, "--new-kek", newKEK, "--store", probe, "--batch", "5"])
        #expect(full.status == 0, "stderr: \(full.stderr)")
        let fullRun = clock.now - start

        for run in 0..<5 {
            let store = cli.path("run-\(run).db")
            try Self.copyDatabase(template, to: store)
            let batch = Int.random(in: 2...12)
            let delay = fullRun * Double.random(in: 0...1.1)
            let args = ["rotate-kek", "--kek", oldKEK, "--new-kek", newKEK, "--store", store, "--batch", "\(batch)"]
            _ = try await Self.runAndKill(args, after: delay)
            // While unfinished, both KEKs are accepted, either way round.
            try await Self.verify(try Self.vault(store, kek: oldKEK, previous: [newKEK]), expected, final: false)
            try await Self.verify(try Self.vault(store, kek: newKEK, previous: [oldKEK]), expected, final: false)
            let again = try cli.run(args)
            #expect(again.status == 0, "chunk \(chunk) run \(run): \(again.stderr)")
            let onlyNew = try Self.vault(store, kek: newKEK)
            let status = try await onlyNew.status()
            #expect(!status.otherKEKsNeeded)
            #expect(status.keks.map(\.kekID) == [newID])
            #expect(status.keks.first?.dataKeys == 120)
            try await Self.verify(onlyNew, expected)
        }
    }
}
