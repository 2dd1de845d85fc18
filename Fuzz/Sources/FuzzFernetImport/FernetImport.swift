import Coffer
import CofferCrypto
import Foundation
import FuzzSupport

/// Fernet import files (`name<TAB>token` lines, docs/FERNET.md "Import file") through
/// `FernetImportFile(contentsOf:keys:ttl:now:)`.
///
/// Invariants: bad lines never throw; every line is reported at most once, in file order; an
/// entry has a valid, unique name and a non-empty plaintext that a seed token holds; a failure's
/// reason never repeats a token-like part of the line.
enum FernetImport {
    static let now = Date(timeIntervalSince1970: TimeInterval(FernetSeeds.now))

    static func run(_ input: [UInt8]) {
        // With or without a TTL by the input's parity (one pass per input keeps the rate up).
        do {
            let ttl: Int? = input.count % 2 == 0 ? nil : 60
            let file: FernetImportFile
            do {
                file = try FernetImportFile(contentsOf: input, keys: FernetSeeds.keys, ttl: ttl, now: now)
            } catch {
                return Fuzz.require(false, "a bad line threw: \(error)")
            }
            let lines = (file.entries.map(\.line) + file.failures.map(\.line)).sorted()
            Fuzz.require(Set(lines).count == lines.count, "a line is reported twice")
            Fuzz.require(lines.allSatisfy { $0 >= 1 }, "a line number below 1")
            Fuzz.require(file.entries.map(\.line) == file.entries.map(\.line).sorted(), "entries out of file order")
            Fuzz.require(Set(file.entries.map(\.name)).count == file.entries.count, "two entries with one name")
            for entry in file.entries {
                Fuzz.require(NameRules.problem(withSecretName: entry.name) == nil, "an entry with an invalid name")
                Fuzz.require(entry.value.count > 0, "an entry with an empty value")
                Fuzz.require(FernetSeeds.isKnownPlaintext(entry.value), "an entry whose plaintext no seed holds")
            }
            let textLines = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            for failure in file.failures where failure.line <= textLines.count {
                let text = String(decoding: textLines[failure.line - 1], as: UTF8.self)
                // Only token-like parts: a shorter or non-token part can spell words of the
                // fixed reasons themselves (a fuzzer cannot tell that from a leak).
                for part in text.split(separator: "\t") where part.utf8.count >= 24 && isTokenText(part) {
                    Fuzz.require(!Fuzz.containsBytes(failure.reason, part), "a failure reason repeats the line's text")
                }
            }
        }
    }

    /// Whether `part` is made only of Fernet token characters (base64url and `=`).
    static func isTokenText(_ part: Substring) -> Bool {
        part.utf8.allSatisfy { c in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
                || c == UInt8(ascii: "=")
        }
    }

    static func seeds() throws -> [[UInt8]] {
        let t = FernetSeeds.tokens
        return [
            "db-password\t\(t[0])\n",
            "# comment\r\n\r\napi/key\t\(t[1])\r\nother\t \(t[2]) \n",
            "\u{FEFF}a\t\(t[3])\nA\t\(t[0])\na\t\(t[1])\nbad name!\t\(t[2])\nnotab\n",
        ].map { Array($0.utf8) }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: FernetImport.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FernetImport.run(Fuzz.bytes(data, size))
    return 0
}
