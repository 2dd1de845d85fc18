#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX file helpers for key and parameter files. Secret bytes are read and written
/// only through raw buffers the caller owns (secure memory), never through Foundation.
enum POSIXFile {
    static let typeMask: UInt32 = 0o170000
    static let regularType: UInt32 = 0o100000

    /// Why an `open` failed, as a value callers can turn into a message.
    enum OpenFailure: Error {
        case missing
        case denied
        case other(String)
    }

    /// `strerror(errno)` for the current or a given errno.
    static func errorText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    /// Opens `path` read-only (close-on-exec) without blocking: `O_NONBLOCK` so that a FIFO
    /// with no writer (or a device) cannot hang the open, `O_NOCTTY` so that a terminal does not
    /// become the controlling one. Callers then check ``mode(of:)`` and refuse anything but a
    /// regular file (on which `O_NONBLOCK` has no effect) before reading.
    static func openForReading(_ path: String) -> Result<Int32, OpenFailure> {
        while true {
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
            if fd >= 0 { return .success(fd) }
            switch errno {
            case EINTR: continue
            case ENOENT, ENOTDIR: return .failure(.missing)
            case EACCES, EPERM: return .failure(.denied)
            default: return .failure(.other(errorText()))
            }
        }
    }

    /// Type bits and permission bits (`st_mode & 0o7777`) of an open file.
    static func mode(of fd: Int32) throws(OpenFailure) -> (type: UInt32, permissions: UInt32) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .other(errorText()) }
        let m = UInt32(st.st_mode)
        return (m & typeMask, m & 0o7777)
    }

    /// Reads until EOF or until `buffer` is full. Returns the bytes read, and whether more
    /// data was left in the file.
    static func readAll(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(OpenFailure) -> (count: Int, truncated: Bool) {
        var total = 0
        while total < buffer.count {
            let n = read(fd, buffer.baseAddress! + total, buffer.count - total)
            if n < 0 {
                if errno == EINTR { continue }
                throw .other(errorText())
            }
            if n == 0 { return (total, false) }
            total += n
        }
        // Buffer full: probe for one more byte.
        var extra: UInt8 = 0
        while true {
            let n = read(fd, &extra, 1)
            if n < 0 && errno == EINTR { continue }
            extra = 0
            return (total, n > 0)
        }
    }

    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(OpenFailure) {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .other(errorText())
            }
            done += n
        }
    }

    /// Creates `path` exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`) with mode 0600 (set again with
    /// `fchmod`, so the umask cannot widen or narrow it). Returns `nil` if it already exists.
    static func createExclusive(_ path: String) throws(OpenFailure) -> Int32? {
        while true {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(0o600))
            if fd >= 0 {
                guard fchmod(fd, mode_t(0o600)) == 0 else {
                    let e = errorText()
                    close(fd)
                    unlink(path)
                    throw .other(e)
                }
                return fd
            }
            switch errno {
            case EINTR: continue
            case EEXIST: return nil
            case ENOENT, ENOTDIR: throw .missing
            case EACCES, EPERM: throw .denied
            default: throw .other(errorText())
            }
        }
    }

    /// Flushes `fd` to stable storage.
    static func sync(_ fd: Int32) throws(OpenFailure) {
        guard fsync(fd) == 0 else { throw .other(errorText()) }
    }

    /// Best-effort fsync of the directory holding `path`, so a rename or link survives a crash.
    /// Creates `path` exclusively (`O_CREAT|O_EXCL`, mode 0600: never overwrites a file or
    /// follows a symlink), writes `content` and syncs file and directory; removes the new file
    /// if writing fails. Returns nil on success, otherwise what went wrong, naming `what` (e.g.
    /// "key file") and the path, never the content.
    static func writeNewSecretFile(_ path: String, _ content: SecureBytes, what: String) -> String? {
        let fd: Int32
        do throws(OpenFailure) {
            guard let created = try createExclusive(path) else {
                return "refusing to overwrite existing file \(path); remove it first or choose another path"
            }
            fd = created
        } catch {
            switch error {
            case .missing: return "cannot create \(what) \(path): its directory does not exist"
            case .denied: return "cannot create \(what) \(path): permission denied"
            case .other(let why): return "cannot create \(what) \(path): \(why)"
            }
        }
        do throws(OpenFailure) {
            try content.withUnsafeBytes { b throws(OpenFailure) in try writeAll(fd, b) }
            try sync(fd)
        } catch {
            close(fd)
            unlink(path)
            return "cannot write \(what) \(path): \(error)"
        }
        close(fd)
        syncDirectory(of: path)
        return nil
    }

    static func syncDirectory(of path: String) {
        let dir = directory(of: path)
        let fd = open(dir, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// The directory part of `path` (`.` when there is none).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Whether something exists at `path` (without following a final symlink).
    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// The message for a key source that is not a regular file: what it is instead, and what
    /// to do.
    static func notRegularMessage(what: String, path: String, type: UInt32) -> String {
        let kind: String
        switch type {
        case 0o010000: kind = " (it is a FIFO)"
        case 0o020000: kind = " (it is a character device)"
        case 0o060000: kind = " (it is a block device)"
        case 0o040000: kind = " (it is a directory)"
        case 0o140000: kind = " (it is a socket)"
        default: kind = ""
        }
        return "\(what) \(path) is not a regular file\(kind); name a regular file that holds the key"
    }

    /// Makes a permission value readable: `0644`.
    static func octal(_ permissions: UInt32) -> String {
        let s = String(permissions, radix: 8)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
