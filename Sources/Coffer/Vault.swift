public import CofferCrypto
public import Logging

/// A multi-tenant secret vault: values sealed with AES-256-GCM under per-workspace data keys
/// (DEKs), which are wrapped by a key-encryption key (KEK) and kept in a ``SecretStore``.
///
/// Secrets are reached only through a ``WorkspaceScope`` (``workspace(_:actor:)``), which can touch
/// its own workspace and no other:
///
/// ```swift
/// let vault = Vault(store: store, kek: kek, logger: logger)
/// try await vault.createWorkspace("acme")
/// let acme = try vault.workspace("acme")
/// try await acme.put("github/token", value: SecretBytes(Array("ghp_…".utf8)))
/// let secret = try await acme.get("github/token")
/// ```
///
/// Unwrapped DEKs are cached in memory (see ``VaultConfiguration``). A `Vault` is safe to use
/// from any number of tasks at once. It logs workspace ids, secret names and version numbers,
/// never values or keys.
public final class Vault: Sendable {
    // Sendable without @unchecked: both properties are `let`s of Sendable types.
    let core: VaultCore
    /// The identity recorded as the actor of this vault's operations in the audit log.
    public let actor: String

    /// Creates a vault over `store`, wrapping and unwrapping data keys with `kek`.
    ///
    /// - Parameter store: where workspaces, wrapped data keys, sealed values and the audit log
    ///   are kept. Rotation needs a ``RotatingSecretStore``; retention, shredding, audit and
    ///   import need a ``LifecycleSecretStore`` (otherwise those calls throw
    ///   ``VaultError/storeUnavailable(_:)``).
    /// - Parameter kek: the current key-encryption key: every new data key and audit key is
    ///   wrapped with it. When it is not the KEK of the store's keys, operations fail with
    ///   ``VaultError/wrongKEK(configured:stored:)`` (or ``VaultError/authenticationFailed``)
    ///   and nothing is written.
    /// - Parameter previousKEKs: KEKs of an unfinished KEK rotation (see
    ///   ``rotateKEK(to:batchSize:progress:)``). A data key is unwrapped with the provider
    ///   whose `keyID()` is the KEK id recorded with it (`kek` first); new data keys are always
    ///   wrapped with `kek`. Empty once every data key is wrapped by `kek` (``status(workspace:)``
    ///   says so).
    /// - Parameter configuration: limits, caches, retention, rotation policy, audit and the
    ///   default actor (``VaultConfiguration``); the defaults suit most deployments.
    /// - Parameter logger: where the vault logs (ids, names and versions only, never values or keys).
    public init(
        store: any SecretStore, kek: any KeyEncryptionKeyProvider, previousKEKs: [any KeyEncryptionKeyProvider] = [],
        configuration: VaultConfiguration = .init(), logger: Logger
    ) {
        self.core = VaultCore(store: store, kek: kek, previousKEKs: previousKEKs, configuration: configuration, logger: logger)
        self.actor = configuration.defaultActor
    }

    private init(core: VaultCore, actor: String) {
        self.core = core
        self.actor = actor
    }

    /// This vault (same store, keys, caches and audit log) recording `actor` as the identity
    /// behind every operation made through it, e.g. `svc-billing` or `ops:alice`.
    public func acting(as actor: String) -> Vault {
        Vault(core: core, actor: actor)
    }

    /// Creates workspace `id` with a fresh data key (version 1) wrapped under the KEK.
    /// - Throws: ``VaultError/invalidName(_:)``, ``VaultError/workspaceExists(_:)``,
    ///   ``VaultError/keyUnavailable(_:)``, store errors.
    @discardableResult
    public func createWorkspace(_ id: String) async throws -> WorkspaceInfo {
        try await core.audited(.createWorkspace, actor: actor, workspace: id) { try await core.createWorkspace(id) }
    }

    /// Proves that the configured KEK is this store's by opening one of the store's wrapped
    /// keys, without writing anything; a no-op once proven. Every operation that wraps a key
    /// (creating a workspace, rotating a data key or the KEK, revoking, creating the audit key)
    /// or otherwise changes the store does this first on its own, so a service only calls it
    /// to fail early, at start-up.
    /// An empty store (no wrapped key yet) accepts any KEK: the first one wrapping a key wins.
    /// During an unfinished KEK rotation the current KEK may wrap nothing yet if every KEK
    /// the store records is configured (``init(store:kek:previousKEKs:configuration:logger:)``).
    /// - Throws: ``VaultError/wrongKEK(configured:stored:)`` when the store's keys are under
    ///   other KEKs, ``VaultError/authenticationFailed`` when keys recorded under the configured
    ///   KEK do not open with it (altered rows), ``VaultError/keyUnavailable(_:)``, store errors.
    public func checkKEK() async throws {
        try await core.kekCheck.prove(workspace: nil)
    }

    /// Every workspace, ordered by id.
    public func listWorkspaces() async throws -> [WorkspaceRecord] {
        try await core.store.listWorkspaces()
    }

    /// The secrets of every live workspace whose current version expires before now (the
    /// configuration's clock) + `window` (already expired ones included), soonest first, then by workspace and name:
    /// the credentials to refresh or rotate. Reads metadata only (one audited `list` per
    /// workspace); deleted and shredded workspaces are skipped.
    /// - Parameter window: how far ahead to look, at most 100 years (like every duration input).
    /// - Throws: ``VaultError/invalidValue(_:)`` for a negative or too long window; store errors.
    public func expiringSecrets(within window: Duration) async throws -> [ExpiringSecret] {
        guard window >= .zero, window <= .seconds(36_500 * 86_400) else {
            throw VaultError.invalidValue("the expiry window must be between 0s and 36500d")
        }
        let limit = core.configuration.now().addingTimeInterval(Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18)
        var out: [ExpiringSecret] = []
        for record in try await listWorkspaces() where record.deletedAt == nil && record.shreddedAt == nil {
            for secret in try await workspace(record.id).list() {
                guard let expiresAt = secret.metadata.expiresAt, expiresAt <= limit, secret.liveVersionCount > 0 else { continue }
                out.append(ExpiringSecret(
                    workspace: record.id, name: secret.name, version: secret.currentVersion, kind: secret.metadata.kind,
                    expiresAt: expiresAt, labels: secret.metadata.labels))
            }
        }
        return out.sorted { ($0.expiresAt, $0.workspace, $0.name) < ($1.expiresAt, $1.workspace, $1.name) }
    }

    /// The workspace with its data keys and its number of live secrets.
    /// - Throws: ``VaultError/invalidName(_:)``, ``VaultError/workspaceNotFound(_:)``.
    public func workspaceInfo(_ id: String) async throws -> WorkspaceInfo {
        try await core.workspaceInfo(id)
    }

    /// Drops every cached data key that is past ``VaultConfiguration/dataKeyCacheMaxAge`` or
    /// its ``VaultConfiguration/dataKeyCacheMaxUses``, releasing its locked memory now rather
    /// than at the next lookup of that key. The cache only ever serves fresh keys either way;
    /// a service runs this periodically (CofferService's `VaultService`).
    /// - Returns: how many keys were dropped.
    @discardableResult
    public func evictExpiredDataKeys() -> Int {
        core.cache.removeExpired()
    }

    /// Returns to the store every encryption this vault leased and has not used
    /// (``VaultConfiguration/encryptionLeaseSize``), so data keys' encryption counts match the
    /// values actually sealed again. Call it when the vault stops writing (CofferService's
    /// `VaultService` does, at graceful shutdown); puts after it simply lease again. Not
    /// calling it is safe: unused leases stay counted, which only makes rotation come earlier.
    /// A store error is logged and leaves that lease counted.
    /// - Returns: how many encryptions were returned.
    @discardableResult
    public func releaseEncryptionLeases() async -> UInt64 {
        await core.releaseEncryptionLeases()
    }

    /// The scope through which workspace `id`'s secrets are read and written. Only checks the
    /// id's form; a workspace that does not exist fails on first use with
    /// ``VaultError/workspaceNotFound(_:)``.
    /// - Parameter id: the workspace id; must satisfy ``NameRules``.
    /// - Parameter actor: the identity recorded in the audit log for operations through this
    ///   scope; nil: the vault's ``actor``.
    /// - Throws: ``VaultError/invalidName(_:)``.
    public func workspace(_ id: String, actor: String? = nil) throws -> WorkspaceScope {
        try VaultCore.validateWorkspace(id)
        return WorkspaceScope(id: id, actor: actor ?? self.actor, core: core)
    }
}
