import Coffer
import CofferCrypto
import CofferPostgres
import CofferSQLite
import Foundation
import Logging

/// The lease mode of `coffer-store-stress`: one OS process of the encryption-lease tests
/// (CofferTestSupport's `LeaseKillScenario`), which kill one of two such processes with SIGKILL
/// while it holds leased encryptions.
///
///   coffer-store-stress --lease-vault <store> <worker-id> <seconds> <lease-size> <out-file> [<rounds>]
///
/// `<store>` is a SQLite file path or `postgres:<schema>` (then `COFFER_TEST_POSTGRES_URL` and
/// `COFFER_TEST_POSTGRES_APP_URL` name the roles). `COFFER_STRESS_KEK` is the base64 test KEK.
/// Workspace `w` must exist (its rotation policy sets the encryption limit). Until the deadline
/// it puts "shared" and "own-<worker>" through a ``Vault`` with
/// ``VaultConfiguration/encryptionLeaseSize`` `<lease-size>`, appending after each committed
/// put, with one `write(2)` so that a kill loses no finished line:
///
///   put <name> <version> <data-key-version> <value-label>
///
/// and at the end, after ``Vault/releaseEncryptionLeases()``, `released <count>`. With
/// `<rounds>` it stops after that many rounds instead, writes `holding`, and sleeps until the
/// deadline with its leases unreturned: the process the tests kill.
enum LeaseVaultStress {
    static func run(_ args: [String]) async -> Int32 {
        guard args.count == 7 || args.count == 8, let seconds = Double(args[4]), seconds > 0, seconds < 600,
              let lease = Int(args[5]), (1...65_536).contains(lease)
        else {
            FileHandle.standardError.write(Data(
                "usage: coffer-store-stress --lease-vault <sqlite-path|postgres:schema> <worker-id> <seconds> <lease-size> <out-file> [<rounds>]\n".utf8))
            return 2
        }
        var maxRounds: Int?
        if args.count == 8 {
            guard let rounds = Int(args[7]), (1...1_000_000).contains(rounds) else {
                FileHandle.standardError.write(Data("coffer-store-stress: <rounds> must be 1...1000000\n".utf8))
                return 2
            }
            maxRounds = rounds
        }
        let (storeArgument, worker, outPath) = (args[2], args[3], args[6])
        var logger = Logger(label: "coffer-store-stress")
        logger.logLevel = .warning
        let fd = open(outPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            FileHandle.standardError.write(Data("coffer-store-stress \(worker): cannot open \(outPath)\n".utf8))
            return 1
        }
        defer { close(fd) }
        func emit(_ line: String) {
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
        do {
            guard let kekText = ProcessInfo.processInfo.environment["COFFER_STRESS_KEK"] else {
                throw PostgresVaultStress.Usage(description: "COFFER_STRESS_KEK is not set")
            }
            let kek = try LocalKEK(SymmetricKey(base64: kekText), displayName: "stress")
            let store: any SecretStore
            var postgres: PostgresStore?
            if storeArgument.hasPrefix("postgres:") {
                let pg = try await PostgresStore(
                    application: PostgresVaultStress.configuration("COFFER_TEST_POSTGRES_APP_URL"),
                    maintenance: PostgresVaultStress.configuration("COFFER_TEST_POSTGRES_URL"),
                    options: .init(schema: String(storeArgument.dropFirst("postgres:".count)), migrate: false), logger: logger)
                postgres = pg
                store = pg
            } else {
                store = try SQLiteStore(path: storeArgument, logger: logger)
            }
            var configuration = VaultConfiguration()
            configuration.maxVersionsPerSecret = 1_000_000
            configuration.encryptionLeaseSize = lease
            let vault = Vault(store: store, kek: kek, configuration: configuration, logger: logger)
            let scope = try vault.workspace("w")
            let deadline = Date().addingTimeInterval(seconds)
            var round = 0
            do {
                while Date() < deadline {
                    if let maxRounds, round >= maxRounds {
                        emit("holding")
                        while Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
                        break
                    }
                    let label = "\(worker)-\(round)"
                    let shared = try await scope.put("shared", value: SecretBytes(Array(label.utf8)))
                    emit("put shared \(shared.version) \(shared.dataKeyVersion) \(label)")
                    let own = try await scope.put("own-\(worker)", value: SecretBytes(Array(label.utf8)), expectedVersion: UInt32(round))
                    emit("put own-\(worker) \(own.version) \(own.dataKeyVersion) \(label)")
                    round += 1
                }
                emit("released \(await vault.releaseEncryptionLeases())")
            } catch {
                await postgres?.close()
                throw error
            }
            await postgres?.close()
            return 0
        } catch {
            FileHandle.standardError.write(Data("coffer-store-stress \(worker): \(error)\n".utf8))
            return 1
        }
    }
}
