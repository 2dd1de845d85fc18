#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CSodium
public import Logging

/// A KEK read from a key file (`file:PATH`): 32 raw bytes, or those 32 bytes as standard
/// base64 (padding optional, surrounding whitespace and a trailing newline tolerated).
///
/// The file is read with POSIX `open`/`fstat`/`read` straight into secure memory on first use
/// and the key is kept there. Like ssh, the provider refuses a key file that its group or
/// other users can read or write (any bit of `0o077` set), and anything that is not a regular
/// file. Create a key file with ``generateKeyFile(at:)`` or
/// `(umask 077 && openssl rand -base64 32 > PATH)`.
public struct FileKEKProvider: LoadedKEKProvider {
    /// Largest key file accepted (a base64 key with some whitespace fits easily).
    static let maxFileBytes = 256

    /// Path of the key file.
    public let path: String
    private let logger: Logger?
    private let cache = KEKCache()

    /// A provider for the key file at `path`. Nothing is read until first use.
    /// - Parameter path: the key file; on first use a missing, unreadable, non-regular,
    ///   group- or world-accessible or malformed file is ``CofferCryptoError/kekUnavailable(_:)``.
    /// - Parameter logger: receives non-secret facts (path, fingerprint) only.
    public init(path: String, logger: Logger? = nil) {
        self.path = path
        self.logger = logger
    }

    /// `file:` followed by the path, or a placeholder when the "path" looks like a key
    /// pasted by mistake (``Redaction``).
    public var displayName: String { "file:\(Redaction.shown(path))" }

    /// Reads the key file now (if not done yet) and returns the loaded KEK: call it early to
    /// report an unusable key file before any work is done.
    @discardableResult
    public func load() throws -> LocalKEK {
        try cache.get {
            let key = try Self.readKey(at: path)
            let kek = try LocalKEK(key, displayName: displayName)
            logger?.debug("loaded key-encryption key from file", metadata: ["path": "\(Redaction.shown(path))", "kek-id": "\(kek.id)"])
            return kek
        }
    }


    // MARK: Reading

    /// Reads and checks the key file at `path`.
    /// - Throws: ``CofferCryptoError/kekUnavailable(_:)`` with a message that names the path
    ///   (unless it looks like a key pasted by mistake) and says how to fix the problem.
    static func readKey(at realPath: String) throws -> SymmetricKey {
        let path = Redaction.shown(realPath)
        let fd: Int32
        switch POSIXFile.openForReading(realPath) {
        case .success(let d): fd = d
        case .failure(.missing) where path != realPath:
            throw CofferCryptoError.kekUnavailable(
                "there is no key file at the path given after file: (\(path)); file: takes the path of a key file, not the key itself")
        case .failure(.missing):
            throw CofferCryptoError.kekUnavailable(
                "key file \(path) does not exist; create one with: (umask 077 && openssl rand -base64 32 > \(path))")
        case .failure(.denied):
            throw CofferCryptoError.kekUnavailable("cannot open key file \(path): permission denied")
        case .failure(.other(let why)):
            throw CofferCryptoError.kekUnavailable("cannot open key file \(path): \(why)")
        }
        defer { close(fd) }

        let mode: (type: UInt32, permissions: UInt32)
        do { mode = try POSIXFile.mode(of: fd) } catch { throw unreadable(path, error) }
        guard mode.type == POSIXFile.regularType else {
            throw CofferCryptoError.kekUnavailable(POSIXFile.notRegularMessage(what: "key file", path: path, type: mode.type))
        }
        if let why = permissionProblem(mode.permissions) {
            throw CofferCryptoError.kekUnavailable(
                "key file \(path) has mode \(POSIXFile.octal(mode.permissions)), so \(why); run: chmod 600 \(path)")
        }

        // Read into secure memory; the buffer is wiped when it goes out of scope.
        var count = 0
        var truncated = false
        let buffer = try SecureBytes(count: maxFileBytes) { (b: UnsafeMutableRawBufferPointer) throws in
            do throws(POSIXFile.OpenFailure) {
                (count, truncated) = try POSIXFile.readAll(fd, into: b)
            } catch { throw unreadable(path, error) }
        }
        guard !truncated else {
            throw CofferCryptoError.kekUnavailable(
                "key file \(path) is too large: expected 32 raw bytes or 32 bytes encoded as base64")
        }
        return try buffer.withUnsafeBytes { b in
            let content = UnsafeRawBufferPointer(rebasing: b[..<count])
            if count == SymmetricKey.byteCount { return try SymmetricKey(copying: content) }
            do {
                return try SymmetricKey.decodeBase64(content)
            } catch {
                throw CofferCryptoError.kekUnavailable(
                    "key file \(path) holds \(count) bytes that are neither 32 raw bytes nor 32 bytes encoded as base64 (44 characters)")
            }
        }
    }

    /// What is wrong with `permissions` for a secret file, or `nil` if nothing is.
    static func permissionProblem(_ permissions: UInt32) -> String? {
        guard permissions & 0o077 != 0 else { return nil }
        if permissions & 0o044 != 0 { return "other users can read it" }
        if permissions & 0o022 != 0 { return "other users can modify it" }
        return "other users have access to it"
    }

    private static func unreadable(_ path: String, _ error: POSIXFile.OpenFailure) -> CofferCryptoError {
        switch error {
        case .missing: return .kekUnavailable("key file \(path) disappeared while being read")
        case .denied: return .kekUnavailable("cannot read key file \(path): permission denied")
        case .other(let why): return .kekUnavailable("cannot read key file \(path): \(why)")
        }
    }

    // MARK: Creating

    /// Creates a new key file at `path` holding a fresh random 32-byte KEK as base64 and a
    /// newline, with mode 0600. The file is created with `O_CREAT|O_EXCL`, so an existing
    /// file (or symlink) is never overwritten.
    /// - Returns: the new KEK's fingerprint.
    /// - Throws: ``CofferCryptoError/kekUnavailable(_:)`` if the file exists or cannot be written.
    @discardableResult
    public static func generateKeyFile(at path: String) throws -> KEKIdentifier {
        let key = SymmetricKey.generate()
        // base64 of 32 bytes is 44 characters; sodium_bin2base64 adds a NUL, we add a newline.
        let encodedLength = sodium_base64_encoded_len(SymmetricKey.byteCount, sodium_base64_VARIANT_ORIGINAL)
        let text = SecureBytes(count: encodedLength) { (out: UnsafeMutableRawBufferPointer) in
            key.withUnsafeBytes { k in
                _ = sodium_bin2base64(
                    out.baseAddress!.assumingMemoryBound(to: CChar.self), out.count,
                    k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count,
                    sodium_base64_VARIANT_ORIGINAL)
            }
            out[out.count - 1] = UInt8(ascii: "\n")  // replace the NUL terminator
        }
        if let problem = POSIXFile.writeNewSecretFile(path, text, what: "key file") {
            throw CofferCryptoError.kekUnavailable(problem)
        }
        return try LocalKEK.fingerprint(of: key)
    }
}
