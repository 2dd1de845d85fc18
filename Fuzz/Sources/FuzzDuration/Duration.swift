import CofferInput
import FuzzSupport

/// Durations from flags and environment variables (`--grace`, `--max-age`,
/// `COFFER_DELETION_GRACE`, `COFFER_AUDIT_RETENTION`) through `DurationParser`.
///
/// Invariants: a parsed duration lies in the accepted range (positive unless zero is allowed);
/// `seconds` agrees with `parse`; a number without a unit means seconds.
enum DurationFuzz {
    static func run(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        for allowZero in [true, false] {
            do {
                let duration = try DurationParser.parse(text, allowZero: allowZero)
                let seconds = try DurationParser.seconds(text, allowZero: allowZero)
                Fuzz.require(duration <= DurationParser.maximum, "a duration above the maximum")
                Fuzz.require(allowZero ? duration >= .zero : duration > .zero, "a duration below the range")
                let (whole, attoseconds) = duration.components
                let expected = Double(whole) + Double(attoseconds) / 1e18
                Fuzz.require(abs(seconds - expected) <= max(1e-9, expected * 1e-15), "seconds disagrees with parse")
                if let last = text.utf8.last, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(last) {
                    let withUnit = try DurationParser.parse(text + "s", allowZero: allowZero)
                    Fuzz.require(withUnit == duration, "a number without a unit is not seconds")
                }
            } catch {
                // Refused: fine. (That messages never repeat the input is checked by unit tests; a
                // fuzzer cannot tell a leak from input that spells part of the fixed message.)
            }
        }
    }

    static func seeds() throws -> [[UInt8]] {
        ["30d", "12h", "1.5h", "45", "0s", "36500d", "1e16s", "0.000000001s", "5214w", "1.123456789m"].map { Array($0.utf8) }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: DurationFuzz.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    DurationFuzz.run(Fuzz.bytes(data, size))
    return 0
}
