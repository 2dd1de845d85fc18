#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// File reading and writing for X25519 key files, with the same rules as a KEK key file
/// (``FileKEKProvider``): secret key files are created 0600 exclusively and refused when their
/// group or other users have any access. Errors are ``CofferCryptoError/invalidKey(_:)`` with a
/// message naming the path and the fix, never key bytes.
enum X25519KeyFile {
    /// Reads a (public, non-secret) file of at most `limit` bytes.
    static func readPublic(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = try openForReading(path, what: "public key file")
        defer { close(fd) }
        let mode: (type: UInt32, permissions: UInt32)
        do { mode = try POSIXFile.mode(of: fd) } catch { throw unreadable(path, "public key file", error) }
        guard mode.type == POSIXFile.regularType else {
            throw CofferCryptoError.invalidKey("public key file \(path) is not a regular file")
        }
        var bytes = [UInt8](repeating: 0, count: limit)
        var result: Result<(count: Int, truncated: Bool), POSIXFile.OpenFailure> = .success((0, false))
        bytes.withUnsafeMutableBytes { b in
            do throws(POSIXFile.OpenFailure) {
                result = .success(try POSIXFile.readAll(fd, into: b))
            } catch {
                result = .failure(error)
            }
        }
        let (count, truncated): (Int, Bool)
        switch result {
        case .success(let r): (count, truncated) = r
        case .failure(let error): throw unreadable(path, "public key file", error)
        }
        guard !truncated else {
            throw CofferCryptoError.invalidKey("public key file \(path) is larger than \(limit) bytes; it should hold one coffer-x25519-public: line")
        }
        return Array(bytes[..<count])
    }

    /// Reads a secret key file of at most `limit` bytes into secure memory, after checking that
    /// it is a regular file no one but its owner can access. Returns the buffer and the number
    /// of bytes read.
    static func readSecret(_ path: String, limit: Int) throws -> (SecureBytes, Int) {
        let what = "secret key file"
        let fd = try openForReading(path, what: what)
        defer { close(fd) }
        let mode: (type: UInt32, permissions: UInt32)
        do { mode = try POSIXFile.mode(of: fd) } catch { throw unreadable(path, what, error) }
        guard mode.type == POSIXFile.regularType else {
            throw CofferCryptoError.invalidKey("\(what) \(path) is not a regular file")
        }
        if let why = FileKEKProvider.permissionProblem(mode.permissions) {
            throw CofferCryptoError.invalidKey(
                "\(what) \(path) has mode \(POSIXFile.octal(mode.permissions)), so \(why); run: chmod 600 \(path)")
        }
        var count = 0
        var truncated = false
        let buffer = try SecureBytes(count: limit) { (b: UnsafeMutableRawBufferPointer) throws in
            do throws(POSIXFile.OpenFailure) {
                (count, truncated) = try POSIXFile.readAll(fd, into: b)
            } catch { throw unreadable(path, what, error) }
        }
        guard !truncated else {
            throw CofferCryptoError.invalidKey("\(what) \(path) is larger than \(limit) bytes; it should hold one coffer-x25519-secret: line")
        }
        return (buffer, count)
    }

    /// Creates `path` exclusively with mode 0600 and writes `content` to it, synced. Never
    /// overwrites an existing file (or follows a symlink); on a write failure the new file is
    /// removed.
    static func writeSecret(_ path: String, _ content: SecureBytes) throws {
        if let problem = POSIXFile.writeNewSecretFile(path, content, what: "secret key file") {
            throw CofferCryptoError.invalidKey(problem)
        }
    }

    private static func openForReading(_ path: String, what: String) throws -> Int32 {
        switch POSIXFile.openForReading(path) {
        case .success(let d): return d
        case .failure(.missing): throw CofferCryptoError.invalidKey("\(what) \(path) does not exist")
        case .failure(.denied): throw CofferCryptoError.invalidKey("cannot open \(what) \(path): permission denied")
        case .failure(.other(let why)): throw CofferCryptoError.invalidKey("cannot open \(what) \(path): \(why)")
        }
    }

    private static func unreadable(_ path: String, _ what: String, _ error: POSIXFile.OpenFailure) -> CofferCryptoError {
        switch error {
        case .missing: return .invalidKey("\(what) \(path) disappeared while being read")
        case .denied: return .invalidKey("cannot read \(what) \(path): permission denied")
        case .other(let why): return .invalidKey("cannot read \(what) \(path): \(why)")
        }
    }
}
