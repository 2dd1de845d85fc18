public import CofferCrypto
import Foundation
import Logging

/// The secrets of one workspace. Obtained from ``Vault/workspace(_:actor:)``.
///
/// Isolation by construction: a scope holds only its own ``id`` and an internal reference to
/// the vault's engine; every store call it makes passes `id`, and no method takes another
/// workspace id or exposes the store. Every value is also sealed with its workspace, name and
/// version as AES-GCM associated data, so a row copied or moved between workspaces, secrets or
/// versions in the store fails with ``VaultError/authenticationFailed`` instead of opening.
///
/// The raw-bytes API (``put(_:value:metadata:expectedVersion:)``, ``get(_:version:)``) keeps
/// values in wiped memory (`SecretBytes`). The typed API (OAuth tokens, cloud credentials,
/// webhook secrets) works with Swift `String`s, which cannot be wiped.
public struct WorkspaceScope: Sendable {
    /// The workspace this scope reads and writes.
    public let id: String
    /// The identity recorded as the actor of this scope's operations in the audit log.
    public let actor: String
    let core: VaultCore

    init(id: String, actor: String, core: VaultCore) {
        self.id = id
        self.actor = actor
        self.core = core
    }

    private var store: any SecretStore { core.store }
    private var configuration: VaultConfiguration { core.configuration }

    // MARK: Raw values

    /// Writes a new version of secret `name`, sealed under the workspace's primary data key.
    ///
    /// - Parameters:
    ///   - name: the secret's name, checked against ``NameRules`` (else
    ///     ``VaultError/invalidName(_:)``, nothing written).
    ///   - value: 1 byte to ``VaultConfiguration/maxValueBytes`` (default 1 MiB). When
    ///     `metadata.kind` is not ``SecretKind/raw``, the JSON form of that kind (see
    ///     ``OAuthTokenSet``, ``CloudCredentials``, ``WebhookSecret``): it is validated and
    ///     stored as canonical JSON, `contentType` becomes `application/json` and
    ///     `metadata.expiresAt`, when nil, is taken from the credential.
    ///   - metadata: stored in the clear with the version (never put a secret in a label);
    ///     `metadata.kind` decides how `value` is validated. Default: ``SecretKind/raw``, no
    ///     labels, no expiry.
    ///   - expectedVersion: check-and-set: nil writes unconditionally, 0 requires that the
    ///     secret does not exist, N requires that the current version is N.
    /// - Returns: the new version's info (its number is assigned by the store).
    /// - Throws: ``VaultError/invalidName(_:)``, ``VaultError/emptyValue``,
    ///   ``VaultError/valueTooLarge(limit:)``, ``VaultError/invalidValue(_:)``,
    ///   ``VaultError/workspaceNotFound(_:)``,
    ///   ``VaultError/checkAndSetConflict(workspace:name:expected:actual:)``.
    @discardableResult
    public func put(_ name: String, value: SecretBytes, metadata: SecretMetadata = .init(), expectedVersion: UInt32? = nil) async throws -> SecretVersionInfo {
        // When the store wrote the record in the put's own transaction, only a failure is
        // recorded here; otherwise the record follows in a (group-committed) transaction.
        let inline = core.inlineAudit
        let start = core.metrics.start()
        do {
            let put = try await core.audited(.put, actor: actor, workspace: id, name: name, recordSuccess: { !$0.audited }) {
                try await putUnaudited(name, value: value, metadata: metadata, expectedVersion: expectedVersion, inline: inline)
            } describe: { put in (put.info.version, Self.putDetail(put.info)) }
            core.metrics.operation(.put, workspace: id).finish(start, succeeded: true)
            return put.info
        } catch {
            core.metrics.operation(.put, workspace: id).finish(start, succeeded: false)
            throw error
        }
    }

    /// The audit detail of a put.
    static func putDetail(_ info: SecretVersionInfo) -> String { "data key \(info.dataKeyVersion)" }

    /// Validates a value for secret `name` and brings it to its stored form: typed kinds
    /// become canonical JSON with `contentType` `application/json` and their expiry.
    func prepared(_ name: String, value: SecretBytes, metadata: SecretMetadata) throws -> (value: SecretBytes, metadata: SecretMetadata) {
        try VaultCore.validateSecretName(name)
        let limit = configuration.maxValueBytes
        guard value.count > 0 else { throw VaultError.emptyValue }
        guard value.count <= limit else { throw VaultError.valueTooLarge(limit: limit) }
        var metadata = metadata
        var plaintext = value
        if metadata.kind != .raw {
            let canonical = try CredentialCodec.canonicalize(value, kind: metadata.kind, now: configuration.now())
            guard canonical.value.count <= limit else { throw VaultError.valueTooLarge(limit: limit) }
            plaintext = canonical.value
            metadata.contentType = "application/json"
            if metadata.expiresAt == nil { metadata.expiresAt = canonical.expiresAt }
        }
        if let expiresAt = metadata.expiresAt, !StoredTime.contains(expiresAt) {
            throw VaultError.invalidValue("the expiry must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z")
        }
        return (plaintext, metadata)
    }

    private func putUnaudited(
        _ name: String, value: SecretBytes, metadata: SecretMetadata, expectedVersion: UInt32?, inline: (any InlineAuditingStore)? = nil
    ) async throws -> InlineAuditedPut {
        let (sealedValue, metadata) = try prepared(name, value: value, metadata: metadata)
        let workspace = id
        let actor = self.actor
        let now = core.configuration.now
        // Under the primary data key; rotates first when the rotation policy says so.
        let put = try await core.sealingUnderPrimary(workspace: id) { dataKeyVersion, encryptionLimit in
            let key = try await core.dataKey(workspace: workspace, version: dataKeyVersion)
            // The audit key for a put that records itself (after the data key, so that a wrong
            // KEK fails as an authentication failure, like a read).
            var auditKey: (version: UInt32, key: KeyedHash)?
            if let inline, let keyring = core.auditKeyring { auditKey = try await keyring.current(inline) }
            let request = PutSecretRequest(
                workspace: workspace, name: name, expectedCurrentVersion: expectedVersion, metadata: metadata,
                dataKeyVersion: dataKeyVersion, maxVersions: max(1, configuration.maxVersionsPerSecret),
                now: configuration.now(), dataKeyEncryptionLimit: encryptionLimit)
            let seal: @Sendable (UInt32) throws -> [UInt8] = { version in
                try VaultCore.seal(sealedValue, with: key, workspace: workspace, name: name, version: version)
            }
            // Counted one by one, in a leased block or from a lease (EncryptionLeases).
            return try await core.countingEncryption(request, seal: seal) { request, seal in
                guard let inline, let (keyVersion, macKey) = auditKey else {
                    return InlineAuditedPut(info: try await store.putSecretVersion(request, seal: seal), audited: false)
                }
                return try await inline.putSecretVersion(request, seal: seal) { info, head in
                    let event = AuditEvent(
                        time: now(), actor: actor, action: .put, outcome: .success, workspace: workspace, name: name,
                        version: info.version, detail: Self.putDetail(info))
                    return try AuditChain.link([event], after: head, key: macKey, keyVersion: keyVersion)
                }
            }
        }
        core.logger.debug("put secret version", metadata: [
            "workspace": "\(id)", "name": "\(name)", "version": "\(put.info.version)", "dek_version": "\(put.info.dataKeyVersion)",
        ])
        return put
    }

    /// Reads and opens a version of secret `name` (nil: the current, highest kept version,
    /// even when that one is soft-deleted).
    /// - Throws: ``VaultError/secretNotFound(workspace:name:)``,
    ///   ``VaultError/versionNotFound(workspace:name:version:)``,
    ///   ``VaultError/versionDeleted(workspace:name:version:)``,
    ///   ``VaultError/workspaceNotFound(_:)``, ``VaultError/authenticationFailed`` (wrong KEK,
    ///   or a tampered, moved or swapped row), ``VaultError/keyUnavailable(_:)``.
    public func get(_ name: String, version: UInt32? = nil) async throws -> Secret {
        let start = core.metrics.start()
        do {
            let secret = try await core.audited(.get, actor: actor, workspace: id, name: name, version: version, read: true) {
                try await getUnaudited(name, version: version)
            } describe: { secret in (secret.info.version, nil) }
            core.metrics.operation(.get, workspace: id).finish(start, succeeded: true)
            return secret
        } catch {
            core.metrics.operation(.get, workspace: id).finish(start, succeeded: false)
            throw error
        }
    }

    func getUnaudited(_ name: String, version: UInt32?) async throws -> Secret {
        try VaultCore.validateSecretName(name)
        guard let stored = try await store.secretVersion(workspace: id, name: name, version: version) else {
            throw try await notFound(name, version: version)
        }
        let info = stored.info
        // The store must answer for exactly what was asked; the AAD below enforces it anyway.
        guard info.workspace == id, info.name == name, version == nil || version == info.version else {
            throw VaultError.authenticationFailed
        }
        if info.deletedAt != nil { throw VaultError.versionDeleted(workspace: id, name: name, version: info.version) }
        // The header's key id must be the row's data-key version; the header is in the AAD.
        guard let header = try? CiphertextHeader(parsing: stored.ciphertext), header.keyID == info.dataKeyVersion else {
            throw VaultError.authenticationFailed
        }
        let key = try await core.dataKey(workspace: id, version: info.dataKeyVersion)
        let value: SecretBytes
        do {
            value = try key.open(stored.ciphertext, context: .secret(workspace: id, name: name, version: info.version))
        } catch {
            core.logger.warning("secret version failed authentication", metadata: [
                "workspace": "\(id)", "name": "\(name)", "version": "\(info.version)", "dek_version": "\(info.dataKeyVersion)",
            ])
            throw VaultError.authenticationFailed
        }
        return Secret(info: info, value: value)
    }

    /// Every secret of the workspace with at least one kept version, ordered by name. Never
    /// includes values.
    /// - Throws: ``VaultError/workspaceNotFound(_:)``.
    public func list() async throws -> [SecretSummary] {
        try await core.audited(.list, actor: actor, workspace: id, read: true) {
            let secrets = try await store.listSecrets(workspace: id)
            if secrets.isEmpty { try await core.requireWorkspace(id) }
            return secrets
        } describe: { secrets in (nil, "\(secrets.count) secrets") }
    }

    /// Every kept version of secret `name` (live and soft-deleted), oldest first.
    /// - Throws: ``VaultError/secretNotFound(workspace:name:)``, ``VaultError/workspaceNotFound(_:)``.
    public func history(_ name: String) async throws -> [SecretVersionInfo] {
        try await core.audited(.history, actor: actor, workspace: id, name: name, read: true) {
            try VaultCore.validateSecretName(name)
            let versions = try await store.history(workspace: id, name: name)
            if versions.isEmpty {
                try await core.requireWorkspace(id)
                throw VaultError.secretNotFound(workspace: id, name: name)
            }
            return versions
        } describe: { versions in (nil, "\(versions.count) versions") }
    }

    /// Soft-deletes one version of secret `name`, or every kept version when `version` is nil.
    /// Deleted versions stay stored (and count against the version limit) until pruned, and
    /// can be restored with ``undelete(_:version:)``.
    /// - Returns: the versions that were live and are now deleted, ascending.
    /// - Throws: ``VaultError/secretNotFound(workspace:name:)``,
    ///   ``VaultError/versionNotFound(workspace:name:version:)``, ``VaultError/workspaceNotFound(_:)``.
    @discardableResult
    public func delete(_ name: String, version: UInt32? = nil) async throws -> [UInt32] {
        try await core.audited(.delete, actor: actor, workspace: id, name: name, version: version) {
            try await core.kekCheck.prove(workspace: id)
            let changed = try await setDeleted(name, version: version, deletedAt: configuration.now())
            core.logger.debug("deleted secret versions", metadata: ["workspace": "\(id)", "name": "\(name)", "versions": "\(changed)"])
            return changed
        } describe: { changed in (nil, "versions \(changed.map(String.init).joined(separator: ","))") }
    }

    /// Restores one soft-deleted version of secret `name`, or every deleted version when
    /// `version` is nil.
    /// - Returns: the versions that were deleted and are now live, ascending.
    /// - Throws: ``VaultError/secretNotFound(workspace:name:)``,
    ///   ``VaultError/versionNotFound(workspace:name:version:)``, ``VaultError/workspaceNotFound(_:)``.
    @discardableResult
    public func undelete(_ name: String, version: UInt32? = nil) async throws -> [UInt32] {
        try await core.audited(.undelete, actor: actor, workspace: id, name: name, version: version) {
            try await core.kekCheck.prove(workspace: id)
            let restorable = try await restorableVersions(name, version: version)
            let changed = try await setDeleted(name, version: version, versions: restorable, deletedAt: nil)
            core.logger.debug("undeleted secret versions", metadata: ["workspace": "\(id)", "name": "\(name)", "versions": "\(changed)"])
            return changed
        } describe: { changed in (nil, "versions \(changed.map(String.init).joined(separator: ","))") }
    }

    /// The versions an undelete may restore: `version` (or every deleted version) when deleted
    /// within the grace period. Nil: let the store decide (a version that is live or missing).
    /// - Throws: ``VaultError/retentionExpired(workspace:name:version:)`` when the version (or
    ///   every deleted version) was deleted longer ago than the grace period.
    private func restorableVersions(_ name: String, version: UInt32?) async throws -> [UInt32]? {
        try VaultCore.validateSecretName(name)
        let deleted = try await store.history(workspace: id, name: name).filter { $0.deletedAt != nil }
        let expired = deleted.filter { core.pastGrace($0.deletedAt!) }.map(\.version)
        if let version {
            if expired.contains(version) { throw VaultError.retentionExpired(workspace: id, name: name, version: version) }
            return nil
        }
        if expired.isEmpty { return nil }
        let restorable = deleted.map(\.version).filter { !expired.contains($0) }
        if restorable.isEmpty { throw VaultError.retentionExpired(workspace: id, name: name, version: expired.max()!) }
        return restorable
    }

    private func setDeleted(_ name: String, version: UInt32?, versions: [UInt32]? = nil, deletedAt: Date?) async throws -> [UInt32] {
        try VaultCore.validateSecretName(name)
        do {
            return try await store.setDeleted(workspace: id, name: name, versions: versions ?? version.map { [$0] }, deletedAt: deletedAt)
        } catch VaultError.secretNotFound(let workspace, let secretName) {
            try await core.requireWorkspace(id)
            throw VaultError.secretNotFound(workspace: workspace, name: secretName)
        }
    }

    /// The most precise "not there" error for a read that found no row.
    private func notFound(_ name: String, version: UInt32?) async throws -> VaultError {
        try await core.requireWorkspace(id)
        if let version, !(try await store.history(workspace: id, name: name)).isEmpty {
            return VaultError.versionNotFound(workspace: id, name: name, version: version)
        }
        return VaultError.secretNotFound(workspace: id, name: name)
    }

    // MARK: Typed credentials

    /// Writes an OAuth token set as a new version (kind ``SecretKind/oauthToken``); its expiry
    /// becomes the version's `metadata.expiresAt`. Same rules as ``put(_:value:metadata:expectedVersion:)``.
    @discardableResult
    public func putOAuthToken(_ name: String, _ token: OAuthTokenSet, labels: [String: String] = [:], expectedVersion: UInt32? = nil) async throws -> SecretVersionInfo {
        try await putTyped(name, token, kind: .oauthToken, labels: labels, expectedVersion: expectedVersion)
    }

    /// Reads an OAuth token set (nil version: the current one).
    /// - Throws: the errors of ``get(_:version:)``; ``VaultError/invalidValue(_:)`` when the
    ///   secret is of another kind.
    public func oauthToken(_ name: String, version: UInt32? = nil) async throws -> (token: OAuthTokenSet, info: SecretVersionInfo) {
        let (token, info) = try await getTyped(name, version: version, as: OAuthTokenSet.self, kind: .oauthToken)
        return (token, info)
    }

    /// Refreshes an OAuth token set safely under concurrency: reads the current version, calls
    /// `refresh` with it, and writes the result with check-and-set on the version read (keeping
    /// its labels). When another writer got there first, it starts again from the newer
    /// version, up to `maxAttempts` times in all, so every stored version holds one consistent
    /// access/refresh pair produced by one refresh of its predecessor, and no refresh is lost.
    ///
    /// A refresh whose write lost the race is discarded; with single-use refresh tokens the
    /// provider may then have revoked the stored refresh token, so serialise refreshes of one
    /// token where that matters.
    /// - Throws: ``VaultError/checkAndSetConflict(workspace:name:expected:actual:)`` after
    ///   `maxAttempts` lost races; errors of `refresh` and of ``oauthToken(_:version:)`` as they are.
    @discardableResult
    public func refreshOAuthToken(
        _ name: String, maxAttempts: Int = 5, _ refresh: @Sendable (OAuthTokenSet) async throws -> OAuthTokenSet
    ) async throws -> SecretVersionInfo {
        let attempts = max(1, maxAttempts)
        var attempt = 0
        while true {
            attempt += 1
            let (current, info) = try await oauthToken(name)
            let next = try await refresh(current)
            do {
                return try await putOAuthToken(name, next, labels: info.metadata.labels, expectedVersion: info.version)
            } catch let error as VaultError {
                guard case .checkAndSetConflict = error, attempt < attempts else { throw error }
                core.logger.debug("oauth refresh lost a check-and-set race; retrying", metadata: [
                    "workspace": "\(id)", "name": "\(name)", "version": "\(info.version)", "attempt": "\(attempt)",
                ])
            }
        }
    }

    /// Writes cloud credentials as a new version (kind ``SecretKind/cloudCredentials``); their
    /// expiry becomes `metadata.expiresAt`. Same rules as ``put(_:value:metadata:expectedVersion:)``.
    @discardableResult
    public func putCloudCredentials(_ name: String, _ credentials: CloudCredentials, labels: [String: String] = [:], expectedVersion: UInt32? = nil) async throws -> SecretVersionInfo {
        try await putTyped(name, credentials, kind: .cloudCredentials, labels: labels, expectedVersion: expectedVersion)
    }

    /// Reads cloud credentials (nil version: the current one).
    /// - Throws: the errors of ``get(_:version:)``; ``VaultError/invalidValue(_:)`` when the
    ///   secret is of another kind.
    public func cloudCredentials(_ name: String, version: UInt32? = nil) async throws -> (credentials: CloudCredentials, info: SecretVersionInfo) {
        let (credentials, info) = try await getTyped(name, version: version, as: CloudCredentials.self, kind: .cloudCredentials)
        return (credentials, info)
    }

    /// Writes a webhook signing secret as a new version (kind ``SecretKind/webhookSecret``).
    /// Same rules as ``put(_:value:metadata:expectedVersion:)``.
    @discardableResult
    public func putWebhookSecret(_ name: String, _ secret: WebhookSecret, labels: [String: String] = [:], expectedVersion: UInt32? = nil) async throws -> SecretVersionInfo {
        try await putTyped(name, secret, kind: .webhookSecret, labels: labels, expectedVersion: expectedVersion)
    }

    /// Reads a webhook signing secret (nil version: the current one).
    /// - Throws: the errors of ``get(_:version:)``; ``VaultError/invalidValue(_:)`` when the
    ///   secret is of another kind.
    public func webhookSecret(_ name: String, version: UInt32? = nil) async throws -> (secret: WebhookSecret, info: SecretVersionInfo) {
        let (secret, info) = try await getTyped(name, version: version, as: WebhookSecret.self, kind: .webhookSecret)
        return (secret, info)
    }

    private func putTyped<T: Encodable>(
        _ name: String, _ credential: T, kind: SecretKind, labels: [String: String], expectedVersion: UInt32?
    ) async throws -> SecretVersionInfo {
        try VaultCore.validateSecretName(name)
        let value = try CredentialCodec.encode(credential)
        return try await put(name, value: value, metadata: SecretMetadata(kind: kind, labels: labels), expectedVersion: expectedVersion)
    }

    private func getTyped<T: Decodable>(_ name: String, version: UInt32?, as type: T.Type, kind: SecretKind) async throws -> (T, SecretVersionInfo) {
        let secret = try await get(name, version: version)
        guard secret.info.metadata.kind == kind else {
            throw VaultError.invalidValue(
                "secret '\(name)' version \(secret.info.version) holds a \(secret.info.metadata.kind.rawValue) value, not \(kind.rawValue)")
        }
        return (try CredentialCodec.decode(T.self, from: secret.value, kind: kind), secret.info)
    }
}
