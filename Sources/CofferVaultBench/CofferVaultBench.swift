import CofferBenchSupport
import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import Logging

/// coffer-vault-bench: `WorkspaceScope.put`/`get` of a 256-byte token on SQLite next to raw
/// GRDB insert/select of the same 290-byte sealed blobs (256 + 34 bytes of envelope), in one
/// process, on fresh database files in a temporary directory. Rows are measured in
/// alternating rounds (raw insert, vault put, raw selects, vault get, warm get) so that
/// machine load hits every row alike; each figure is the median over the rounds, and each
/// ratio is the median of the per-round ratios.
@main
enum CofferVaultBench {
    static func usage() -> Never {
        print("""
        usage: coffer-vault-bench [--rounds N] [--ops N] [--warm-ms MS] [--json] [--dir DIR]
               coffer-vault-bench --audit [--rounds N] [--ops N] [--dir DIR]
               coffer-vault-bench --observability [--rounds N] [--ops N] [--dir DIR]
               coffer-vault-bench --scaling 1,2,4,8,16 [--rounds N] [--ops N] [--dir DIR]
               coffer-vault-bench --put-breakdown [--rounds N] [--ops N] [--dir DIR]

          --rounds   alternating rounds (default 7)
          --ops      puts/inserts and gets/selects per row per round (default 2000)
          --warm-ms  length of each warm-get throughput window in ms (default 300)
          --json     print one JSON object instead of the table
          --dir      directory for the database files (default: a new one under $TMPDIR)
          --audit    measure the audit log instead: put and warm get with audit off, on, on with synchronous reads
          --observability  measure metrics and tracing instead: warm get with metrics factory nil, no-op, real, and a real tracer (docs/OBSERVABILITY.md)
          --scaling LIST   throughput at each task count (1-256): vault put/get in 1 and in 16 workspaces next to
                           raw GRDB insert/select; --ops is shared by the tasks (issue 14)
          --put-breakdown  cost of each part of a put: the store's statements in cumulative subsets on the real
                           schema, the full vault put, the audit chain's MACs and the seal (issue 14)
        """)
        exit(2)
    }

    static func main() async {
        var rounds = 7, ops = 2000, warmMs = 300.0, json = false, audit = false, observability = false, breakdown = false
        var scaling: [Int]?
        var dir: String?
        var args = CommandLine.arguments.dropFirst()
        while let a = args.popFirst() {
            switch a {
            case "--rounds": guard let v = args.popFirst().flatMap({ Int($0) }), v > 0 else { usage() }; rounds = v
            case "--ops": guard let v = args.popFirst().flatMap({ Int($0) }), v > 0 else { usage() }; ops = v
            case "--warm-ms": guard let v = args.popFirst().flatMap({ Double($0) }), v > 0 else { usage() }; warmMs = v
            case "--dir": guard let v = args.popFirst() else { usage() }; dir = v
            case "--json": json = true
            case "--audit": audit = true
            case "--observability": observability = true
            case "--put-breakdown": breakdown = true
            case "--scaling":
                guard let v = args.popFirst(), let levels = ScalingTable.levels(v, maximum: 256) else { usage() }
                scaling = levels
            default: usage()
            }
        }
        do {
            if let scaling {
                print(try await ScalingRun(rounds: rounds, ops: ops, levels: scaling, directory: dir).run())
                return
            }
            if breakdown {
                print(try await PutBreakdownRun(rounds: rounds, ops: ops, directory: dir).run())
                return
            }
            if observability {
                print(try await ObservabilityCostRun(rounds: rounds, ops: ops, directory: dir).run())
                return
            }
            if audit {
                print(try await AuditCostRun(rounds: rounds, ops: ops, directory: dir).run())
                return
            }
            let run = BenchRun(rounds: rounds, ops: ops, warmMs: warmMs, directory: dir)
            let report = try await run.run()
            print(json ? report.json() : report.table())
        } catch {
            FileHandle.standardError.write(Data("coffer-vault-bench: \(error)\n".utf8))
            exit(1)
        }
    }
}
