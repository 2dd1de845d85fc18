/// Durations as the CLI takes them from flags and environment variables (`--grace`,
/// `--max-age`, `COFFER_DELETION_GRACE`, `COFFER_AUDIT_RETENTION`): a decimal number with an
/// optional unit, `s` (the default), `m`, `h`, `d` (86 400 s) or `w` (7 d).
///
/// - Digits, at most one `.` with 1 to 9 digits after it, then the unit: `30d`, `12h`, `1.5h`,
///   `45`, `0s`. No sign, exponent, spaces, `inf` or `nan`.
/// - Accepted range: `0s` (when zero is allowed) up to ``maximum``, 36 500 days (100 years), at
///   nanosecond resolution. The range is checked in integer arithmetic before any conversion, so
///   nothing downstream (dates, microseconds, sleeps) can overflow.
public enum DurationParser {
    /// The longest duration accepted, in seconds: 36 500 days (100 years).
    public static let maximumSeconds: Int64 = 36_500 * 86_400

    /// The longest duration accepted: 36 500 days (100 years).
    public static let maximum: Duration = .seconds(maximumSeconds)

    /// The accepted form, for messages: `a number with s, m, h, d or w, as in 30d, 12h or 1.5h`.
    public static let form = "a number with s, m, h, d or w, as in 30d, 12h or 1.5h"

    /// The accepted range, for messages.
    /// - Parameter allowZero: whether `0s` is accepted.
    public static func range(allowZero: Bool) -> String {
        allowZero ? "between 0s and 36500d (100 years)" : "more than 0s and at most 36500d (100 years)"
    }

    /// Parses `text`.
    /// - Parameters:
    ///   - text: the duration, e.g. `30d`.
    ///   - allowZero: whether `0` (in any unit) is accepted; otherwise the duration must be positive.
    /// - Returns: the duration, at most ``maximum``.
    /// - Throws: ``InputError`` naming the accepted form or range; the message never repeats `text`.
    public static func parse(_ text: String, allowZero: Bool) throws(InputError) -> Duration {
        let nanoseconds = try parseNanoseconds(Array(text.utf8), allowZero: allowZero)
        return .nanoseconds(nanoseconds)
    }

    /// Parses `text` (see ``parse(_:allowZero:)``) as seconds, exact to the nanosecond up to
    /// 2^53 ns (104 days) and within a few nanoseconds beyond.
    public static func seconds(_ text: String, allowZero: Bool) throws(InputError) -> Double {
        let nanoseconds = try parseNanoseconds(Array(text.utf8), allowZero: allowZero)
        return Double(nanoseconds / 1_000_000_000) + Double(nanoseconds % 1_000_000_000) / 1e9
    }

    private static func parseNanoseconds(_ bytes: [UInt8], allowZero: Bool) throws(InputError) -> Int64 {
        let malformed = InputError("must be a duration \(allowZero ? "" : "of ")\(range(allowZero: allowZero)): \(form)")
        var body = bytes[...]
        var unit: Int64 = 1
        if let last = body.last, let u = unitSeconds(last) {
            unit = u
            body = body.dropLast()
        }
        let parts = body.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy(isDigit) else { throw malformed }
        var fractionDigits: ArraySlice<UInt8> = []
        if parts.count == 2 {
            fractionDigits = parts[1]
            guard (1...9).contains(fractionDigits.count), fractionDigits.allSatisfy(isDigit) else { throw malformed }
        }
        let outOfRange = InputError("must be \(range(allowZero: allowZero))")
        // The whole units, stopping as soon as they exceed the maximum (no overflow possible:
        // the running value stays below maximumSeconds * 10 + 9).
        let maximumUnits = maximumSeconds / unit
        var units: Int64 = 0
        for digit in whole {
            units = units * 10 + Int64(digit - UInt8(ascii: "0"))
            if units > maximumUnits { throw outOfRange }
        }
        // The fraction of one unit in nanoseconds (< 10^9), times the unit (≤ 604 800 s).
        var fraction: Int64 = 0
        for index in 0..<9 {
            let digit = index < fractionDigits.count ? Int64(fractionDigits[fractionDigits.startIndex + index] - UInt8(ascii: "0")) : 0
            fraction = fraction * 10 + digit
        }
        let total = units * unit * 1_000_000_000 + fraction * unit
        if total > maximumSeconds * 1_000_000_000 { throw outOfRange }
        if total == 0 && !allowZero { throw outOfRange }
        return total
    }

    private static func unitSeconds(_ byte: UInt8) -> Int64? {
        switch byte {
        case UInt8(ascii: "s"): 1
        case UInt8(ascii: "m"): 60
        case UInt8(ascii: "h"): 3_600
        case UInt8(ascii: "d"): 86_400
        case UInt8(ascii: "w"): 604_800
        default: nil
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
