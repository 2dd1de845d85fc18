public import CofferCrypto
public import Foundation

/// A workspace (tenant) as a store keeps it.
public struct WorkspaceRecord: Sendable, Hashable, Codable {
    /// Workspace id (see ``NameRules``).
    public var id: String
    /// When the workspace was created.
    public var createdAt: Date
    /// The data-key version new values are sealed with.
    public var primaryDataKeyVersion: UInt32
    /// Data-key versions below this are retired: nothing may be opened with them.
    public var minimumDecryptionVersion: UInt32
    /// This workspace's override of the vault's rotation policy (nil fields: vault default).
    public var rotationPolicy: RotationPolicy?
    /// The workspace's key generation: 32 lowercase hex characters, random, chosen when the
    /// workspace is created and replaced by a fresh random value when it is shredded. Every
    /// data key of the workspace is wrapped bound to `"<id>#<keyGeneration>"` (see
    /// ``DataKeyRecord/wrapBinding``), so data-key rows put back from a backup taken before a
    /// shred no longer unwrap. Nil for workspaces created before key generations existed
    /// (their data keys are bound to the bare id).
    public var keyGeneration: String?
    /// When the workspace was soft-deleted, or nil. A deleted workspace has no readable or
    /// writable secrets until it is undeleted (within the grace period) or shredded.
    public var deletedAt: Date?
    /// When the workspace was crypto-shredded, or nil. A shredded workspace is a tombstone: it
    /// keeps only its id, dates and new key generation; its id cannot be used again.
    public var shreddedAt: Date?

    /// Makes a workspace row. The vault creates a workspace with data-key version 1 as primary
    /// and a fresh random `keyGeneration`; stores build these from their rows.
    /// - Parameters:
    ///   - id: the workspace id (``NameRules``).
    ///   - createdAt: when the workspace was created.
    ///   - primaryDataKeyVersion: the data-key version new values are sealed with (1 for a new workspace).
    ///   - minimumDecryptionVersion: 1 (nothing retired) for a new workspace.
    ///   - rotationPolicy: the workspace's own policy, or nil for the vault's default.
    ///   - keyGeneration: nil only for rows read from a store written before key generations existed.
    ///   - deletedAt: when it was soft-deleted, nil for a live workspace.
    ///   - shreddedAt: when it was crypto-shredded, nil unless it was.
    public init(
        id: String, createdAt: Date, primaryDataKeyVersion: UInt32,
        minimumDecryptionVersion: UInt32 = 1, rotationPolicy: RotationPolicy? = nil,
        keyGeneration: String? = nil, deletedAt: Date? = nil, shreddedAt: Date? = nil
    ) {
        self.id = id
        self.createdAt = createdAt
        self.primaryDataKeyVersion = primaryDataKeyVersion
        self.minimumDecryptionVersion = minimumDecryptionVersion
        self.rotationPolicy = rotationPolicy
        self.keyGeneration = keyGeneration
        self.deletedAt = deletedAt
        self.shreddedAt = shreddedAt
    }
}

/// One version of a workspace's data key, wrapped by a KEK.
public struct DataKeyRecord: Sendable, Hashable {
    /// Id of the workspace this data key belongs to (see ``NameRules``).
    public var workspace: String
    /// Data-key version (1, 2, …); the key id in the header of every value it sealed.
    public var version: UInt32
    /// The DEK wrapped under the KEK, bound to `workspace` and `version`.
    public var wrapped: WrappedDataKey
    /// When this data-key version was created (microsecond precision, see ``StoredTime``). The
    /// rotation policy's ``RotationPolicy/maxDataKeyAgeSeconds`` is measured from it.
    public var createdAt: Date
    /// How many values this key has sealed (puts and re-encryptions), kept exact in the store.
    public var encryptionCount: UInt64
    /// The ``WorkspaceRecord/keyGeneration`` of the workspace row *as it is now*. Stores never
    /// store this with the data key: they fill it in when reading (a join with the workspace
    /// row) and ignore it when writing, so that a data-key row copied back from an old backup
    /// is read with the current generation and fails to unwrap.
    public var keyGeneration: String?

    /// Makes a data-key row.
    /// - Parameters:
    ///   - workspace: the workspace the key belongs to.
    ///   - version: the data-key version (1, 2, … within the workspace).
    ///   - wrapped: the key wrapped by the key-encryption key.
    ///   - createdAt: when the key was created.
    ///   - encryptionCount: values already sealed with the key; 0 for a new key.
    ///   - keyGeneration: ignored by stores when writing (see ``keyGeneration``); pass the
    ///     workspace's current generation when wrapping or unwrapping.
    public init(
        workspace: String, version: UInt32, wrapped: WrappedDataKey, createdAt: Date, encryptionCount: UInt64 = 0,
        keyGeneration: String? = nil
    ) {
        self.workspace = workspace
        self.version = version
        self.wrapped = wrapped
        self.createdAt = createdAt
        self.encryptionCount = encryptionCount
        self.keyGeneration = keyGeneration
    }

    /// The string a KEK provider binds this data key to (its `workspace` argument):
    /// `"<workspace>#<keyGeneration>"`, or the bare workspace id when there is no generation.
    public var wrapBinding: String { Self.wrapBinding(workspace: workspace, keyGeneration: keyGeneration) }

    /// See ``wrapBinding``. `#` cannot occur in a workspace id, so bindings never collide.
    public static func wrapBinding(workspace: String, keyGeneration: String?) -> String {
        guard let keyGeneration else { return workspace }
        return workspace + "#" + keyGeneration
    }
}

/// What kind of credential a secret holds. Stored in the clear.
public enum SecretKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Opaque bytes.
    case raw
    /// An OAuth token set (``OAuthTokenSet``) as JSON.
    case oauthToken = "oauth-token"
    /// Cloud credentials (``CloudCredentials``) as JSON.
    case cloudCredentials = "cloud-credentials"
    /// A webhook signing secret (``WebhookSecret``) as JSON.
    case webhookSecret = "webhook-secret"
}

/// Non-secret metadata of a secret version, stored in the clear so it can be queried.
public struct SecretMetadata: Sendable, Hashable, Codable {
    /// What the value holds; decides how the typed API (``WorkspaceScope``) decodes it. `.raw`
    /// for opaque bytes.
    public var kind: SecretKind
    /// Optional MIME type of the value, e.g. `application/json`.
    public var contentType: String?
    /// Free-form labels (keys and values are not secret).
    public var labels: [String: String]
    /// When the credential expires, if known.
    public var expiresAt: Date?

    /// Makes metadata; every field defaults to "none" (`.raw`, no content type, no labels, no
    /// expiry). Nothing here is encrypted: never put a secret in a label.
    public init(kind: SecretKind = .raw, contentType: String? = nil, labels: [String: String] = [:], expiresAt: Date? = nil) {
        self.kind = kind
        self.contentType = contentType
        self.labels = labels
        self.expiresAt = expiresAt
    }
}

/// One version of a secret, without its value.
public struct SecretVersionInfo: Sendable, Hashable, Codable {
    /// Id of the workspace the secret lives in.
    public var workspace: String
    /// The secret's name (see ``NameRules``).
    public var name: String
    /// Version number: 1 for the first put, then increasing; never reused.
    public var version: UInt32
    /// The data-key version that sealed it.
    public var dataKeyVersion: UInt32
    /// The clear-text metadata written with this version.
    public var metadata: SecretMetadata
    /// When this version was written (microsecond precision, see ``StoredTime``).
    public var createdAt: Date
    /// When it was soft-deleted, or nil when it is live.
    public var deletedAt: Date?

    /// Makes a version's info. Stores build these from their rows.
    public init(
        workspace: String, name: String, version: UInt32, dataKeyVersion: UInt32,
        metadata: SecretMetadata, createdAt: Date, deletedAt: Date?
    ) {
        self.workspace = workspace
        self.name = name
        self.version = version
        self.dataKeyVersion = dataKeyVersion
        self.metadata = metadata
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }
}

/// One stored version with its sealed value (a Coffer v1 ciphertext).
public struct StoredSecretVersion: Sendable, Hashable {
    /// Which version this is and how it was sealed.
    public var info: SecretVersionInfo
    /// The sealed value: a Coffer v1 ciphertext (FORMAT.md §2–3) under data-key version
    /// ``SecretVersionInfo/dataKeyVersion``, with the workspace, name and version as its AAD
    /// context. Only a ``Vault`` with the right KEK can open it.
    public var ciphertext: [UInt8]

    /// Pairs a version's info with its sealed value.
    public init(info: SecretVersionInfo, ciphertext: [UInt8]) {
        self.info = info
        self.ciphertext = ciphertext
    }
}

/// A secret as `list` shows it: never its value.
public struct SecretSummary: Sendable, Hashable, Codable {
    /// The secret's name (see ``NameRules``).
    public var name: String
    /// The highest version written (deleted or not).
    public var currentVersion: UInt32
    /// Versions kept (live and soft-deleted).
    public var versionCount: Int
    /// Versions not soft-deleted.
    public var liveVersionCount: Int
    /// Metadata of the current version.
    public var metadata: SecretMetadata
    /// When the oldest kept version was written.
    public var createdAt: Date
    /// When the current version was written.
    public var updatedAt: Date

    /// Makes a summary. Stores build these from their rows.
    public init(
        name: String, currentVersion: UInt32, versionCount: Int, liveVersionCount: Int,
        metadata: SecretMetadata, createdAt: Date, updatedAt: Date
    ) {
        self.name = name
        self.currentVersion = currentVersion
        self.versionCount = versionCount
        self.liveVersionCount = liveVersionCount
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What a store needs to write a new secret version.
public struct PutSecretRequest: Sendable {
    /// Id of the workspace to write into. The store throws ``VaultError/workspaceNotFound(_:)``
    /// when it does not exist, and ``VaultError/workspaceDeleted(_:)`` or
    /// ``VaultError/workspaceShredded(_:)`` when it is deleted or shredded.
    public var workspace: String
    /// The secret's name, already checked against ``NameRules``.
    public var name: String
    /// Check-and-set: nil writes unconditionally; 0 requires that the secret does not exist
    /// (or has no kept version); N requires that the current version is N.
    public var expectedCurrentVersion: UInt32?
    /// Metadata stored with the new version.
    public var metadata: SecretMetadata
    /// The data-key version the value is sealed with.
    public var dataKeyVersion: UInt32
    /// Keep at most this many versions; older ones are removed in the same transaction.
    public var maxVersions: Int
    /// The instant recorded as the new version's ``SecretVersionInfo/createdAt`` (the vault's
    /// ``VaultConfiguration/now`` clock).
    public var now: Date
    /// If counting ``encryptionsToCount`` more encryptions would take the data key's count past
    /// this, nothing is written and the store throws
    /// ``VaultError/dataKeyExhausted(workspace:version:)``. Otherwise the count grows by
    /// ``encryptionsToCount`` in the same transaction. Nil: no limit (the count still grows).
    public var dataKeyEncryptionLimit: UInt64?
    /// How many encryptions this put counts under the data key, in its own transaction:
    /// - 1 (default): this put's own encryption;
    /// - n > 1: this put's and n − 1 more that the vault leases and hands out to later puts
    ///   (all or nothing: when n do not fit under the limit, nothing is written and the store
    ///   throws ``VaultError/dataKeyExhausted(workspace:version:)``);
    /// - 0: the vault already counted this encryption in an earlier put's block; the store
    ///   counts nothing but still checks that the data key exists and is not retired
    ///   (``VaultError/dataKeyNotFound(workspace:version:)``), in the same transaction.
    public var encryptionsToCount: UInt64 = 1

    /// Makes a put request. The vault fills it from ``VaultConfiguration``.
    public init(
        workspace: String, name: String, expectedCurrentVersion: UInt32?, metadata: SecretMetadata,
        dataKeyVersion: UInt32, maxVersions: Int, now: Date, dataKeyEncryptionLimit: UInt64? = nil
    ) {
        self.dataKeyEncryptionLimit = dataKeyEncryptionLimit
        self.workspace = workspace
        self.name = name
        self.expectedCurrentVersion = expectedCurrentVersion
        self.metadata = metadata
        self.dataKeyVersion = dataKeyVersion
        self.maxVersions = maxVersions
        self.now = now
    }
}
