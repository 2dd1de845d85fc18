import CofferInput
public import Foundation

/// How every store keeps an instant: a 64-bit integer of microseconds since
/// 1970-01-01T00:00:00Z, within the range RFC 3339 input is accepted in,
/// `0001-01-01T00:00:00Z` ... `9999-12-31T23:59:59.999999Z` (`TimestampParser` in CofferInput).
///
/// Conversions never trap. An instant outside the range (a clock far off, a stored integer
/// edited to anything) is clamped to the nearest end: a reader sees `0001-01-01` or `9999-12-31`
/// instead of crashing, and an audit record whose stored time was edited no longer matches its
/// MAC. Instants that callers pass in (an expiry) are checked with ``contains(_:)`` first and
/// refused with ``VaultError/invalidValue(_:)``.
public enum StoredTime {
    /// `0001-01-01T00:00:00Z` in microseconds since the epoch.
    public static let minimumMicros: Int64 = TimestampParser.earliestSeconds * 1_000_000
    /// `9999-12-31T23:59:59.999999Z` in microseconds since the epoch.
    public static let maximumMicros: Int64 = TimestampParser.latestSeconds * 1_000_000 + 999_999

    /// Whether `date` lies in the stored range.
    public static func contains(_ date: Date) -> Bool {
        let micros = date.timeIntervalSince1970 * 1_000_000
        return micros >= Double(minimumMicros) && micros <= Double(maximumMicros)
    }

    /// `date` in microseconds since the epoch, rounded to the nearest, clamped into the range.
    public static func micros(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1_000_000).rounded()
        guard value >= Double(minimumMicros) else { return minimumMicros }  // also NaN
        guard value <= Double(maximumMicros) else { return maximumMicros }
        return min(max(Int64(value), minimumMicros), maximumMicros)
    }

    /// The instant `micros` microseconds after the epoch, clamped into the range.
    public static func date(micros: Int64) -> Date {
        let clamped = min(max(micros, minimumMicros), maximumMicros)
        return Date(timeIntervalSince1970: Double(clamped) / 1_000_000)
    }
}
