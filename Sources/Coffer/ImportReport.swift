/// What an import wrote.
public struct ImportReport: Sendable, Hashable, Codable {
    public var workspace: String
    /// The versions written, one per imported secret, ordered by name.
    public var written: [SecretVersionInfo]
    /// Lines skipped as invalid (Fernet import with `skipInvalid`), with why.
    public var skipped: [Skipped]

    /// An input line that was not imported.
    public struct Skipped: Sendable, Hashable, Codable {
        public var line: Int
        public var reason: String

        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    public init(workspace: String, written: [SecretVersionInfo], skipped: [Skipped] = []) {
        self.workspace = workspace
        self.written = written
        self.skipped = skipped
    }
}
