/// Text from outside (names, labels, actors, details, error messages) made safe to print on a
/// terminal: control characters are shown as escapes instead of being sent, so stored or
/// user-supplied text cannot move the cursor, rewrite earlier lines, set the window title or
/// hide itself (terminal injection).
///
/// Escaped as `\u{XX}` (hexadecimal code point): C0 controls (U+0000-U+001F) except, on
/// request, the newline; DEL (U+007F); C1 controls (U+0080-U+009F); the line and paragraph
/// separators U+2028 and U+2029; and the bidirectional formatting characters U+200E, U+200F,
/// U+202A-U+202E and U+2066-U+2069, which can reorder what is displayed. Everything else,
/// backslashes included, is kept, so escaping twice changes nothing.
public enum TerminalText {
    /// Whether `scalar` is escaped by ``escaped(_:keepingNewlines:)``.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `text` with every character that ``needsEscape(_:)`` names written as `\u{XX}`.
    /// - Parameter keepingNewlines: keep `\n` as it is (for multi-line output that Coffer
    ///   itself lays out); every other control character is still escaped.
    public static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0) && !(keepingNewlines && $0 == "\n") }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) && !(keepingNewlines && scalar == "\n") {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}
