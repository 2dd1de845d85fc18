import CofferCrypto
import FuzzSupport

/// Fernet tokens (docs/FERNET.md) through `Fernet.open(token:keys:ttl:now:)`, without a TTL and
/// with TTLs at the vectors' time and at the ends of the clock's range.
///
/// Invariants: every failure is `authenticationFailed` and nothing else; an open that succeeds
/// returns a plaintext the seed tokens hold; a token that opens under a TTL opens without one,
/// to the same plaintext.
enum FernetToken {
    static let checks: [(ttl: Int64?, now: Int64?)] = [
        (nil, nil), (60, FernetSeeds.now), (Int64.max, Int64.min), (0, Int64.max),
    ]

    static func run(_ input: [UInt8]) {
        let token = String(decoding: input, as: UTF8.self)
        var results: [[UInt8]?] = []
        for check in checks {
            do {
                let plaintext = try Fernet.open(token: token, keys: FernetSeeds.keys, ttl: check.ttl, now: check.now ?? 0)
                Fuzz.require(FernetSeeds.isKnownPlaintext(plaintext), "open returned a plaintext no seed holds")
                results.append(plaintext.withUnsafeBytes { Array($0) })
            } catch CofferCryptoError.authenticationFailed {
                results.append(nil)
            } catch {
                Fuzz.require(false, "open threw something other than authenticationFailed: \(error)")
            }
        }
        for result in results.dropFirst() where result != nil {
            Fuzz.require(result == results[0], "a token opens under a TTL but not without one, or to another plaintext")
        }
    }

    static func seeds() throws -> [[UInt8]] {
        FernetSeeds.tokens.map { Array($0.utf8) }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: FernetToken.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FernetToken.run(Fuzz.bytes(data, size))
    return 0
}
