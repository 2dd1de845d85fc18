import CofferCrypto
import Foundation
import Logging

/// The write path's side of ``EncryptionLeases``.
extension VaultCore {
    /// Runs one store put (`put`) with its encryption counted the cheapest safe way: from a
    /// lease this vault holds (the store counts nothing), as a new block (the store counts it
    /// all, the vault keeps the rest), or on its own. A block that does not fit under the
    /// key's limit is retried as a single count before the caller sees
    /// ``VaultError/dataKeyExhausted(workspace:version:)`` (then it rotates). A leased
    /// encryption whose put failed before `seal` ran goes back to the lease.
    func countingEncryption<Stored>(
        _ request: PutSecretRequest, seal: @escaping @Sendable (UInt32) throws -> [UInt8],
        put: (PutSecretRequest, @escaping @Sendable (UInt32) throws -> [UInt8]) async throws -> Stored
    ) async throws -> Stored {
        let ws = request.workspace
        let version = request.dataKeyVersion
        var request = request
        request.encryptionsToCount = leases.take(workspace: ws, dataKeyVersion: version, limit: request.dataKeyEncryptionLimit)
        // Only a put from the lease needs to know whether `seal` ran (to give it back).
        let sealed: PosixMutex<Bool>? = request.encryptionsToCount == 0 ? PosixMutex(false) : nil
        var tracked = seal
        if let sealed {
            tracked = { number in
                sealed.withLock { $0 = true }
                return try seal(number)
            }
        }
        do {
            let info = try await put(request, tracked)
            leases.committed(workspace: ws, dataKeyVersion: version, counted: request.encryptionsToCount)
            return info
        } catch VaultError.dataKeyExhausted(let w, let v) where w == ws && v == version && request.encryptionsToCount > 1 {
            // The block did not fit: this key is near its limit; count this put alone.
            leases.markNearLimit(workspace: ws, dataKeyVersion: version)
            request.encryptionsToCount = 1
            return try await put(request, seal)
        } catch {
            if let sealed, !sealed.withLock({ $0 }) {
                leases.unused(workspace: ws, dataKeyVersion: version)
            }
            throw error
        }
    }

    /// Returns unused leased encryptions to the store: all of them (see
    /// ``Vault/releaseEncryptionLeases()``), or those of `workspace` below data-key version
    /// `version` (after a rotation, so the old key's count is exact before it is retired). A
    /// failure leaves that lease counted and is logged.
    @discardableResult
    func releaseEncryptionLeases(workspace: String? = nil, below version: UInt32 = .max) async -> UInt64 {
        var returned: UInt64 = 0
        for (key, count) in leases.drain(workspace: workspace, below: version) {
            do {
                try await store.releaseEncryptions(workspace: key.workspace, dataKeyVersion: key.dataKeyVersion, count: count)
                returned += count
            } catch {
                logger.warning("could not return leased encryptions; they stay counted", metadata: [
                    "workspace": "\(key.workspace)", "dek_version": "\(key.dataKeyVersion)", "count": "\(count)",
                    "error": "\(error)",
                ])
            }
        }
        return returned
    }
}
