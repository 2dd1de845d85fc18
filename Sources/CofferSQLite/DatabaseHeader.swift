import Coffer
import Foundation

/// Checks the 100-byte SQLite header of an existing file before any SQLite connection touches
/// it, so that a file that is not a database, is truncated, or belongs to another application
/// is refused without being modified (opening a pool may write: WAL switch, GRDB's WAL set-up).
struct DatabaseHeader {
    /// `PRAGMA application_id` as recorded in the main file (0 when unset, or not yet
    /// checkpointed from the WAL).
    var applicationID: Int32

    static let magic = Array("SQLite format 3\0".utf8)

    /// Nil for an empty (new) file.
    static func inspect(path: String) throws -> DatabaseHeader? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw VaultError.storeUnavailable("cannot read database file \(path); check its permissions")
        }
        defer { try? handle.close() }
        let fileSize = try handle.seekToEnd()
        if fileSize == 0 { return nil }
        try handle.seek(toOffset: 0)
        let header = Array(try handle.read(upToCount: 100) ?? Data())
        guard header.count == 100, Array(header[0..<16]) == magic else {
            throw VaultError.storeCorrupted("\(path) is not an SQLite database; point Coffer at another file or restore it from a backup")
        }
        func u32(_ at: Int) -> UInt32 { header[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        let rawPageSize = UInt32(header[16]) << 8 | UInt32(header[17])
        let pageSize = rawPageSize == 1 ? 65_536 : UInt64(rawPageSize)
        let pageCount = UInt64(u32(28))
        let sizeIsValid = pageCount > 0 && u32(24) == u32(92)
        let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.uint64Value ?? 0
        if sizeIsValid && walSize == 0 && fileSize < pageCount * pageSize {
            throw VaultError.storeCorrupted(
                "\(path) is truncated (\(fileSize) bytes, its header says \(pageCount * pageSize)); restore it from a backup")
        }
        return DatabaseHeader(applicationID: Int32(bitPattern: u32(68)))
    }
}
