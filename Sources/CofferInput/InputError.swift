/// A value from outside (a flag, an environment variable, a URL, an import file) that a
/// CofferInput parser rejects. ``message`` says what is accepted (form and range) and never
/// repeats the rejected text, which may hold a password or a pasted key.
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong and what is accepted, e.g. `must be between 0s and 36500d (100 years)`.
    public let message: String

    /// An error with `message`.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
