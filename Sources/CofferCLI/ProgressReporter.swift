#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Coffer
import Foundation

/// Progress of a long job: a bar on stderr when stderr is a terminal, and with `--json` one
/// compact JSON object per batch on stdout. Shows counts, rates and workspace ids only.
struct ProgressReporter: Sendable {
    let json: Bool
    let bar: Bool

    init(json: Bool) {
        self.json = json
        self.bar = isatty(2) != 0
    }

    /// Writes `value` as one JSON line on stdout (with `--json`).
    func jsonLine<T: Encodable>(_ value: T) {
        guard json else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(value) else { return }
        var line = String(decoding: data, as: UTF8.self) + "\n"
        _ = line.withUTF8 { Terminal.writeAll(1, UnsafeRawBufferPointer($0)) }
    }

    /// Redraws the bar (terminal only); `finished` ends the line.
    func draw(label: String, done: Int, total: Int, rate: Double?, eta: Double?, finished: Bool) {
        guard bar else { return }
        let width = 30
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : (finished ? 1 : 0)
        let filled = Int(fraction * Double(width))
        var line = "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
        line += "\(done)/\(total) \(Int(fraction * 100))%"
        if let rate { line += String(format: " %.0f/s", rate) }
        if let eta, !finished { line += " ETA \(Self.duration(eta))" }
        line += "\u{1B}[K"
        if finished { line += "\n" }
        _ = line.withUTF8 { Terminal.writeAll(2, UnsafeRawBufferPointer($0)) }
    }

    /// Reports a re-encryption batch.
    func report(_ p: ReencryptionProgress) {
        jsonLine(p)
        draw(label: "re-encrypting", done: p.processed, total: p.total, rate: p.ratePerSecond, eta: p.etaSeconds, finished: p.finished)
    }

    /// Reports a KEK-rotation batch.
    func report(_ p: KEKRotationProgress) {
        jsonLine(p)
        draw(label: "re-wrapping", done: p.rewrapped, total: p.total, rate: nil, eta: nil, finished: p.finished)
    }

    /// `3d4h`, `2h5m`, `4m10s`, `9s`; a value that is not a number of seconds between 0 and 2^53
    /// is printed as it is, never converted.
    static func duration(_ seconds: Double) -> String {
        guard seconds >= 0 && seconds < 9_007_199_254_740_992 else { return "\(seconds)s" }
        let s = Int(seconds.rounded())
        if s >= 86400 { return s % 86400 == 0 ? "\(s / 86400)d" : "\(s / 86400)d\(s % 86400 / 3600)h" }
        if s >= 3600 { return "\(s / 3600)h\(s % 3600 / 60)m" }
        if s >= 60 { return "\(s / 60)m\(s % 60)s" }
        return "\(s)s"
    }
}
