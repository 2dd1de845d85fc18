/// The header of an ``ExportBundle``: everything before the sealed payload. Its layout is
/// specified in docs/FORMAT.md ("Export bundle"); all integers are big-endian.
///
/// ```
/// magic "CFXB" (4) ‖ format version 0x01 (1) ‖ kind (1) ‖ kind-specific fields
///   kind 1, X25519:     recipient fingerprint (8) ‖ crypto_box_seal(content key) (80)
///   kind 2, passphrase: opslimit u64 (8) ‖ memlimit u64 (8) ‖ salt (16) ‖ wrapped content key (66)
/// ```
struct ExportBundleHeader {
    static let magic: [UInt8] = Array("CFXB".utf8)
    static let formatVersion: UInt8 = 1
    /// Bytes before the kind-specific fields: magic, version, kind.
    static let prefixCount = 6

    /// The kind byte.
    enum KindByte: UInt8 {
        case x25519 = 1
        case passphrase = 2
    }

    /// `crypto_box_seal` of a 32-byte content key: ephemeral public key (32) ‖ box (32 + 16).
    static let sealedKeyCount = 32 + 32 + 16
    /// A 32-byte content key sealed as a Coffer v1 ciphertext (6 + 12 + 32 + 16).
    static let wrappedKeyCount = SymmetricKey.byteCount + CiphertextHeader.overhead
    static let x25519Count = prefixCount + X25519PublicKey.fingerprintByteCount + sealedKeyCount  // 94
    /// Offset of the wrapped content key in a passphrase header (= the bytes its AAD covers).
    static let passphraseWrapOffset = prefixCount + 8 + 8 + Argon2id.saltByteCount  // 38
    static let passphraseCount = passphraseWrapOffset + wrappedKeyCount  // 104

    /// Largest Argon2id pass count a bundle may ask for (libsodium SENSITIVE is 4).
    static let maxOpsLimit: UInt64 = 32
    /// Largest Argon2id memory a bundle may ask for: 1 GiB (libsodium SENSITIVE).
    static let maxMemLimit: UInt64 = 1 << 30

    /// Why a passphrase cost cannot be used in a bundle, or `nil`.
    static func costProblem(opsLimit: UInt64, memLimit: UInt64) -> String? {
        if opsLimit > maxOpsLimit { return "opslimit \(opsLimit) is above \(maxOpsLimit)" }
        if memLimit > maxMemLimit { return "memlimit \(memLimit) is above \(maxMemLimit) bytes" }
        return Argon2id.parameterProblem(opsLimit: opsLimit, memLimit: Int(memLimit))
    }

    enum Fields {
        case x25519(fingerprint: [UInt8], sealedKey: UnsafeRawBufferPointer)
        /// `memLimit` as stored: check it with ``costProblem(opsLimit:memLimit:)`` before use.
        case passphrase(opsLimit: UInt64, memLimit: UInt64, salt: [UInt8], wrappedKey: UnsafeRawBufferPointer)
    }

    /// The header bytes, in the caller's buffer.
    let bytes: UnsafeRawBufferPointer
    let fields: Fields
    /// The sealed payload after the header (a Coffer v1 ciphertext, at least 34 bytes).
    let payload: UnsafeRawBufferPointer

    var kind: ExportBundle.Kind {
        switch fields {
        case .x25519(let fingerprint, _): return .x25519(fingerprint: Hex.string(fingerprint))
        case .passphrase: return .passphrase
        }
    }

    /// Parses the header of `bundle`; the pointers in the result point into `bundle`.
    ///
    /// - Throws: ``CofferCryptoError/invalidBundle(_:)`` when the bytes are not an export
    ///   bundle at all or name a format version or kind this build does not know (public
    ///   facts); ``CofferCryptoError/bundleAuthenticationFailed`` when a bundle is truncated (damage).
    ///   Argon2id parameters are not checked here (see ``costProblem(opsLimit:memLimit:)``).
    init(parsing bundle: UnsafeRawBufferPointer) throws {
        guard bundle.count > 0 else {
            throw CofferCryptoError.invalidBundle("the input is empty, not a Coffer export bundle")
        }
        for i in 0..<min(bundle.count, Self.magic.count) where bundle[i] != Self.magic[i] {
            throw CofferCryptoError.invalidBundle("not a Coffer export bundle (it does not start with \"CFXB\")")
        }
        guard bundle.count >= Self.prefixCount else { throw CofferCryptoError.bundleAuthenticationFailed }
        guard bundle[4] == Self.formatVersion else {
            throw CofferCryptoError.invalidBundle(
                "export bundle format version \(bundle[4]) is not supported by this build (it reads version \(Self.formatVersion))")
        }
        guard let kind = KindByte(rawValue: bundle[5]) else {
            throw CofferCryptoError.invalidBundle("unknown export bundle kind \(bundle[5]) (known: 1 = X25519, 2 = passphrase)")
        }
        let count: Int
        switch kind {
        case .x25519: count = Self.x25519Count
        case .passphrase: count = Self.passphraseCount
        }
        guard bundle.count >= count + CiphertextHeader.overhead else { throw CofferCryptoError.bundleAuthenticationFailed }
        bytes = UnsafeRawBufferPointer(rebasing: bundle[..<count])
        payload = UnsafeRawBufferPointer(rebasing: bundle[count...])
        switch kind {
        case .x25519:
            let f = Self.prefixCount + X25519PublicKey.fingerprintByteCount
            fields = .x25519(
                fingerprint: Array(bundle[Self.prefixCount..<f]),
                sealedKey: UnsafeRawBufferPointer(rebasing: bundle[f..<count]))
        case .passphrase:
            let ops = Self.readU64(bundle, at: Self.prefixCount)
            let mem = Self.readU64(bundle, at: Self.prefixCount + 8)
            let saltStart = Self.prefixCount + 16
            fields = .passphrase(
                opsLimit: ops, memLimit: mem,
                salt: Array(bundle[saltStart..<Self.passphraseWrapOffset]),
                wrappedKey: UnsafeRawBufferPointer(rebasing: bundle[Self.passphraseWrapOffset..<count]))
        }
    }

    /// `magic ‖ version ‖ kind`.
    static func prefix(_ kind: KindByte) -> [UInt8] {
        magic + [formatVersion, kind.rawValue]
    }

    static func appendU64(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    private static func readU64(_ b: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(b[offset + i]) }
        return v
    }

    /// The context a part of the bundle is sealed under: purpose 3, empty workspace, the hex
    /// of the header bytes it is bound to, and `part` (1 = payload, 0 = wrapped content key).
    static func context(boundTo header: UnsafeRawBufferPointer, part: UInt32) -> EnvelopeContext {
        EnvelopeContext(purpose: .exportBundle, workspace: "", name: Hex.string(Array(header)), version: part)
    }

    static let payloadPart: UInt32 = 1
    static let wrappedKeyPart: UInt32 = 0
    /// Key id written in the Coffer v1 header of both parts.
    static let keyID: UInt32 = 0
}
