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

    /// Makes a policy; both limits default to nil (as the vault policy: no such limit; as a
    /// workspace override: the vault's limit applies). The vault default is
    /// ``RotationPolicy/standard``. ``Vault/setRotationPolicy(workspace:_:)`` refuses a
    /// non-positive age or an encryption limit outside 1...2^32 with ``VaultError/invalidValue(_:)``.
    public init(maxDataKeyAgeSeconds: Double? = nil, maxEncryptionsPerDataKey: UInt64? = nil) {
        self.maxDataKeyAgeSeconds = maxDataKeyAgeSeconds
        self.maxEncryptionsPerDataKey = maxEncryptionsPerDataKey
    }
}

/// Re-wraps one stored data key under a new KEK (KEK rotation).
public struct DataKeyRewrap: Sendable, Hashable {
    /// Id of the workspace whose data key is re-wrapped.
    public var workspace: String
    /// The data-key version to re-wrap (the row's key in the store, with `workspace`).
    public var version: UInt32
    /// The update applies only if the row is still wrapped by this KEK.
    public var expectedKEKID: KEKIdentifier
    /// The same data key wrapped by the new KEK, bound to the same wrap binding
    /// (``DataKeyRecord/wrapBinding``) and version; replaces the stored wrapped key.
    public var wrapped: WrappedDataKey

    /// Makes a rewrap of data key `version` of `workspace`, applied only while it is still wrapped
    /// by `expectedKEKID`.
    public init(workspace: String, version: UInt32, expectedKEKID: KEKIdentifier, wrapped: WrappedDataKey) {
        self.workspace = workspace
        self.version = version
        self.expectedKEKID = expectedKEKID
        self.wrapped = wrapped
    }
}

/// Re-seals one stored secret version under another data key (re-encryption).
public struct CiphertextReplacement: Sendable, Hashable {
    /// Name of the secret whose version is re-sealed.
    public var name: String
    /// The secret version to re-seal (its number does not change).
    public var version: UInt32
    /// The replacement applies only if the row is still sealed under this data-key version.
    public var expectedDataKeyVersion: UInt32
    /// The data-key version `ciphertext` is sealed under (the workspace's primary at the time);
    /// the store adds one to that key's encryption count per applied row.
    public var newDataKeyVersion: UInt32
    /// The value re-sealed under `newDataKeyVersion` as a Coffer v1 ciphertext with the same AAD
    /// context (workspace, name, version) as before.
    public var ciphertext: [UInt8]

    /// Makes a replacement of secret `name` version `version`, applied only while that row is still
    /// sealed under `expectedDataKeyVersion`.
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
    /// Name of the last secret version handled; the next page starts after it in (name, version)
    /// order.
    public var name: String
    /// Version of the last secret version handled.
    public var version: UInt32

    /// Makes a cursor at (`name`, `version`); the next page holds rows strictly after it.
    public init(name: String, version: UInt32) {
        self.name = name
        self.version = version
    }
}

/// How many kept secret versions of a workspace are sealed under one data-key version.
public struct DataKeyUsage: Sendable, Hashable, Codable {
    /// The data-key version counted.
    public var dataKeyVersion: UInt32
    /// Kept versions that are live.
    public var liveSecretVersions: Int
    /// Kept versions that are soft-deleted (they still hold ciphertexts).
    public var deletedSecretVersions: Int

    /// Makes a usage count for one data-key version.
    public init(dataKeyVersion: UInt32, liveSecretVersions: Int, deletedSecretVersions: Int) {
        self.dataKeyVersion = dataKeyVersion
        self.liveSecretVersions = liveSecretVersions
        self.deletedSecretVersions = deletedSecretVersions
    }
}
