import Coffer
import Logging
import ServiceLifecycle

/// The vault's place in the application's `ServiceGroup`: it keeps the store open while the
/// group runs and, on graceful shutdown (after the HTTP server, which the group shuts down
/// first, has finished its requests), commits the buffered audit records and closes the store
/// (PostgreSQL pools).
///
/// The one seam between the broker and the vault's lifecycle: replaced by `CofferService`'s
/// `VaultService` once that product exists.
struct VaultHost: Service {
    var vault: Vault
    var close: @Sendable () async -> Void
    var logger: Logger

    func run() async throws {
        // Returns on graceful shutdown; throws CancellationError when the group is cancelled.
        try? await gracefulShutdown()
        do {
            try await vault.flushAudit()
        } catch {
            logger.error("could not commit the buffered audit records at shutdown", metadata: ["error": "\(error)"])
        }
        await close()
    }
}
