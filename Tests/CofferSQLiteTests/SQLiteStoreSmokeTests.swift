import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import Logging
import Testing

@Suite("SQLiteStore smoke")
struct SQLiteStoreSmokeTests {
    @Test func putAndGet() async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/v.db", logger: Logger(label: "test"))
        let key = DataKeyRecord(
            workspace: "a", version: 1,
            wrapped: WrappedDataKey(kekID: try KEKIdentifier(bytes: Array(repeating: 7, count: 16)), ciphertext: [1, 2, 3]),
            createdAt: Date(timeIntervalSince1970: 1_700_000_000.123456))
        try await store.createWorkspace(WorkspaceRecord(id: "a", createdAt: Date(), primaryDataKeyVersion: 1), firstDataKey: key)
        let info = try await store.putSecretVersion(
            PutSecretRequest(workspace: "a", name: "x", expectedCurrentVersion: 0, metadata: SecretMetadata(), dataKeyVersion: 1, maxVersions: 10, now: Date())
        ) { v in [UInt8(v), 9, 9] }
        #expect(info.version == 1)
        let got = try await store.secretVersion(workspace: "a", name: "x", version: nil)
        #expect(got?.ciphertext == [1, 9, 9])
        #expect(try await store.dataKeys(workspace: "a") == [key])
    }
}
