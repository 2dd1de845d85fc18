import Coffer
import Foundation
import Testing

extension StoreConformance {
    static let workspaceChecks: [Check] = [
        Check("workspace create, get and duplicate") { store in
            typealias F = ConformanceFixtures
            #expect(try await store.workspace("alpha") == nil)
            let record = try await F.createWorkspace(store, "alpha")
            let got = try #require(try await store.workspace("alpha"))
            #expect(got.id == record.id)
            #expect(got.primaryDataKeyVersion == record.primaryDataKeyVersion)
            #expect(F.sameInstant(got.createdAt, record.createdAt))

            // A second create fails and changes nothing, not even the data keys.
            var other = F.workspaceRecord("alpha")
            other.primaryDataKeyVersion = 7
            await #expect(throws: VaultError.workspaceExists("alpha")) {
                try await store.createWorkspace(other, firstDataKey: F.dataKey("alpha", version: 7, seed: 9))
            }
            #expect(try await store.workspace("alpha")?.primaryDataKeyVersion == 1)
            #expect(try await store.dataKeys(workspace: "alpha").map(\.version) == [1])
        },
        Check("workspaces are listed ordered by id") { store in
            #expect(try await store.listWorkspaces().isEmpty)
            for id in ["m", "b-2", "z", "a", "b.1", "0"] {
                try await ConformanceFixtures.createWorkspace(store, id)
            }
            #expect(try await store.listWorkspaces().map(\.id) == ["0", "a", "b-2", "b.1", "m", "z"])
        },
        Check("data keys round-trip, ordered by version, empty for unknown workspace") { store in
            typealias F = ConformanceFixtures
            #expect(try await store.dataKeys(workspace: "nope").isEmpty)
            try await F.createWorkspace(store, "keys")
            let keys = try await store.dataKeys(workspace: "keys")
            try #require(keys.count == 1)
            let expected = F.dataKey("keys")
            #expect(keys[0].workspace == "keys")
            #expect(keys[0].version == 1)
            #expect(keys[0].wrapped == expected.wrapped)
            #expect(F.sameInstant(keys[0].createdAt, expected.createdAt))
            #expect(keys.map(\.version) == keys.map(\.version).sorted())
        },
    ]
}
