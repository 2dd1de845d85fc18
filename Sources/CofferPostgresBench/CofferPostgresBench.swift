import CofferBenchSupport
import Coffer
import Foundation
import PostgresNIO

/// coffer-postgres-bench: `WorkspaceScope.put`/`get` of a 256-byte token through
/// ``CofferPostgres/PostgresStore`` next to raw PostgresNIO insert/select of the same 290-byte
/// sealed blobs (256 + 34 bytes of envelope), in one process, against one server: once with a
/// one-connection pool and one task, once with a pool of `--concurrency` connections and as many
/// tasks. The server comes from `COFFER_TEST_POSTGRES_URL` (maintenance role: creates and drops
/// a fresh schema) and `COFFER_TEST_POSTGRES_APP_URL` (application role: every measured
/// operation), as printed by `scripts/postgres.sh start`. Never prints passwords or values.
@main
enum CofferPostgresBench {
    static func usage() -> Never {
        print("""
        usage: coffer-postgres-bench [--rounds N] [--ops N] [--concurrency N] [--audit on|off|writes] [--json]
               coffer-postgres-bench --scaling 1,2,4,8,16 [--rounds N] [--ops N]

          --rounds       alternating rounds (default 7)
          --ops          operations per row per round and mode (default 2000)
          --concurrency  pool size and task count of the concurrent mode (default 16)
          --audit        keep the audit log (on, default), not at all (off), or only for writes and
                         failures (writes: successful reads not recorded), to measure what it costs
          --json         print one JSON object instead of the table
          --scaling LIST throughput at each task count N (1-64), pool of N connections: vault put/get in 1
                         and in 16 workspaces next to raw insert/select, audit on; --ops is shared by the tasks

        environment: COFFER_TEST_POSTGRES_URL (maintenance role), COFFER_TEST_POSTGRES_APP_URL
        (application role), e.g. from: eval "$(bash scripts/postgres.sh start)"
        """)
        exit(2)
    }

    /// A pool configuration from a `postgres://user:password@host:port/database` URL (no TLS:
    /// the benchmark server listens on loopback).
    static func configuration(_ variable: String) -> PostgresClient.Configuration? {
        guard let text = ProcessInfo.processInfo.environment[variable], let url = URLComponents(string: text),
              ["postgres", "postgresql"].contains(url.scheme ?? ""), let host = url.host, let user = url.user
        else { return nil }
        var config = PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: url.password?.removingPercentEncoding ?? url.password,
            database: String(url.path.drop { $0 == "/" }), tls: .disable)
        config.options.connectTimeout = .seconds(10)
        return config
    }

    static func main() async {
        var rounds = 7, ops = 2000, concurrency = 16, json = false, audit = true
        var reads = AuditConfiguration.ReadAuditing.buffered
        var scaling: [Int]?
        var args = CommandLine.arguments.dropFirst()
        while let a = args.popFirst() {
            switch a {
            case "--rounds": guard let v = args.popFirst().flatMap({ Int($0) }), v > 0 else { usage() }; rounds = v
            case "--ops": guard let v = args.popFirst().flatMap({ Int($0) }), v > 0 else { usage() }; ops = v
            case "--concurrency": guard let v = args.popFirst().flatMap({ Int($0) }), v > 1 else { usage() }; concurrency = v
            case "--json": json = true
            case "--scaling":
                guard let v = args.popFirst(), let levels = ScalingTable.levels(v, maximum: 64) else { usage() }
                scaling = levels
            case "--audit":
                switch args.popFirst() {
                case "on": audit = true
                case "off": audit = false
                case "writes": reads = .off
                default: usage()
                }
            default: usage()
            }
        }
        guard let maintenance = configuration("COFFER_TEST_POSTGRES_URL"),
              let application = configuration("COFFER_TEST_POSTGRES_APP_URL")
        else {
            FileHandle.standardError.write(Data(
                "coffer-postgres-bench: set COFFER_TEST_POSTGRES_URL and COFFER_TEST_POSTGRES_APP_URL, e.g. eval \"$(bash scripts/postgres.sh start)\"\n".utf8))
            exit(2)
        }
        do {
            if let scaling {
                let run = PostgresScalingRun(
                    rounds: rounds, ops: ops, levels: scaling, maintenance: maintenance, application: application)
                print(try await run.run())
                return
            }
            let run = PostgresBenchRun(
                rounds: rounds, ops: ops, concurrency: concurrency, maintenance: maintenance, application: application, audit: audit, reads: reads)
            let report = try await run.run()
            print(json ? report.json() : report.table())
        } catch {
            FileHandle.standardError.write(Data("coffer-postgres-bench: \(error)\n".utf8))
            exit(1)
        }
    }
}
