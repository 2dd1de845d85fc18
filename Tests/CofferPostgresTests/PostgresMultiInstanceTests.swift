import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import Synchronization
import Testing

/// Two PostgresStore instances with separate pools on one schema stand for two instances of a
/// backend: their writers must serialize exactly where the contract says.
@Suite("PostgresStore across instances", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresMultiInstanceTests {
    typealias Env = PostgresTestEnvironment
    static let epoch = Date(timeIntervalSince1970: 1_760_000_000)

    static func kek(_ seed: UInt8) -> KEKIdentifier { try! KEKIdentifier(bytes: (0..<16).map { seed &+ UInt8($0) }) }

    static func createWorkspace(_ store: PostgresStore, _ id: String) async throws {
        try await store.createWorkspace(
            WorkspaceRecord(id: id, createdAt: epoch, primaryDataKeyVersion: 1),
            firstDataKey: DataKeyRecord(workspace: id, version: 1, wrapped: WrappedDataKey(kekID: kek(1), ciphertext: [1]), createdAt: epoch))
    }

    static func request(_ name: String, limit: UInt64? = nil) -> PutSecretRequest {
        PutSecretRequest(
            workspace: "w", name: name, expectedCurrentVersion: nil, metadata: SecretMetadata(), dataKeyVersion: 1,
            maxVersions: 10_000, now: epoch, dataKeyEncryptionLimit: limit)
    }

    /// Runs `body` with two stores on one fresh schema (the first also migrated it).
    static func withTwoInstances(_ body: (PostgresStore, PostgresStore) async throws -> Void) async throws {
        try await Env.withStore { first, schema in
            let (maintenance, application) = try Env.endpoints()
            let second = try await PostgresStore(
                application: application.client(), maintenance: maintenance.client(maximumConnections: 3),
                options: .init(schema: schema), logger: Env.logger)
            do {
                try await body(first, second)
            } catch {
                await second.close()
                throw error
            }
            await second.close()
        }
    }

    /// The one-statement put (`put_secret`) seals with the number this instance expects; when
    /// another instance wrote in between, the server answers the right number, the value is
    /// sealed again with it, and only that one is stored and counted.
    @Test func aStaleVersionGuessResealsWithTheServersNumber() async throws {
        try await Self.withTwoInstances { a, b in
            try await Self.createWorkspace(a, "w")
            let seals = Atomic<Int>(0)
            let sealVersion: @Sendable (UInt32) throws -> [UInt8] = { version in
                seals.add(1, ordering: .relaxed)
                return Array("value-sealed-as-\(version)".utf8)
            }
            #expect(try await a.putSecretVersion(Self.request("s"), seal: sealVersion).version == 1)
            #expect(try await b.putSecretVersion(Self.request("s"), seal: sealVersion).version == 2)   // guessed 1: resealed
            #expect(try await b.putSecretVersion(Self.request("s"), seal: sealVersion).version == 3)   // guessed right
            #expect(seals.load(ordering: .relaxed) == 4)
            #expect(try await a.putSecretVersion(Self.request("s"), seal: sealVersion).version == 4)   // a guessed 2
            #expect(seals.load(ordering: .relaxed) == 6)
            for version in 1...UInt32(4) {
                let stored = try #require(try await a.secretVersion(workspace: "w", name: "s", version: version))
                #expect(stored.ciphertext == Array("value-sealed-as-\(version)".utf8))
            }
            // Check-and-set guesses expected + 1; a conflict writes nothing.
            var cas = Self.request("s")
            cas.expectedCurrentVersion = 4
            #expect(try await b.putSecretVersion(cas, seal: sealVersion).version == 5)
            await #expect(throws: VaultError.checkAndSetConflict(workspace: "w", name: "s", expected: 4, actual: 5)) {
                _ = try await a.putSecretVersion(cas, seal: sealVersion)
            }
            // Only stored values are counted.
            #expect(try await a.dataKeys(workspace: "w").first?.encryptionCount == 5)
        }
    }

    @Test func concurrentPutsFromTwoInstancesGetUniqueContiguousVersionsAndExactCounts() async throws {
        try await Self.withTwoInstances { a, b in
            try await Self.createWorkspace(a, "w")
            let tasksPerInstance = 8
            let perTask = 10
            let written = try await withThrowingTaskGroup(of: [(UInt32, [UInt8])].self) { group in
                for (index, store) in [a, b].enumerated() {
                    for t in 0..<tasksPerInstance {
                        group.addTask {
                            var mine: [(UInt32, [UInt8])] = []
                            for i in 0..<perTask {
                                let value = Array("instance \(index) task \(t) put \(i)".utf8)
                                let info = try await store.putSecretVersion(Self.request("hot")) { _ in value }
                                mine.append((info.version, value))
                            }
                            return mine
                        }
                    }
                }
                var all: [(UInt32, [UInt8])] = []
                for try await part in group { all += part }
                return all
            }
            let total = 2 * tasksPerInstance * perTask
            #expect(written.map(\.0).sorted() == (1...UInt32(total)).map { $0 })
            #expect(try await b.history(workspace: "w", name: "hot").map(\.version) == (1...UInt32(total)).map { $0 })
            for (version, value) in written {
                #expect(try await a.secretVersion(workspace: "w", name: "hot", version: version)?.ciphertext == value)
            }
            #expect(try await a.dataKeys(workspace: "w").first?.encryptionCount == UInt64(total))
        }
    }

    @Test func racingRotationsFromTwoInstancesExactlyOneWins() async throws {
        try await Self.withTwoInstances { a, b in
            try await Self.createWorkspace(a, "w")
            for round in UInt32(1)...3 {
                let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                    for contender in 0..<12 {
                        let store = contender % 2 == 0 ? a : b
                        group.addTask {
                            let record = DataKeyRecord(
                                workspace: "w", version: round + 1,
                                wrapped: WrappedDataKey(kekID: Self.kek(1), ciphertext: [UInt8(contender)]), createdAt: Self.epoch)
                            return (contender, try await store.rotateDataKey(record, expectedPrimary: round))
                        }
                    }
                    var all: [(Int, Bool)] = []
                    for try await r in group { all.append(r) }
                    return all
                }
                let winners = results.filter(\.1).map(\.0)
                try #require(winners.count == 1, "round \(round): winners \(winners)")
                let keys = try await b.dataKeys(workspace: "w")
                #expect(keys.map(\.version) == (1...(round + 1)).map { $0 })
                #expect(keys.last?.wrapped.ciphertext == [UInt8(winners[0])])
                #expect(try await a.workspace("w")?.primaryDataKeyVersion == round + 1)
            }
        }
    }

    @Test func encryptionLimitIsExactAcrossInstances() async throws {
        try await Self.withTwoInstances { a, b in
            try await Self.createWorkspace(a, "w")
            let limit: UInt64 = 25
            let attempts = 40
            let outcomes = await withTaskGroup(of: Result<UInt32, VaultError>.self) { group in
                for i in 0..<attempts {
                    let store = i % 2 == 0 ? a : b
                    group.addTask {
                        do {
                            return .success(try await store.putSecretVersion(Self.request("s\(i % 5)", limit: limit)) { _ in [UInt8(i)] }.version)
                        } catch let error as VaultError {
                            return .failure(error)
                        } catch {
                            return .failure(.storeUnavailable("unexpected \(type(of: error))"))
                        }
                    }
                }
                var all: [Result<UInt32, VaultError>] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            let succeeded = outcomes.filter { if case .success = $0 { true } else { false } }.count
            #expect(succeeded == Int(limit))
            for case .failure(let error) in outcomes {
                #expect(error == .dataKeyExhausted(workspace: "w", version: 1))
            }
            #expect(try await a.dataKeys(workspace: "w").first?.encryptionCount == limit)
            let stored = try await b.listSecrets(workspace: "w").reduce(0) { $0 + $1.versionCount }
            #expect(stored == Int(limit))
        }
    }
}
