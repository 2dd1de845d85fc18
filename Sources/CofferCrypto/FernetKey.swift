#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CSodium

/// A Fernet key: 32 bytes, of which the first 16 are the HMAC-SHA256 signing key and the last
/// 16 the AES-128-CBC encryption key (<https://github.com/fernet/spec/blob/master/Spec.md>).
///
/// Only used to *open* tokens made elsewhere (``Fernet/open(token:keys:ttl:now:)``), for
/// migrating secrets into Coffer. The bytes live in secure memory (``SecureBytes``), the
/// description is redacted and equality is constant time.
///
/// The text form is what `Fernet.generate_key()` prints: the 32 bytes as url-safe base64 with
/// padding (44 characters). Also accepted: no padding, the standard `+/` alphabet instead of
/// `-_` (Python's `urlsafe_b64decode`, which pyca uses, accepts both), and surrounding ASCII
/// whitespace such as a trailing newline.
public struct FernetKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Length of a Fernet key in bytes.
    public static let byteCount = 32
    /// Largest key file accepted (a base64 key with some whitespace fits easily).
    static let maxFileBytes = 256

    let storage: SecureBytes

    init(unchecked bytes: SecureBytes) {
        precondition(bytes.count == Self.byteCount)
        self.storage = bytes
    }

    /// Decodes a key from its base64 text (see the type's documentation for what is accepted).
    /// - Throws: ``CofferCryptoError/invalidKey(_:)`` if the text is not 32 bytes in base64;
    ///   the message never repeats the text.
    public init(base64 text: some StringProtocol) throws {
        var utf8 = Array(text.utf8)
        defer { sodium_memzero(&utf8, utf8.count) }
        self = try utf8.withUnsafeBytes { b in
            guard let key = Self.decode(b) else {
                throw CofferCryptoError.invalidKey(
                    "a Fernet key must be 32 bytes as url-safe base64 (44 characters, as printed by Fernet.generate_key())")
            }
            return key
        }
    }

    /// Reads a key file holding one Fernet key as base64 text (a trailing newline is fine).
    ///
    /// Like ``FileKEKProvider``, refuses anything but a regular file, and a file its group or
    /// other users can read or write (any bit of `0o077`), with a `chmod 600` hint.
    /// - Throws: ``CofferCryptoError/invalidKey(_:)`` naming the path and the problem, never
    ///   the file's content.
    public init(contentsOfFile path: String) throws {
        let fd: Int32
        switch POSIXFile.openForReading(path) {
        case .success(let d): fd = d
        case .failure(.missing):
            throw CofferCryptoError.invalidKey("Fernet key file \(path) does not exist")
        case .failure(.denied):
            throw CofferCryptoError.invalidKey("cannot open Fernet key file \(path): permission denied")
        case .failure(.other(let why)):
            throw CofferCryptoError.invalidKey("cannot open Fernet key file \(path): \(why)")
        }
        defer { close(fd) }

        let mode: (type: UInt32, permissions: UInt32)
        do { mode = try POSIXFile.mode(of: fd) } catch { throw Self.unreadable(path, error) }
        guard mode.type == POSIXFile.regularType else {
            throw CofferCryptoError.invalidKey("Fernet key file \(path) is not a regular file")
        }
        if let why = FileKEKProvider.permissionProblem(mode.permissions) {
            throw CofferCryptoError.invalidKey(
                "Fernet key file \(path) has mode \(POSIXFile.octal(mode.permissions)), so \(why); run: chmod 600 \(path)")
        }

        var count = 0
        var truncated = false
        let buffer = try SecureBytes(count: Self.maxFileBytes) { (b: UnsafeMutableRawBufferPointer) throws in
            do throws(POSIXFile.OpenFailure) {
                (count, truncated) = try POSIXFile.readAll(fd, into: b)
            } catch { throw Self.unreadable(path, error) }
        }
        guard !truncated else {
            throw CofferCryptoError.invalidKey(
                "Fernet key file \(path) is too large: expected one key as url-safe base64 (44 characters)")
        }
        self = try buffer.withUnsafeBytes { b in
            guard let key = Self.decode(UnsafeRawBufferPointer(rebasing: b[..<count])) else {
                throw CofferCryptoError.invalidKey(
                    "Fernet key file \(path) does not hold a Fernet key: expected 32 bytes as url-safe base64 (44 characters)")
            }
            return key
        }
    }

    private static func unreadable(_ path: String, _ error: POSIXFile.OpenFailure) -> CofferCryptoError {
        switch error {
        case .missing: return .invalidKey("Fernet key file \(path) disappeared while being read")
        case .denied: return .invalidKey("cannot read Fernet key file \(path): permission denied")
        case .other(let why): return .invalidKey("cannot read Fernet key file \(path): \(why)")
        }
    }

    /// Decodes base64 text (url-safe or standard alphabet, padding optional, ASCII whitespace
    /// ignored) that must hold exactly 32 bytes, straight into secure memory.
    static func decode(_ encoded: UnsafeRawBufferPointer) -> FernetKey? {
        guard Sodium.ready, let base = encoded.baseAddress, encoded.count > 0 else { return nil }
        let variants: [Int32] = [
            sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING,
            sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        ]
        let src = base.assumingMemoryBound(to: CChar.self)
        for variant in variants {
            let bytes = try? SecureBytes(count: byteCount) { (dst: UnsafeMutableRawBufferPointer) throws(CofferCryptoError) in
                var binLen = 0
                var end: UnsafePointer<CChar>? = nil
                let rc = sodium_base642bin(
                    dst.baseAddress!.assumingMemoryBound(to: UInt8.self), byteCount,
                    src, encoded.count, " \t\r\n", &binLen, &end, variant)
                guard rc == 0, binLen == byteCount, end == UnsafePointer(src) + encoded.count else {
                    throw .invalidKey("")
                }
            }
            if let bytes { return FernetKey(unchecked: bytes) }
        }
        return nil
    }

    /// The HMAC-SHA256 signing key (the first 16 bytes). Do not let the pointer escape.
    func withSigningKey<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes { (b) throws(E) in try body(UnsafeRawBufferPointer(rebasing: b[0..<16])) }
    }

    /// The AES-128-CBC encryption key (the last 16 bytes). Do not let the pointer escape.
    func withEncryptionKey<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes { (b) throws(E) in try body(UnsafeRawBufferPointer(rebasing: b[16..<32])) }
    }

    /// Constant-time equality.
    public static func == (lhs: FernetKey, rhs: FernetKey) -> Bool { lhs.storage == rhs.storage }

    public var description: String { "FernetKey(redacted)" }
    public var debugDescription: String { description }
}
