import Foundation

/// Where a bench run puts its database files: `--dir`, or a fresh directory under $TMPDIR that
/// is removed afterwards.
enum BenchDirectory {
    /// Runs `body` with the directory `given` (kept) or a new temporary one named after
    /// `prefix` (removed when `body` returns or throws).
    static func with<T>(_ given: String?, prefix: String, _ body: (String) async throws -> T) async throws -> T {
        if let given { return try await body(given) }
        let path = FileManager.default.temporaryDirectory.path + "/\(prefix)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }
}
