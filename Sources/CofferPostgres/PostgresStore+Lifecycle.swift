public import Coffer
public import Foundation
import PostgresNIO

/// The workspace-state, retention and batch-write methods of ``LifecycleSecretStore`` (the
/// audit methods are in `PostgresStore+Audit.swift`).
///
/// Workspace deletion, shredding and batch puts are workspace-scoped: they run as the
/// application role with the workspace bound, like every write. Listing deleted workspaces and
/// purging old versions are fleet-wide maintenance jobs.
extension PostgresStore: LifecycleSecretStore {
    /// See ``LifecycleSecretStore/setWorkspaceDeleted(_:at:)``. Application role, workspace
    /// bound. Locks the workspace row exclusively, so it waits for in-flight puts (which hold it
    /// shared) and no put starts on a deleted workspace.
    public func setWorkspaceDeleted(_ id: String, at deletedAt: Date?) async throws -> Bool {
        let t = tables
        let micros = deletedAt.map(PostgresCoding.micros)
        let changed = try await transaction(.application, .workspace(id), operation: "deleting or restoring a workspace") { connection in
            let rows = try await connection.query("""
                SELECT deleted_at, shredded_at FROM \(unescaped: t.workspaces) WHERE id = \(id) FOR UPDATE
                """, logger: logger).collect()
            guard let row = rows.first else { throw VaultError.workspaceNotFound(id) }
            let (current, shreddedAt) = try row.decode((Int64?, Int64?).self)
            if shreddedAt != nil { throw VaultError.workspaceShredded(id) }
            guard (current != nil) != (micros != nil) else { return false }
            try await connection.query("""
                UPDATE \(unescaped: t.workspaces) SET deleted_at = \(micros) WHERE id = \(id)
                """, logger: logger)
            return true
        }
        if changed {
            logger.info(deletedAt == nil ? "workspace restored" : "workspace deleted", metadata: ["workspace": "\(id)"])
        }
        return changed
    }

    /// See ``LifecycleSecretStore/shredWorkspace(_:now:newKeyGeneration:)``. Application role,
    /// workspace bound.
    ///
    /// The application role may not delete data keys or secret rows itself; it locks the
    /// workspace row exclusively (waiting for in-flight puts), then calls
    /// `shred_bound_workspace`, a `SECURITY DEFINER` function owned by the maintenance role that
    /// can only shred the workspace the transaction bound (row-level security is forced on its
    /// owner too) and only when it is not shredded yet. It runs in a statement of its own after
    /// the lock, so it sees every version committed before it.
    public func shredWorkspace(_ id: String, now: Date, newKeyGeneration: String) async throws -> WorkspaceShredResult? {
        let t = tables
        let micros = PostgresCoding.micros(now)
        let result = try await transaction(.application, .workspace(id), operation: "shredding a workspace") { connection -> WorkspaceShredResult? in
            let rows = try await connection.query("""
                SELECT shredded_at FROM \(unescaped: t.workspaces) WHERE id = \(id) FOR UPDATE
                """, logger: logger).collect()
            guard let row = rows.first else { throw VaultError.workspaceNotFound(id) }
            if try row.decode(Int64?.self) != nil { return nil }
            let shredded = try await connection.query("""
                SELECT dek_versions, versions_destroyed FROM \(unescaped: t.shredFunction)(\(micros), \(newKeyGeneration))
                """, logger: logger).collect()
            guard let done = shredded.first else {
                throw VaultError.storeCorrupted("workspace '\(id)' could not be shredded although its row is locked and not shredded")
            }
            let (keys, versions) = try done.decode(([Int64], Int64).self)
            return WorkspaceShredResult(
                dataKeyVersionsDestroyed: try keys.map(PostgresCoding.version).sorted(),
                secretVersionsDestroyed: Int(versions))
        }
        if let result {
            logger.notice("workspace shredded", metadata: [
                "workspace": "\(id)", "dataKeys": "\(result.dataKeyVersionsDestroyed.count)",
                "secretVersions": "\(result.secretVersionsDestroyed)",
            ])
        }
        return result
    }

    /// See ``LifecycleSecretStore/workspacesDeleted(atOrBefore:)``. Maintenance role
    /// (fleet-wide).
    public func workspacesDeleted(atOrBefore cutoff: Date) async throws -> [WorkspaceRecord] {
        let t = tables
        let micros = PostgresCoding.micros(cutoff)
        return try await transaction(.maintenance, .fleet, operation: "listing deleted workspaces") { connection in
            try await connection.query("""
                SELECT \(unescaped: Self.workspaceColumns) FROM \(unescaped: t.workspaces)
                WHERE deleted_at IS NOT NULL AND deleted_at <= \(micros) AND shredded_at IS NULL ORDER BY id
                """, logger: logger).collect().map(Self.workspaceRecord)
        }
    }

    /// See ``LifecycleSecretStore/purgeDeletedSecretVersions(deletedAtOrBefore:limit:)``.
    /// Maintenance role (fleet-wide).
    ///
    /// One statement: picks up to `limit` candidates in (workspace, name, version) order,
    /// locking them `FOR UPDATE SKIP LOCKED` (a concurrent purge on another instance takes the
    /// next rows instead of waiting for the same ones; a row being undeleted right now is left
    /// for the next purge), then deletes them, re-checking that each is still deleted and old
    /// enough. A row is only ever returned by the purge that deleted it.
    public func purgeDeletedSecretVersions(deletedAtOrBefore cutoff: Date, limit: Int) async throws -> [PurgedSecretVersion] {
        guard limit > 0 else { return [] }
        let t = tables
        let micros = PostgresCoding.micros(cutoff)
        let purged = try await transaction(.maintenance, .fleet, operation: "purging deleted secret versions") { connection in
            try await connection.query("""
                WITH c AS (
                    SELECT v.workspace_id, v.name, v.version FROM \(unescaped: t.versions) AS v
                    JOIN \(unescaped: t.workspaces) AS w ON w.id = v.workspace_id
                    WHERE v.deleted_at IS NOT NULL AND v.deleted_at <= \(micros)
                      AND w.deleted_at IS NULL AND w.shredded_at IS NULL
                    ORDER BY v.workspace_id, v.name, v.version
                    LIMIT \(Int64(limit))
                    FOR UPDATE OF v SKIP LOCKED)
                DELETE FROM \(unescaped: t.versions) AS x USING c
                WHERE x.workspace_id = c.workspace_id AND x.name = c.name AND x.version = c.version
                  AND x.deleted_at IS NOT NULL AND x.deleted_at <= \(micros)
                RETURNING x.workspace_id, x.name, x.version, x.deleted_at
                """, logger: logger).collect().map { row in
                let (workspace, name, version, deletedAt) = try row.decode((String, String, Int64, Int64).self)
                return PurgedSecretVersion(
                    workspace: workspace, name: name, version: try PostgresCoding.version(version),
                    deletedAt: PostgresCoding.date(micros: deletedAt))
            }
        }
        if !purged.isEmpty {
            logger.info("deleted secret versions purged", metadata: ["count": "\(purged.count)"])
        }
        return purged.sorted { a, b in
            if a.workspace != b.workspace { return a.workspace.utf8.lexicographicallyPrecedes(b.workspace.utf8) }
            if a.name != b.name { return a.name.utf8.lexicographicallyPrecedes(b.name.utf8) }
            return a.version < b.version
        }
    }

    /// See ``LifecycleSecretStore/putSecretVersions(_:seal:)``. Application role, workspace
    /// bound: the put of ``putSecretVersion(_:seal:)`` for each request in one transaction.
    /// Requests are written in name order (so two batches never lock secret rows in opposite
    /// orders); results come back in request order.
    public func putSecretVersions(
        _ requests: [PutSecretRequest], seal: @Sendable (_ index: Int, _ version: UInt32) throws -> [UInt8]
    ) async throws -> [SecretVersionInfo] {
        guard let ws = requests.first?.workspace else { return [] }
        if let other = requests.first(where: { $0.workspace != ws }) {
            throw VaultError.invalidValue(
                "a batch write names workspaces '\(ws)' and '\(other.workspace)'; every request must name the same workspace")
        }
        if Set(requests.map(\.name)).count != requests.count {
            throw VaultError.invalidValue("a batch write names the same secret more than once; each name may appear once")
        }
        let labels = try requests.map { try PostgresCoding.labelsJSON($0.metadata.labels) }
        let order = requests.indices.sorted { requests[$0].name.utf8.lexicographicallyPrecedes(requests[$1].name.utf8) }
        return try await transaction(.application, .workspace(ws), operation: "writing secrets") { connection in
            var infos = [SecretVersionInfo?](repeating: nil, count: requests.count)
            for index in order {
                infos[index] = try await put(connection, requests[index], labels: labels[index]) { version in
                    try seal(index, version)
                }
            }
            return infos.compactMap { $0 }
        }
    }
}

extension PostgresStore: InlineAuditingStore {}
