public import CofferCrypto
public import Foundation

/// The census an operator needs before rotating, retiring or revoking anything: which KEKs
/// wrap data keys, and per workspace its data-key versions with their age, usage (encryption)
/// count and how many stored secret versions each still seals. Holds no value and no key.
public struct VaultStatus: Sendable, Hashable, Codable {
    /// How many data keys one KEK wraps.
    public struct KEKUsage: Sendable, Hashable, Codable {
        /// The KEK's id, as recorded with each data key it wraps (`coffer kek id` prints it).
        public var kekID: KEKIdentifier
        /// How many data-key versions (all workspaces) it wraps.
        public var dataKeys: Int
        /// `current` (the vault's KEK), `previous` (a configured previous KEK) or
        /// `unconfigured`.
        public var role: String
    }

    /// One data-key version of a workspace.
    public struct DataKeyStatus: Sendable, Hashable, Codable {
        /// The data-key version (1, 2, …); the key id in the header of every value it sealed.
        public var version: UInt32
        /// When the data-key version was created.
        public var createdAt: Date
        /// Seconds since creation, by the vault's clock.
        public var ageSeconds: Double
        /// The KEK that wraps it.
        public var kekID: KEKIdentifier
        /// Values it has sealed (puts and re-encryptions), exact across processes.
        public var encryptionCount: UInt64
        /// Kept secret versions sealed under it that are live.
        public var liveSecretVersions: Int
        /// Kept secret versions sealed under it that are soft-deleted.
        public var deletedSecretVersions: Int
        /// New values are sealed with it.
        public var primary: Bool
        /// Below the workspace's minimum decryption version: nothing opens with it.
        public var retired: Bool
    }

    /// One workspace.
    public struct WorkspaceStatus: Sendable, Hashable, Codable {
        /// The workspace id.
        public var id: String
        /// The data-key version new values are sealed with.
        public var primaryDataKeyVersion: UInt32
        /// Versions below this are retired (1: none retired).
        public var minimumDecryptionVersion: UInt32
        /// The policy in force: the vault's, overridden by ``policyOverride``.
        public var policy: RotationPolicy
        /// The workspace's own override, if any.
        public var policyOverride: RotationPolicy?
        /// Every data-key version the workspace still has, ascending.
        public var dataKeys: [DataKeyStatus]
        /// Kept secret versions not sealed under the primary: what `coffer reencrypt` would
        /// rewrite.
        public var secretVersionsToReencrypt: Int
        /// True when the next write will rotate the primary key (it reached the age or
        /// encryption limit).
        public var rotationDue: Bool
    }

    /// The vault's (current) KEK: every new data key is wrapped by it.
    public var currentKEK: KEKIdentifier
    /// Data keys per KEK (all workspaces of the store).
    public var keks: [KEKUsage]
    /// True while any data key is wrapped by a KEK other than ``currentKEK``: a KEK rotation
    /// is unfinished (run `coffer rotate-kek` again) and the other KEK is still needed.
    public var otherKEKsNeeded: Bool
    /// The workspaces asked for (all, or one), ordered by id.
    public var workspaces: [WorkspaceStatus]
}
