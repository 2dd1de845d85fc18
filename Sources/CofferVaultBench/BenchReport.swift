import CofferBenchSupport
import Foundation

/// What one run measured, printed as a table or as JSON.
struct BenchReport {
    var rounds: Int
    var ops: Int
    var warmMs: Double
    var rows: [Samples]
    /// Median over rounds of vault put / raw insert.
    var putRatio: Double
    /// Median over rounds of vault put / raw put with the store's SQL and schema.
    var putSchemaRatio: Double
    /// Median over rounds of vault get / raw `pool.read` select.
    var getRatio: Double
    /// Median over rounds of vault get / the fastest raw select of that round.
    var getRatioStrict: Double
    /// The same ratios in process CPU time (robust to other processes' load).
    var putCPURatio: Double
    var getCPURatio: Double
    var warmGetsPerSecond: Double
    var warmGetsPerCPUSecond: Double

    static let ratioTarget = 1.3
    static let warmTarget = 200_000.0

    private func verdict(_ met: Bool) -> String { met ? "MET" : "NOT MET" }

    func table() -> String {
        func f(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: Swift.max(0, w - s.count)) }
        func lpad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: Swift.max(0, w - s.count)) + s }
        var out = "coffer-vault-bench: 256-byte token (290-byte sealed blob), \(rounds) rounds x \(ops) ops, "
            + "warm window \(Int(warmMs)) ms\n"
        out += pad("row", 44) + lpad("median us/op", 13) + lpad("min", 9) + lpad("max", 9) + lpad("ops/s", 11) + lpad("CPU us/op", 11) + "\n"
        out += String(repeating: "-", count: 97) + "\n"
        for r in rows {
            out += pad(r.name, 44) + lpad(f(r.median / 1e3), 13) + lpad(f(r.min / 1e3), 9) + lpad(f(r.max / 1e3), 9)
                + lpad(String(Int((1e9 / r.median).rounded())), 11) + lpad(f(Samples.median(r.cpu) / 1e3), 11) + "\n"
        }
        out += "\n"
        out += "put / raw insert                    \(f(putRatio))x   target <= \(f(Self.ratioTarget, 1))x  \(verdict(putRatio <= Self.ratioTarget))\n"
        out += "put / raw put, store's SQL+schema   \(f(putSchemaRatio))x   (what the vault adds)\n"
        out += "put / raw insert, CPU time          \(f(putCPURatio))x\n"
        out += "get / raw select (pool.read)        \(f(getRatio))x   target <= \(f(Self.ratioTarget, 1))x  \(verdict(getRatio <= Self.ratioTarget))\n"
        out += "get / fastest raw select            \(f(getRatioStrict))x   (strict comparison)  \(verdict(getRatioStrict <= Self.ratioTarget))\n"
        out += "get / raw select (pool.read), CPU   \(f(getCPURatio))x\n"
        out += "warm get, one task                  \(Int(warmGetsPerSecond.rounded()))/s   target >= 200000/s  \(verdict(warmGetsPerSecond >= Self.warmTarget))\n"
        out += "warm get, one task, per CPU second  \(Int(warmGetsPerCPUSecond.rounded()))/s   (excludes time other processes took)\n"
        return out
    }

    func json() -> String {
        func num(_ x: Double) -> String { x.isFinite ? String(format: "%.1f", x) : "null" }
        let rowsJSON = rows.map { r in
            "{\"row\":\"\(r.name)\",\"median_ns\":\(num(r.median)),\"min_ns\":\(num(r.min)),\"max_ns\":\(num(r.max)),"
                + "\"rounds_ns\":[\(r.rounds.map(num).joined(separator: ","))]}"
        }
        return "{\"rounds\":\(rounds),\"ops\":\(ops),\"warm_ms\":\(num(warmMs)),\"rows\":[\(rowsJSON.joined(separator: ","))],"
            + "\"put_ratio\":\(String(format: "%.3f", putRatio)),\"put_schema_ratio\":\(String(format: "%.3f", putSchemaRatio)),\"get_ratio\":\(String(format: "%.3f", getRatio)),"
            + "\"get_ratio_strict\":\(String(format: "%.3f", getRatioStrict)),"
            + "\"put_cpu_ratio\":\(String(format: "%.3f", putCPURatio)),\"get_cpu_ratio\":\(String(format: "%.3f", getCPURatio)),"
            + "\"warm_gets_per_second\":\(Int(warmGetsPerSecond.rounded())),"
            + "\"warm_gets_per_cpu_second\":\(Int(warmGetsPerCPUSecond.rounded()))}"
    }
}
