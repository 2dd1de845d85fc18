import Coffer
import CofferCrypto
import Foundation

/// Helpers shared by the rotation checks (on top of ``ConformanceFixtures``).
enum RotationFixtures {
    typealias F = ConformanceFixtures

    /// Puts a version of `name` sealed under data-key version `dek` (value ``ConformanceFixtures/value(_:_:_:)``).
    @discardableResult
    static func put(
        _ store: any SecretStore, _ workspace: String, _ name: String, dek: UInt32 = 1,
        limit: UInt64? = nil, maxVersions: Int = 100, counting encryptions: UInt64 = 1
    ) async throws -> SecretVersionInfo {
        var request = F.request(workspace, name, maxVersions: maxVersions)
        request.dataKeyVersion = dek
        request.dataKeyEncryptionLimit = limit
        request.encryptionsToCount = encryptions
        return try await store.putSecretVersion(request) { version in F.value(workspace, name, version) }
    }

    /// Rotates `workspace` from `version - 1` to `version`, its key wrapped by KEK `seed`.
    @discardableResult
    static func rotate(_ store: any RotatingSecretStore, _ workspace: String, to version: UInt32, seed: UInt8 = 1) async throws -> Bool {
        try await store.rotateDataKey(F.dataKey(workspace, version: version, seed: seed), expectedPrimary: version - 1)
    }

    /// The encryption count of data-key `version`, or nil when it does not exist.
    static func count(_ store: any SecretStore, _ workspace: String, _ version: UInt32) async throws -> UInt64? {
        try await store.dataKeys(workspace: workspace).first { $0.version == version }?.encryptionCount
    }

    /// Every kept version sealed under `versions`, read page by page.
    static func all(
        _ store: any RotatingSecretStore, _ workspace: String, _ versions: Set<UInt32>, pageSize: Int = 1_000
    ) async throws -> [StoredSecretVersion] {
        var out: [StoredSecretVersion] = []
        var cursor: SecretVersionCursor?
        while true {
            let page = try await store.secretVersions(workspace: workspace, sealedUnder: versions, after: cursor, limit: pageSize)
            out += page
            guard page.count == pageSize, let last = page.last else { return out }
            cursor = SecretVersionCursor(name: last.info.name, version: last.info.version)
        }
    }

    /// The sealed bytes a re-encryption under `dek` stores for a version.
    static func resealed(_ workspace: String, _ name: String, _ version: UInt32, dek: UInt32) -> [UInt8] {
        Array("resealed:\(workspace):\(name):\(version):\(dek)".utf8)
    }

    /// A replacement of `stored` (expected under its current data key) by a value sealed under `dek`.
    static func reseal(_ stored: StoredSecretVersion, to dek: UInt32) -> CiphertextReplacement {
        let i = stored.info
        return CiphertextReplacement(
            name: i.name, version: i.version, expectedDataKeyVersion: i.dataKeyVersion, newDataKeyVersion: dek,
            ciphertext: resealed(i.workspace, i.name, i.version, dek: dek))
    }

    /// (name, version, data-key version, ciphertext) of every kept version of every secret.
    static func snapshot(_ store: any SecretStore, _ workspace: String) async throws -> [String] {
        var out: [String] = []
        for summary in try await store.listSecrets(workspace: workspace) {
            for info in try await store.history(workspace: workspace, name: summary.name) {
                let sealed = try await store.secretVersion(workspace: workspace, name: info.name, version: info.version)
                out.append("\(info.name)#\(info.version)@\(info.dataKeyVersion):\(sealed?.ciphertext ?? [])")
            }
        }
        return out
    }
}
