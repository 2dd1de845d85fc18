import CofferInput
import FuzzSupport

/// What the PKCS#11 provider parses from a stored row: the wrapped-key layout
/// (`PKCS11WrappedKey`, docs/FORMAT.md §16). Its `pkcs11:` URI is fuzzed through
/// `KEKProviderURI` by FuzzKEKURI.
///
/// Invariants: a parsed wrapped key writes back to exactly the input; its IV is 12 bytes, its
/// sealed key 48, its labels 1–32 and 1–255 bytes without control characters.
enum PKCS11ParsersFuzz {
    static func run(_ input: [UInt8]) {
        guard let key = PKCS11WrappedKey(parsing: input) else { return }
        Fuzz.require(key.bytes == input, "a wrapped key that does not write back to its input")
        Fuzz.require(key.iv.count == PKCS11WrappedKey.ivLength && key.sealed.count == PKCS11WrappedKey.sealedLength, "an IV or sealed key of the wrong length")
        Fuzz.require((1...PKCS11WrappedKey.maxTokenLabelLength).contains(key.tokenLabel.utf8.count), "a token label length out of range")
        Fuzz.require((1...PKCS11WrappedKey.maxObjectLabelLength).contains(key.objectLabel.utf8.count), "an object label length out of range")
        Fuzz.require(!(key.tokenLabel + key.objectLabel).utf8.contains { $0 < 0x20 || $0 == 0x7f }, "a label with a control character")
    }

    static func seeds() throws -> [[UInt8]] {
        let wrapped = try PKCS11WrappedKey(
            iv: Array(0..<12), sealed: (0..<48).map { UInt8($0) }, tokenLabel: "coffer", objectLabel: "kek-2026").bytes
        return [
            wrapped, Array(wrapped.dropLast()), wrapped + [0],
            try PKCS11WrappedKey(iv: Array(repeating: 0, count: 12), sealed: Array(repeating: 1, count: 48),
                                 tokenLabel: String(repeating: "t", count: 32), objectLabel: "clé ü").bytes,
            Array("CFPK".utf8) + [1] + [UInt8](repeating: 0, count: 70),
        ]
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: PKCS11ParsersFuzz.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    PKCS11ParsersFuzz.run(Fuzz.bytes(data, size))
    return 0
}
