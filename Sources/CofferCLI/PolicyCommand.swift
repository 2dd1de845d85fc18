import ArgumentParser
import Coffer
import CofferInput
import Foundation

extension CofferCommand {
    /// `coffer policy WS [--max-age D] [--max-encryptions N] [--clear]`.
    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set a workspace's automatic data-key rotation policy.",
            discussion: """
                When the primary data key is older than --max-age or has sealed --max-encryptions
                values, the next write rotates it first. The vault default is at most 2^30
                (1073741824) encryptions per data key and no age limit: with random 96-bit GCM
                nonces the collision probability after q encryptions is below q^2/2^97, 2^-37 at
                2^30 (the NIST limit is 2^32). Options given replace the workspace's override;
                fields not given keep it. --clear returns to the vault default.

                Examples:
                  coffer policy acme
                  coffer policy acme --max-age 90d --max-encryptions 100000000
                  coffer policy acme --clear
                """)

        @OptionGroup var options: VaultOptions
        @Argument(help: "Workspace id.")
        var workspace: String
        @Option(name: .long, help: ArgumentHelp("Maximum data-key age: a number with s, m, h, d or w (e.g. 90d), at most 36500d.", valueName: "duration"))
        var maxAge: String?
        @Option(name: .long, help: ArgumentHelp("Maximum values sealed per data key (1...4294967296).", valueName: "N"))
        var maxEncryptions: UInt64?
        @Flag(name: .long, help: "Remove the workspace's override: use the vault default.")
        var clear = false

        func validate() throws {
            if let maxAge {
                do {
                    _ = try DurationParser.seconds(maxAge, allowZero: false)
                } catch {
                    throw ValidationError("--max-age \(error.message)")
                }
            }
            if let maxEncryptions, !(1...RotationPolicy.maxAllowedEncryptionsPerDataKey).contains(maxEncryptions) {
                throw ValidationError("--max-encryptions must be between 1 and 4294967296 (2^32, the AES-GCM random-nonce bound)")
            }
            if clear && (maxAge != nil || maxEncryptions != nil) {
                throw ValidationError("--clear cannot be combined with --max-age or --max-encryptions")
            }
        }

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault(maintenanceFor: "policy")
                if clear {
                    try await vault.setRotationPolicy(workspace: workspace, nil)
                } else if maxAge != nil || maxEncryptions != nil {
                    let current = try await vault.status(workspace: workspace).workspaces.first?.policyOverride ?? RotationPolicy()
                    let policy = RotationPolicy(
                        maxDataKeyAgeSeconds: try maxAge.map { try DurationParser.seconds($0, allowZero: false) } ?? current.maxDataKeyAgeSeconds,
                        maxEncryptionsPerDataKey: maxEncryptions ?? current.maxEncryptionsPerDataKey)
                    try await vault.setRotationPolicy(workspace: workspace, policy)
                }
                guard let status = try await vault.status(workspace: workspace).workspaces.first else {
                    throw VaultError.workspaceNotFound(workspace)
                }
                struct Output: Encodable { let workspace: String; let policy: RotationPolicy; let policyOverride: RotationPolicy? }
                try options.emit(Output(workspace: workspace, policy: status.policy, policyOverride: status.policyOverride)) {
                    "workspace \(workspace): \(Self.describe(status.policy))\(status.policyOverride == nil ? " (vault default)" : " (workspace override)")"
                }
            }
        }

        /// `max-age 90d, max-encryptions 1073741824` (or `none`).
        static func describe(_ p: RotationPolicy) -> String {
            let age = p.maxDataKeyAgeSeconds.map { ProgressReporter.duration($0) } ?? "none"
            let count = p.maxEncryptionsPerDataKey.map(String.init) ?? "none"
            return "max-age \(age), max-encryptions \(count)"
        }
    }
}
