import CofferCrypto
import Foundation
import FuzzSupport

/// Export bundles (docs/FORMAT.md §12) through `ExportBundle.recipientKind(of:)` and both
/// `ExportBundle.open` variants.
///
/// Invariants: the only errors are `invalidBundle` (not a bundle, unknown version or kind, the
/// other kind's open, cost over the cap) and `bundleAuthenticationFailed` (any damage);
/// `recipientKind` and the X25519 `open` agree on what is invalid (a passphrase bundle is invalid
/// for the X25519 open, an X25519 bundle never is); an open that succeeds returns a seed's plaintext.
///
/// Passphrase bundles are opened only when their header asks for at most ``maxFuzzOps`` passes
/// and ``maxFuzzMemory`` bytes of Argon2id (anything up to the format's cap of 32 passes over
/// 1 GiB is legal and would make each run take seconds); the header parse and the cost check
/// still see every input.
enum Bundle {
    static let maxFuzzOps: UInt64 = 2
    static let maxFuzzMemory: UInt64 = 64 * 1024
    static let passphrase = SecretBytes(Array("coffer fuzz passphrase".utf8))
    static let seedCost = PassphraseKEKProvider.Cost(opsLimit: 1, memLimitBytes: 8 * 1024)

    /// A fixed X25519 identity, loaded through the public key-file reader.
    static let identity: X25519KeyPair = {
        let path = NSTemporaryDirectory() + "coffer-fuzz-x25519-\(getpid())"
        let secret = Data((0..<32).map { UInt8($0 &* 7 &+ 1) }).base64EncodedString()
        let text = X25519KeyPair.secretTextPrefix + secret + "\n"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        defer { unlink(path) }
        return try! X25519KeyPair.load(secretKeyFile: path)
    }()

    enum Outcome: Equatable {
        case opened
        case malformed
        case failed
    }

    static func outcome(_ body: () throws -> SecretBytes) -> Outcome {
        do {
            let plaintext = try body()
            Fuzz.require(Fuzz.isSeedPlaintext(plaintext), "open returned a plaintext no seed holds")
            return .opened
        } catch CofferCryptoError.invalidBundle {
            return .malformed
        } catch CofferCryptoError.bundleAuthenticationFailed {
            return .failed
        } catch {
            Fuzz.require(false, "open threw an undocumented error: \(error)")
            return .failed
        }
    }

    static func run(_ bundle: [UInt8]) {
        var kind: ExportBundle.Kind?
        var malformed = false
        do {
            kind = try ExportBundle.recipientKind(of: bundle)
        } catch CofferCryptoError.invalidBundle {
            malformed = true
        } catch CofferCryptoError.bundleAuthenticationFailed {
            // truncated
        } catch {
            Fuzz.require(false, "recipientKind threw an undocumented error: \(error)")
        }
        let x25519 = outcome { try ExportBundle.open(bundle, with: identity) }
        var passphraseKind = false
        if case .passphrase = kind { passphraseKind = true }
        Fuzz.require((x25519 == .malformed) == (malformed || passphraseKind), "recipientKind and open disagree on an invalid bundle")
        if x25519 == .opened {
            guard case .x25519 = kind else { return Fuzz.require(false, "an X25519 open succeeded on another kind") }
        }
        if case .passphrase = kind, affordable(bundle) {
            // Only documented errors; a cost outside libsodium's range or over the cap is
            // `invalidBundle` even with a readable kind.
            _ = outcome { try ExportBundle.open(bundle, passphrase: passphrase) }
        }
    }

    /// Whether the passphrase header asks for at most the fuzzing cost (it is read here only
    /// to skip expensive inputs; the library checks it on every input).
    static func affordable(_ bundle: [UInt8]) -> Bool {
        guard bundle.count >= 22 else { return true }
        func u64(_ offset: Int) -> UInt64 { bundle[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        return u64(6) <= maxFuzzOps && u64(14) <= maxFuzzMemory
    }

    static func seeds() throws -> [[UInt8]] {
        [
            try ExportBundle.seal(Fuzz.seedPlaintext("x25519"), to: identity.publicKey),
            try ExportBundle.seal(Fuzz.seedPlaintext(String(repeating: "{\"a\":1}", count: 60)), to: identity.publicKey),
            try ExportBundle.seal(Fuzz.seedPlaintext("passphrase"), passphrase: passphrase, cost: seedCost),
            try ExportBundle.seal(Fuzz.seedPlaintext(String(repeating: "p", count: 400)), passphrase: passphrase, cost: seedCost),
        ]
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: Bundle.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Bundle.run(Fuzz.bytes(data, size))
    return 0
}
