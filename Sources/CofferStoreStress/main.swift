// coffer-store-stress: the child process of the SQLite multi-process test (and, with
// --postgres-vault, of the PostgreSQL two-process vault test: PostgresVaultStress.swift; with
// --lease-vault, of the encryption-lease kill tests: LeaseVaultStress.swift).
//
//   coffer-store-stress <database> <workspace> <worker-id> <count>
//
// Puts <count> versions to the secret "shared" and to "own-<worker-id>" of an existing
// workspace, reading "shared" back after each put, and prints "put <version> <value>" for every
// put to "shared" so that the parent can check that no write was lost or duplicated.
// Exits 0 on success, 1 with a message on stderr on any error. Values are test strings.
import Coffer
import CofferSQLite
import Foundation
import Logging

let args = CommandLine.arguments
if args.count > 1 && args[1] == "--postgres-vault" {
    exit(await PostgresVaultStress.run(args))
}
if args.count > 1 && args[1] == "--lease-vault" {
    exit(await LeaseVaultStress.run(args))
}
guard args.count == 5, let count = Int(args[4]) else {
    FileHandle.standardError.write(Data("usage: coffer-store-stress <database> <workspace> <worker-id> <count>\n".utf8))
    exit(2)
}
let (path, workspace, worker) = (args[1], args[2], args[3])

do {
    var logger = Logger(label: "coffer-store-stress")
    logger.logLevel = .warning
    let store = try SQLiteStore(path: path, logger: logger)
    var out = ""
    for i in 0..<count {
        let value = "\(worker)-\(i)"
        let info = try await store.putSecretVersion(
            PutSecretRequest(workspace: workspace, name: "shared", expectedCurrentVersion: nil, metadata: SecretMetadata(),
                             dataKeyVersion: 1, maxVersions: 1_000_000, now: Date())
        ) { _ in Array(value.utf8) }
        out += "put \(info.version) \(value)\n"
        _ = try await store.putSecretVersion(
            PutSecretRequest(workspace: workspace, name: "own-\(worker)", expectedCurrentVersion: UInt32(i), metadata: SecretMetadata(),
                             dataKeyVersion: 1, maxVersions: 1_000_000, now: Date())
        ) { _ in Array(value.utf8) }
        guard try await store.secretVersion(workspace: workspace, name: "shared", version: nil) != nil else {
            throw VaultError.secretNotFound(workspace: workspace, name: "shared")
        }
    }
    FileHandle.standardOutput.write(Data(out.utf8))
    exit(0)
} catch {
    FileHandle.standardError.write(Data("coffer-store-stress \(worker): \(error)\n".utf8))
    exit(1)
}
