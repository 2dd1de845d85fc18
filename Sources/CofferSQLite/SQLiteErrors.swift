import Coffer
import GRDB

/// Maps SQLite failures to ``VaultError`` without ever including SQL arguments (which could
/// hold sealed values) in the message.
enum SQLiteErrors {
    static func map(_ error: any Error, path: String) -> any Error {
        if error is RowDecodingError {
            // A stored value of the wrong type (GRDB's description would quote the row and the
            // SQL: never shown).
            return VaultError.storeCorrupted(
                "\(path) holds a value of the wrong type: the database is damaged; restore it from a backup")
        }
        guard let dbError = error as? DatabaseError else { return error }
        let detail = dbError.message ?? "SQLite error \(dbError.resultCode.rawValue)"
        switch dbError.resultCode.primaryResultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return VaultError.storeUnavailable(
                "database \(path) is locked by another process; retry (\(detail))")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return VaultError.storeCorrupted(
                "\(path) is not a valid Coffer database (\(detail)); restore it from a backup")
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
            return VaultError.storeUnavailable(
                "cannot open database \(path) (\(detail)); check that the file and its directory exist and are readable and writable by this user")
        case .SQLITE_READONLY:
            return VaultError.storeUnavailable(
                "database \(path) is read-only (\(detail)); check the permissions of the file, its -wal/-shm files and its directory")
        case .SQLITE_FULL:
            return VaultError.storeUnavailable("disk full while writing \(path) (\(detail)); free some space and retry")
        case .SQLITE_IOERR:
            return VaultError.storeUnavailable("I/O error on \(path) (\(detail))")
        default:
            return VaultError.storeUnavailable("SQLite error on \(path): \(detail)")
        }
    }
}
