import CSodium

/// An encrypted, integrity-checked container for a workspace export (docs/FORMAT.md,
/// "Export bundle").
///
/// A fresh random 32-byte content key seals the payload with AES-256-GCM (``EnvelopeKey``, so
/// the payload part is a Coffer v1 ciphertext) bound to the whole bundle header. The content key
/// reaches the reader either sealed to an X25519 public key with libsodium's `crypto_box_seal`,
/// or wrapped with AES-256-GCM under a key derived from a passphrase with Argon2id (salt and
/// cost in the header).
///
/// Opening either returns the whole payload or throws: any change to any byte, truncation,
/// extension, a wrong recipient key or a wrong passphrase is
/// ``CofferCryptoError/bundleAuthenticationFailed``. Bytes that are not an export bundle, a
/// format version or kind this build does not know, a bundle of the other kind than the key
/// offered, or a passphrase bundle asking for more Argon2id work than the opener accepts
/// (``defaultMaxCost``) are ``CofferCryptoError/invalidBundle(_:)``.
public enum ExportBundle {
    /// The most Argon2id work ``open(_:passphrase:maxCost:)`` accepts by default: 4 passes
    /// over 256 MiB (libsodium MODERATE, which ``seal(_:passphrase:cost:)`` uses by default,
    /// is 3 passes over 256 MiB). A forged header could otherwise make the opener spend up
    /// to the format's limit of 32 passes over 1 GiB (about 25 s) before the bundle is
    /// rejected. Bundles sealed at a higher cost (``PassphraseKEKProvider/Cost/sensitive``)
    /// need a higher `maxCost`.
    public static let defaultMaxCost = PassphraseKEKProvider.Cost(opsLimit: 4, memLimitBytes: 256 << 20)

    /// The format's own limit on a passphrase bundle's cost: 32 passes over 1 GiB. No
    /// `maxCost` goes beyond it.
    public static let formatMaxCost = PassphraseKEKProvider.Cost(
        opsLimit: ExportBundleHeader.maxOpsLimit, memLimitBytes: Int(ExportBundleHeader.maxMemLimit))

    /// Seals `payload` to a recipient's X25519 public key.
    /// - Throws: ``CofferCryptoError/messageTooLarge(limit:)`` above
    ///   ``EnvelopeKey/maxPlaintextBytes``; ``CofferCryptoError/invalidKey(_:)`` for a
    ///   low-order public key (one that is not a real X25519 key).
    public static func seal(_ payload: SecretBytes, to recipient: X25519PublicKey) throws -> [UInt8] {
        try Sodium.ensureReady()
        try checkSize(payload)
        let contentKey = SymmetricKey.generate()
        var sealedKey = [UInt8](repeating: 0, count: ExportBundleHeader.sealedKeyCount)
        let rc = contentKey.withUnsafeBytes { k in
            crypto_box_seal(&sealedKey, k.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(k.count), recipient.bytes)
        }
        // libsodium refuses a public key whose shared secret would be all zeros (a low-order point).
        guard rc == 0 else { throw CofferCryptoError.invalidKey("the recipient's X25519 public key is not usable (a low-order point)") }
        let header = ExportBundleHeader.prefix(.x25519) + recipient.fingerprintBytes + sealedKey
        return try sealPayload(payload, header: header, contentKey: contentKey)
    }

    /// Seals `payload` under a passphrase. The key that wraps the content key is Argon2id
    /// (libsodium `crypto_pwhash`, Argon2id v1.3) of the passphrase and a random 16-byte salt at
    /// `cost` (libsodium MODERATE, 3 passes over 256 MiB, by default); salt and cost are stored
    /// in the header.
    /// - Throws: ``CofferCryptoError/invalidKey(_:)`` for an empty passphrase or a cost outside
    ///   1...32 passes and 8 KiB...1 GiB; ``CofferCryptoError/messageTooLarge(limit:)``;
    ///   ``CofferCryptoError/libraryFailure(operation:)`` (for example not enough memory).
    public static func seal(
        _ payload: SecretBytes, passphrase: SecretBytes, cost: PassphraseKEKProvider.Cost = .moderate
    ) throws -> [UInt8] {
        try Sodium.ensureReady()
        try checkSize(payload)
        guard passphrase.count > 0 else { throw CofferCryptoError.invalidKey("the export passphrase is empty") }
        guard cost.memLimitBytes >= 0,
              ExportBundleHeader.costProblem(opsLimit: cost.opsLimit, memLimit: UInt64(cost.memLimitBytes)) == nil
        else {
            let why = cost.memLimitBytes < 0
                ? "negative memlimit"
                : ExportBundleHeader.costProblem(opsLimit: cost.opsLimit, memLimit: UInt64(cost.memLimitBytes)) ?? ""
            throw CofferCryptoError.invalidKey("unusable Argon2id cost for an export bundle: \(why)")
        }
        var salt = [UInt8](repeating: 0, count: Argon2id.saltByteCount)
        try salt.withUnsafeMutableBytes { try Sodium.randomBytes($0) }
        let wrappingKey = try passphrase.withUnsafeBytes { p in
            try Argon2id.deriveKey(passphrase: p, salt: salt, opsLimit: cost.opsLimit, memLimit: cost.memLimitBytes)
        }
        var prefix = ExportBundleHeader.prefix(.passphrase)
        ExportBundleHeader.appendU64(cost.opsLimit, to: &prefix)
        ExportBundleHeader.appendU64(UInt64(cost.memLimitBytes), to: &prefix)
        prefix += salt
        let contentKey = SymmetricKey.generate()
        let wrapper = try EnvelopeKey(wrappingKey, id: ExportBundleHeader.keyID)
        let wrapped = try prefix.withUnsafeBytes { p in
            try contentKey.withUnsafeBytes { k in
                try wrapper.seal(k, context: ExportBundleHeader.context(boundTo: p, part: ExportBundleHeader.wrappedKeyPart))
            }
        }
        return try sealPayload(payload, header: prefix + wrapped, contentKey: contentKey)
    }

    /// Which kind of bundle this is, from its header alone (no key needed).
    /// - Throws: ``CofferCryptoError/invalidBundle(_:)`` for bytes that are not an export
    ///   bundle or an unknown version or kind; ``CofferCryptoError/bundleAuthenticationFailed``
    ///   for a truncated bundle. A bundle whose kind is readable can still fail to open.
    public static func recipientKind(of bundle: [UInt8]) throws -> ExportBundle.Kind {
        try bundle.withUnsafeBytes { b in try ExportBundleHeader(parsing: b).kind }
    }

    /// Opens a bundle sealed to `identity`'s public key.
    /// - Throws: ``CofferCryptoError/bundleAuthenticationFailed`` for any damage or when the
    ///   bundle was sealed to another key; ``CofferCryptoError/invalidBundle(_:)`` for bytes
    ///   that are not a bundle this build reads, or a passphrase bundle.
    public static func open(_ bundle: [UInt8], with identity: X25519KeyPair) throws -> SecretBytes {
        try Sodium.ensureReady()
        return try bundle.withUnsafeBytes { b in
            let header = try ExportBundleHeader(parsing: b)
            guard case .x25519(let fingerprint, let sealedKey) = header.fields else {
                throw CofferCryptoError.invalidBundle(
                    "this bundle is sealed with a passphrase, not to an X25519 key; open it with its passphrase")
            }
            guard fingerprint == identity.publicKey.fingerprintBytes else { throw CofferCryptoError.bundleAuthenticationFailed }
            let contentKey = try SecureBytes(count: SymmetricKey.byteCount) { (out: UnsafeMutableRawBufferPointer) throws in
                let rc = identity.secretKey.withUnsafeBytes { sk in
                    crypto_box_seal_open(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        sealedKey.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(sealedKey.count),
                        identity.publicKey.bytes, sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
                guard rc == 0 else { throw CofferCryptoError.bundleAuthenticationFailed }
            }
            return try openPayload(header, contentKey: SymmetricKey(contentKey))
        }
    }

    /// Opens a bundle sealed under `passphrase`. This runs Argon2id at the cost recorded in
    /// the bundle, once that cost is checked against `maxCost` (and the format's limit,
    /// ``formatMaxCost``): a header asking for more passes or more memory is refused before
    /// Argon2id runs.
    /// - Parameter bundle: the bundle's bytes, as ``seal(_:passphrase:cost:)`` wrote them.
    /// - Parameter passphrase: the passphrase it was sealed under, in wiped memory.
    /// - Parameter maxCost: the most Argon2id work accepted, in passes and in bytes of memory
    ///   (each checked on its own); default ``defaultMaxCost``, 4 passes over 256 MiB.
    /// - Throws: ``CofferCryptoError/bundleAuthenticationFailed`` for any damage or a wrong
    ///   passphrase (the two cannot be told apart); ``CofferCryptoError/invalidBundle(_:)``
    ///   for bytes that are not a bundle this build reads, an X25519 bundle, or a cost above
    ///   `maxCost`; ``CofferCryptoError/libraryFailure(operation:)`` when Argon2id cannot get
    ///   its memory.
    public static func open(_ bundle: [UInt8], passphrase: SecretBytes, maxCost: PassphraseKEKProvider.Cost = defaultMaxCost) throws -> SecretBytes {
        try Sodium.ensureReady()
        return try bundle.withUnsafeBytes { b in
            let header = try ExportBundleHeader(parsing: b)
            guard case .passphrase(let ops, let mem, let salt, let wrappedKey) = header.fields else {
                throw CofferCryptoError.invalidBundle(
                    "this bundle is sealed to an X25519 key (\(header.kind)), not with a passphrase; open it with that key's secret key file")
            }
            if let why = costRefusal(opsLimit: ops, memLimit: mem, maxCost: maxCost) {
                throw CofferCryptoError.invalidBundle(why)
            }
            let wrappingKey: SymmetricKey
            do {
                wrappingKey = try passphrase.withUnsafeBytes { p in
                    try Argon2id.deriveKey(passphrase: p, salt: salt, opsLimit: ops, memLimit: Int(mem))
                }
            } catch CofferCryptoError.invalidKey {
                // Only a passphrase longer than libsodium accepts gets here: it cannot be the one.
                throw CofferCryptoError.bundleAuthenticationFailed
            }
            let wrapper = try EnvelopeKey(wrappingKey, id: ExportBundleHeader.keyID)
            let prefix = UnsafeRawBufferPointer(rebasing: header.bytes[..<ExportBundleHeader.passphraseWrapOffset])
            let opened = try authenticating {
                try wrapper.open(wrappedKey, context: ExportBundleHeader.context(boundTo: prefix, part: ExportBundleHeader.wrappedKeyPart))
            }
            let contentKey = try opened.withUnsafeBytes { k in try SymmetricKey(copying: k) }
            return try openPayload(header, contentKey: contentKey)
        }
    }

    // MARK: Parts

    private static func checkSize(_ payload: SecretBytes) throws {
        guard payload.count <= EnvelopeKey.maxPlaintextBytes else {
            throw CofferCryptoError.messageTooLarge(limit: EnvelopeKey.maxPlaintextBytes)
        }
    }

    /// `header ‖ payload sealed under contentKey, bound to the header`, in one allocation.
    private static func sealPayload(_ payload: SecretBytes, header: [UInt8], contentKey: SymmetricKey) throws -> [UInt8] {
        let key = try EnvelopeKey(contentKey, id: ExportBundleHeader.keyID)
        let total = header.count + payload.count + CiphertextHeader.overhead
        var failure: (any Error)? = nil
        let out = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            initialized = 0
            let raw = UnsafeMutableRawBufferPointer(buffer)
            header.withUnsafeBytes { h in raw.copyMemory(from: h) }
            do {
                let context = header.withUnsafeBytes { h in
                    ExportBundleHeader.context(boundTo: h, part: ExportBundleHeader.payloadPart)
                }
                let n = try payload.withUnsafeBytes { p in
                    try key.seal(p, context: context, into: UnsafeMutableRawBufferPointer(rebasing: raw[header.count...]))
                }
                initialized = header.count + n
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return out
    }

    private static func openPayload(_ header: ExportBundleHeader, contentKey: SymmetricKey) throws -> SecretBytes {
        let key = try EnvelopeKey(contentKey, id: ExportBundleHeader.keyID)
        let context = ExportBundleHeader.context(boundTo: header.bytes, part: ExportBundleHeader.payloadPart)
        return try authenticating { try key.open(header.payload, context: context) }
    }

    /// Runs `body`, reporting any failure to open a part of the bundle, including a
    /// ciphertext header the envelope code does not know (only possible through damage
    /// inside the bundle), as the bundle's authentication failure.
    private static func authenticating<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch CofferCryptoError.malformedHeader, CofferCryptoError.authenticationFailed {
            throw CofferCryptoError.bundleAuthenticationFailed
        }
    }

    /// Why a passphrase bundle's recorded cost is refused under `maxCost`, or `nil`.
    static func costRefusal(opsLimit: UInt64, memLimit: UInt64, maxCost: PassphraseKEKProvider.Cost) -> String? {
        let mib = { (bytes: UInt64) in bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes" }
        if let why = ExportBundleHeader.costProblem(opsLimit: opsLimit, memLimit: memLimit) {
            return "its header asks for an Argon2id cost no Coffer bundle has (\(why)); it is damaged or forged"
        }
        let maxMemory = UInt64(max(0, maxCost.memLimitBytes))
        guard opsLimit > maxCost.opsLimit || memLimit > maxMemory else { return nil }
        return "its header asks for Argon2id with \(opsLimit) passes over \(mib(memLimit)), more than the "
            + "\(maxCost.opsLimit) passes over \(mib(maxMemory)) accepted; it was not tried. If you trust its sender, "
            + "raise the limit (coffer import --max-argon2-passes N --max-argon2-memory MIB)"
    }
}
