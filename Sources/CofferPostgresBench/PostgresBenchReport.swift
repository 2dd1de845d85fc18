import CofferBenchSupport
import Foundation

/// What one run measured, printed as a table or as JSON.
struct PostgresBenchReport {
    var rounds: Int
    var ops: Int
    var concurrency: Int
    var modes: [PostgresBenchRun.ModeSamples]

    private static func f(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

    func table() -> String {
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: Swift.max(0, w - s.count)) }
        func lpad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: Swift.max(0, w - s.count)) + s }
        func f(_ x: Double, _ digits: Int = 2) -> String { Self.f(x, digits) }
        var out = "coffer-postgres-bench: 256-byte token (290-byte sealed blob), \(rounds) rounds x \(ops) ops per row, "
            + "1 connection/1 task and pool \(concurrency)/\(concurrency) tasks\n"
        out += "(us/op = wall time / ops, i.e. inverse throughput; client CPU = this process only, not the server)\n"
        out += pad("row", 52) + lpad("median us/op", 13) + lpad("min", 9) + lpad("max", 9) + lpad("ops/s", 9)
            + lpad("client CPU us/op", 18) + "\n"
        out += String(repeating: "-", count: 110) + "\n"
        for mode in modes {
            for r in [mode.rawInsert, mode.vaultPut, mode.rawSelect, mode.rawBound, mode.vaultGet] {
                out += pad(r.name, 52) + lpad(f(r.median / 1e3, 1), 13) + lpad(f(r.min / 1e3, 1), 9) + lpad(f(r.max / 1e3, 1), 9)
                    + lpad(String(Int((1e9 / r.median).rounded())), 9) + lpad(f(Samples.median(r.cpu) / 1e3, 1), 18) + "\n"
            }
        }
        out += "\nratios (median of per-round ratios):\n"
        for mode in modes {
            let label = String(mode.rawInsert.name.prefix { $0 != ":" })
            out += pad("  \(label): put / raw insert", 44) + f(Samples.median(mode.putRatios)) + "x\n"
            out += pad("  \(label): get / raw select", 44) + f(Samples.median(mode.getRatios)) + "x\n"
            out += pad("  \(label): get / raw select in bound txn", 44) + f(Samples.median(mode.getBoundRatios)) + "x\n"
        }
        return out
    }

    func json() -> String {
        func num(_ x: Double) -> String { x.isFinite ? String(format: "%.1f", x) : "null" }
        func ratio(_ x: [Double]) -> String { String(format: "%.3f", Samples.median(x)) }
        let modesJSON = modes.map { mode -> String in
            let rows = [mode.rawInsert, mode.vaultPut, mode.rawSelect, mode.rawBound, mode.vaultGet].map { r in
                "{\"row\":\"\(r.name)\",\"median_ns\":\(num(r.median)),\"min_ns\":\(num(r.min)),\"max_ns\":\(num(r.max)),"
                    + "\"ops_per_s\":\(Int((1e9 / r.median).rounded())),\"client_cpu_ns\":\(num(Samples.median(r.cpu))),"
                    + "\"rounds_ns\":[\(r.rounds.map(num).joined(separator: ","))]}"
            }
            return "{\"rows\":[\(rows.joined(separator: ","))],\"put_ratio\":\(ratio(mode.putRatios)),"
                + "\"get_ratio\":\(ratio(mode.getRatios)),\"get_bound_ratio\":\(ratio(mode.getBoundRatios))}"
        }
        return "{\"rounds\":\(rounds),\"ops\":\(ops),\"concurrency\":\(concurrency),\"modes\":[\(modesJSON.joined(separator: ","))]}"
    }
}
