/// What an import wrote.
public struct ImportReport: Sendable, Hashable, Codable {
    /// Id of the workspace imported into.
    public var workspace: String
    /// The versions written, one per imported secret, ordered by name.
    public var written: [SecretVersionInfo]
    /// Lines skipped as invalid (Fernet import with `skipInvalid`), with why.
    public var skipped: [Skipped]

    /// An input line that was not imported.
    public struct Skipped: Sendable, Hashable, Codable {
        /// 1-based line number in the import file.
        public var line: Int
        /// What is wrong with the line; never its text, a token or a value.
        public var reason: String

        /// Makes a skipped-line entry.
        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    /// Makes a report; `skipped` is empty except for a Fernet import with `skipInvalid`.
    public init(workspace: String, written: [SecretVersionInfo], skipped: [Skipped] = []) {
        self.workspace = workspace
        self.written = written
        self.skipped = skipped
    }
}
