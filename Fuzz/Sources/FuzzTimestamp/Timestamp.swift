import CofferInput
import Foundation
import FuzzSupport

/// RFC 3339 date-times (`--expires-at`, `audit list --since`, typed-credential `expires_at`,
/// import files) through `TimestampParser`.
///
/// Invariants: a parsed instant lies in 0001-01-01...9999-12-31 with nanoseconds in
/// 0..<10^9; `parse` agrees with `parseComponents`; `Z` means `+00:00` and `-00:00`; the
/// whole second formats (`format`) to text that parses back to it.
enum TimestampFuzz {
    static func run(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        let seconds: Int64, nanoseconds: Int64
        do {
            (seconds, nanoseconds) = try TimestampParser.parseComponents(text)
        } catch {
            return
        }
        Fuzz.require((TimestampParser.earliestSeconds...TimestampParser.latestSeconds).contains(seconds), "an instant outside the range")
        Fuzz.require((0..<1_000_000_000).contains(nanoseconds), "nanoseconds outside 0..<10^9")
        do {
            let date = try TimestampParser.parse(text)
            let expected = Double(seconds) + Double(nanoseconds) / 1e9
            Fuzz.require(abs(date.timeIntervalSince1970 - expected) <= 1e-6 * max(1, abs(expected) / 1e9), "parse disagrees with parseComponents")
            if text.hasSuffix("Z") || text.hasSuffix("z") {
                for offset in ["+00:00", "-00:00"] {
                    let again = try TimestampParser.parseComponents(String(text.dropLast()) + offset)
                    Fuzz.require(again == (seconds, nanoseconds), "Z and \(offset) differ")
                }
            }
            let whole = TimestampParser.format(Date(timeIntervalSince1970: Double(seconds)))
            let back = try TimestampParser.parseComponents(whole)
            Fuzz.require(back == (seconds, 0), "format does not parse back to the same second")
        } catch {
            Fuzz.require(false, "text that parseComponents accepts fails elsewhere: \(error)")
        }
    }

    static func seeds() throws -> [[UInt8]] {
        ["2026-12-31T23:59:59Z", "2026-12-31T23:59:59.250+01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
         "2024-02-29t12:00:00-14:00", "2026-02-30T00:00:00Z", "1970-01-01T00:00:00.5+14:00"].map { Array($0.utf8) }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: TimestampFuzz.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    TimestampFuzz.run(Fuzz.bytes(data, size))
    return 0
}
