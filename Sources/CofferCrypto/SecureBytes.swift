import CSodium

/// Immutable secret bytes held in libsodium secure memory (`sodium_malloc`: guard pages,
/// `mlock`, wiped with `sodium_memzero` by `sodium_free` on release).
///
/// The bytes can only be read through ``withUnsafeBytes(_:)``; `description` never shows them;
/// equality is constant time (`sodium_memcmp`).
public final class SecureBytes: @unchecked Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    // @unchecked Sendable: `pointer` and `count` are set once in init and the memory they
    // point at is never written after init returns (the only writers are the initialisers
    // below, before the object is shared); readers only read. Release happens in deinit, when
    // no other reference exists.
    private let pointer: UnsafeMutableRawPointer
    /// Number of secret bytes.
    public let count: Int

    /// Allocates `count` bytes of secure memory and lets `initializer` fill them.
    /// If the initializer throws, the memory is wiped and released.
    public init<E: Error>(
        count: Int,
        initializingWith initializer: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) where E: Error {
        precondition(count >= 0)
        _ = Sodium.ready
        // sodium_malloc(0) is valid but may return NULL on some builds: allocate at least one byte.
        guard let p = sodium_malloc(max(count, 1)) else {
            fatalError("sodium_malloc failed: out of memory or mlock limit")
        }
        self.pointer = p
        self.count = count
        // If the initializer throws, every stored property is already set, so Swift runs
        // deinit, which wipes and frees the memory: freeing it here as well would be a
        // double free.
        try initializer(UnsafeMutableRawBufferPointer(start: p, count: count))
    }

    /// Fresh random secret bytes from libsodium's CSPRNG.
    public static func random(count: Int) -> SecureBytes {
        SecureBytes(count: count) { (b: UnsafeMutableRawBufferPointer) in
            if let base = b.baseAddress, b.count > 0 { randombytes_buf(base, b.count) }
        }
    }

    /// Copies `bytes` into secure memory. The caller remains responsible for wiping its copy.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count) { (dst: UnsafeMutableRawBufferPointer) in
            if bytes.count > 0 { dst.copyMemory(from: bytes) }
        }
    }

    deinit {
        sodium_free(pointer)  // wipes before unmapping
    }

    /// Calls `body` with read-only access to the secret bytes. Do not let the pointer escape.
    @inline(__always)
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Constant-time comparison: the time taken depends only on the lengths.
    public static func == (lhs: SecureBytes, rhs: SecureBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.count == 0 { return true }
        return sodium_memcmp(lhs.pointer, rhs.pointer, lhs.count) == 0
    }

    public var description: String { "SecureBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }
}
