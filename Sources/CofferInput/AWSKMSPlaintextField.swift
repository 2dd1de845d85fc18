/// Finds the base64 value of the `"Plaintext"` member in a KMS JSON response without a JSON
/// parser, so the data key's text is never copied into a `String` (it is decoded straight
/// into secure memory and then overwritten).
public enum AWSKMSPlaintextField {
    /// The range of the value's characters (between the quotes) of the first `"Plaintext"`
    /// member at the top level of `body`, or nil when there is none, it is not a string, or
    /// holds anything but base64 characters (`A–Z a–z 0–9 + / =`; at most 1024 of them).
    public static func valueRange(in body: [UInt8]) -> Range<Int>? {
        let name = Array(#""Plaintext""#.utf8)
        var depth = 0
        var i = 0
        var inString = false
        while i < body.count {
            let c = body[i]
            if inString {
                if c == UInt8(ascii: "\\") { i += 2; continue }
                if c == UInt8(ascii: "\"") { inString = false }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: "\""):
                if depth == 1, i + name.count <= body.count, Array(body[i..<(i + name.count)]) == name,
                   let range = value(after: i + name.count, in: body) {
                    return range
                }
                inString = true
            default: break
            }
            i += 1
        }
        return nil
    }

    /// After a member name ending before `start`: `ws : ws "value"`.
    private static func value(after start: Int, in body: [UInt8]) -> Range<Int>? {
        var i = start
        func skipSpace() { while i < body.count, [0x20, 0x09, 0x0a, 0x0d].contains(body[i]) { i += 1 } }
        skipSpace()
        guard i < body.count, body[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        skipSpace()
        guard i < body.count, body[i] == UInt8(ascii: "\"") else { return nil }
        let valueStart = i + 1
        var j = valueStart
        while j < body.count, body[j] != UInt8(ascii: "\"") {
            let c = body[j]
            let base64 = (65...90).contains(c) || (97...122).contains(c) || (48...57).contains(c)
                || c == UInt8(ascii: "+") || c == UInt8(ascii: "/") || c == UInt8(ascii: "=")
            guard base64, j - valueStart < 1024 else { return nil }
            j += 1
        }
        guard j < body.count, j > valueStart else { return nil }
        return valueStart..<j
    }
}
