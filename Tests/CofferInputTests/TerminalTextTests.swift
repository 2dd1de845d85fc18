import CofferInput
import Testing

@Suite("TerminalText: control characters are shown, never sent")
struct TerminalTextTests {
    @Test("controls, separators and bidi overrides become escapes")
    func escapes() {
        #expect(TerminalText.escaped("a\u{1B}[2Jb") == "a\\u{1B}[2Jb")
        #expect(TerminalText.escaped("x\ny\rz\t") == "x\\u{A}y\\u{D}z\\u{9}")
        #expect(TerminalText.escaped("x\ny", keepingNewlines: true) == "x\ny")
        #expect(TerminalText.escaped("\u{7F}\u{9B}\u{2028}\u{202E}\u{2066}") == "\\u{7F}\\u{9B}\\u{2028}\\u{202E}\\u{2066}")
        #expect(TerminalText.escaped("\u{0}") == "\\u{0}")
    }

    @Test("ordinary text, backslashes and non-ASCII letters are kept; escaping twice changes nothing")
    func kept() {
        for text in ["plain", "back\\slash", "café 名前 🔑", "\\u{1B}"] {
            #expect(TerminalText.escaped(text) == text)
        }
        let once = TerminalText.escaped("a\u{1B}]0;title\u{7}")
        #expect(TerminalText.escaped(once) == once)
        #expect(!once.unicodeScalars.contains { TerminalText.needsEscape($0) })
    }
}
