import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import Logging
import PostgresNIO
import Testing

/// Opening, schema versions, the two roles, error messages and the rotation methods.
@Suite("PostgresStore", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresStoreTests {
    typealias Env = PostgresTestEnvironment
    static let epoch = Date(timeIntervalSince1970: 1_760_000_000)

    static func kek(_ seed: UInt8) -> KEKIdentifier { try! KEKIdentifier(bytes: (0..<16).map { seed &+ UInt8($0) }) }

    static func createWorkspace(_ store: PostgresStore, _ id: String) async throws {
        try await store.createWorkspace(
            WorkspaceRecord(id: id, createdAt: epoch, primaryDataKeyVersion: 1),
            firstDataKey: DataKeyRecord(workspace: id, version: 1, wrapped: WrappedDataKey(kekID: kek(1), ciphertext: [1]), createdAt: epoch))
    }

    static func put(_ store: PostgresStore, _ ws: String, _ name: String, dek: UInt32 = 1) async throws -> SecretVersionInfo {
        try await store.putSecretVersion(PutSecretRequest(
            workspace: ws, name: name, expectedCurrentVersion: nil, metadata: SecretMetadata(), dataKeyVersion: dek,
            maxVersions: 10, now: epoch)) { v in Array("\(name)-\(v)".utf8) }
    }

    @Test func migrationIsRecordedAndReopeningIsIdempotent() async throws {
        try await Env.withStore { store, schema in
            try await Self.createWorkspace(store, "w")
            let (maintenance, application) = try Env.endpoints()
            // A second instance opening (and "migrating") the same schema changes nothing.
            let again = try await PostgresStore(
                application: application.client(), maintenance: maintenance.client(), options: .init(schema: schema), logger: Env.logger)
            #expect(try await again.listWorkspaces().map(\.id) == ["w"])
            await again.close()
            try await Env.withConnection(asApplication: false) { c in
                let rows = try await c.query(
                    PostgresQuery(unsafeSQL: "SELECT version FROM \"\(schema)\".schema_migrations ORDER BY version"), logger: Env.logger
                ).collect()
                #expect(try rows.map { try $0.decode(Int32.self) } == [1, 2, 3, 4, 5, 6])
            }
        }
    }

    @Test func aNewerSchemaIsRefused() async throws {
        try await Env.withStore { _, schema in
            try await Env.withConnection(asApplication: false) { c in
                try await c.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO "\(schema)".schema_migrations (version, description, applied_at) VALUES (99, 'from the future', 0)
                    """), logger: Env.logger)
            }
            let (maintenance, application) = try Env.endpoints()
            for withMaintenance in [true, false] {
                do {
                    let store = try await PostgresStore(
                        application: application.client(), maintenance: withMaintenance ? maintenance.client() : nil,
                        options: .init(schema: schema), logger: Env.logger)
                    await store.close()
                    Issue.record("a schema with migration 99 was opened")
                } catch let error as VaultError {
                    guard case .storeCorrupted(let why) = error else {
                        Issue.record("expected storeCorrupted, got \(error)")
                        continue
                    }
                    #expect(why.contains("newer version of Coffer") && why.contains("99"))
                }
            }
        }
    }

    @Test func applicationOnlyStoreServesWorkspacesAndRefusesMaintenanceJobs() async throws {
        try await Env.withStore(maintenance: false) { store, _ in
            #expect(!store.hasMaintenanceAccess)
            for (what, job) in [
                ("creating a workspace", { try await Self.createWorkspace(store, "x") }),
                ("listing workspaces", { _ = try await store.listWorkspaces() }),
                ("rewrapping", { _ = try await store.dataKeys(notWrappedBy: Self.kek(2), limit: 10) }),
                ("destroying", { try await store.destroyDataKey(workspace: "x", version: 1) }),
            ] as [(String, () async throws -> Void)] {
                do {
                    try await job()
                    Issue.record("\(what) worked without the maintenance role")
                } catch let error as VaultError {
                    guard case .storeUnavailable(let why) = error else {
                        Issue.record("\(what): expected storeUnavailable, got \(error)")
                        continue
                    }
                    #expect(why.contains("maintenance"), "\(why)")
                }
            }
            // Workspace-scoped work needs no maintenance role (the workspace does not exist here).
            #expect(try await store.workspace("x") == nil)
            await #expect(throws: VaultError.workspaceNotFound("x")) { _ = try await Self.put(store, "x", "s") }
        }
    }

    @Test func applicationOnlyStoreOnAnUnmigratedSchemaSaysHowToMigrate() async throws {
        let (_, application) = try Env.endpoints()
        do {
            let store = try await PostgresStore(
                application: application.client(), maintenance: nil, options: .init(schema: Env.freshSchema()), logger: Env.logger)
            await store.close()
            Issue.record("opened a schema that does not exist")
        } catch let error as VaultError {
            guard case .storeUnavailable(let why) = error else { Issue.record("got \(error)"); return }
            #expect(why.contains("maintenance"), "\(why)")
        }
    }

    @Test func unreachableServerIsStoreUnavailableNamingHostAndPort() async throws {
        let (_, application) = try Env.endpoints()
        var config = application.client()
        // A port nothing listens on: bind one, then close it.
        let port = try Self.closedPort()
        config = PostgresClient.Configuration(
            host: "127.0.0.1", port: port, username: application.user, password: application.password,
            database: application.database, tls: .disable)
        config.options.connectTimeout = .seconds(3)
        do {
            let store = try await PostgresStore(application: config, maintenance: nil, options: .init(), logger: Env.logger)
            await store.close()
            Issue.record("opened a store on a closed port")
        } catch let error as VaultError {
            guard case .storeUnavailable(let why) = error else { Issue.record("got \(error)"); return }
            #expect(why.contains("127.0.0.1:\(port)"), "\(why)")
            #expect(!why.contains(application.password ?? "no password"), "the message holds the password")
        }
    }

    @Test func wrongPasswordIsStoreUnavailableWithoutThePassword() async throws {
        let (_, application) = try Env.endpoints()
        let wrong = "wrong-password-\(UUID().uuidString)"
        var config = PostgresClient.Configuration(
            host: application.host, port: application.port, username: application.user, password: wrong,
            database: application.database, tls: .disable)
        config.options.connectTimeout = .seconds(3)
        do {
            let store = try await PostgresStore(application: config, maintenance: nil, options: .init(), logger: Env.logger)
            await store.close()
            Issue.record("logged in with a wrong password")
        } catch let error as VaultError {
            guard case .storeUnavailable(let why) = error else { Issue.record("got \(error)"); return }
            #expect(why.contains(application.user) && why.contains("\(application.port)"), "\(why)")
            #expect(!why.contains(wrong))
        }
    }

    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    @Test func namesSortInByteOrder() async throws {
        try await Env.withStore { store, _ in
            try await Self.createWorkspace(store, "w")
            let names = ["b", "B", "a", "_x", "a/b", "a.b", "Z", "ä"]
            for name in names { _ = try await Self.put(store, "w", name) }
            let listed = try await store.listSecrets(workspace: "w").map(\.name)
            #expect(listed == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        }
    }

    @Test func rotationRetirementReencryptionAndDestruction() async throws {
        try await Env.withStore { store, _ in
            try await Self.createWorkspace(store, "w")
            try await Self.createWorkspace(store, "v")
            _ = try await Self.put(store, "w", "a")
            _ = try await Self.put(store, "w", "b")
            // Rotate: stale expectation or skipped version changes nothing.
            let key2 = DataKeyRecord(workspace: "w", version: 2, wrapped: WrappedDataKey(kekID: Self.kek(1), ciphertext: [2]), createdAt: Self.epoch)
            #expect(try await store.rotateDataKey(key2, expectedPrimary: 7) == false)
            var key3 = key2
            key3.version = 3
            #expect(try await store.rotateDataKey(key3, expectedPrimary: 1) == false)
            #expect(try await store.rotateDataKey(key2, expectedPrimary: 1))
            #expect(try await store.workspace("w")?.primaryDataKeyVersion == 2)
            await #expect(throws: VaultError.workspaceNotFound("nope")) {
                var k = key2
                k.workspace = "nope"
                _ = try await store.rotateDataKey(k, expectedPrimary: 1)
            }
            _ = try await Self.put(store, "w", "c", dek: 2)
            #expect(try await store.dataKeyUsage(workspace: "w") == [
                DataKeyUsage(dataKeyVersion: 1, liveSecretVersions: 2, deletedSecretVersions: 0),
                DataKeyUsage(dataKeyVersion: 2, liveSecretVersions: 1, deletedSecretVersions: 0),
            ])
            // Retiring or destroying key 1 is refused while versions use it.
            await #expect(throws: VaultError.dataKeyInUse(workspace: "w", versions: [1], count: 2)) {
                try await store.setMinimumDecryptionVersion(workspace: "w", 2)
            }
            await #expect(throws: VaultError.dataKeyInUse(workspace: "w", versions: [1], count: 2)) {
                try await store.destroyDataKey(workspace: "w", version: 1)
            }
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 3)) {
                try await store.setMinimumDecryptionVersion(workspace: "w", 3)
            }
            // Re-encrypt page by page with a cursor.
            let first = try await store.secretVersions(workspace: "w", sealedUnder: [1], after: nil, limit: 1)
            #expect(first.map(\.info.name) == ["a"])
            let rest = try await store.secretVersions(
                workspace: "w", sealedUnder: [1], after: SecretVersionCursor(name: "a", version: 1), limit: 10)
            #expect(rest.map(\.info.name) == ["b"])
            let replacements = (first + rest).map {
                CiphertextReplacement(name: $0.info.name, version: $0.info.version, expectedDataKeyVersion: 1, newDataKeyVersion: 2, ciphertext: [9])
            }
            // Over the limit: nothing is written.
            await #expect(throws: VaultError.dataKeyExhausted(workspace: "w", version: 2)) {
                _ = try await store.replaceCiphertexts(workspace: "w", replacements, encryptionLimit: 2)
            }
            #expect(try await store.secretVersion(workspace: "w", name: "a", version: 1)?.info.dataKeyVersion == 1)
            #expect(try await store.replaceCiphertexts(workspace: "w", replacements, encryptionLimit: 3) == 2)
            // A second pass finds its condition failed.
            #expect(try await store.replaceCiphertexts(workspace: "w", replacements, encryptionLimit: nil) == 0)
            #expect(try await store.dataKeys(workspace: "w").map(\.encryptionCount) == [2, 3])
            #expect(try await store.secretVersion(workspace: "w", name: "a", version: 1)?.ciphertext == [9])
            // Now key 1 can be retired, then destroyed; a put under it is refused.
            try await store.setMinimumDecryptionVersion(workspace: "w", 2)
            #expect(try await store.workspace("w")?.minimumDecryptionVersion == 2)
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 1)) {
                _ = try await Self.put(store, "w", "late", dek: 1)
            }
            await #expect(throws: VaultError.dataKeyInUse(workspace: "w", versions: [2], count: 3)) {
                try await store.destroyDataKey(workspace: "w", version: 2)
            }
            try await store.destroyDataKey(workspace: "w", version: 1)
            #expect(try await store.dataKeys(workspace: "w").map(\.version) == [2])
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 1)) {
                try await store.destroyDataKey(workspace: "w", version: 1)
            }
            // KEK rotation across workspaces.
            #expect(try await store.dataKeyCountByKEK() == [Self.kek(1): 2])
            let stale = try await store.dataKeys(notWrappedBy: Self.kek(5), limit: 10)
            #expect(stale.map { "\($0.workspace)/\($0.version)" } == ["v/1", "w/2"])
            let rewraps = stale.map {
                DataKeyRewrap(workspace: $0.workspace, version: $0.version, expectedKEKID: Self.kek(1), wrapped: WrappedDataKey(kekID: Self.kek(5), ciphertext: [5]))
            }
            #expect(try await store.rewrapDataKeys(rewraps) == 2)
            #expect(try await store.rewrapDataKeys(rewraps) == 0)
            #expect(try await store.dataKeyCountByKEK() == [Self.kek(5): 2])
            #expect(try await store.dataKeys(notWrappedBy: Self.kek(5), limit: 10).isEmpty)
            // Rotation policy override round-trips; an empty policy reads back as none.
            let policy = RotationPolicy(maxDataKeyAgeSeconds: 3600, maxEncryptionsPerDataKey: 1000)
            try await store.setRotationPolicy(workspace: "w", policy)
            #expect(try await store.workspace("w")?.rotationPolicy == policy)
            try await store.setRotationPolicy(workspace: "w", RotationPolicy())
            #expect(try await store.workspace("w")?.rotationPolicy == nil)
            await #expect(throws: VaultError.workspaceNotFound("nope")) {
                try await store.setRotationPolicy(workspace: "nope", policy)
            }
        }
    }
}
