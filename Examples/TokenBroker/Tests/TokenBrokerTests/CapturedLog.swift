import Logging
import Synchronization

/// Every log line a test's loggers wrote (message and metadata as text), to search for token
/// values. A copy of the root package's CofferTestSupport.CapturedLog, which is not a product.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    /// Every line so far.
    var entries: [String] { lines.withLock { $0 } }

    /// A logger at trace level writing here.
    func logger(_ label: String) -> Logger {
        Logger(label: label) { _ in Handler(log: self) }
    }

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
            let line = "\(event.level) \(event.message) \(all) \(event.source) \(event.file)"
            log.lines.withLock { $0.append(line) }
        }
    }
}
