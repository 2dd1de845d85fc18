#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An output file claimed before a command does its work, so that a destination that cannot
/// be written (exists, unwritable directory, not a file) fails before any irreversible step,
/// and written afterwards with ``commit(_:)``.
///
/// - A new file (`replace` false) is created at once, 0600, with `O_EXCL` (which never follows
///   a symbolic link, dangling or not); abandoning it removes it again.
/// - With `replace` (`--force`), a temporary 0600 file is created in the same directory and
///   renamed over `path` at commit: `path` itself is replaced — a symbolic link is replaced by
///   the file, its target is never opened or changed.
final class OutputFile {
    let path: String
    private var fd: Int32
    /// The temporary file renamed over `path` at commit (replace mode), else nil.
    private let temporary: String?
    private var done = false

    /// Claims `path`. `forceFlag` is the option that allows replacing an existing file on this
    /// command (named in the error), nil when the command has none.
    static func claim(_ path: String, replace: Bool, forceFlag: String?) throws -> OutputFile {
        if replace {
            var st = stat()
            if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                throw CLIFailure(status: .invalidInput, message: "\(path) is a directory; name a file")
            }
            let slash = path.lastIndex(of: "/")
            let directory = slash.map { String(path[..<$0]) } ?? "."
            let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
            var template = Array("\(directory.isEmpty ? "/" : directory)/.\(base).coffer-XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else {
                throw CLIFailure(status: .invalidInput, message: "cannot write in the directory of \(path): \(String(cString: strerror(errno)))")
            }
            _ = fchmod(fd, 0o600)
            let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return OutputFile(path: path, fd: fd, temporary: temporary)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let e = errno
            if e == EEXIST {
                let hint = forceFlag.map { " or pass \($0) to replace it" } ?? ""
                throw CLIFailure(status: .invalidInput, message: "\(path) already exists; choose another path\(hint)")
            }
            throw CLIFailure(status: .invalidInput, message: "cannot create \(path): \(String(cString: strerror(e)))")
        }
        _ = fchmod(fd, 0o600)
        return OutputFile(path: path, fd: fd, temporary: nil)
    }

    private init(path: String, fd: Int32, temporary: String?) {
        self.path = path
        self.fd = fd
        self.temporary = temporary
    }

    /// Writes `bytes`, syncs, and (replace mode) renames the file over ``path``. On failure
    /// the claimed file is removed.
    func commit(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!done, "OutputFile committed twice")
        guard Terminal.writeAll(fd, bytes), fsync(fd) == 0 else {
            let e = errno
            abandon()
            throw CLIFailure(status: .software, message: "cannot write \(path): \(String(cString: strerror(e)))")
        }
        close(fd)
        fd = -1
        if let temporary, rename(temporary, path) != 0 {
            let e = errno
            unlink(temporary)
            done = true
            throw CLIFailure(status: .software, message: "cannot replace \(path): \(String(cString: strerror(e)))")
        }
        done = true
    }

    /// Gives the claim up: closes and removes the file it created (nothing else).
    func abandon() {
        guard !done else { return }
        done = true
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(temporary ?? path)
    }

    deinit { abandon() }
}
