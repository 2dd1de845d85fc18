import CofferInput
import Foundation
import Testing

@Suite("TimestampParser: RFC 3339 dates")
struct TimestampParserTests {
    @Test("UTC, offsets and fractions")
    func accepted() throws {
        #expect(try TimestampParser.parse("1970-01-01T00:00:00Z") == Date(timeIntervalSince1970: 0))
        #expect(try TimestampParser.parse("2026-12-31T23:59:59Z") == Date(timeIntervalSince1970: 1_798_761_599))
        #expect(try TimestampParser.parse("2027-01-01T00:59:59+01:00") == Date(timeIntervalSince1970: 1_798_761_599))
        #expect(try TimestampParser.parse("2026-12-31t23:59:59z") == Date(timeIntervalSince1970: 1_798_761_599))
        let quarter = try TimestampParser.parseComponents("2026-01-01T00:00:00.25Z")
        #expect(quarter.seconds == 1_767_225_600)
        #expect(quarter.nanoseconds == 250_000_000)
        #expect(try TimestampParser.parseComponents("2026-01-01T00:00:00.123456789Z").nanoseconds == 123_456_789)
        #expect(try TimestampParser.parse("1969-12-31T23:59:59Z") == Date(timeIntervalSince1970: -1))
    }

    @Test("calendar dates that do not exist are refused, not rolled over")
    func calendar() throws {
        let error = #expect(throws: InputError.self) { try TimestampParser.parse("2026-02-30T00:00:00Z") }
        #expect(error?.message == "names a day that does not exist: month 2 of year 2026 has 28 days")
        #expect(throws: InputError.self) { try TimestampParser.parse("2026-02-29T00:00:00Z") }
        #expect(try TimestampParser.parse("2024-02-29T00:00:00Z") == Date(timeIntervalSince1970: 1_709_164_800))
        #expect(try TimestampParser.parse("2000-02-29T00:00:00Z") == Date(timeIntervalSince1970: 951_782_400))
        #expect(throws: InputError.self) { try TimestampParser.parse("1900-02-29T00:00:00Z") }
        #expect(throws: InputError.self) { try TimestampParser.parse("2026-04-31T00:00:00Z") }
        #expect(throws: InputError.self) { try TimestampParser.parse("2026-13-01T00:00:00Z") }
        #expect(throws: InputError.self) { try TimestampParser.parse("2026-00-01T00:00:00Z") }
        #expect(throws: InputError.self) { try TimestampParser.parse("2026-01-00T00:00:00Z") }
        #expect(throws: InputError.self) { try TimestampParser.parse("2026-01-01T24:00:00Z") }
        #expect(throws: InputError.self) { try TimestampParser.parse("2026-01-01T00:60:00Z") }
        #expect(throws: InputError.self) { try TimestampParser.parse("2016-12-31T23:59:60Z") }
    }

    @Test("offsets up to ±14:00, not beyond")
    func offsets() throws {
        #expect(try TimestampParser.parse("2026-01-01T14:00:00+14:00") == Date(timeIntervalSince1970: 1_767_225_600))
        #expect(try TimestampParser.parse("2025-12-31T10:00:00-14:00") == Date(timeIntervalSince1970: 1_767_225_600))
        for text in ["2026-01-01T00:00:00+14:01", "2026-01-01T00:00:00-14:01", "2026-01-01T00:00:00+15:00", "2026-01-01T00:00:00+99:00"] {
            let error = #expect(throws: InputError.self) { try TimestampParser.parse(text) }
            #expect(error?.message == "must have a UTC offset of at most ±14:00")
        }
        #expect(throws: InputError.self) { try TimestampParser.parse("2026-01-01T00:00:00+01:60") }
    }

    @Test("years 0001 to 9999, the instant inside the same range")
    func years() throws {
        #expect(try TimestampParser.parse("0001-01-01T00:00:00Z") == TimestampParser.earliest)
        let last = try TimestampParser.parseComponents("9999-12-31T23:59:59.999999999Z")
        #expect(last.seconds == TimestampParser.latestSeconds)
        #expect(last.nanoseconds == 999_999_999)
        #expect(throws: InputError.self) { try TimestampParser.parse("0000-12-31T23:59:59Z") }
        #expect(throws: InputError.self) { try TimestampParser.parse("0001-01-01T00:00:00+00:01") }
        #expect(throws: InputError.self) { try TimestampParser.parse("9999-12-31T23:59:59-00:01") }
        #expect(throws: InputError.self) { try TimestampParser.parse("99999-01-01T00:00:00Z") }
        #expect(throws: InputError.self) { try TimestampParser.parse("+10000-01-01T00:00:00Z") }
    }

    @Test("format writes what parse reads, clamped to the range")
    func format() throws {
        for text in ["0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "2024-02-29T12:34:56Z", "9999-12-31T23:59:59Z"] {
            #expect(TimestampParser.format(try TimestampParser.parse(text)) == text)
        }
        #expect(TimestampParser.format(try TimestampParser.parse("2026-01-01T00:00:00.999999Z")) == "2026-01-01T00:00:00Z")
        #expect(TimestampParser.format(Date(timeIntervalSince1970: 1e300)) == "9999-12-31T23:59:59Z")
        #expect(TimestampParser.format(Date(timeIntervalSince1970: -1e300)) == "0001-01-01T00:00:00Z")
        #expect(TimestampParser.format(Date(timeIntervalSince1970: .nan)) == "0001-01-01T00:00:00Z")
    }

    @Test("anything else is malformed", arguments: [
        "", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z", "2026-1-01T00:00:00Z", "2026-01-01T00:00:00.Z",
        "2026-01-01T00:00:00.1234567890Z", "2026-01-01T00:00:00Zjunk", " 2026-01-01T00:00:00Z", "2026-01-01T00:00:00+0100",
        "2026-01-01T00:00:00+01", "tomorrow", "２026-01-01T00:00:00Z",
    ])
    func malformed(text: String) {
        #expect(throws: InputError.self) { try TimestampParser.parse(text) }
    }

    @Test("days from the epoch agree with Foundation's calendar over the whole range")
    func calendarAgreesWithFoundation() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for year in stride(from: 1600, through: 9999, by: 37) {
            for month in [1, 2, 3, 12] {
                let text = String(format: "%04d-%02d-%02dT12:34:56Z", year, month, month == 2 ? 28 : 31)
                let expected = calendar.date(from: DateComponents(year: year, month: month, day: month == 2 ? 28 : 31, hour: 12, minute: 34, second: 56))!
                #expect(try TimestampParser.parse(text) == expected, "\(text)")
                #expect(TimestampParser.format(expected) == text)
            }
        }
    }
}
