public import CofferCrypto
public import Foundation

/// When a workspace's data key is rotated automatically. Set for the whole vault in
/// ``VaultConfiguration/rotationPolicy``; a workspace may override either limit.
public struct RotationPolicy: Sendable, Hashable, Codable {
    /// Rotate before a write when the primary data key is older than this many seconds
    /// (nil: no age limit).
    public var maxDataKeyAgeSeconds: Double?
    /// Rotate before a write when the primary data key has sealed this many values
    /// (nil: no count limit). The count is kept in the store, exact across processes.
    public var maxEncryptionsPerDataKey: UInt64?

    public init(maxDataKeyAgeSeconds: Double? = nil, maxEncryptionsPerDataKey: UInt64? = nil) {
        self.maxDataKeyAgeSeconds = maxDataKeyAgeSeconds
        self.maxEncryptionsPerDataKey = maxEncryptionsPerDataKey
    }
}

/// Re-wraps one stored data key under a new KEK (KEK rotation).
public struct DataKeyRewrap: Sendable, Hashable {
    public var workspace: String
    public var version: UInt32
    /// The update applies only if the row is still wrapped by this KEK.
    public var expectedKEKID: KEKIdentifier
    public var wrapped: WrappedDataKey

    public init(workspace: String, version: UInt32, expectedKEKID: KEKIdentifier, wrapped: WrappedDataKey) {
        self.workspace = workspace
        self.version = version
        self.expectedKEKID = expectedKEKID
        self.wrapped = wrapped
    }
}

/// Re-seals one stored secret version under another data key (re-encryption).
public struct CiphertextReplacement: Sendable, Hashable {
    public var name: String
    public var version: UInt32
    /// The replacement applies only if the row is still sealed under this data-key version.
    public var expectedDataKeyVersion: UInt32
    public var newDataKeyVersion: UInt32
    public var ciphertext: [UInt8]

    public init(name: String, version: UInt32, expectedDataKeyVersion: UInt32, newDataKeyVersion: UInt32, ciphertext: [UInt8]) {
        self.name = name
        self.version = version
        self.expectedDataKeyVersion = expectedDataKeyVersion
        self.newDataKeyVersion = newDataKeyVersion
        self.ciphertext = ciphertext
    }
}

/// Where a re-encryption pass is: the last (name, version) it handled in a workspace.
public struct SecretVersionCursor: Sendable, Hashable, Codable {
    public var name: String
    public var version: UInt32

    public init(name: String, version: UInt32) {
        self.name = name
        self.version = version
    }
}

/// How many kept secret versions of a workspace are sealed under one data-key version.
public struct DataKeyUsage: Sendable, Hashable, Codable {
    public var dataKeyVersion: UInt32
    /// Kept versions that are live.
    public var liveSecretVersions: Int
    /// Kept versions that are soft-deleted (they still hold ciphertexts).
    public var deletedSecretVersions: Int

    public init(dataKeyVersion: UInt32, liveSecretVersions: Int, deletedSecretVersions: Int) {
        self.dataKeyVersion = dataKeyVersion
        self.liveSecretVersions = liveSecretVersions
        self.deletedSecretVersions = deletedSecretVersions
    }
}
