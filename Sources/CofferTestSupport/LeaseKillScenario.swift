public import Coffer
public import Foundation
import Testing

/// The encryption-lease bound under SIGKILL, for any store several processes can share
/// (issue 14; run by the SQLite and PostgreSQL tests): two `coffer-store-stress --lease-vault`
/// processes put to one workspace whose data keys allow only `limit` encryptions each, leasing
/// `leaseSize` at a time, so keys run out and rotate every few dozen puts. One process stops after
/// `limit` rounds and is killed with SIGKILL while it holds its lease; the other runs to the end
/// and returns its leases.
///
/// Then, for every data key: the values sealed under it ≤ its encryption count ≤ `limit` (the
/// limit is exact across processes even with a lease abandoned), the count exceeds the values
/// sealed by at most what the killed process can have held (one block per key), and every put
/// either process reported opens with its value.
public struct LeaseKillScenario {
    /// A reported put.
    struct Put: Hashable {
        let name: String
        let version: UInt32
        let dataKeyVersion: UInt32
        let label: String
    }

    /// The `coffer-store-stress` executable.
    public let executable: URL
    /// The child's store argument: a SQLite path or `postgres:<schema>`.
    public let storeArgument: String
    /// Extra environment of the children (the KEK, PostgreSQL URLs).
    public let environment: [String: String]

    /// A scenario whose children run `executable` on `storeArgument` with `environment`.
    public init(executable: URL, storeArgument: String, environment: [String: String]) {
        self.executable = executable
        self.storeArgument = storeArgument
        self.environment = environment
    }

    /// Runs it on workspace `w` of `store`, which must exist with the rotation policy
    /// `limit`; `vault` (the same KEK) reads the values back.
    public func run(store: any RotatingSecretStore, vault: Vault, limit: UInt64, leaseSize: Int, seconds: Double = 3) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-lease-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outputs = (0..<2).map { dir.appendingPathComponent("child\($0).out").path }
        // Child 0 puts `limit` rounds (several data keys' worth), then holds its leases until
        // it is killed; child 1 writes for `seconds` and returns its leases.
        let rounds = Int(limit) + 1   // not a whole number of blocks: it dies holding some
        var children: [ChildProcess.Running] = []
        for n in 0..<2 {
            var arguments: [String] = ["--lease-vault", storeArgument, "child\(n)"]
            arguments += [n == 0 ? "300" : String(seconds), String(leaseSize), outputs[n]]
            if n == 0 { arguments.append(String(rounds)) }
            children.append(try ChildProcess.start(executable, arguments, environment: environment))
        }
        let survivor = children[1].finish()
        let start = Date()
        while Date().timeIntervalSince(start) < 120 {
            let text = (try? String(contentsOfFile: outputs[0], encoding: .utf8)) ?? ""
            if text.hasSuffix("holding\n") || !children[0].process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let killedWhileRunning = children[0].process.isRunning
        kill(children[0].process.processIdentifier, SIGKILL)
        let killed = children[0].finish()
        #expect(killedWhileRunning, "child 0 ended before it was killed: \(killed.stderr)")
        #expect(killed.status == SIGKILL, "child 0: \(killed.stderr)")
        #expect(survivor.status == 0, "child 1: \(survivor.stderr)")

        var puts: [Put] = []
        var released: [UInt64] = []
        for path in outputs {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ").map(String.init)
                if parts.count == 5, parts[0] == "put", let version = UInt32(parts[2]), let dek = UInt32(parts[3]) {
                    puts.append(Put(name: parts[1], version: version, dataKeyVersion: dek, label: parts[4]))
                } else if parts.count == 2, parts[0] == "released", let n = UInt64(parts[1]) {
                    released.append(n)
                } else if parts == ["holding"] {
                    continue
                } else {
                    Issue.record("unexpected child output line \(line.prefix(60))")
                }
            }
        }
        #expect(released.count == 1, "only the surviving child returns its leases")
        let keys = try await store.dataKeys(workspace: "w")
        #expect(keys.count >= 2, "too few rotations to exercise the limit: \(keys.count) data keys, \(puts.count) puts")

        // The bound: per key, sealed ≤ count ≤ limit; the slack is what child 0 can have held.
        let sealed = try await store.secretVersionCounts(workspace: "w")
        var slack: UInt64 = 0
        for key in keys {
            let n = UInt64(sealed[key.version] ?? 0)
            #expect(key.encryptionCount <= limit, "data key \(key.version) counted \(key.encryptionCount) > limit \(limit)")
            #expect(n <= key.encryptionCount, "data key \(key.version) sealed \(n) values but counted \(key.encryptionCount)")
            slack += key.encryptionCount - min(n, key.encryptionCount)
        }
        let block = UInt64(max(1, min(leaseSize, Int(limit / 16))))
        #expect(slack <= (block - 1) * UInt64(keys.count), "unused counted encryptions \(slack) exceed one block per key")

        // Nothing reported is lost; versions per name are unique.
        let scope = try vault.workspace("w")
        for put in puts {
            let value = try await scope.get(put.name, version: put.version)
            #expect(value.value == SecretBytes(Array(put.label.utf8)), "\(put.name) version \(put.version)")
            #expect(value.info.dataKeyVersion == put.dataKeyVersion)
        }
        #expect(Set(puts.map { "\($0.name)/\($0.version)" }).count == puts.count)
        print("lease kill scenario (\(storeArgument.hasPrefix("postgres:") ? "PostgreSQL" : "SQLite")): \(puts.count) puts, \(keys.count) data keys, limit \(limit), block \(block), \(slack) encryptions abandoned by the killed process, \(released.first ?? 0) returned by the other")
    }
}
