import CofferCrypto
import FuzzSupport

/// Coffer v1 ciphertexts (docs/FORMAT.md §2) through `EnvelopeKey.open` and
/// `CiphertextHeader(parsing:)`. Input: one byte choosing the context, then the ciphertext.
///
/// Invariants: the three backends (automatic, libsodium, OpenSSL) give the same outcome; the
/// only errors are `authenticationFailed` and `malformedHeader`, the latter exactly when the
/// header parser refuses the header as unknown; an open that succeeds returns a seed's plaintext
/// (nothing else was ever sealed under the key) from a ciphertext whose header names the key.
enum CiphertextOpen {
    static let keyID: UInt32 = 7
    static let keys: [EnvelopeKey] = EnvelopeKey.Backend.allCases.map { backend in
        try! EnvelopeKey(Fuzz.testKey(1), id: keyID, backend: backend)
    }
    static let contexts: [EnvelopeContext] = [
        .secret(workspace: "acme", name: "db/password", version: 1),
        .dataKey(workspace: "acme", dataKeyVersion: 3),
        EnvelopeContext(purpose: .exportBundle, workspace: "", name: "", version: 0),
        .secret(workspace: "", name: "", version: UInt32.max),
    ]

    enum Outcome: Equatable {
        case opened([UInt8])
        case authenticationFailed
        case malformedHeader
    }

    static func run(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        let context = contexts[Int(selector) % contexts.count]
        let ciphertext = Array(input.dropFirst())
        let outcomes = keys.map { key -> Outcome in
            do {
                let plaintext = try key.open(ciphertext, context: context)
                Fuzz.require(Fuzz.isSeedPlaintext(plaintext), "open returned a plaintext no seed holds")
                return .opened(plaintext.withUnsafeBytes { Array($0) })
            } catch CofferCryptoError.authenticationFailed {
                return .authenticationFailed
            } catch CofferCryptoError.malformedHeader {
                return .malformedHeader
            } catch {
                Fuzz.require(false, "open threw an undocumented error: \(error)")
                return .authenticationFailed
            }
        }
        Fuzz.require(outcomes.allSatisfy { $0 == outcomes[0] }, "the backends disagree: \(outcomes.map { "\($0)" })")

        let header: CiphertextHeader?
        var headerMalformed = false
        do {
            header = try CiphertextHeader(parsing: ciphertext)
        } catch CofferCryptoError.malformedHeader {
            header = nil
            headerMalformed = true
        } catch CofferCryptoError.authenticationFailed {
            header = nil
        } catch {
            Fuzz.require(false, "the header parser threw an undocumented error: \(error)")
            return
        }
        Fuzz.require((outcomes[0] == .malformedHeader) == headerMalformed, "open and the header parser disagree on a malformed header")
        if case .opened(let plaintext) = outcomes[0] {
            Fuzz.require(header?.keyID == keyID, "opened a ciphertext whose header names another key")
            Fuzz.require(plaintext.count == ciphertext.count - CiphertextHeader.overhead, "plaintext length is not ciphertext minus overhead")
        }
    }

    /// Valid ciphertexts under every context, short (libsodium) and long (OpenSSL).
    static func seeds() throws -> [[UInt8]] {
        var seeds: [[UInt8]] = []
        for (index, context) in contexts.enumerated() {
            for size in [0, 40, 500] {
                let plaintext = Fuzz.seedPlaintext(String(repeating: "x", count: size))
                seeds.append([UInt8(index)] + (try keys[0].seal(plaintext, context: context)))
            }
        }
        return seeds
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: CiphertextOpen.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    CiphertextOpen.run(Fuzz.bytes(data, size))
    return 0
}
