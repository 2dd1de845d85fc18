import CofferInput

extension PostgresURL {
    /// Parses `text` for the CLI: a malformed URL is a usage error (exit 64) naming `option`;
    /// the message never repeats the URL, which may hold a password.
    init(_ text: String, option: String, environment: [String: String]) throws {
        do {
            try self.init(parsing: text, environment: environment)
        } catch {
            throw CLIFailure(status: .usage, message: "\(option) \(error.message)")
        }
    }
}
