import ArgumentParser
import Coffer
import Foundation

extension CofferCommand {
    /// `coffer status [WS]`: the rotation census.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show KEKs in use and, per workspace, data-key versions with age, usage and secret versions per version.",
            discussion: """
                The census to read before retiring or revoking anything: which KEK wraps how many
                data keys (and whether any KEK other than --kek is still needed), and per
                workspace the primary and minimum decryption versions, the rotation policy in
                force, and per data-key version its age, encryption count and the live and
                deleted secret versions it still seals. Never shows values or keys.

                Examples:
                  coffer status
                  coffer status acme --json
                """)

        @OptionGroup var options: VaultOptions
        @Argument(help: "Only this workspace (default: all).")
        var workspace: String?

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault(maintenanceFor: "status")
                let status = try await vault.status(workspace: workspace)
                try options.emit(status) { Self.text(status) }
            }
        }

        static func text(_ s: VaultStatus) -> String {
            var lines = ["KEK in use: \(s.currentKEK)", "data keys per KEK:"]
            lines.append(Format.table(["  KEK", "DATA-KEYS", "ROLE"], s.keks.map { ["  \($0.kekID)", "\($0.dataKeys)", $0.role] }))
            if s.otherKEKsNeeded {
                let others = s.keks.filter { $0.kekID != s.currentKEK }
                let count = others.reduce(0) { $0 + $1.dataKeys }
                lines.append("KEK rotation unfinished: \(count) data key(s) still need \(others.map(\.kekID.description).joined(separator: ", ")); "
                    + "finish with: coffer rotate-kek --new-kek URI")
            } else {
                lines.append("no other KEK is needed: every data key is wrapped by the KEK in use")
            }
            for w in s.workspaces {
                lines.append("")
                lines.append("workspace \(w.id): primary data key \(w.primaryDataKeyVersion), minimum decryption version \(w.minimumDecryptionVersion)")
                lines.append("  policy: \(Policy.describe(w.policy))\(w.policyOverride == nil ? " (vault default)" : " (workspace override)")"
                    + (w.rotationDue ? "; rotation due on next write" : ""))
                lines.append(Format.table(
                    ["  VERSION", "CREATED", "AGE", "KEK", "ENCRYPTIONS", "LIVE", "DELETED", "STATE"],
                    w.dataKeys.map { k in
                        ["  \(k.version)", Format.date(k.createdAt), ProgressReporter.duration(max(0, k.ageSeconds)), "\(k.kekID)",
                         "\(k.encryptionCount)", "\(k.liveSecretVersions)", "\(k.deletedSecretVersions)",
                         k.primary ? "primary" : k.retired ? "retired" : "decrypt-only"]
                    }))
                lines.append("  secret versions to re-encrypt: \(w.secretVersionsToReencrypt)"
                    + (w.secretVersionsToReencrypt > 0 ? " (coffer reencrypt \(w.id))" : ""))
            }
            return lines.joined(separator: "\n")
        }
    }
}
