import Foundation

/// Throughput of several rows (raw baseline, vault operation, …) at several task counts, as the
/// store benches' `--scaling` modes print it: ops/s per row and task count (median over
/// rounds), the speedup of each row over its own 1-task figure (or the lowest level measured),
/// and vault/raw ratios at each task count.
public struct ScalingTable: Sendable {
    /// First line of the printed table.
    public var title: String
    /// Task counts, in the order measured and printed (the first is the speedup base).
    public var levels: [Int]
    /// Row names, in print order.
    public var rows: [String]
    /// Pairs (numerator row, denominator row) whose time ratio is printed per level.
    public var ratios: [(String, String)]
    /// ns per operation (wall clock / ops: the inverse of throughput), per row, level and round.
    private var samples: [String: [Int: [Double]]] = [:]
    /// Per-round ratios, per ratio pair and level.
    private var roundRatios: [Int: [Int: [Double]]] = [:]

    /// An empty table.
    public init(title: String, levels: [Int], rows: [String], ratios: [(String, String)]) {
        self.title = title
        self.levels = levels
        self.rows = rows
        self.ratios = ratios
    }

    /// Task counts from a `--scaling` argument such as `1,2,4,8,16`: nil unless every entry is
    /// an integer in `1...maximum` and there are 1 to 16 of them.
    public static func levels(_ argument: String, maximum: Int) -> [Int]? {
        let levels = argument.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...16).contains(levels.count), levels.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= maximum }) else { return nil }
        return levels.compactMap { $0 }
    }

    /// Records one round of `level`: `times[row]` is ns per operation.
    public mutating func record(level: Int, _ times: [String: Double]) {
        for (row, t) in times { samples[row, default: [:]][level, default: []].append(t) }
        for (i, pair) in ratios.enumerated() {
            if let a = times[pair.0], let b = times[pair.1] { roundRatios[i, default: [:]][level, default: []].append(a / b) }
        }
    }

    /// Median ns per operation of `row` at `level`.
    public func median(_ row: String, _ level: Int) -> Double { Samples.median(samples[row]?[level] ?? []) }

    /// The three tables (ops/s, speedup, ratios) as text.
    public func table() -> String {
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: Swift.max(0, w - s.count)) }
        func lpad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: Swift.max(0, w - s.count)) + s }
        let width = Swift.max(44, ((rows + ratios.map { "\($0.0) / \($0.1)" }).map(\.count).max() ?? 0) + 2)
        let header = pad("", width) + levels.map { lpad("\($0) task\($0 == 1 ? "" : "s")", 11) }.joined() + "\n"
        var out = title + "\n\nthroughput, ops/s (median over rounds of ops / wall time):\n" + header
        for row in rows {
            out += pad(row, width) + levels.map { lpad(String(Int((1e9 / median(row, $0)).rounded())), 11) }.joined() + "\n"
        }
        out += "\nspeedup over the same row at \(levels.first ?? 1) task\((levels.first ?? 1) == 1 ? "" : "s"):\n" + header
        for row in rows {
            let base = median(row, levels.first ?? 1)
            out += pad(row, width) + levels.map { lpad(String(format: "%.2fx", base / median(row, $0)), 11) }.joined() + "\n"
        }
        if !ratios.isEmpty {
            out += "\ntime ratios at the same task count (median of per-round ratios):\n" + header
            for (i, pair) in ratios.enumerated() {
                out += pad("\(pair.0) / \(pair.1)", width)
                    + levels.map { lpad(String(format: "%.2fx", Samples.median(roundRatios[i]?[$0] ?? [])), 11) }.joined() + "\n"
            }
        }
        return out
    }
}
