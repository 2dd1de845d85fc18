/// How a re-encryption pass run by a scheduler (CofferService's `VaultService`) is paused and
/// stopped: between batches only, so the batch in progress is always committed whole.
package struct ReencryptionControl: Sendable {
    /// Asked before each batch and while waiting for the rate limit: true ends the pass early
    /// (the report then has `finished == false`; running the pass again resumes it).
    package var shouldStop: @Sendable () -> Bool
    /// Waits `duration` for the rate limit; may return early (e.g. on shutdown), the pass then
    /// asks ``shouldStop`` again. Default: `Task.sleep`.
    package var pause: @Sendable (Duration) async throws -> Void
    /// Called with the number of rows of a batch after they are re-sealed and before they are
    /// written (a test latch: lets a test act while a batch is in progress).
    package var batchWillCommit: (@Sendable (Int) async -> Void)?

    /// A control that stops when `shouldStop` says so.
    package init(
        shouldStop: @escaping @Sendable () -> Bool,
        pause: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        batchWillCommit: (@Sendable (Int) async -> Void)? = nil
    ) {
        self.shouldStop = shouldStop
        self.pause = pause
        self.batchWillCommit = batchWillCommit
    }
}
