import CofferCrypto
import CoreMetrics
import Foundation
import Logging
import Tracing

/// The shared engine behind a ``Vault`` and its ``WorkspaceScope``s: the store, the KEK, the
/// data-key cache and the configuration. Internal, so that nothing outside the module can
/// reach the store or name a workspace other than a scope's own.
final class VaultCore: Sendable {
    // Sendable without @unchecked: every property is a `let` of a Sendable type.
    let store: any SecretStore
    let kek: any KeyEncryptionKeyProvider
    /// KEKs of an unfinished KEK rotation: used only to unwrap data keys they wrapped.
    let previousKEKs: [any KeyEncryptionKeyProvider]
    let configuration: VaultConfiguration
    let logger: Logger
    let cache: DataKeyCache
    let rotation: RotationGate
    /// Encryptions counted in the store ahead of use (see ``EncryptionLeases``).
    let leases: EncryptionLeases
    /// The audit MAC keys; nil when the store keeps no audit log (not a ``LifecycleSecretStore``).
    let auditKeyring: AuditKeyring?
    /// The audit writer; nil when auditing is off or the store keeps no audit log.
    let audit: AuditLog?
    /// The store when auditing is on and it writes a put's audit record in the put's own
    /// transaction (``InlineAuditingStore``); nil otherwise. Decided once, not per put.
    let inlineAudit: (any InlineAuditingStore)?
    /// Proves the KEK is the store's before anything is wrapped with it.
    let kekCheck: KEKCheck
    /// The metrics instruments, created once.
    let metrics: VaultMetrics
    /// The tracer; nil when it is the no-op tracer (then no span is even started).
    let tracer: (any Tracer)?

    init(
        store: any SecretStore, kek: any KeyEncryptionKeyProvider, previousKEKs: [any KeyEncryptionKeyProvider] = [],
        configuration: VaultConfiguration, logger: Logger
    ) {
        let metrics = VaultMetrics(
            factory: configuration.metricsFactory ?? MetricsSystem.factory, includeWorkspace: configuration.metricsIncludeWorkspace)
        let configured = configuration.tracer ?? InstrumentationSystem.tracer
        let tracer: (any Tracer)? = configured is NoOpTracer ? nil : configured
        self.metrics = metrics
        self.tracer = tracer
        // Every KEK call is counted, timed and traced by provider (InstrumentedKEK).
        let kek = InstrumentedKEK.wrapping(kek, metrics: metrics, tracer: tracer)
        let previousKEKs = previousKEKs.map { InstrumentedKEK.wrapping($0, metrics: metrics, tracer: tracer) }
        self.store = store
        self.kek = kek
        self.previousKEKs = previousKEKs
        self.rotation = RotationGate(maxAge: configuration.dataKeyCacheMaxAge, now: configuration.now)
        self.leases = EncryptionLeases(blockSize: min(max(configuration.encryptionLeaseSize, 1), 65_536))
        self.configuration = configuration
        self.logger = logger
        self.cache = DataKeyCache(
            maxAge: configuration.dataKeyCacheMaxAge, maxUses: configuration.dataKeyCacheMaxUses,
            maxEntries: configuration.dataKeyCacheMaxEntries, now: configuration.now, evictions: metrics.cacheEvictions)
        let kekCheck = KEKCheck(store: store, kek: kek, previousKEKs: previousKEKs, logger: logger)
        self.kekCheck = kekCheck
        if let lifecycle = store as? any LifecycleSecretStore {
            let keyring = AuditKeyring(kek: kek, previousKEKs: previousKEKs, kekCheck: kekCheck, now: configuration.now)
            self.auditKeyring = keyring
            self.audit = configuration.audit.enabled
                ? AuditLog(store: lifecycle, keyring: keyring, configuration: configuration.audit, metrics: metrics, logger: logger) : nil
        } else {
            self.auditKeyring = nil
            self.audit = nil
        }
        self.inlineAudit = audit == nil ? nil : store as? any InlineAuditingStore
    }

    // MARK: Errors

    /// Runs `body`, turning envelope errors into ``VaultError``s (see ``VaultError/init(_:)``).
    static func mappingCrypto<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as CofferCryptoError {
            throw VaultError(error)
        }
    }

    /// Seals `value` as version `version` of secret `name` in `workspace` under `key`, with
    /// envelope errors as ``VaultError``s (the `seal` step of every store write).
    static func seal(_ value: SecretBytes, with key: EnvelopeKey, workspace: String, name: String, version: UInt32) throws -> [UInt8] {
        do {
            return try key.seal(value, context: .secret(workspace: workspace, name: name, version: version))
        } catch let error as CofferCryptoError {
            throw VaultError(error)
        }
    }

    // MARK: Data keys

    /// The workspace's primary data-key version, from the cache or the store.
    func primaryVersion(of workspace: String) async throws -> UInt32 {
        if let v = cache.primaryVersion(of: workspace) { return v }
        guard let record = try await store.workspace(workspace) else { throw VaultError.workspaceNotFound(workspace) }
        cache.setPrimaryVersion(record.primaryDataKeyVersion, of: workspace)
        return record.primaryDataKeyVersion
    }

    /// The prepared data key `version` of `workspace`: cached, or unwrapped once with the KEK.
    /// - Throws: ``VaultError/authenticationFailed`` when the wrapped key does not open (wrong
    ///   KEK, swapped or altered row) or the workspace has no such data-key version;
    ///   ``VaultError/workspaceNotFound(_:)``; ``VaultError/keyUnavailable(_:)``.
    func dataKey(workspace: String, version: UInt32) async throws -> EnvelopeKey {
        // Warm path: no loader closure to allocate.
        if let key = cache.readyKey(workspace: workspace, version: version) {
            metrics.cacheHits.increment()
            return key
        }
        metrics.cacheMisses.increment()
        return try await cache.key(workspace: workspace, version: version) { [self] in
            try await traced("coffer.unwrap_data_key", workspace: workspace) {
                let start = metrics.timed ? ContinuousClock.now : nil
                defer { if let start { metrics.unwrapDuration.record(since: start) } }
                let key = try await unwrapDataKey(workspace: workspace, version: version)
                metrics.unwraps.increment()
                return key
            }
        }
    }

    /// Runs `body` inside a span `name` (attribute `coffer.workspace`, the only one: never a
    /// secret name or value), or just runs it when there is no tracer.
    func traced<T>(_ name: String, workspace: String?, _ body: () async throws -> T) async throws -> T {
        guard let tracer else { return try await body() }
        return try await tracer.withSpan(name, ofKind: .internal) { span in
            if let workspace { span.attributes["coffer.workspace"] = workspace }
            return try await body()
        }
    }

    private func unwrapDataKey(workspace: String, version: UInt32) async throws -> EnvelopeKey {
        let keys = try await store.dataKeys(workspace: workspace)
        guard let record = keys.first(where: { $0.version == version }) else {
            if keys.isEmpty, try await store.workspace(workspace) == nil { throw VaultError.workspaceNotFound(workspace) }
            // A row names a data-key version the workspace does not have: altered data.
            logger.warning("data key version not found", metadata: ["workspace": "\(workspace)", "dek_version": "\(version)"])
            throw VaultError.authenticationFailed
        }
        // The record must be the one asked for; the wrap's AAD binds workspace and version too.
        guard record.workspace == workspace else { throw VaultError.authenticationFailed }
        try await checkNotRetired(workspace: workspace, version: version)
        let provider = try await unwrappingProvider(for: record)
        let key = try await Self.mappingCrypto {
            let dek = try await provider.unwrap(record.wrapped, workspace: record.wrapBinding, dataKeyVersion: version)
            return try EnvelopeKey(dek, id: version)
        }
        // Opening a data key with the current KEK proves it is the store's (see KEKCheck).
        if !kekCheck.isProven, try await Self.mappingCrypto({ try await kek.keyID() }) == record.wrapped.kekID { kekCheck.markProven() }
        logger.debug("unwrapped data key", metadata: ["workspace": "\(workspace)", "dek_version": "\(version)", "kek": "\(record.wrapped.kekID)"])
        return key
    }

    // MARK: Workspaces

    func createWorkspace(_ id: String) async throws -> WorkspaceInfo {
        try Self.validateWorkspace(id)
        try await kekCheck.prove(workspace: nil)
        let version: UInt32 = 1
        let generation = try await Self.mappingCrypto { try RandomToken.hex(byteCount: 16) }
        let binding = DataKeyRecord.wrapBinding(workspace: id, keyGeneration: generation)
        // The provider makes the key: a KMS draws it from its own generator in the same call.
        let (wrapped, prepared) = try await Self.mappingCrypto {
            let (dek, wrapped) = try await kek.generateDataKey(workspace: binding, dataKeyVersion: version)
            return (wrapped, try EnvelopeKey(dek, id: version))
        }
        let now = configuration.now()
        let record = WorkspaceRecord(id: id, createdAt: now, primaryDataKeyVersion: version, keyGeneration: generation)
        try await store.createWorkspace(record, firstDataKey: DataKeyRecord(workspace: id, version: version, wrapped: wrapped, createdAt: now))
        cache.insert(workspace: id, version: version, key: prepared)
        cache.setPrimaryVersion(version, of: id)
        logger.info("created workspace", metadata: ["workspace": "\(id)", "dek_version": "\(version)", "kek": "\(wrapped.kekID)"])
        return WorkspaceInfo(
            id: id, createdAt: now, primaryDataKeyVersion: version,
            dataKeys: [DataKeyInfo(version: version, createdAt: now, kekID: wrapped.kekID)], secretCount: 0)
    }

    func workspaceInfo(_ id: String) async throws -> WorkspaceInfo {
        try Self.validateWorkspace(id)
        guard let record = try await store.workspace(id) else { throw VaultError.workspaceNotFound(id) }
        let keys = try await store.dataKeys(workspace: id)
        let secrets = try await store.listSecrets(workspace: id)
        return WorkspaceInfo(
            id: record.id, createdAt: record.createdAt, primaryDataKeyVersion: record.primaryDataKeyVersion,
            dataKeys: keys.map { DataKeyInfo(version: $0.version, createdAt: $0.createdAt, kekID: $0.wrapped.kekID) },
            secretCount: secrets.filter { $0.liveVersionCount > 0 }.count)
    }

    /// Throws ``VaultError/workspaceNotFound(_:)`` when `id` does not exist,
    /// ``VaultError/workspaceDeleted(_:)`` or ``VaultError/workspaceShredded(_:)`` when it
    /// cannot be used. Always asks the store: it runs only where an answer came back empty.
    func requireWorkspace(_ id: String) async throws {
        guard let record = try await store.workspace(id) else { throw VaultError.workspaceNotFound(id) }
        if record.shreddedAt != nil { throw VaultError.workspaceShredded(id) }
        if record.deletedAt != nil { throw VaultError.workspaceDeleted(id) }
        cache.setPrimaryVersion(record.primaryDataKeyVersion, of: id)
    }

    // MARK: Validation

    static func validateWorkspace(_ id: String) throws {
        if let problem = NameRules.problem(withWorkspace: id) { throw VaultError.invalidName(problem) }
    }

    static func validateSecretName(_ name: String) throws {
        if let problem = NameRules.problem(withSecretName: name) { throw VaultError.invalidName(problem) }
    }
}
