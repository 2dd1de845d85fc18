import CofferInput
import Testing

@Suite("DurationParser: durations from flags and environment variables")
struct DurationParserTests {
    @Test("units and fractions give exact durations")
    func units() throws {
        #expect(try DurationParser.parse("30d", allowZero: false) == .seconds(30 * 86_400))
        #expect(try DurationParser.parse("12h", allowZero: false) == .seconds(12 * 3_600))
        #expect(try DurationParser.parse("45m", allowZero: false) == .seconds(45 * 60))
        #expect(try DurationParser.parse("2w", allowZero: false) == .seconds(14 * 86_400))
        #expect(try DurationParser.parse("90", allowZero: false) == .seconds(90))
        #expect(try DurationParser.parse("1.5h", allowZero: false) == .seconds(5_400))
        #expect(try DurationParser.parse("0.000000001s", allowZero: false) == .nanoseconds(1))
        #expect(try DurationParser.seconds("1.25m", allowZero: false) == 75)
    }

    @Test("zero only where allowed")
    func zero() throws {
        #expect(try DurationParser.parse("0s", allowZero: true) == .zero)
        #expect(try DurationParser.parse("0", allowZero: true) == .zero)
        #expect(try DurationParser.parse("0.0d", allowZero: true) == .zero)
        let error = #expect(throws: InputError.self) { try DurationParser.parse("0d", allowZero: false) }
        #expect(error?.message == "must be more than 0s and at most 36500d (100 years)")
    }

    @Test("the maximum is accepted, the first value past it is not", arguments: [
        ("36500d", "36500.000000001d"),
        ("3153600000s", "3153600001s"),
        ("3153600000", "3153600000.000000001"),
        ("52560000m", "52560001m"),
        ("876000h", "876000.000000001h"),
        ("5214.285714285w", "5214.285714286w"),
    ])
    func maximum(accepted: String, rejected: String) throws {
        #expect(try DurationParser.parse(accepted, allowZero: true) <= DurationParser.maximum)
        let error = #expect(throws: InputError.self) { try DurationParser.parse(rejected, allowZero: true) }
        #expect(error?.message == "must be between 0s and 36500d (100 years)")
    }

    @Test("values that trapped the old parser are refused", arguments: [
        "1e16s", "1e300d", "1e15s", "99999999999999999999999999999999d", "inf", "nan", "0x10s", "-1s", "+1s",
        "", "d", ".5s", "5.s", "1.0000000001s", " 1s", "1s ", "1 s", "1D", "1y", "1ss", "１s",
    ])
    func refused(text: String) {
        #expect(throws: InputError.self) { try DurationParser.parse(text, allowZero: true) }
    }

    @Test("messages never repeat the input")
    func messages() {
        let error = #expect(throws: InputError.self) { try DurationParser.parse("SECRET-9f3a", allowZero: true) }
        #expect(error?.message.contains("SECRET") == false)
        #expect(error?.message == "must be a duration between 0s and 36500d (100 years): a number with s, m, h, d or w, as in 30d, 12h or 1.5h")
        let positive = #expect(throws: InputError.self) { try DurationParser.parse("1e300d", allowZero: false) }
        #expect(positive?.message == "must be a duration of more than 0s and at most 36500d (100 years): a number with s, m, h, d or w, as in 30d, 12h or 1.5h")
    }
}
