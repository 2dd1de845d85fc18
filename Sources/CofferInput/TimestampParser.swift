#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// RFC 3339 date-times as Coffer takes them from flags (`--expires-at`, `audit list --since`),
/// typed-credential JSON (`expires_at`) and import files: `2026-12-31T23:59:59Z`,
/// `2026-12-31T23:59:59.250+01:00`.
///
/// - Form: `YYYY-MM-DDTHH:MM:SS`, optionally `.` and 1 to 9 fraction digits, then `Z` or an offset
///   `±HH:MM` (`T` and `Z` may be lower case, as RFC 3339 allows). Nothing before or after.
/// - The date must exist in the (proleptic Gregorian) calendar: `2026-02-30` is rejected, not
///   rolled over to March 2. Hours 00-23, minutes and seconds 00-59 (leap seconds are refused).
/// - Offsets at most ±14:00 (the widest in use).
/// - The instant, in UTC, lies between ``earliest`` (`0001-01-01T00:00:00Z`) and ``latest``
///   (`9999-12-31T23:59:59.999999999Z`), the range every store keeps.
public enum TimestampParser {
    /// `0001-01-01T00:00:00Z` in seconds since 1970-01-01T00:00:00Z.
    public static let earliestSeconds: Int64 = -62_135_596_800

    /// `9999-12-31T23:59:59Z` in seconds since 1970-01-01T00:00:00Z.
    public static let latestSeconds: Int64 = 253_402_300_799

    /// The earliest instant accepted: `0001-01-01T00:00:00Z`.
    public static let earliest = Date(timeIntervalSince1970: Double(earliestSeconds))

    /// The latest instant accepted: the last nanosecond of `9999-12-31T23:59:59Z`.
    public static let latest = Date(timeIntervalSince1970: Double(latestSeconds) + 0.999_999_999)

    /// The accepted form and range, for messages.
    public static let form = "an RFC 3339 time like 2026-12-31T23:59:59Z, between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, offset at most ±14:00"

    /// Seconds since 1970-01-01T00:00:00Z and the nanoseconds within that second (0...999 999 999)
    /// of `text`, computed in integer arithmetic.
    /// - Throws: ``InputError`` naming what is wrong and the accepted form.
    public static func parseComponents(_ text: String) throws(InputError) -> (seconds: Int64, nanoseconds: Int64) {
        var cursor = Cursor(bytes: Array(text.utf8))
        let malformed = InputError("must be \(form)")
        guard let year = cursor.number(digits: 4), cursor.take("-"),
              let month = cursor.number(digits: 2), cursor.take("-"),
              let day = cursor.number(digits: 2), cursor.take("T") || cursor.take("t"),
              let hour = cursor.number(digits: 2), cursor.take(":"),
              let minute = cursor.number(digits: 2), cursor.take(":"),
              let second = cursor.number(digits: 2)
        else { throw malformed }
        var nanoseconds: Int64 = 0
        if cursor.take(".") {
            var count = 0
            while let digit = cursor.digit() {
                count += 1
                guard count <= 9 else { throw InputError("must have at most 9 fraction digits (\(form))") }
                nanoseconds = nanoseconds * 10 + digit
            }
            guard count > 0 else { throw malformed }
            for _ in count..<9 { nanoseconds *= 10 }
        }
        var offset: Int64 = 0
        if !(cursor.take("Z") || cursor.take("z")) {
            let sign: Int64
            if cursor.take("+") { sign = 1 } else if cursor.take("-") { sign = -1 } else { throw malformed }
            guard let offsetHours = cursor.number(digits: 2), cursor.take(":"), let offsetMinutes = cursor.number(digits: 2) else {
                throw malformed
            }
            guard offsetMinutes <= 59, offsetHours * 60 + offsetMinutes <= 14 * 60 else {
                throw InputError("must have a UTC offset of at most ±14:00")
            }
            offset = sign * (offsetHours * 3_600 + offsetMinutes * 60)
        }
        guard cursor.atEnd else { throw malformed }
        guard year >= 1 else { throw InputError("must have a year between 0001 and 9999") }
        guard (1...12).contains(month) else { throw InputError("must have a month between 01 and 12") }
        let monthDays = daysInMonth(year: year, month: month)
        guard day >= 1 && day <= monthDays else {
            throw InputError("names a day that does not exist: month \(month) of year \(year) has \(monthDays) days")
        }
        guard hour <= 23, minute <= 59, second <= 59 else {
            throw InputError("must have a time of day between 00:00:00 and 23:59:59 (leap seconds are not accepted)")
        }
        let seconds = daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second - offset
        guard seconds >= earliestSeconds && seconds <= latestSeconds else {
            throw InputError("must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z")
        }
        return (seconds, nanoseconds)
    }

    /// Parses `text` (see the type's description).
    /// - Returns: the instant, between ``earliest`` and ``latest``.
    /// - Throws: ``InputError`` naming what is wrong and the accepted form; the message quotes
    ///   only numbers taken from the date.
    public static func parse(_ text: String) throws(InputError) -> Date {
        let (seconds, nanoseconds) = try parseComponents(text)
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9)
    }

    /// `date` as `YYYY-MM-DDTHH:MM:SSZ` (UTC, rounded down to the whole second, proleptic
    /// Gregorian like the parser). A date outside ``earliest``...``latest`` (or NaN) is shown as
    /// the nearest end of the range; nothing traps.
    public static func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970.rounded(.down)
        let seconds: Int64
        if !(interval >= Double(earliestSeconds)) {
            seconds = earliestSeconds
        } else if interval >= Double(latestSeconds) {
            seconds = latestSeconds
        } else {
            seconds = Int64(interval)
        }
        let days = (seconds - earliestSeconds) / 86_400 + earliestSeconds / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3_600, 2)):\(pad(secondOfDay % 3_600 / 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }

    /// The date `days` after 1970-01-01 (proleptic Gregorian; H. Hinnant's `civil_from_days`).
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days in `month` of `year` in the proleptic Gregorian calendar.
    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the given date (proleptic Gregorian; H. Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Reads ASCII fields from the front of the input.
    private struct Cursor {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int64? {
            guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
            defer { index += 1 }
            return Int64(bytes[index] - UInt8(ascii: "0"))
        }

        /// Exactly `digits` decimal digits.
        mutating func number(digits: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<digits {
                guard let d = digit() else { return nil }
                value = value * 10 + d
            }
            return value
        }
    }
}
