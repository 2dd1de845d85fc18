import ServiceLifecycle

/// Closes the store (PostgreSQL connection pools) on graceful shutdown. First in the
/// application's `ServiceGroup`, so it shuts down last: after the HTTP server has finished its
/// requests and `VaultService` has committed the buffered audit records.
struct StoreCloser: Service {
    var close: @Sendable () async -> Void

    func run() async throws {
        // Returns on graceful shutdown; throws CancellationError when the group is cancelled.
        try? await gracefulShutdown()
        await close()
    }
}
