import CofferCrypto
import FuzzSupport

/// KEK provider URIs (`--kek`, `COFFER_KEK_URI`) through `KEKProviderURI(parsing:)`.
///
/// Invariants: parsing throws only `kekUnavailable`; a URI that parses prints (`text`)
/// as text that parses to the same URI.
enum KEKURI {
    static func run(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        let uri: KEKProviderURI
        do {
            uri = try KEKProviderURI(parsing: text)
        } catch CofferCryptoError.kekUnavailable {
            return
        } catch {
            return Fuzz.require(false, "parse threw an undocumented error: \(error)")
        }
        do {
            let again = try KEKProviderURI(parsing: uri.text)
            Fuzz.require(again == uri, "a URI's text parses to another URI")
        } catch {
            Fuzz.require(false, "a URI's text does not parse: \(error)")
        }
    }

    static func seeds() throws -> [[UInt8]] {
        ["file:/etc/coffer/kek", "file:///etc/coffer/kek", "env:COFFER_KEK_B64", "passphrase", "passphrase:/etc/coffer/params.json",
         "kms:x", "pkcs11:token=a",
         "pkcs11:token=coffer;object=kek-2026?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/coffer/pin",
         "pkcs11:token=my%20token;type=secret-key;object=k%3B1?pin-value=1234&module-path=/m.so", "FILE:relative/key", "env:1BAD"].map { Array($0.utf8) }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: KEKURI.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    KEKURI.run(Fuzz.bytes(data, size))
    return 0
}
