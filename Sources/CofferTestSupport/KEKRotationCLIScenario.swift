public import Coffer
public import CofferCrypto
public import Foundation
public import Logging
import Testing

/// The `coffer rotate-kek` round trip every external KEK provider must pass through the CLI
/// (shared by the AWS KMS and PKCS#11 tests): a store on a key file moves to the provider's
/// key, works there (reads, a new workspace with a provider-made data key, audit verify),
/// refuses the old file key, and finally moves back to the file with every value intact.
public struct KEKRotationCLIScenario {
    /// Runs `coffer ARGUMENTS --kek KEK --store STORE` with `stdin`.
    public typealias Coffer = (_ arguments: [String], _ kek: String, _ stdin: Data?) throws -> (status: Int32, stdout: String, stderr: String)

    let coffer: Coffer
    let fileKEK: String

    /// A scenario on a store the runner names, starting from the key file `fileKEK`.
    public init(fileKEK: String, coffer: @escaping Coffer) {
        self.fileKEK = fileKEK
        self.coffer = coffer
    }

    /// `init`, workspaces acme and globex with a secret each (file KEK), then `rotate-kek` to
    /// `external`, whose KEK id `externalID` must be printed; then a get, a new workspace
    /// initech with a secret, and `audit verify` under `external`; the old file KEK fails (77).
    public func fileToExternal(_ external: String, externalID: String) throws {
        #expect(try coffer(["init"], fileKEK, nil).status == 0)
        for ws in ["acme", "globex"] {
            #expect(try coffer(["workspace", "create", ws], fileKEK, nil).status == 0)
            #expect(try coffer(["put", ws, "oauth"], fileKEK, Data("\(ws)-secret".utf8)).status == 0)
        }
        let to = try coffer(["rotate-kek", "--new-kek", external], fileKEK, nil)
        #expect(to.status == 0, "\(to.stderr)")
        #expect(to.stdout.contains(externalID), "\(to.stdout)")

        // Now only the external key opens the store; new workspaces get its data keys.
        let get = try coffer(["get", "acme", "oauth"], external, nil)
        #expect(get.status == 0 && get.stdout == "acme-secret", "\(get.stderr)")
        #expect(try coffer(["workspace", "create", "initech"], external, nil).status == 0)
        #expect(try coffer(["put", "initech", "oauth"], external, Data("initech-secret".utf8)).status == 0)
        #expect(try coffer(["audit", "verify"], external, nil).status == 0)
        let stale = try coffer(["get", "acme", "oauth"], fileKEK, nil)
        #expect(stale.status == 77, "the old file KEK no longer opens the store: \(stale.stderr)")
    }

    /// `rotate-kek` from `external` back to the file KEK: every value of
    /// ``fileToExternal(_:externalID:)`` opens with the file again and the audit chain verifies.
    public func backToFile(from external: String) throws {
        let back = try coffer(["rotate-kek", "--new-kek", fileKEK], external, nil)
        #expect(back.status == 0, "\(back.stderr)")
        for ws in ["acme", "globex", "initech"] {
            let r = try coffer(["get", ws, "oauth"], fileKEK, nil)
            #expect(r.status == 0 && r.stdout == "\(ws)-secret", "\(ws): \(r.stderr)")
        }
        #expect(try coffer(["audit", "verify"], fileKEK, nil).status == 0)
    }

    /// Workspaces `ws0`, `ws1`, … (`count` of them), each with secret `token` = `v<i>`, written
    /// through the library into `store` under `kek`: the kill-and-resume rotation tests seed
    /// 1,000 workspaces, which 2,000 CLI processes would take far longer to write.
    public static func seedWorkspaces(count: Int, store: any SecretStore, kek: any KeyEncryptionKeyProvider, logger: Logger) async throws {
        let vault = Vault(store: store, kek: kek, logger: logger)
        for i in 0..<count {
            try await vault.createWorkspace("ws\(i)")
            _ = try await vault.workspace("ws\(i)").put("token", value: SecretBytes(Array("v\(i)".utf8)))
        }
    }
}
