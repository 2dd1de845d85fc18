import ArgumentParser
import Coffer
import CofferInput
import Foundation

/// The accepted ranges of the CLI's numeric, duration and date arguments, checked before any
/// conversion: a value outside is a usage error (exit 64) whose message names the range.
/// README ("Accepted values") lists the same ranges.
enum ArgumentRanges {
    /// Rows per transaction of `reencrypt`, `rotate-kek` and `purge` (`--batch`).
    static let batch = Vault.batchSizes

    /// Records printed by `audit list` (`--limit`).
    static let limit = 1...1_000_000

    /// Seconds of `import --ttl` (Fernet tokens): up to 100 years.
    static let ttl = 1...(36_500 * 86_400)

    /// A version number (secret or data key): 1 to 4294967295 (2^32 - 1), decimal digits only.
    static func version(_ text: String) throws -> UInt32 {
        guard let value = decimal(text, in: 1...UInt64(UInt32.max)) else {
            throw ValidationError("must be a version between 1 and 4294967295")
        }
        return UInt32(value)
    }

    /// A check-and-set version: 0 (the secret must not exist) to 4294967295.
    static func expectedVersion(_ text: String) throws -> UInt32 {
        guard let value = decimal(text, in: 0...UInt64(UInt32.max)) else {
            throw ValidationError("must be a version between 0 and 4294967295")
        }
        return UInt32(value)
    }

    /// `text` as decimal digits within `range` (at most 20 digits are looked at: no overflow).
    private static func decimal(_ text: String, in range: ClosedRange<UInt64>) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let value = UInt64(text), range.contains(value) else { return nil }
        return value
    }

    /// An RFC 3339 time from `option` (``TimestampParser``).
    static func date(_ text: String, option: String) throws -> Date {
        do {
            return try TimestampParser.parse(text)
        } catch {
            throw ValidationError("\(option) \(error.message)")
        }
    }

    /// A duration from `option` (``DurationParser``: 0s or more when `allowZero`, at most 100 years).
    static func duration(_ text: String, option: String, allowZero: Bool) throws -> Duration {
        do {
            return try DurationParser.parse(text, allowZero: allowZero)
        } catch {
            throw ValidationError("\(option) \(error.message)")
        }
    }

    /// Refuses `value` outside `range`, naming `option` and the range.
    static func check(_ value: Int, in range: ClosedRange<Int>, option: String) throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) must be between \(range.lowerBound) and \(range.upperBound)")
        }
    }
}
