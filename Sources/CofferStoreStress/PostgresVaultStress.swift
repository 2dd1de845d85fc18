import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL mode of `coffer-store-stress`: one OS process of the two-process vault test.
///
///   coffer-store-stress --postgres-vault <schema> <worker-id> <seconds>
///
/// Environment: `COFFER_TEST_POSTGRES_URL` (maintenance role), `COFFER_TEST_POSTGRES_APP_URL`
/// (application role), `COFFER_STRESS_KEK` (base64 of the 32-byte test KEK). Workspace `w` must
/// exist. Until the deadline it writes "shared" (no check-and-set) and "own-<worker>" (with
/// check-and-set), reads "shared" back, rotates the data key of `w` every 7th round and
/// re-encrypts `w` every 11th, through a ``Vault`` on a ``PostgresStore`` with both roles.
/// Output lines, for the parent to check:
///
///   put <name> <version> <data-key-version> <value-label>
///   rotate <primary-after>
///   reencrypt <re-encrypted-count>
///
/// Value labels are test strings; no key or password is ever printed.
enum PostgresVaultStress {
    struct Usage: Error, CustomStringConvertible {
        var description: String
    }

    /// A client configuration from a `postgres://user[:password]@host:port/db` URL.
    static func configuration(_ variable: String) throws -> PostgresClient.Configuration {
        guard let text = ProcessInfo.processInfo.environment[variable], let url = URLComponents(string: text),
              let host = url.host, let user = url.user
        else { throw Usage(description: "\(variable) is not set to a postgres:// URL") }
        var config = PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: url.password.map { $0.removingPercentEncoding ?? $0 },
            database: String(url.path.drop { $0 == "/" }), tls: .disable)
        config.options.maximumConnections = 4
        config.options.connectTimeout = .seconds(10)
        return config
    }

    static func run(_ args: [String]) async -> Int32 {
        guard args.count == 5, let seconds = Double(args[4]) else {
            FileHandle.standardError.write(Data("usage: coffer-store-stress --postgres-vault <schema> <worker-id> <seconds>\n".utf8))
            return 2
        }
        let (schema, worker) = (args[2], args[3])
        var logger = Logger(label: "coffer-store-stress")
        logger.logLevel = .warning
        do {
            guard let kekText = ProcessInfo.processInfo.environment["COFFER_STRESS_KEK"] else {
                throw Usage(description: "COFFER_STRESS_KEK is not set")
            }
            let kek = try LocalKEK(SymmetricKey(base64: kekText), displayName: "stress")
            let store = try await PostgresStore(
                application: configuration("COFFER_TEST_POSTGRES_APP_URL"),
                maintenance: configuration("COFFER_TEST_POSTGRES_URL"),
                options: .init(schema: schema, migrate: false), logger: logger)
            var vaultConfiguration = VaultConfiguration()
            vaultConfiguration.maxVersionsPerSecret = 1_000_000
            let vault = Vault(store: store, kek: kek, configuration: vaultConfiguration, logger: logger)
            let scope = try vault.workspace("w")
            var out = ""
            let deadline = Date().addingTimeInterval(seconds)
            var round = 0
            do {
                while Date() < deadline {
                    if round % 7 == 0 {
                        let primary = try await vault.rotateDataKey(workspace: "w")
                        out += "rotate \(primary)\n"
                    }
                    let label = "\(worker)-\(round)"
                    let shared = try await scope.put("shared", value: SecretBytes(Array(label.utf8)))
                    out += "put shared \(shared.version) \(shared.dataKeyVersion) \(label)\n"
                    let own = try await scope.put("own-\(worker)", value: SecretBytes(Array(label.utf8)), expectedVersion: UInt32(round))
                    out += "put own-\(worker) \(own.version) \(own.dataKeyVersion) \(label)\n"
                    _ = try await scope.get("shared")
                    if round % 11 == 5 {
                        let report = try await vault.reencrypt(workspace: "w", batchSize: 50)
                        out += "reencrypt \(report.reencrypted)\n"
                    }
                    round += 1
                }
                // Unused leased encryptions go back, so the parent's counts are exact.
                await vault.releaseEncryptionLeases()
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            FileHandle.standardOutput.write(Data(out.utf8))
            return 0
        } catch {
            FileHandle.standardError.write(Data("coffer-store-stress \(worker): \(error)\n".utf8))
            return 1
        }
    }
}
