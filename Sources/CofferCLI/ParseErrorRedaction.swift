/// Hides key-like command-line values in swift-argument-parser's own error messages.
///
/// The parser quotes what it could not use ("Unexpected argument 'X'", "The value 'X' is invalid
/// for '--batch <batch>'", "Invalid option: --X", "The option '--json' does not take any value,
/// but 'X' was specified."), and X may be a key pasted in the wrong place. Before such a message
/// is printed, every value of at least ``minimumLength`` characters taken from the command line
/// (a whole argument, the value of `--option=value`, or a dashed argument that is not an option
/// name, with and without its dashes) is replaced by its length. A 256-bit key is at least 43
/// characters in any text form; shorter values (a workspace name, `--batch abc`) stay visible,
/// so the message still points at the mistake. Option names (`--maintenance-store`) are never
/// hidden.
enum ParseErrorRedaction {
    /// Values this long or longer are never echoed (a 16-character piece of a key identifies it).
    static let minimumLength = 16

    /// `message` with every key-like value of `arguments` (the command line without the program
    /// name) replaced by `<N characters, not shown>`.
    static func redact(_ message: String, arguments: [String]) -> String {
        let values = Set(arguments.flatMap(hideable)).sorted { $0.count > $1.count }
        var out = message
        for value in values where out.contains(value) {
            out = out.replacingOccurrences(of: value, with: "<\(value.count) characters, not shown>")
        }
        return out
    }

    /// The parts of `argument` that are hidden when a message repeats them: a plain argument
    /// whole; of an option, the value after `=` and, unless the name is an option name, the name
    /// with and without its dashes.
    private static func hideable(_ argument: String) -> [String] {
        guard argument.hasPrefix("-") else { return argument.count >= minimumLength ? [argument] : [] }
        var parts: [String] = []
        let name: Substring
        if let equals = argument.firstIndex(of: "=") {
            name = argument[..<equals]
            parts.append(String(argument[argument.index(after: equals)...]))
        } else {
            name = argument[...]
        }
        if !isOptionName(name) {
            parts += [String(name), String(name.drop { $0 == "-" })]
        }
        return parts.filter { $0.count >= minimumLength }
    }

    /// Longer than any option Coffer has (`--maintenance-store` is 19), shorter than any text
    /// form of a 128-bit or longer key with two dashes in front (hex: 34).
    static let maximumOptionNameLength = 32

    /// `-n` or `--name-with-dashes` of lowercase ASCII letters, digits and dashes, at most
    /// ``maximumOptionNameLength`` long: the spelling of an option, which usage text repeats and
    /// which is not secret. (A hex key is also lowercase letters and digits, but longer.)
    private static func isOptionName(_ text: Substring) -> Bool {
        text.hasPrefix("-") && text.count <= maximumOptionNameLength
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}
