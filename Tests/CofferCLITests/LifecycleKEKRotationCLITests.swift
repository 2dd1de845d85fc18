import Foundation
import Testing

/// `coffer rotate-kek` on a vault whose audit log already has an audit key: the audit key is
/// re-wrapped with the data keys, and the rotation's own audit record is written.
@Suite struct LifecycleKEKRotationCLITests {
    typealias Env = VaultCLITests.Env

    @Test func rotateKEKAfterAuditedOperations() throws {
        let e = try Env().initialised()
        #expect(try e.run(["put"], ["acme", "tok"], stdin: Data("kek-rotation-value".utf8)).status == 0)
        let newKEK = "file:" + (try e.cli.makeKeyFile("kek-new"))
        // The audit key is re-wrapped too, and the rotation's own audit record is written
        // although only the old KEK is configured as --kek.
        let r = try e.run(["rotate-kek"], ["--new-kek", newKEK])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdoutText.contains("the old KEK is no longer needed"))
        // The rotation itself completed: with only the new KEK everything opens and verifies.
        let withNew = ["--kek", newKEK, "--store", e.store]
        let get = try e.cli.run(["get", "acme", "tok"] + withNew)
        #expect(get.status == 0 && get.stdoutText == "kek-rotation-value", "stderr: \(get.stderr)")
        let verify = try e.cli.run(["audit", "verify"] + withNew)
        #expect(verify.status == 0, "stderr: \(verify.stderr)")
        let list = try e.cli.run(["audit", "list", "--json"] + withNew)
        let records = (try JSONSerialization.jsonObject(with: list.stdout) as? [[String: Any]]) ?? []
        #expect(records.contains { $0["action"] as? String == "rotate-kek" && $0["outcome"] as? String == "success" })
    }
}
