import CofferCrypto
import Logging
import Synchronization

/// Proves that a vault's configured KEK is the store's before anything is wrapped with it, so
/// that a wrong but well-formed KEK can never commit a data key or audit key the right KEK
/// cannot open (a `rotate`, `workspace create` or automatic rotation with the wrong KEK would
/// otherwise brick the workspace for everyone holding the right one). Every other operation
/// that changes the store (delete, undelete, shred, purge, policy, retire) proves it too: with
/// a wrong KEK the audit log cannot be extended, so the change would go unrecorded. (`put`
/// and re-encryption unwrap the data key before they write, which is the proof.)
///
/// The proof opens an existing wrapped key: one of the workspace's data keys, an audit key, or
/// (fleet-wide, when the store can say) any data key wrapped under a configured KEK id. The
/// configuration is accepted when
/// - the current KEK opens one of the keys recorded under its id, or
/// - it wraps no stored key yet, another configured KEK (``VaultCore/previousKEKs``, or the new
///   KEK of a KEK rotation) opens one of its keys, and every KEK id the store records is
///   configured: an unfinished KEK rotation towards the current KEK;
/// - the store holds no wrapped key at all: the first KEK wins (not cached, so the next
///   operation proves again against the key this one wrote).
///
/// Otherwise nothing is written: ``VaultError/wrongKEK(configured:stored:)`` when no stored
/// key is under a configured KEK id, ``VaultError/authenticationFailed`` when keys recorded
/// under a configured id do not open (altered rows).
///
/// A success is cached for the life of the vault (its KEKs never change), and unwrapping a
/// data key with the current KEK on the read or write path counts as a proof
/// (``markProven()``), so the hot path pays nothing.
final class KEKCheck: Sendable {
    // Sendable without @unchecked: `let`s of Sendable types and an Atomic.
    private let store: any SecretStore
    private let kek: any KeyEncryptionKeyProvider
    private let previousKEKs: [any KeyEncryptionKeyProvider]
    private let logger: Logger
    private let proven = Atomic<Bool>(false)

    /// Keys tried per proof before giving up on the ones recorded under a configured id.
    static let maxAttempts = 4

    init(store: any SecretStore, kek: any KeyEncryptionKeyProvider, previousKEKs: [any KeyEncryptionKeyProvider], logger: Logger) {
        self.store = store
        self.kek = kek
        self.previousKEKs = previousKEKs
        self.logger = logger
    }

    /// Whether the configuration was proven (for tests).
    var isProven: Bool { proven.load(ordering: .acquiring) }

    /// Records that the current KEK opened a stored key (the data-key cache did it anyway).
    func markProven() {
        proven.store(true, ordering: .releasing)
    }

    /// A wrapped key of the store and what it is bound to.
    private struct StoredKey {
        var wrapped: WrappedDataKey
        var binding: String
        var version: UInt32
    }

    /// Proves the configuration (see the type's documentation) or throws; a no-op once proven.
    /// - Parameters:
    ///   - workspace: the workspace the operation concerns, whose data keys are tried first
    ///     (readable by every store role, e.g. a PostgreSQL application role bound to it).
    ///   - extra: further KEKs the operation holds (the new KEK of a KEK rotation); a proof
    ///     that needs them is not cached.
    func prove(workspace: String?, also extra: [any KeyEncryptionKeyProvider] = []) async throws {
        if isProven { return }
        var configured: [(id: KEKIdentifier, provider: any KeyEncryptionKeyProvider)] = []
        for provider in [kek] + previousKEKs + extra {
            let id = try await VaultCore.mappingCrypto { try await provider.keyID() }
            if !configured.contains(where: { $0.id == id }) { configured.append((id, provider)) }
        }
        let currentID = configured[0].id
        let baseIDs = Set(configured.prefix(1 + previousKEKs.count).map(\.id))
        var storedIDs = Set<KEKIdentifier>()
        var opened = Set<KEKIdentifier>()
        var attempts = 0
        var failed = false

        func attempt(_ keys: [StoredKey]) async throws {
            for key in keys {
                storedIDs.insert(key.wrapped.kekID)
                guard attempts < Self.maxAttempts, !opened.contains(key.wrapped.kekID),
                      let provider = configured.first(where: { $0.id == key.wrapped.kekID })?.provider
                else { continue }
                attempts += 1
                do {
                    _ = try await provider.unwrap(key.wrapped, workspace: key.binding, dataKeyVersion: key.version)
                    opened.insert(key.wrapped.kekID)
                } catch CofferCryptoError.authenticationFailed, CofferCryptoError.malformedHeader(_) {
                    failed = true
                } catch let error as CofferCryptoError {
                    throw VaultError(error)
                }
            }
        }

        if let workspace {
            try await attempt(try await store.dataKeys(workspace: workspace).map {
                StoredKey(wrapped: $0.wrapped, binding: $0.wrapBinding, version: $0.version)
            })
        }
        if !opened.contains(currentID), let lifecycle = store as? any LifecycleSecretStore {
            try await attempt(try await lifecycle.auditKeys().map {
                StoredKey(wrapped: $0.wrapped, binding: AuditKeyring.binding, version: $0.version)
            })
        }
        if !opened.contains(currentID), let rotating = store as? any RotatingSecretStore {
            // Fleet-wide: needs a role that sees every workspace (a PostgreSQL application role
            // alone does not); without it the proof rests on the workspace's and audit keys.
            if let counts = try? await rotating.dataKeyCountByKEK() {
                storedIDs.formUnion(counts.filter { $0.value > 0 }.keys)
            }
            for (id, _) in configured where storedIDs.contains(id) && !opened.contains(id) {
                if opened.contains(currentID) { break }
                if let keys = try? await rotating.dataKeys(wrappedBy: id, limit: Self.maxAttempts) {
                    try await attempt(keys.map { StoredKey(wrapped: $0.wrapped, binding: $0.wrapBinding, version: $0.version) })
                }
            }
        }

        let unconfigured = storedIDs.subtracting(configured.map(\.id))
        let rotationTowardsCurrent = !storedIDs.contains(currentID) && !opened.isEmpty && unconfigured.isEmpty
        if opened.contains(currentID) || rotationTowardsCurrent {
            // Cached only when the vault's own KEKs suffice (not the new KEK of a KEK rotation).
            let withoutExtra = opened.contains(currentID)
                || (!opened.isDisjoint(with: baseIDs) && storedIDs.isSubset(of: baseIDs))
            if withoutExtra { markProven() }
            if !opened.contains(currentID) {
                logger.info("the current KEK wraps no stored key yet; accepted because configured KEKs open the store's keys (unfinished KEK rotation)", metadata: [
                    "kek": "\(currentID)", "opened_by": "\(opened.map(\.description).sorted())",
                ])
            }
            return
        }
        if failed {
            logger.warning("keys recorded under a configured KEK do not open with it", metadata: ["kek": "\(currentID)"])
            throw VaultError.authenticationFailed
        }
        if storedIDs.isEmpty {
            logger.debug("the store holds no wrapped key yet: the configured KEK will be the store's", metadata: ["kek": "\(currentID)"])
            return
        }
        let stored = storedIDs.sorted { $0.description < $1.description }
        logger.notice("refusing to write with a KEK that is not the store's", metadata: [
            "kek": "\(currentID)", "store_keks": "\(stored.map(\.description))",
        ])
        throw VaultError.wrongKEK(configured: currentID, stored: stored)
    }
}
