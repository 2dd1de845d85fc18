import Foundation

/// coffer-rotation-bench: re-encryption of N secrets of 256 bytes and KEK rotation over many
/// workspaces, on a real SQLite vault file (BENCHMARKS.md, "Rotation at scale").
///
/// Three commands, meant to run as separate processes so each one's peak RSS is its own:
/// - `populate --db PATH [--rows N]` builds the vault (not a measurement);
/// - `reencrypt --db PATH [--batch B] [--sample K]` rotates the data key and times
///   `Vault.reencrypt` over every row, then verifies; run it again on the same file for
///   another batch size (each run moves every row from the previous primary to a new one);
/// - `kek --db PATH [--workspaces W] [--batch B]` builds W workspaces and times
///   `Vault.rotateKEK(to:)`, then verifies;
/// - `kms --db PATH [--workspaces W] [--batch B]` does the same from a file KEK to a fresh AWS
///   KMS key (endpoint and credentials from the environment) and times cold and warm gets with
///   each KEK, and the provider's unwrap latency and throughput at 1 and 16 tasks (`ExternalKEKRun`);
/// - `pkcs11 --db PATH [--workspaces W] [--batch B] [--sessions S]` the same with the PKCS#11 key
///   of `COFFER_BENCH_PKCS11_URI` (e.g. in a SoftHSM2 token).
@main
enum CofferRotationBench {
    static func usage() -> Never {
        print("""
        usage: coffer-rotation-bench populate  --db PATH [--rows N]            (default 1000000)
               coffer-rotation-bench reencrypt --db PATH [--batch B] [--sample K] (defaults 100, 1000)
               coffer-rotation-bench kek       --db PATH [--workspaces W] [--batch B] (defaults 10000, 100)
               coffer-rotation-bench kms       --db PATH [--workspaces W] [--batch B] (KMS from AWS_ENDPOINT_URL_KMS etc.)
               coffer-rotation-bench pkcs11    --db PATH [--workspaces W] [--batch B] [--sessions S] (key from COFFER_BENCH_PKCS11_URI)

          populate writes PATH and a throwaway KEK at PATH.kek; kek needs a new PATH too.
        """)
        exit(2)
    }

    static func main() async {
        var args = CommandLine.arguments.dropFirst()
        guard let command = args.popFirst() else { usage() }
        var db: String?
        var rows = 1_000_000, batch = 100, sample = 1_000, workspaces = 10_000, sessions = 4
        while let a = args.popFirst() {
            func int() -> Int {
                guard let v = args.popFirst().flatMap({ Int($0) }), v > 0 else { usage() }
                return v
            }
            switch a {
            case "--db": guard let v = args.popFirst() else { usage() }; db = v
            case "--rows": rows = int()
            case "--batch": batch = int()
            case "--sample": sample = int()
            case "--workspaces": workspaces = int()
            case "--sessions": sessions = int()
            default: usage()
            }
        }
        guard let db else { usage() }
        do {
            switch command {
            case "populate":
                let t0 = Measure.now()
                try await Fixture.populate(db: db, rows: rows)
                print("populate rows=\(rows) seconds=\(Measure.f(Measure.now() - t0, 1)) (not a measurement)")
            case "reencrypt": try await Runs.reencrypt(db: db, batchSize: batch, sampleCount: sample)
            case "kek": try await Runs.kek(db: db, workspaces: workspaces, batchSize: batch)
            case "kms": try await ExternalKEKRun.run(db: db, workspaces: workspaces, batchSize: batch, target: try await ExternalKEKRun.kms())
            case "pkcs11": try await ExternalKEKRun.run(db: db, workspaces: workspaces, batchSize: batch, target: try ExternalKEKRun.pkcs11(sessions: sessions))
            default: usage()
            }
        } catch {
            FileHandle.standardError.write(Data("coffer-rotation-bench: \(error)\n".utf8))
            exit(1)
        }
    }
}
