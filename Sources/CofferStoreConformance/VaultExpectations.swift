public import Coffer
import CofferCrypto
import Foundation
import Synchronization
public import Testing

/// Vault-level expectations that the SQLite and the PostgreSQL test suites share: each runs
/// the same scenario against its own store and reports failures with Swift Testing, in the
/// test that calls it.
public enum VaultExpectations {
    /// Expects `body` to fail with ``VaultError/wrongKEK`` (and records an issue otherwise).
    public static func expectWrongKEK(
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("expected wrongKEK, got success", sourceLocation: sourceLocation)
        } catch let error as VaultError {
            if case .wrongKEK = error { return }
            Issue.record("expected wrongKEK, got \(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected wrongKEK, got \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Runs `verifyAudit()` on `verifier` `rounds` times while each of `writers` (vaults on
    /// other store instances over the same database) keeps writing to `workspace`, and expects
    /// no false alarm, at least `minimumHeads` distinct heads seen (the writers really appended
    /// while verification ran).
    ///
    /// `write(scope, writer, iteration)` is one writer's step; a round starts only after more
    /// writes, and each writer yields after each step, so the verifier and the writers take turns
    /// even where store calls never suspend (SQLite).
    public static func expectAuditVerifiesWhileWriting(
        writers: [Vault], verifier: Vault, workspace: String, rounds: Int, minimumHeads: Int,
        sourceLocation: SourceLocation = #_sourceLocation,
        write: @escaping @Sendable (_ scope: WorkspaceScope, _ writer: Int, _ iteration: Int) async throws -> Void
    ) async throws {
        final class Shared: Sendable {
            let done = Atomic(false)
            let writes = Atomic(0)
            let alarms = PosixMutex<[String]>([])
            let heads = PosixMutex<Set<UInt64>>([])
        }
        let shared = Shared()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (w, writer) in writers.enumerated() {
                group.addTask {
                    let scope = try writer.workspace(workspace)
                    var i = 0
                    while !shared.done.load(ordering: .relaxed) {
                        try await write(scope, w, i)
                        i += 1
                        shared.writes.add(1, ordering: .relaxed)
                        await Task.yield()
                    }
                }
            }
            group.addTask {
                defer { shared.done.store(true, ordering: .relaxed) }
                var seen = 0
                for _ in 0..<rounds {
                    // Each round starts after more writes (other tasks must get to run).
                    while shared.writes.load(ordering: .relaxed) <= seen { try await Task.sleep(for: .milliseconds(1)) }
                    seen = shared.writes.load(ordering: .relaxed)
                    let result = try await verifier.verifyAudit()
                    shared.heads.withLock { _ = $0.insert(result.head.sequence) }
                    if let broken = result.firstBroken { shared.alarms.withLock { $0.append(broken.reason) } }
                }
            }
            try await group.waitForAll()
        }
        #expect(shared.alarms.withLock { $0 } == [], "false alarms on a healthy store", sourceLocation: sourceLocation)
        #expect(shared.heads.withLock { $0.count } >= minimumHeads, "the writers must append while verification runs",
                sourceLocation: sourceLocation)
    }
}
