#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSodium

/// Reads secret input (a value piped on stdin, a file) straight into wiped memory: every
/// intermediate buffer is zeroed before it is freed, so no copy of the secret is left behind
/// in the heap.
public enum SecretReader {
    /// Reads everything from `fileDescriptor` until end of file.
    /// - Throws: ``CofferCryptoError/messageTooLarge(limit:)`` when more than `limit` bytes
    ///   arrive (nothing is returned), ``CofferCryptoError/libraryFailure(operation:)`` when
    ///   `read` fails.
    public static func readAll(fileDescriptor: Int32, limit: Int) throws -> SecretBytes {
        var capacity = 4096
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        var count = 0
        defer {
            sodium_memzero(buffer, capacity)
            buffer.deallocate()
        }
        while true {
            if count == capacity {
                guard capacity <= limit else { throw CofferCryptoError.messageTooLarge(limit: limit) }
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
                bigger.copyMemory(from: buffer, byteCount: count)
                sodium_memzero(buffer, capacity)
                buffer.deallocate()
                buffer = bigger
                capacity *= 2
            }
            let n = read(fileDescriptor, buffer + count, capacity - count)
            if n < 0 {
                if errno == EINTR { continue }
                throw CofferCryptoError.libraryFailure(operation: "read (errno \(errno))")
            }
            if n == 0 { break }
            count += n
            if count > limit { throw CofferCryptoError.messageTooLarge(limit: limit) }
        }
        return SecretBytes(copying: UnsafeRawBufferPointer(start: buffer, count: count))
    }

    /// Reads a whole file that holds key material (a passphrase file, for example) at `path`:
    /// opened without blocking, and refused unless it is a regular file, so a FIFO or a device
    /// named by mistake fails at once instead of hanging or reading forever.
    /// With `requirePrivate`, a file that group or others may read or write is refused too
    /// (a PIN file, like a key file, must be mode 0600).
    /// - Throws: ``CofferCryptoError/kekUnavailable(_:)`` naming the path (unless it looks
    ///   like key material) and the problem; ``CofferCryptoError/messageTooLarge(limit:)``.
    public static func readKeyFile(atPath path: String, limit: Int, what: String, requirePrivate: Bool = false) throws -> SecretBytes {
        let shown = Redaction.shown(path)
        let fd: Int32
        switch POSIXFile.openForReading(path) {
        case .success(let d): fd = d
        case .failure(.missing): throw CofferCryptoError.kekUnavailable("\(what) \(shown) does not exist")
        case .failure(.denied): throw CofferCryptoError.kekUnavailable("cannot open \(what) \(shown): permission denied")
        case .failure(.other(let why)): throw CofferCryptoError.kekUnavailable("cannot open \(what) \(shown): \(why)")
        }
        defer { close(fd) }
        let mode: (type: UInt32, permissions: UInt32)
        do { mode = try POSIXFile.mode(of: fd) } catch {
            throw CofferCryptoError.kekUnavailable("cannot read \(what) \(shown)")
        }
        guard mode.type == POSIXFile.regularType else {
            throw CofferCryptoError.kekUnavailable(POSIXFile.notRegularMessage(what: what, path: shown, type: mode.type))
        }
        if requirePrivate, let why = FileKEKProvider.permissionProblem(mode.permissions) {
            throw CofferCryptoError.kekUnavailable(
                "\(what) \(shown) has mode \(POSIXFile.octal(mode.permissions)), so \(why); run: chmod 600 \(shown)")
        }
        return try readAll(fileDescriptor: fd, limit: limit)
    }

    /// Reads a whole file at `path`.
    /// - Throws: ``CofferCryptoError/libraryFailure(operation:)`` naming the path and the
    ///   system's reason when the file cannot be opened or read.
    public static func readFile(atPath path: String, limit: Int) throws -> SecretBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw CofferCryptoError.libraryFailure(operation: "open \(path): \(String(cString: strerror(e)))")
        }
        defer { close(fd) }
        return try readAll(fileDescriptor: fd, limit: limit)
    }
}
