public import GRDB
import GRDBSQLite

/// Runs a statement of the put's write transaction through the SQLite C API: binds its
/// parameters and steps it, without GRDB's argument machinery (`StatementArguments`, value
/// boxing, per-statement bookkeeping), which cost more than SQLite's own work for the put's
/// small statements (BENCHMARKS.md, issue 14). The statement still comes from GRDB's cache
/// (`Database.cachedStatement`), on the connection GRDB runs the transaction on. Text and
/// blobs are copied by SQLite when bound (`SQLITE_TRANSIENT`); the statement is reset and its
/// bindings cleared before returning, whatever happens.
///
/// SPI (`@_spi(Testing)`) so that `coffer-vault-bench --put-breakdown` runs the store's
/// statements the way the store does.
@_spi(Testing)
public enum SQLiteDirect {
    /// A parameter value.
    public enum Value: Sendable {
        case integer(Int64)
        case text(String)
        case blob([UInt8])
        case null
        /// Only read (``firstRow(_:in:_:)``); bound as a double.
        case real(Double)

        /// `.text(text)`, or `.null` for nil.
        public static func text(_ text: String?) -> Value { text.map { .text($0) } ?? .null }
        /// `.integer(value)`, or `.null` for nil.
        public static func integer(_ value: Int64?) -> Value { value.map { .integer($0) } ?? .null }
    }

    /// Binds `values` to parameters 1… and steps `statement` to the end.
    /// - Returns: the number of rows it changed.
    @discardableResult
    public static func execute(_ statement: Statement, in db: Database, _ values: [Value]) throws -> Int {
        try run(statement, in: db, values) { _ in }
        return Int(sqlite3_changes(db.sqliteConnection))
    }

    /// Binds `values`, steps `statement` to the end and returns the first column of its first
    /// row: nil when there is no row, `.some(nil)` when that column is NULL.
    /// - Throws: the statement's `DatabaseError` (`SQLITE_MISMATCH` when the column holds
    ///   anything but an integer).
    public static func firstInteger(_ statement: Statement, in db: Database, _ values: [Value]) throws -> Int64?? {
        var first: Int64??
        try run(statement, in: db, values) { s in
            guard first == nil else { return }
            switch sqlite3_column_type(s, 0) {
            case SQLITE_NULL: first = .some(nil)
            case SQLITE_INTEGER: first = .some(sqlite3_column_int64(s, 0))
            default: throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "expected an integer column", sql: statement.sql)
            }
        }
        return first
    }

    /// Binds `values`, steps `statement` to the end and returns the columns of its first row
    /// (nil when there is none), each as stored: `.integer`, `.text`, `.blob`, `.null`, or
    /// `.real` for a floating-point value.
    public static func firstRow(_ statement: Statement, in db: Database, _ values: [Value]) throws -> [Value]? {
        var first: [Value]?
        try run(statement, in: db, values) { s in
            guard first == nil else { return }
            first = (0..<sqlite3_column_count(s)).map { i in
                switch sqlite3_column_type(s, i) {
                case SQLITE_INTEGER: return .integer(sqlite3_column_int64(s, i))
                case SQLITE_FLOAT: return .real(sqlite3_column_double(s, i))
                case SQLITE_TEXT:
                    let count = Int(sqlite3_column_bytes(s, i))
                    guard let text = sqlite3_column_text(s, i), count > 0 else { return .text("") }
                    return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
                case SQLITE_BLOB:
                    let count = Int(sqlite3_column_bytes(s, i))
                    guard let blob = sqlite3_column_blob(s, i), count > 0 else { return .blob([]) }
                    return .blob([UInt8](UnsafeRawBufferPointer(start: blob, count: count)))
                default: return .null
                }
            }
        }
        return first
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` … `COMMIT` transaction on `pool`'s writer (rolled
    /// back when `body` or the commit throws), with both statements from the connection's
    /// statement cache: GRDB's own transaction wrapper prepares them anew every time.
    public static func immediateTransaction<T>(_ pool: DatabasePool, _ body: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            try execute(db.cachedStatement(sql: "BEGIN IMMEDIATE"), in: db, [])
            do {
                let result = try body(db)
                try execute(db.cachedStatement(sql: "COMMIT"), in: db, [])
                return result
            } catch {
                if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                throw error
            }
        }
    }

    /// SQLite's "copy the value now" destructor.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func run(_ statement: Statement, in db: Database, _ values: [Value], row: (OpaquePointer) throws -> Void) throws {
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        sqlite3_clear_bindings(s)
        defer {
            sqlite3_reset(s)
            sqlite3_clear_bindings(s)
        }
        for (offset, value) in values.enumerated() {
            let index = CInt(offset + 1)
            let rc: CInt
            switch value {
            case .integer(let v):
                rc = sqlite3_bind_int64(s, index, v)
            case .null:
                rc = sqlite3_bind_null(s, index)
            case .real(let v):
                rc = sqlite3_bind_double(s, index, v)
            case .text(var text):
                rc = text.withUTF8 { u -> CInt in
                    guard let base = u.baseAddress, u.count > 0 else { return sqlite3_bind_text(s, index, "", 0, transient) }
                    guard u.count <= Int(Int32.max) else { return SQLITE_TOOBIG }
                    return base.withMemoryRebound(to: CChar.self, capacity: u.count) {
                        sqlite3_bind_text(s, index, $0, CInt(u.count), transient)
                    }
                }
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { b -> CInt in
                    guard let base = b.baseAddress, b.count > 0 else { return sqlite3_bind_zeroblob(s, index, 0) }
                    guard b.count <= Int(Int32.max) else { return SQLITE_TOOBIG }
                    return sqlite3_bind_blob(s, index, base, CInt(b.count), transient)
                }
            }
            guard rc == SQLITE_OK else { throw error(rc, db, statement) }
        }
        while true {
            let rc = sqlite3_step(s)
            switch rc {
            case SQLITE_ROW: try row(s)
            case SQLITE_DONE: return
            default: throw error(rc, db, statement)
            }
        }
    }

    private static func error(_ rc: CInt, _ db: Database, _ statement: Statement) -> DatabaseError {
        let extended = db.sqliteConnection.map { sqlite3_extended_errcode($0) } ?? rc
        let message = db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) }
        return DatabaseError(resultCode: ResultCode(rawValue: extended), message: message, sql: statement.sql)
    }
}
