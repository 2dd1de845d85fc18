import Coffer
import Foundation
import GRDB
import GRDBSQLite

/// One read-only SQLite connection for the store's hottest read, ``SQLiteStore/secretVersion(workspace:name:version:)``,
/// driven directly through the SQLite C API with its two statements prepared once.
///
/// Why not `DatabasePool.read`: for a one-row primary-key select, the pool's reader checkout,
/// its dispatch-queue hop, the `PRAGMA schema_version` check it runs before every read (a
/// second statement, so a second WAL read transaction with its `fcntl` locks) and GRDB's
/// `Row` (which builds a lowercased column-name dictionary per fetch) cost more than the select
/// itself. A statement is atomic on its own (one implicit read transaction on one WAL
/// snapshot), so no BEGIN/COMMIT is needed either. Prepared statements are recompiled by SQLite
/// itself if another process changes the schema.
///
/// A deleted or shredded workspace has no readable versions: both statements carry
/// ``SQLiteStore/workspaceIsActive`` (one primary-key lookup in the same statement, so the
/// same snapshot).
///
/// Not thread-safe: a reader is used by one thread at a time, checked out of
/// ``SQLiteReaderSet``.
final class SQLiteReader: @unchecked Sendable {
    // @unchecked Sendable: the connection (opened SQLITE_OPEN_NOMUTEX) and its statements are
    // mutable C state, but a reader is only ever reachable in two places: the free list inside
    // SQLiteReaderSet's PosixMutex, or the one caller that popped it from that list under the lock
    // and pushes it back under the lock when done. So no two threads use it at the same time,
    // and the mutex's lock/unlock orders every hand-over. All stored properties are `let`.
    private let connection: OpaquePointer
    private let latest: OpaquePointer
    private let exact: OpaquePointer

    static let columns = "version, dek_version, kind, content_type, labels, expires_at, created_at, deleted_at, ciphertext"

    /// Opens `path` read-only (the database must already exist with its schema).
    init(path: String, busyTimeout: TimeInterval) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) }
            if let db { sqlite3_close_v2(db) }
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: message)
        }
        sqlite3_busy_timeout(db, CInt(clamping: Int((busyTimeout * 1000).rounded())))
        sqlite3_extended_result_codes(db, 1)
        _ = sqlite3_exec(db, SQLiteStore.secureDeleteOn, nil, nil, nil)  // like every connection (read-only: no effect)
        func prepare(_ sql: String) throws -> OpaquePointer {
            var stmt: OpaquePointer?
            let rc = sqlite3_prepare_v3(db, sql, -1, CUnsignedInt(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
            guard rc == SQLITE_OK, let stmt else {
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db)), sql: sql)
            }
            return stmt
        }
        do {
            latest = try prepare("""
                SELECT \(Self.columns) FROM secret_versions
                WHERE workspace_id = ?1 AND name = ?2 AND \(SQLiteStore.workspaceIsActive) ORDER BY version DESC LIMIT 1
                """)
        } catch {
            sqlite3_close_v2(db)
            throw error
        }
        do {
            exact = try prepare("""
                SELECT \(Self.columns) FROM secret_versions
                WHERE workspace_id = ?1 AND name = ?2 AND version = ?3 AND \(SQLiteStore.workspaceIsActive)
                """)
        } catch {
            sqlite3_finalize(latest)
            sqlite3_close_v2(db)
            throw error
        }
        connection = db
    }

    deinit {
        sqlite3_finalize(latest)
        sqlite3_finalize(exact)
        sqlite3_close_v2(connection)
    }

    /// The version row (`version` nil: the highest kept one), or nil.
    func secretVersion(workspace: String, name: String, version: UInt32?) throws -> StoredSecretVersion? {
        let stmt = version == nil ? latest : exact
        var ws = workspace
        var nm = name
        return try ws.withUTF8 { w in
            try nm.withUTF8 { n in
                // SQLITE_STATIC: the buffers outlive the step; bindings are cleared before return.
                sqlite3_bind_text(stmt, 1, w.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, CInt(w.count), nil)
                sqlite3_bind_text(stmt, 2, n.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, CInt(n.count), nil)
                if let version { sqlite3_bind_int64(stmt, 3, Int64(version)) }
                defer {
                    sqlite3_reset(stmt)
                    sqlite3_clear_bindings(stmt)
                }
                switch sqlite3_step(stmt) {
                case SQLITE_DONE:
                    return nil
                case SQLITE_ROW:
                    return try Self.decode(stmt, workspace: workspace, name: name)
                case let rc:
                    throw DatabaseError(
                        resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(connection)))
                }
            }
        }
    }

    /// Decodes ``SQLiteStore/infoColumns`` (columns 0–7) and `ciphertext` (column 8) of the
    /// current row of `s` (also used by the re-encryption pages).
    /// The names of the columns ``decode(_:workspace:name:)`` reads, for messages.
    static let columnNames = ["version", "dek_version", "kind", "content_type", "labels", "expires_at", "created_at", "deleted_at", "ciphertext"]

    static func decode(_ s: OpaquePointer, workspace: String, name: String) throws -> StoredSecretVersion {
        func text(_ i: CInt) -> String? {
            guard sqlite3_column_type(s, i) != SQLITE_NULL, let p = sqlite3_column_text(s, i) else { return nil }
            return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))), as: UTF8.self)
        }
        // Integer columns must hold integers: SQLite would silently convert text or a real
        // (an edited row) into some number.
        func int(_ i: CInt) throws -> Int64? {
            switch sqlite3_column_type(s, i) {
            case SQLITE_NULL: return nil
            case SQLITE_INTEGER: return sqlite3_column_int64(s, i)
            default: throw VaultError.storeCorrupted(
                "column secret_versions.\(Self.columnNames[Int(i)]) holds a value of another type than an integer: the database is damaged; restore it from a backup")
            }
        }
        func integer(_ i: CInt) throws -> Int64 {
            guard let value = try int(i) else {
                throw VaultError.storeCorrupted("column secret_versions.\(Self.columnNames[Int(i)]) is NULL: the database is damaged; restore it from a backup")
            }
            return value
        }
        let labels: [String: String]
        if let p = sqlite3_column_text(s, 4), sqlite3_column_bytes(s, 4) == 2, p[0] == UInt8(ascii: "{"), p[1] == UInt8(ascii: "}") {
            labels = [:]
        } else {
            labels = try SQLiteCoding.labels(json: text(4) ?? "")
        }
        let info = SecretVersionInfo(
            workspace: workspace, name: name,
            version: try SQLiteCoding.version(integer(0)),
            dataKeyVersion: try SQLiteCoding.version(integer(1)),
            metadata: SecretMetadata(
                kind: try SQLiteCoding.kind(text(2) ?? ""), contentType: text(3),
                labels: labels, expiresAt: try int(5).map(SQLiteCoding.date(micros:))),
            createdAt: SQLiteCoding.date(micros: try integer(6)),
            deletedAt: try int(7).map(SQLiteCoding.date(micros:)))
        // sqlite3_column_blob before sqlite3_column_bytes, as SQLite documents.
        let ciphertext: [UInt8]
        if let p = sqlite3_column_blob(s, 8) {
            ciphertext = Array(UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, 8))))
        } else {
            ciphertext = []
        }
        return StoredSecretVersion(info: info, ciphertext: ciphertext)
    }
}
