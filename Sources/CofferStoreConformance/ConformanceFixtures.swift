import Coffer
import CofferCrypto
import Foundation
import Testing

/// Records, requests and comparisons shared by the checks.
enum ConformanceFixtures {
    static let epoch = Date(timeIntervalSince1970: 1_760_000_000.250)

    static func kekID(_ seed: UInt8) -> KEKIdentifier {
        // 16 bytes is always a valid identifier.
        try! KEKIdentifier(bytes: (0..<16).map { seed &+ UInt8($0) })
    }

    static func dataKey(_ workspace: String, version: UInt32 = 1, seed: UInt8 = 1) -> DataKeyRecord {
        DataKeyRecord(
            workspace: workspace, version: version,
            wrapped: WrappedDataKey(kekID: kekID(seed), ciphertext: Array("wrapped-\(workspace)-\(version)".utf8)),
            createdAt: epoch.addingTimeInterval(Double(version)))
    }

    static func workspaceRecord(_ id: String) -> WorkspaceRecord {
        WorkspaceRecord(id: id, createdAt: epoch, primaryDataKeyVersion: 1)
    }

    /// Creates workspace `id` with data key 1.
    @discardableResult
    static func createWorkspace(_ store: any SecretStore, _ id: String) async throws -> WorkspaceRecord {
        let record = workspaceRecord(id)
        try await store.createWorkspace(record, firstDataKey: dataKey(id))
        return record
    }

    static func request(
        _ workspace: String, _ name: String, expected: UInt32? = nil, metadata: SecretMetadata = SecretMetadata(),
        maxVersions: Int = 100, now: Date = epoch
    ) -> PutSecretRequest {
        PutSecretRequest(
            workspace: workspace, name: name, expectedCurrentVersion: expected, metadata: metadata,
            dataKeyVersion: 1, maxVersions: maxVersions, now: now)
    }

    /// The sealed bytes the checks store for `version` of `name` in `workspace`.
    static func value(_ workspace: String, _ name: String, _ version: UInt32) -> [UInt8] {
        Array("sealed:\(workspace):\(name):\(version)".utf8)
    }

    /// Puts a version whose value is ``value(_:_:_:)``.
    @discardableResult
    static func put(
        _ store: any SecretStore, _ workspace: String, _ name: String, expected: UInt32? = nil,
        metadata: SecretMetadata = SecretMetadata(), maxVersions: Int = 100, now: Date = epoch
    ) async throws -> SecretVersionInfo {
        try await store.putSecretVersion(
            request(workspace, name, expected: expected, metadata: metadata, maxVersions: maxVersions, now: now)
        ) { version in value(workspace, name, version) }
    }

    /// Versions of the history of a secret.
    static func versions(_ store: any SecretStore, _ workspace: String, _ name: String) async throws -> [UInt32] {
        try await store.history(workspace: workspace, name: name).map(\.version)
    }

    static func sameInstant(_ a: Date?, _ b: Date?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (a?, b?): return abs(a.timeIntervalSince(b)) < 0.001
        default: return false
        }
    }

    static func sameMetadata(_ a: SecretMetadata, _ b: SecretMetadata) -> Bool {
        a.kind == b.kind && a.contentType == b.contentType && a.labels == b.labels && sameInstant(a.expiresAt, b.expiresAt)
    }

    /// The error `body` throws, or nil.
    static func error(_ body: () async throws -> Void) async -> (any Error)? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }
}

/// An error a seal closure throws in the checks.
struct SealFailure: Error, Equatable {}
