import Coffer
import Foundation
import Testing

extension StoreConformance {
    static let concurrencyChecks: [Check] = [
        Check("concurrent puts to one secret get unique, contiguous versions and lose nothing") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            let tasks = 16
            let perTask = 10
            let written = try await withThrowingTaskGroup(of: [(UInt32, [UInt8])].self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        var mine: [(UInt32, [UInt8])] = []
                        for i in 0..<perTask {
                            let value = Array("task \(t) put \(i)".utf8)
                            let info = try await store.putSecretVersion(F.request("w", "hot", maxVersions: 1_000)) { _ in value }
                            mine.append((info.version, value))
                            // Interleave reads with the writes.
                            _ = try await store.secretVersion(workspace: "w", name: "hot", version: nil)
                        }
                        return mine
                    }
                }
                var all: [(UInt32, [UInt8])] = []
                for try await part in group { all += part }
                return all
            }
            let total = tasks * perTask
            #expect(written.count == total)
            #expect(written.map(\.0).sorted() == (1...UInt32(total)).map { $0 })
            #expect(try await F.versions(store, "w", "hot") == (1...UInt32(total)).map { $0 })
            for (version, value) in written {
                #expect(try await store.secretVersion(workspace: "w", name: "hot", version: version)?.ciphertext == value)
            }
        },
        Check("concurrent create-only puts: exactly one wins") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            let results = await withTaskGroup(of: Result<UInt32, VaultError>.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        do {
                            return .success(try await F.put(store, "w", "once", expected: 0).version)
                        } catch let error as VaultError {
                            return .failure(error)
                        } catch {
                            return .failure(.storeUnavailable("unexpected \(type(of: error))"))
                        }
                    }
                }
                var all: [Result<UInt32, VaultError>] = []
                for await r in group { all.append(r) }
                return all
            }
            let wins = results.compactMap { try? $0.get() }
            #expect(wins == [1])
            for case .failure(let error) in results {
                #expect(error == .checkAndSetConflict(workspace: "w", name: "once", expected: 0, actual: 1))
            }
            #expect(try await F.versions(store, "w", "once") == [1])
        },
    ]
}
