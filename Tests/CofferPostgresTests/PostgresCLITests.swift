import CofferTestSupport
import Foundation
import Testing

/// The `coffer` CLI end to end on PostgreSQL, as real processes: init (migrations),
/// workspace create, put/get/list/history, rotate + reencrypt, status; the maintenance role is
/// asked for where needed; passwords never appear in output.
@Suite("coffer CLI on PostgreSQL", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresCLITests {
    typealias Env = PostgresTestEnvironment

    /// A fresh schema, a KEK file and the two store URLs (with `?schema=`).
    struct Setup {
        let dir: URL
        let kek: String
        let app: String
        let maintenance: String
        let schema: String
        let passwords: [String]
        let binary: URL

        init() throws {
            let env = ProcessInfo.processInfo.environment
            guard let maint = env["COFFER_TEST_POSTGRES_URL"], let app = env["COFFER_TEST_POSTGRES_APP_URL"] else {
                throw PostgresTestEnvironment.Missing()
            }
            let (m, a) = try Env.endpoints()
            passwords = [m.password, a.password].compactMap { $0 }.filter { !$0.isEmpty }
            schema = Env.freshSchema()
            self.app = app + "?schema=\(schema)&sslmode=disable"
            maintenance = maint + "?schema=\(schema)"
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-pg-cli-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var bytes = [UInt8](repeating: 0, count: 32)
            for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
            kek = dir.appendingPathComponent("kek").path
            try (Data(bytes).base64EncodedString() + "\n").write(toFile: kek, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: kek)
            binary = try ChildProcess.executable("coffer")
        }

        /// Runs `coffer <arguments>` against the application URL, plus the maintenance URL
        /// (through COFFER_MAINTENANCE_STORE) when `maintenance` is set.
        func run(_ arguments: [String], maintenance withMaintenance: Bool = false, stdin: Data? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
            var environment = ["HOME": dir.path, "COFFER_STORE": app, "COFFER_KEK": "file:\(kek)"]
            if withMaintenance { environment["COFFER_MAINTENANCE_STORE"] = maintenance }
            let result = try ChildProcess.run(binary, arguments, environment: environment, stdin: stdin)
            for password in passwords {
                #expect(!result.stdout.contains(password) && !result.stderr.contains(password), "a password was printed by coffer \(arguments.first ?? "")")
            }
            return result
        }

        func cleanUp() async {
            try? FileManager.default.removeItem(at: dir)
            try? await Env.dropSchema(schema)
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func initWorkspacePutGetRotateReencryptStatus() async throws {
        let s = try Setup()
        do {
            try await Self.scenario(s)
        } catch {
            await s.cleanUp()
            throw error
        }
        await s.cleanUp()
    }

    static func scenario(_ s: Setup) async throws {
        // Before init: the schema is missing (store unavailable, 69), and says how to fix it.
        let early = try s.run(["list", "acme"])
        #expect(early.status == 69, "stderr: \(early.stderr)")
        // init needs the maintenance role, and says so.
        let noMaint = try s.run(["init"])
        #expect(noMaint.status == 69)
        #expect(noMaint.stderr.contains("--maintenance-store") && noMaint.stderr.contains("COFFER_MAINTENANCE_STORE"))
        let initRun = try s.run(["init"], maintenance: true)
        #expect(initRun.status == 0, "stderr: \(initRun.stderr)")
        #expect(initRun.stdout.contains("schema migrated"))
        #expect(try s.run(["init"], maintenance: true).status == 0)   // idempotent

        let create = try s.run(["workspace", "create", "acme"])
        #expect(create.status == 69 && create.stderr.contains("coffer workspace create needs the PostgreSQL maintenance role"))
        #expect(try s.run(["workspace", "create", "acme"], maintenance: true).status == 0)
        let workspaces = try s.run(["workspace", "list"], maintenance: true)
        #expect(workspaces.status == 0 && workspaces.stdout.contains("acme"))

        // Application role only: put, get, list, history, rotate.
        for (i, value) in ["first-value", "second-value"].enumerated() {
            let put = try s.run(["put", "acme", "db/password"], stdin: Data(value.utf8))
            #expect(put.status == 0, "put \(i): \(put.stderr)")
        }
        #expect(try s.run(["put", "acme", "api/key"], stdin: Data("api-value".utf8)).status == 0)
        #expect(try s.run(["get", "acme", "db/password"]).stdout == "second-value")
        #expect(try s.run(["get", "acme", "db/password", "--version", "1"]).stdout == "first-value")
        let list = try s.run(["list", "acme"])
        #expect(list.status == 0 && list.stdout.contains("db/password") && list.stdout.contains("api/key"))
        #expect(!list.stdout.contains("-value"))
        let history = try s.run(["history", "acme", "db/password", "--json"])
        #expect(history.status == 0, "stderr: \(history.stderr)")
        let versions = (try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])?.compactMap { $0["version"] as? Int }
        #expect(versions?.sorted() == [1, 2])
        let rotate = try s.run(["rotate", "acme"])
        #expect(rotate.status == 0 && rotate.stdout.contains("data key version 2 is now primary"), "stderr: \(rotate.stderr)")

        // Operator commands need the maintenance role.
        for command in [["reencrypt", "acme"], ["status"], ["retire", "acme", "--below", "2"], ["rotate-kek", "--new-kek", "file:\(s.kek)"]] {
            let refused = try s.run(command)
            #expect(refused.status == 69 && refused.stderr.contains("needs the PostgreSQL maintenance role"), "\(command[0])")
        }
        let re = try s.run(["reencrypt", "acme"], maintenance: true)
        #expect(re.status == 0, "stderr: \(re.stderr)")
        let status = try s.run(["status", "acme", "--json"], maintenance: true)
        #expect(status.status == 0, "stderr: \(status.stderr)")
        let ws = ((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["workspaces"] as? [[String: Any]])?.first
        #expect(ws?["primaryDataKeyVersion"] as? Int == 2)
        #expect(ws?["secretVersionsToReencrypt"] as? Int == 0)
        #expect(try s.run(["retire", "acme", "--below", "2"], maintenance: true).status == 0)
        #expect(try s.run(["get", "acme", "db/password", "--version", "1"]).stdout == "first-value")
        #expect(try s.run(["get", "acme", "api/key"]).stdout == "api-value")

        // A wrong password: store unavailable (69), and the password is not printed.
        let wrongPassword = "not-the-password-\(UUID().uuidString.prefix(8))"
        var bad = URLComponents(string: s.app)!
        bad.password = wrongPassword
        let env = ["HOME": s.dir.path, "COFFER_KEK": "file:\(s.kek)"]
        let refused = try ChildProcess.run(s.binary, ["get", "acme", "api/key", "--store", bad.string!], environment: env)
        #expect(refused.status == 69)
        #expect(!refused.stderr.contains(wrongPassword) && !refused.stdout.contains(wrongPassword))
        // The password from PGPASSWORD works when the URL has none.
        var noPassword = URLComponents(string: s.app)!
        let appPassword = noPassword.password
        noPassword.password = nil
        let viaEnv = try ChildProcess.run(
            s.binary, ["get", "acme", "api/key", "--store", noPassword.string!],
            environment: env.merging(["PGPASSWORD": appPassword ?? ""]) { $1 })
        #expect(viaEnv.status == 0 && viaEnv.stdout == "api-value", "stderr: \(viaEnv.stderr)")
    }
}
