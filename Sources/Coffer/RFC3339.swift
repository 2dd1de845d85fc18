import CofferInput
import Foundation

/// RFC 3339 timestamps as typed credentials store them: UTC, whole seconds,
/// `2025-01-02T03:04:05Z`. Parsing also accepts fractional seconds and numeric offsets.
enum RFC3339 {
    /// `date` rounded down to the whole second.
    static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    /// `date`, rounded down to the whole second, as `YYYY-MM-DDTHH:MM:SSZ`.
    static func format(_ date: Date) -> String {
        TimestampParser.format(date)
    }

    /// Parses an RFC 3339 date-time (with `Z` or an offset, optional fractional seconds) with
    /// ``TimestampParser``: a real calendar date, offset at most ±14:00, years 0001-9999.
    static func parse(_ text: String) -> Date? {
        try? TimestampParser.parse(text)
    }
}
