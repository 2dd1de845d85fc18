import CSodium

/// One-time libsodium initialisation. `sodium_init` is idempotent and thread-safe; the global
/// `let` makes sure it runs once before any libsodium call of ours.
enum Sodium {
    static let ready: Bool = sodium_init() >= 0

    /// Fails loudly if libsodium could not initialise (no entropy source); nothing secure can
    /// be done without it.
    @inline(__always)
    static func ensureReady() throws {
        guard ready else { throw CofferCryptoError.libraryFailure(operation: "sodium_init") }
    }

    /// Fills `buffer` with bytes from libsodium's CSPRNG.
    static func randomBytes(_ buffer: UnsafeMutableRawBufferPointer) throws {
        try ensureReady()
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }
}
