public import Logging
import Synchronization

/// Log entries a test can inspect (shared by the vault and KMS test targets).
public final class CapturedLog: Sendable {
    /// One log line: level, message, metadata (as text) and its `action` metadata value.
    public struct Entry: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: String
        public var action: String
        /// Message and metadata, for searching.
        public var text: String { message + " " + metadata }
    }

    private let state = Mutex<[Entry]>([])

    /// An empty log.
    public init() {}

    /// Every entry so far.
    public var entries: [Entry] { state.withLock { $0 } }

    /// A logger (level trace) whose lines go to this log.
    public var logger: Logger {
        Logger(label: "captured") { _ in Handler(log: self) }
    }

    func append(_ entry: Entry) { state.withLock { $0.append(entry) } }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            log.append(Entry(
                level: event.level, message: "\(event.message)", metadata: "\(all)",
                action: all["action"].map { "\($0)" } ?? ""))
        }
    }
}
