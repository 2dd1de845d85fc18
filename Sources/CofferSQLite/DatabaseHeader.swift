import Coffer
import Foundation
import GRDBSQLite

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
        guard let (header, fileSize) = try readThroughSQLiteVFS(path: path) else { return nil }
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

    /// The first 100 bytes (fewer for a short file) and the size of `path`, read through
    /// SQLite's default VFS rather than `open`/`close`: closing a descriptor of a database
    /// file drops every POSIX lock this process holds on it — also those of connections that
    /// have it open — which lets other processes write under them and corrupts the database.
    /// The unix VFS keeps such descriptors open until the file's locks are released. Nil for
    /// an empty file.
    private static func readThroughSQLiteVFS(path: String) throws -> ([UInt8], UInt64)? {
        func unreadable(_ why: String) -> VaultError {
            VaultError.storeUnavailable("cannot read database file \(path) (\(why)); check its permissions")
        }
        guard let vfs = sqlite3_vfs_find(nil), let xOpen = vfs.pointee.xOpen, let xFullPathname = vfs.pointee.xFullPathname else {
            throw unreadable("no SQLite VFS")
        }
        let maxPath = Int(vfs.pointee.mxPathname) + 1
        // Both buffers must stay valid until xClose: the VFS keeps the name.
        let name = UnsafeMutablePointer<CChar>.allocate(capacity: maxPath)
        defer { name.deallocate() }
        guard xFullPathname(vfs, path, Int32(maxPath), name) == SQLITE_OK else { throw unreadable("invalid path") }
        let fileMemory = UnsafeMutableRawPointer.allocate(byteCount: Int(vfs.pointee.szOsFile), alignment: 16)
        defer { fileMemory.deallocate() }
        fileMemory.initializeMemory(as: UInt8.self, repeating: 0, count: Int(vfs.pointee.szOsFile))
        let file = fileMemory.assumingMemoryBound(to: sqlite3_file.self)
        var outFlags: Int32 = 0
        let rc = xOpen(vfs, name, file, SQLITE_OPEN_READONLY | SQLITE_OPEN_MAIN_DB, &outFlags)
        guard rc == SQLITE_OK, let methods = file.pointee.pMethods else {
            if let methods = file.pointee.pMethods { _ = methods.pointee.xClose?(file) }
            throw unreadable("SQLite error \(rc)")
        }
        defer { _ = methods.pointee.xClose?(file) }
        var size: sqlite3_int64 = 0
        guard methods.pointee.xFileSize?(file, &size) == SQLITE_OK else { throw unreadable("cannot get its size") }
        if size == 0 { return nil }
        let count = Int(min(size, 100))
        var header = [UInt8](repeating: 0, count: count)
        let readRC = header.withUnsafeMutableBytes { b in methods.pointee.xRead?(file, b.baseAddress, Int32(count), 0) }
        guard readRC == SQLITE_OK else { throw unreadable("SQLite error \(readRC ?? -1) while reading the header") }
        return (header, UInt64(size))
    }
}
