import Coffer
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates the database file owner-only before SQLite opens it, and tightens an existing Coffer database.
///
/// SQLite creates `-wal` and `-shm` with the same permission bits as the database file (it
/// `fchmod`s them to match, regardless of umask), so a 0600 database gives 0600 companions;
/// ``SQLiteStore`` checks them again after opening.
enum DatabaseFile {
    static let mode: mode_t = 0o600

    /// Creates `path` with mode 0600 if it does not exist and `create` allows it; otherwise
    /// checks that it is a regular file. Changes nothing in an existing file: its mode is
    /// tightened (``tighten(_:logger:)``) only once it is known to be a Coffer database.
    /// - Returns: true when the file was created now.
    static func prepare(path: String, create: Bool, logger: Logger) throws -> Bool {
        if create {
            let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            if fd >= 0 {
                // umask may have removed bits; make it exactly 0600.
                _ = fchmod(fd, mode)
                close(fd)
                logger.info("created database file", metadata: ["path": "\(path)"])
                return true
            }
            let err = errno
            guard err == EEXIST else {
                throw VaultError.storeUnavailable(
                    "cannot create database file \(path): \(String(cString: strerror(err))); check that its directory exists and is writable")
            }
        }
        var st = stat()
        guard stat(path, &st) == 0 else {
            let err = errno
            if err == ENOENT {
                throw VaultError.storeUnavailable("no Coffer database at \(path); create one first (coffer init)")
            }
            throw VaultError.storeUnavailable("cannot stat database file \(path): \(String(cString: strerror(err)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw VaultError.storeUnavailable("\(path) is not a regular file")
        }
        return false
    }

    /// If `file` exists with permission bits for group or others, tries to set it to 0600.
    static func tighten(_ file: String, logger: Logger) {
        var st = stat()
        guard stat(file, &st) == 0 else { return }
        let perms = st.st_mode & 0o777
        guard perms & 0o077 != 0 else { return }
        if chmod(file, mode) == 0 {
            logger.warning(
                "database file was accessible by other users; changed its mode to 0600",
                metadata: ["path": "\(file)", "previousMode": "\(String(perms, radix: 8))"])
        } else {
            logger.warning(
                "database file is accessible by other users and its mode could not be changed; fix it with chmod 600",
                metadata: ["path": "\(file)", "mode": "\(String(perms, radix: 8))"])
        }
    }

    /// The permission bits of `file`, or nil when it does not exist.
    static func permissions(_ file: String) -> mode_t? {
        var st = stat()
        guard stat(file, &st) == 0 else { return nil }
        return st.st_mode & 0o777
    }
}
