import CofferCrypto
import Foundation
import Logging

/// Recording operations in the audit log.
extension VaultCore {
    /// The store as a ``LifecycleSecretStore``, or a clear error when it has no lifecycle support.
    func lifecycleStore() throws -> any LifecycleSecretStore {
        guard let lifecycle = store as? any LifecycleSecretStore else {
            throw VaultError.storeUnavailable(
                "this store (\(type(of: store))) does not support retention, shredding, audit or import (it is not a LifecycleSecretStore)")
        }
        return lifecycle
    }

    /// The audit outcome of a failed operation and a short, value-free detail (the error kind).
    static func auditOutcome(of error: any Error) -> (AuditOutcome, String) {
        guard let error = error as? VaultError else {
            if error is CancellationError { return (.error, "cancelled") }
            return (.error, "\(type(of: error))")
        }
        switch error {
        case .workspaceNotFound: return (.notFound, "workspace-not-found")
        case .secretNotFound: return (.notFound, "secret-not-found")
        case .versionNotFound: return (.notFound, "version-not-found")
        case .versionDeleted: return (.notFound, "version-deleted")
        case .dataKeyNotFound: return (.notFound, "data-key-not-found")
        case .authenticationFailed: return (.authenticationFailed, "authentication-failed")
        case .wrongKEK: return (.authenticationFailed, "wrong-kek")
        case .bundleAuthenticationFailed: return (.authenticationFailed, "bundle-authentication-failed")
        case .checkAndSetConflict(_, _, let expected, let actual): return (.conflict, "check-and-set expected \(expected) found \(actual)")
        case .dataKeyExhausted: return (.conflict, "data-key-exhausted")
        case .dataKeyInUse: return (.conflict, "data-key-in-use")
        case .workspaceExists: return (.conflict, "workspace-exists")
        case .workspaceDeleted: return (.denied, "workspace-deleted")
        case .workspaceShredded: return (.denied, "workspace-shredded")
        case .retentionExpired: return (.denied, "retention-expired")
        case .invalidName: return (.invalid, "invalid-name")
        case .emptyValue: return (.invalid, "empty-value")
        case .valueTooLarge: return (.invalid, "value-too-large")
        case .invalidValue: return (.invalid, "invalid-value")
        case .invalidImport: return (.invalid, "invalid-import")
        case .keyUnavailable: return (.error, "key-unavailable")
        case .storeUnavailable: return (.error, "store-unavailable")
        case .kekServiceUnavailable: return (.error, "kek-service-unavailable")
        case .storeCorrupted: return (.error, "store-corrupted")
        }
    }

    /// Commits `event` (waiting) or queues it (`buffered`). No-op when auditing is off.
    func recordAudit(_ event: AuditEvent, buffered: Bool = false) async throws {
        guard let audit else { return }
        // A stopped log (its service has stopped) refuses to buffer: committed inline then.
        if buffered, audit.enqueue(event) { return }
        try await audit.record(event)
    }

    /// Runs `body`, inside the span `coffer.<action>` when there is a tracer. The span name is
    /// built only then: the warm path does no string work for tracing.
    @inline(__always)
    private func run<T>(_ action: AuditAction, workspace: String?, _ body: () async throws -> T) async throws -> T {
        if tracer == nil { return try await body() }
        return try await traced("coffer.\(action.rawValue)", workspace: workspace, body)
    }

    /// Runs `body` and records it: success (with the version and detail `describe` gives) or
    /// the failure's outcome. Failures are always committed before the error is rethrown;
    /// successes are committed before returning unless `read` and reads are buffered, or
    /// `recordSuccess` says the operation recorded itself (see ``InlineAuditingStore``).
    func audited<T>(
        _ action: AuditAction, actor: String, workspace: String?, name: String? = nil, version: UInt32? = nil,
        read: Bool = false, recordSuccess: (T) -> Bool = { _ in true }, _ body: () async throws -> T,
        describe: (T) -> (version: UInt32?, detail: String?) = { _ in (nil, nil) }
    ) async throws -> T {
        guard let audit else {
            do {
                return try await run(action, workspace: workspace, body)
            } catch {
                metrics.countFailure(error)
                throw error
            }
        }
        let result: T
        do {
            result = try await run(action, workspace: workspace, body)
        } catch {
            metrics.countFailure(error)
            let (outcome, detail) = Self.auditOutcome(of: error)
            let event = AuditEvent(
                time: configuration.now(), actor: actor, action: action, outcome: outcome,
                workspace: workspace, name: name, version: version, detail: detail)
            do {
                try await audit.record(event)
            } catch VaultError.keyUnavailable, VaultError.authenticationFailed {
                // The audit MAC key is wrapped by the KEK: with a wrong KEK no record can be
                // chained (a forged one would not verify). Say so where operators look.
                logger.warning(
                    "a failed operation was not recorded in the audit log: the configured KEK does not open the audit key, and the chain cannot be extended without it",
                    metadata: [
                        "action": "\(action.rawValue)", "outcome": "\(outcome.rawValue)", "detail": "\(detail)",
                        "workspace": "\(workspace ?? "-")", "name": "\(name ?? "-")", "actor": "\(actor)",
                    ])
            } catch let auditError {
                logger.error("could not audit a failed operation", metadata: ["action": "\(action.rawValue)", "error": "\(auditError)"])
            }
            throw error
        }
        // Recorded by the operation itself, in its own transaction (see InlineAuditingStore).
        if !recordSuccess(result) { return result }
        let (v, detail) = describe(result)
        let event = AuditEvent(
            time: configuration.now(), actor: actor, action: action, outcome: .success,
            workspace: workspace, name: name, version: v ?? version, detail: detail)
        if read {
            switch configuration.audit.reads {
            case .off: return result
            case .buffered:
                // A stopped log (its service has stopped) refuses to buffer: committed inline
                // below, as a synchronous read.
                if audit.enqueue(event) { return result }
            case .synchronous: break
            }
        }
        do {
            try await audit.record(event)
        } catch let error as VaultError where !error.isStoreFailure {
            // A KEK problem (missing or unprotected key file, wrong KEK…) keeps its own error
            // and exit code: the store is fine, the key that MACs the record is not usable.
            throw error
        } catch {
            throw VaultError.storeUnavailable(
                "the \(action.rawValue) operation completed but its audit record could not be written (\(error)); check the store")
        }
        return result
    }
}
