/// A reason the broker cannot start: one stderr line and a documented exit code (README.md,
/// "Exit codes"; the same numbers as the `coffer` CLI).
struct StartupFailure: Error, CustomStringConvertible {
    enum Status: Int32 {
        /// A flag is malformed or out of range.
        case usage = 64
        /// The store cannot be opened or reached.
        case storeUnavailable = 69
        /// The KEK or the providers file cannot be used.
        case configuration = 78
    }

    var status: Status
    var message: String

    init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    var description: String { message }
}
