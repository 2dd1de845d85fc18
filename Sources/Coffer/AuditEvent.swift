public import Foundation

/// What an audited operation did.
public enum AuditAction: String, Sendable, Hashable, Codable, CaseIterable {
    case createWorkspace = "workspace.create"
    case deleteWorkspace = "workspace.delete"
    case undeleteWorkspace = "workspace.undelete"
    case shredWorkspace = "workspace.shred"
    case put
    case get
    case list
    case history
    case delete
    case undelete
    case purge
    case rotateDataKey = "rotate"
    case retireDataKeys = "retire"
    case revokeDataKey = "revoke"
    case reencrypt
    case rotateKEK = "rotate-kek"
    case setPolicy = "policy"
    case export
    case `import`
    case auditPurge = "audit.purge"
}

/// How an audited operation ended. Failures name their kind, never a value.
public enum AuditOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    case success
    case notFound = "not-found"
    case authenticationFailed = "authentication-failed"
    case conflict
    /// The workspace is deleted or shredded.
    case denied
    case invalid
    case error
}

/// One audited operation as the vault reports it, before the chain numbers and MACs it.
/// Holds no value, key or passphrase: only ids, names, versions and outcome.
public struct AuditEvent: Sendable, Hashable, Codable {
    public var time: Date
    /// The identity the caller passed in (``Vault/acting(as:)``), e.g. `svc-billing`.
    public var actor: String
    public var action: AuditAction
    public var outcome: AuditOutcome
    /// Nil for fleet-wide operations (KEK rotation, purge summary, audit purge).
    public var workspace: String?
    public var name: String?
    public var version: UInt32?
    /// Short non-secret detail: counts, version lists, the error kind.
    public var detail: String?

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
