import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import Logging

/// Shared helpers of the SQLite store tests.
enum StoreTestSupport {
    static let logger = Logger(label: "coffer.sqlite.tests")

    static func dataKey(_ workspace: String) throws -> DataKeyRecord {
        DataKeyRecord(
            workspace: workspace, version: 1,
            wrapped: WrappedDataKey(kekID: try KEKIdentifier(bytes: Array(repeating: 7, count: 16)), ciphertext: [1, 2, 3]),
            createdAt: Date())
    }

    static func createWorkspace(_ store: any SecretStore, _ id: String) async throws {
        try await store.createWorkspace(
            WorkspaceRecord(id: id, createdAt: Date(), primaryDataKeyVersion: 1), firstDataKey: try dataKey(id))
    }

    @discardableResult
    static func put(_ store: any SecretStore, _ ws: String, _ name: String, value: [UInt8], maxVersions: Int = 10_000) async throws -> SecretVersionInfo {
        try await store.putSecretVersion(
            PutSecretRequest(workspace: ws, name: name, expectedCurrentVersion: nil, metadata: SecretMetadata(),
                             dataKeyVersion: 1, maxVersions: maxVersions, now: Date())
        ) { _ in value }
    }

    static func mode(_ path: String) -> Int? {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path),
              let perms = attrs[.posixPermissions] as? NSNumber else { return nil }
        return perms.intValue
    }

    static func bytes(_ path: String) -> Data? {
        FileManager.default.contents(atPath: path)
    }
}
