import CSodium

/// Plaintext bytes returned by ``EnvelopeKey/open(_:context:)-(UnsafeRawBufferPointer,_)``: one heap allocation, wiped
/// with `sodium_memzero` when the last reference goes away, never printed, compared in
/// constant time.
///
/// Use ``SecureBytes`` (locked, guard-paged memory) for long-lived keys; `SecretBytes` is the
/// cheap container for values that pass through the hot path.
public struct SecretBytes: @unchecked Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    // @unchecked Sendable: `storage` (a ManagedBuffer, which the standard library marks
    // non-Sendable) is written only inside SecretBytes.init, before any other reference to it
    // exists, and is read-only afterwards; its deinit runs when no reference is left.
    final class Storage: ManagedBuffer<Int, UInt8> {
        deinit {
            withUnsafeMutablePointers { count, elements in
                sodium_memzero(elements, count.pointee)
            }
        }
    }

    let storage: Storage

    /// Allocates `count` bytes and lets `initializer` write them. If it throws, the bytes
    /// are wiped and the error is rethrown.
    public init<E: Error>(
        count: Int,
        initializingWith initializer: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        precondition(count >= 0)
        let s = Storage.create(minimumCapacity: max(count, 1)) { _ in count }
        let storage = unsafeDowncast(s, to: Storage.self)
        try storage.withUnsafeMutablePointerToElements { (e) throws(E) in
            try initializer(UnsafeMutableRawBufferPointer(start: e, count: count))
        }
        self.storage = storage
    }

    /// Copies `bytes`. The caller remains responsible for wiping its own copy.
    public init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count) { (dst: UnsafeMutableRawBufferPointer) in
            if bytes.count > 0 { dst.copyMemory(from: bytes) }
        }
    }

    /// Copies `bytes`. The caller remains responsible for wiping its own copy.
    public init(_ bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { SecretBytes(copying: $0) }
    }

    /// Number of bytes.
    public var count: Int { storage.header }

    /// Read-only access to the bytes. Do not let the pointer escape.
    @inline(__always)
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeMutablePointers { (count, elements) throws(E) in
            try body(UnsafeRawBufferPointer(start: elements, count: count.pointee))
        }
    }

    /// Copies the bytes into an ordinary array, which is *not* wiped on release: use only
    /// where the bytes must leave Coffer anyway (for example to write them to stdout).
    public func unprotectedArray() -> [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Constant-time comparison: the time taken depends only on the lengths.
    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        lhs.withUnsafeBytes { a in
            rhs.withUnsafeBytes { b in
                guard a.count == b.count else { return false }
                if a.count == 0 { return true }
                return sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
            }
        }
    }

    public var description: String { "SecretBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }
}
