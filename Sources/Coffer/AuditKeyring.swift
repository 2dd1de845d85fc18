import CofferCrypto
import Foundation

/// The audit MAC keys: random 32-byte keys wrapped under the KEK like data keys (binding: the
/// empty workspace string, which no workspace id can be, and the key version), kept in the
/// store's `audit_keys`. The first append creates version 1; KEK rotation re-wraps them.
final class AuditKeyring: Sendable {
    // Sendable without @unchecked: `let`s of Sendable types and a PosixMutex over Sendable values.
    private let kek: any KeyEncryptionKeyProvider
    private let previousKEKs: [any KeyEncryptionKeyProvider]
    /// Proves the KEK before the first audit key is wrapped with it.
    private let kekCheck: KEKCheck
    private let now: @Sendable () -> Date
    private let state = PosixMutex<[UInt32: KeyedHash]>([:])

    /// The wrap binding of audit keys.
    static let binding = ""

    init(
        kek: any KeyEncryptionKeyProvider, previousKEKs: [any KeyEncryptionKeyProvider], kekCheck: KEKCheck,
        now: @escaping @Sendable () -> Date
    ) {
        self.kek = kek
        self.previousKEKs = previousKEKs
        self.kekCheck = kekCheck
        self.now = now
    }

    /// The newest audit key (creating version 1 when there is none).
    func current(_ store: any LifecycleSecretStore) async throws -> (version: UInt32, key: KeyedHash) {
        if let newest = state.withLock({ keys in keys.max { $0.key < $1.key } }) { return (newest.key, newest.value) }
        var records = try await store.auditKeys()
        if records.isEmpty {
            try await kekCheck.prove(workspace: nil)
            let key = SymmetricKey.generate()
            let wrapped = try await VaultCore.mappingCrypto {
                try await kek.wrap(key, workspace: Self.binding, dataKeyVersion: 1)
            }
            if try await store.insertAuditKey(AuditKeyRecord(version: 1, wrapped: wrapped, createdAt: now())) {
                state.withLock { $0[1] = KeyedHash(key: key) }
                return (1, KeyedHash(key: key))
            }
            records = try await store.auditKeys()  // another process created it first
        }
        guard let newest = records.max(by: { $0.version < $1.version }) else {
            throw VaultError.storeCorrupted("the store lost the audit key it just reported")
        }
        return (newest.version, try await key(version: newest.version, in: records, store))
    }

    /// Audit key `version` if it is already unwrapped (no store access).
    func cachedKey(version: UInt32) -> KeyedHash? {
        state.withLock { $0[version] }
    }

    /// The key of `record`, unwrapped once.
    @discardableResult
    func key(for record: AuditKeyRecord) async throws -> KeyedHash {
        try await key(version: record.version, in: [record], nil)
    }

    private func key(version: UInt32, in records: [AuditKeyRecord], _ store: (any LifecycleSecretStore)?) async throws -> KeyedHash {
        if let key = state.withLock({ $0[version] }) { return key }
        guard let record = records.first(where: { $0.version == version }) else {
            throw VaultError.storeCorrupted("audit key version \(version) is missing")
        }
        let provider = try await provider(for: record, store)
        let key = try await VaultCore.mappingCrypto {
            KeyedHash(key: try await provider.unwrap(record.wrapped, workspace: Self.binding, dataKeyVersion: version))
        }
        state.withLock { $0[version] = key }
        return key
    }

    /// The configured KEK that wrapped `record`.
    /// - Throws: what ``VaultCore/kekNotConfigured(_:wanted:configured:store:logger:)`` says
    ///   when none did: a KEK missing from an unfinished rotation, or the wrong KEK.
    private func provider(for record: AuditKeyRecord, _ store: (any LifecycleSecretStore)?) async throws -> any KeyEncryptionKeyProvider {
        var configured: [KEKIdentifier] = []
        for provider in [kek] + previousKEKs {
            let id = try await VaultCore.mappingCrypto({ try await provider.keyID() })
            if id == record.wrapped.kekID { return provider }
            configured.append(id)
        }
        throw await VaultCore.kekNotConfigured(
            "audit key version \(record.version)", wanted: record.wrapped.kekID, configured: configured, store: store, logger: nil)
    }

    /// Re-wraps every audit key not wrapped by `newKEK` (part of KEK rotation).
    /// - Returns: how many were re-wrapped.
    func rewrap(to newKEK: any KeyEncryptionKeyProvider, newID: KEKIdentifier, providers: [KEKIdentifier: any KeyEncryptionKeyProvider], _ store: any LifecycleSecretStore) async throws -> Int {
        var count = 0
        for record in try await store.auditKeys() {
            if record.wrapped.kekID == newID {
                // Re-wrapped by an earlier, interrupted rotation: this vault's KEK may no longer
                // open it, the new one does.
                if state.withLock({ $0[record.version] }) == nil {
                    let key = try await VaultCore.mappingCrypto {
                        try await newKEK.unwrap(record.wrapped, workspace: Self.binding, dataKeyVersion: record.version)
                    }
                    state.withLock { $0[record.version] = KeyedHash(key: key) }
                }
                continue
            }
            guard let provider = providers[record.wrapped.kekID] else {
                throw VaultError.keyUnavailable(
                    "audit key version \(record.version) is wrapped by KEK \(record.wrapped.kekID), which is neither the new KEK nor a configured one; "
                        + "pass that KEK with --kek or --previous-kek and run the rotation again")
            }
            let (key, wrapped) = try await VaultCore.mappingCrypto {
                let key = try await provider.unwrap(record.wrapped, workspace: Self.binding, dataKeyVersion: record.version)
                return (key, try await newKEK.wrap(key, workspace: Self.binding, dataKeyVersion: record.version))
            }
            // Keep it: this vault may no longer have a KEK that unwraps the new wrapping.
            state.withLock { $0[record.version] = KeyedHash(key: key) }
            if try await store.rewrapAuditKey(version: record.version, expectedKEKID: record.wrapped.kekID, wrapped: wrapped) { count += 1 }
        }
        return count
    }
}
