import ArgumentParser
import Coffer
import Foundation

extension CofferCommand {
    /// `coffer init`: creates the vault database and checks the KEK.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create the vault database (mode 0600) and check that the KEK can be loaded.",
            discussion: """
                Safe to run again: an existing vault is opened and migrated, nothing is lost.
                With a postgres:// --store, it applies the schema migrations as the maintenance
                role (--maintenance-store or COFFER_MAINTENANCE_STORE).

                Example:
                  coffer init --store ~/.coffer/vault.db --kek file:$HOME/.coffer/kek
                """)

        @OptionGroup var options: VaultOptions

        func run() async throws {
            try await Self.reportingFailures {
                if options.isPostgres {
                    // Opening with the maintenance role applies pending migrations.
                    let (vault, logger) = try await options.openVault(maintenanceFor: "init")
                    let kekID = try await options.global.kekProvider(logger: logger).keyID()
                    try await vault.checkKEK()
                    struct Result: Encodable { let store: String; let migrated: Bool; let kekID: String }
                    try options.emit(Result(store: options.storeDisplayName, migrated: true, kekID: "\(kekID)")) {
                        "schema migrated and checked: \(options.storeDisplayName)\nKEK \(kekID)"
                    }
                    return
                }
                let existed = FileManager.default.fileExists(atPath: options.storePath)
                let (vault, logger) = try await options.openVault(create: true)
                let kekID = try await options.global.kekProvider(logger: logger).keyID()
                // An existing vault must be this KEK's (exit 77 otherwise).
                try await vault.checkKEK()
                struct Result: Encodable { let store: String; let created: Bool; let kekID: String }
                try options.emit(Result(store: options.storePath, created: !existed, kekID: "\(kekID)")) {
                    "\(existed ? "opened existing" : "created") vault \(options.storePath)\nKEK \(kekID)"
                }
            }
        }
    }
}
