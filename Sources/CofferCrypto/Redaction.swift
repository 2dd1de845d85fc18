/// Decides whether a value that should name a key (a path, a variable name, a KEK URI) may
/// instead *be* key material pasted by mistake, and gives the form that is safe to print.
///
/// `COFFER_KEK="$(cat kek)"` or `--kek file:<key>` put a key where a URI or path belongs;
/// echoing that value in an error would write the key to a terminal, a CI log or a shell
/// history. A value is treated as possible key material when it
/// - contains a byte that is not printable ASCII (a raw binary key), or
/// - is at least ``minimumKeyLength`` characters long, all of them from the standard base64
///   alphabet (`A–Z a–z 0–9 + / =`) or all from the URL-safe one (`A–Z a–z 0–9 - _ =`),
///   and holds at least one digit or capital letter; or has a `/`-separated part, or a
///   rest after a `/`, that is such a value. This covers base64 and hex keys of 12 bytes or more, Fernet keys and
///   most tokens, while ordinary paths (whose long parts usually hold a `.`, or are all
///   lower case) stay readable.
///
/// False positives only hide a harmless path; the message then says so.
public enum Redaction {
    /// Shortest value considered key material (16 base64 characters = 12 bytes).
    public static let minimumKeyLength = 16

    /// Whether `text`, or one of its `/`-separated parts, may be key material (see the
    /// type's description): a URL-safe key after a directory (`file:/tmp/<key>`) is caught too.
    public static func mayBeKeyMaterial(_ text: some StringProtocol) -> Bool {
        if looksLikeKey(text) || text.split(separator: "/").contains(where: { looksLikeKey($0) }) { return true }
        // What follows a directory may be a base64 key that itself holds a `/`.
        var rest = Substring(text)
        while let slash = rest.firstIndex(of: "/") {
            rest = rest[rest.index(after: slash)...]
            if looksLikeKey(rest) { return true }
        }
        return false
    }

    private static func looksLikeKey(_ text: some StringProtocol) -> Bool {
        var standard = true
        var urlSafe = true
        var digitOrCapital = false
        var count = 0
        for c in text.utf8 {
            if c < 0x20 || c > 0x7e { return true }
            count += 1
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                digitOrCapital = true
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "="):
                break
            case UInt8(ascii: "+"), UInt8(ascii: "/"):
                urlSafe = false
            case UInt8(ascii: "-"), UInt8(ascii: "_"):
                standard = false
            default:
                standard = false
                urlSafe = false
            }
        }
        return count >= minimumKeyLength && (standard || urlSafe) && digitOrCapital
    }

    /// Whether an environment variable name may be key material. Variable names are by
    /// convention upper case with `_` and digits (`COFFER_KEK_PREVIOUS_B64`), which the
    /// general rule would flag, so a name is flagged only when it mixes lower case with
    /// capitals or digits, or is 32 or more hex digits, and is at least
    /// ``minimumKeyLength`` long (or holds a byte that is not printable ASCII).
    public static func mayBeKeyMaterial(variableName name: some StringProtocol) -> Bool {
        var lower = false, upperOrDigit = false, allHex = true, count = 0
        for c in name.utf8 {
            if c < 0x20 || c > 0x7e { return true }
            count += 1
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): lower = true
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): upperOrDigit = true
            default: break
            }
            let hex = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(c)
            if !hex { allHex = false }
        }
        return count >= minimumKeyLength && ((lower && upperOrDigit) || (allHex && count >= 32))
    }

    /// The variable name itself, or a placeholder when it may be key material.
    public static func shown(variableName name: some StringProtocol) -> String {
        guard mayBeKeyMaterial(variableName: name) else { return String(name) }
        return "<\(name.utf8.count) characters not shown: they look like a key>"
    }

    /// `text` itself, or a placeholder saying how long it is when it may be key material.
    public static func shown(_ text: some StringProtocol) -> String {
        guard mayBeKeyMaterial(text) else { return String(text) }
        return "<\(text.utf8.count) characters not shown: they look like a key>"
    }
}
