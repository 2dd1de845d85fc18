#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSodium

/// The nonce source of the hot path: 96-bit nonces drawn from a CSPRNG, amortised.
///
/// Each thread owns one page. The page holds a small header and ``poolBytes`` bytes of output
/// of the kernel CSPRNG (`getrandom`, one call per page; libsodium's `randombytes_buf` as fallback); a seal
/// takes the next 12 unused bytes and a refill happens once every ``noncesPerRefill`` seals.
/// Each byte is handed out exactly once, so the nonces are exactly as
/// unpredictable and independent as the CSPRNG's output, and the per-nonce cost is one
/// bulk-refill share (tens of nanoseconds) instead of one system call (≈260 ns) or one
/// `RAND_bytes` (≈620 ns).
///
/// Collision bound: nonces are uniform and independent 96-bit values, so for `q` messages
/// under one key the probability that any two share a nonce is at most `q² / 2⁹⁷`
/// (2⁻³³ at q = 2³², the limit NIST SP 800-38D sets for random nonces; about 2⁻⁵³ at 2²²).
///
/// Fork safety: the page is mapped with `MADV_WIPEONFORK`, so a child process sees it zeroed
/// (= empty) and refills from the kernel instead of repeating its parent's nonces. Where the
/// kernel refuses that advice (Linux < 4.14, non-Linux systems), which is probed once per
/// process, nonces are drawn per call from `randombytes_buf` (slower, same guarantees).
enum NonceSource {
    static let nonceByteCount = 12
    /// Random bytes per page after the header.
    static let poolBytes = 4096 - headerBytes
    static let headerBytes = 64
    static let noncesPerRefill = poolBytes / nonceByteCount

    // Header layout (64 bytes, one cache line): [0] UInt32 next offset into the pool,
    // [4] UInt32 magic set on refill; a zeroed page (new or wiped on fork) reads as empty.
    private static let magic: UInt32 = 0xC0FF_E501

    private static let pageSize = 4096

    /// Thread-specific storage key with a destructor that unmaps the page at thread exit.
    private static let threadKey: pthread_key_t? = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { page in
            guard let page else { return }
            munmap(page, NonceSource.pageSize)
        }
        return rc == 0 ? key : nil
    }()

    /// Whether this kernel honours `MADV_WIPEONFORK`, probed once on a scratch page.
    static let wipeOnForkAvailable: Bool = {
        #if os(Linux)
        let p = mmap(nil, pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { return false }
        defer { munmap(p, pageSize) }
        return madvise(p, pageSize, 18) == 0  // MADV_WIPEONFORK
        #else
        return false
        #endif
    }()

    /// Writes a fresh 12-byte nonce at `destination`.
    @inline(__always)
    static func fill(_ destination: UnsafeMutableRawPointer) throws {
        guard wipeOnForkAvailable, let key = threadKey else { return try slowFill(destination) }
        var page = pthread_getspecific(key)
        if _slowPath(page == nil) {
            page = makePage(key)
            if page == nil { return try slowFill(destination) }
        }
        let header = page.unsafelyUnwrapped.assumingMemoryBound(to: UInt32.self)
        var offset = Int(header[0])
        if _slowPath(header[1] != magic || offset + nonceByteCount > poolBytes) {
            try refill(page.unsafelyUnwrapped)
            offset = 0
        }
        let source = page.unsafelyUnwrapped + headerBytes + offset
        destination.copyMemory(from: source, byteCount: nonceByteCount)
        header[0] = UInt32(offset + nonceByteCount)
    }

    private static func refill(_ page: UnsafeMutableRawPointer) throws {
        try Sodium.ensureReady()
        fillFromKernel(page + headerBytes, poolBytes)
        let header = page.assumingMemoryBound(to: UInt32.self)
        header[0] = 0
        header[1] = magic
    }

    /// Fills `count` bytes from the kernel CSPRNG with as few `getrandom` calls as possible
    /// (one per page in practice). `randombytes_buf` reads the same source (libsodium 1.0.18
    /// uses `getrandom` on Linux) but in 256-byte chunks: 16 system calls, each with its own
    /// per-call kernel set-up, per page. Any failure falls back to `randombytes_buf` for the
    /// rest, which never returns without filling the buffer.
    @inline(never)
    private static func fillFromKernel(_ p: UnsafeMutableRawPointer, _ count: Int) {
        #if os(Linux)
        var done = 0
        while done < count {
            let r = getrandom(p + done, count - done, 0)
            if r > 0 {
                done += r
            } else if r < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        if done < count { randombytes_buf(p + done, count - done) }
        #else
        randombytes_buf(p, count)
        #endif
    }

    private static func makePage(_ key: pthread_key_t) -> UnsafeMutableRawPointer? {
        let p = mmap(nil, pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { return nil }
        #if os(Linux)
        // MADV_WIPEONFORK = 18 (Linux >= 4.14). Without it a forked child could repeat nonces.
        guard madvise(p, pageSize, 18) == 0 else {
            munmap(p, pageSize)
            return nil
        }
        #else
        munmap(p, pageSize)
        return nil
        #endif
        guard pthread_setspecific(key, p) == 0 else {
            munmap(p, pageSize)
            return nil
        }
        return p
    }

    /// One CSPRNG call per nonce: used only when per-thread pages are unavailable.
    private static func slowFill(_ destination: UnsafeMutableRawPointer) throws {
        try Sodium.ensureReady()
        randombytes_buf(destination, nonceByteCount)
    }
}
