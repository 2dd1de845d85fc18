public import Foundation

/// What an audited operation did.
public enum AuditAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// A workspace was created (``Vault/createWorkspace(_:)``, or an import creating its workspace).
    /// Stored as `workspace.create`.
    case createWorkspace = "workspace.create"
    /// A workspace was soft-deleted. Stored as `workspace.delete`.
    case deleteWorkspace = "workspace.delete"
    /// A soft-deleted workspace was restored within the grace period. Stored as `workspace.undelete`.
    case undeleteWorkspace = "workspace.undelete"
    /// A workspace was crypto-shredded (directly or by a purge); `detail` lists the destroyed
    /// data-key versions and the number of secret versions made unreadable.
    /// Stored as `workspace.shred`.
    case shredWorkspace = "workspace.shred"
    /// A secret version was written; `version` is the new version number.
    case put
    /// A secret value was read; on success `version` is the version returned, on failure the
    /// one asked for (nil: the current one). Successful reads are buffered, synchronous or not
    /// recorded as ``AuditConfiguration/reads`` says.
    case get
    /// A workspace's secrets were listed (names and metadata, no values).
    case list
    /// A secret's versions were listed (no values).
    case history
    /// One version of a secret (or, with `version` nil, every kept version) was soft-deleted;
    /// `detail` lists the versions that changed.
    case delete
    /// Soft-deleted versions were restored within the grace period; `detail` lists them.
    case undelete
    /// One secret version deleted past the grace period was removed for good by
    /// ``Vault/purge(batchSize:)`` (one record per version).
    case purge
    /// A new primary data-key version was created; `version` is the primary afterwards.
    /// Stored as `rotate`.
    case rotateDataKey = "rotate"
    /// Data-key versions below `version` were retired. Stored as `retire`.
    case retireDataKeys = "retire"
    /// Data-key `version` was revoked (re-encrypted away from and destroyed). Stored as `revoke`.
    case revokeDataKey = "revoke"
    /// Stored values were re-sealed under their workspace's primary; `detail` gives the count.
    /// `workspace` nil: every workspace.
    case reencrypt
    /// Data keys were re-wrapped under a new KEK (fleet-wide, `workspace` nil); `detail` gives the
    /// count and whether it finished. Stored as `rotate-kek`.
    case rotateKEK = "rotate-kek"
    /// A workspace's rotation-policy override was set or cleared. Stored as `policy`.
    case setPolicy = "policy"
    /// A workspace was exported (plaintext JSON or a sealed bundle).
    case export
    /// Secrets were imported into a workspace (JSON, bundle or Fernet file).
    case `import`
    /// Audit records past ``AuditConfiguration/retention`` were deleted behind a sealed checkpoint;
    /// `detail` gives the count. Stored as `audit.purge`.
    case auditPurge = "audit.purge"
}

/// How an audited operation ended. Failures name their kind, never a value.
public enum AuditOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    /// The operation completed.
    case success
    /// A workspace, secret, version or data key did not exist (or the version is soft-deleted).
    /// Stored as `not-found`.
    case notFound = "not-found"
    /// A ciphertext, wrapped key or bundle did not authenticate, or the KEK is the wrong one.
    /// Stored as `authentication-failed`.
    case authenticationFailed = "authentication-failed"
    /// A concurrent change won: check-and-set mismatch, data key exhausted or still in use, or the
    /// workspace already exists.
    case conflict
    /// The workspace is deleted or shredded, or the grace period of an undelete has passed.
    case denied
    /// The input was refused (bad name, empty or too large value, bad value, invalid import).
    case invalid
    /// Anything else: store or KEK service unavailable, corrupted store, cancellation, or an error
    /// that is not a ``VaultError``.
    case error
}

/// One audited operation as the vault reports it, before the chain numbers and MACs it.
/// Holds no value, key or passphrase: only ids, names, versions and outcome.
public struct AuditEvent: Sendable, Hashable, Codable {
    /// When the operation ended, from ``VaultConfiguration/now`` (stored in microseconds).
    public var time: Date
    /// The identity the caller passed in (``Vault/acting(as:)``), e.g. `svc-billing`.
    public var actor: String
    /// What was done.
    public var action: AuditAction
    /// How it ended; a failure's kind is repeated in `detail`.
    public var outcome: AuditOutcome
    /// Nil for fleet-wide operations (KEK rotation, purge summary, audit purge).
    public var workspace: String?
    /// The secret's name, or nil for operations that do not name one (list, rotation, policy, …).
    public var name: String?
    /// The secret version (get, put, delete, undelete, purge) or data-key version (rotate, retire,
    /// revoke) concerned, or nil when none applies.
    public var version: UInt32?
    /// Short non-secret detail: counts, version lists, the error kind.
    public var detail: String?

    /// Makes an event; the audit log adds the sequence number and MAC when it commits it. Never
    /// pass a value, key or passphrase in any field.
    public init(
        time: Date, actor: String, action: AuditAction, outcome: AuditOutcome,
        workspace: String? = nil, name: String? = nil, version: UInt32? = nil, detail: String? = nil
    ) {
        self.time = time
        self.actor = actor
        self.action = action
        self.outcome = outcome
        self.workspace = workspace
        self.name = name
        self.version = version
        self.detail = detail
    }
}
