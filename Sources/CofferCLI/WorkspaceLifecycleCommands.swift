import ArgumentParser
import Coffer
import CofferInput
import Foundation

extension CofferCommand.Workspace {
    /// `coffer workspace delete WS`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Soft-delete a workspace: its secrets can no longer be read or written.",
            discussion: """
                The workspace can be restored with 'coffer workspace undelete WS' during the grace period
                (default 30 days, COFFER_DELETION_GRACE); after it, 'coffer purge' crypto-shreds it.

                Example:
                  coffer workspace delete acme
                """)
        @OptionGroup var options: VaultOptions
        @Argument(help: "Workspace id.")
        var workspace: String

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault()
                let changed = try await vault.deleteWorkspace(workspace)
                try options.emit(["workspace": workspace, "deleted": "true", "changed": "\(changed)"]) {
                    changed ? "deleted workspace \(workspace); restore it with: coffer workspace undelete \(workspace)"
                        : "workspace \(workspace) was already deleted"
                }
            }
        }
    }

    /// `coffer workspace undelete WS`.
    struct Undelete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a soft-deleted workspace within the grace period.",
            discussion: "Example:\n  coffer workspace undelete acme")
        @OptionGroup var options: VaultOptions
        @Argument(help: "Workspace id.")
        var workspace: String

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault()
                let changed = try await vault.undeleteWorkspace(workspace)
                try options.emit(["workspace": workspace, "deleted": "false", "changed": "\(changed)"]) {
                    changed ? "restored workspace \(workspace)" : "workspace \(workspace) was not deleted"
                }
            }
        }
    }

    /// `coffer workspace shred WS --now --confirm WS`.
    struct Shred: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Crypto-shred a workspace now: destroy every data key; its secrets can never be read again.",
            discussion: """
                Irreversible. Needs --now and --confirm with the workspace id typed again. Prints the
                shred receipt (JSON) to hand to the customer; --receipt FILE also writes it to FILE (0600).
                Without --now, delete the workspace and let 'coffer purge' shred it after the grace period.

                Example:
                  coffer workspace shred acme --now --confirm acme --receipt acme-shred.json
                """)
        @OptionGroup var options: VaultOptions
        @Argument(help: "Workspace id.")
        var workspace: String
        @Flag(name: .long, help: "Shred immediately (required).")
        var now = false
        @Option(name: .long, help: ArgumentHelp("The workspace id again, to confirm.", valueName: "workspace"))
        var confirm: String?
        @Option(name: .long, help: ArgumentHelp("Also write the receipt to this file (created 0600; must not exist; checked before shredding).", valueName: "path"))
        var receipt: String?

        func validate() throws {
            guard now else {
                throw ValidationError(
                    "shredding is immediate and irreversible: pass --now --confirm \(workspace), or run 'coffer workspace delete \(workspace)' and let 'coffer purge' shred it after the grace period")
            }
            guard confirm == workspace else {
                throw ValidationError("confirm by passing the workspace id again: --confirm \(workspace)")
            }
        }

        func run() async throws {
            try await Self.reportingFailures {
                // Claim the receipt file before the irreversible step: a destination that cannot be
                // written fails now, with nothing shredded.
                let output = try receipt.map { try OutputFile.claim($0, replace: false, forceFlag: nil) }
                let (vault, _) = try await options.openVault()
                let result = try await vault.shredWorkspace(workspace)
                var data = try result.jsonData()
                data.append(0x0a)
                // The receipt always reaches stdout, whatever happens to the file.
                var fileError: (any Error)?
                if let output {
                    do { try data.withUnsafeBytes { try output.commit($0) } } catch { fileError = error }
                }
                try data.withUnsafeBytes { try Terminal.writeStdout($0) }
                if let fileError {
                    throw CLIFailure(
                        status: .software,
                        message: "the workspace was shredded and its receipt printed on stdout, but \(CLIFailure.from(fileError).message); save the printed receipt")
                }
            }
        }
    }
}

extension CofferCommand {
    /// `coffer purge`.
    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retention job: remove deleted secret versions and shred deleted workspaces past the grace period; trim the audit log.",
            discussion: """
                Idempotent and safe to run from cron on every instance at once. Removes secret versions
                soft-deleted longer ago than the grace period (default 30 days; --grace or
                COFFER_DELETION_GRACE), crypto-shreds workspaces deleted longer ago than it (their receipts
                are printed with --json), and removes audit records older than the audit retention (default
                365 days; COFFER_AUDIT_RETENTION) behind a sealed checkpoint.

                Example (crontab):
                  17 3 * * *  coffer purge --json >> /var/log/coffer-purge.jsonl
                """)
        @OptionGroup var options: VaultOptions
        @Option(name: .long, help: ArgumentHelp("Grace period, e.g. 30d, 12h, 0s (default: COFFER_DELETION_GRACE or 30d).", valueName: "duration"))
        var grace: String?
        @Option(name: .long, help: "Rows removed per transaction.")
        var batch: Int = 500

        func validate() throws {
            try ArgumentRanges.check(batch, in: ArgumentRanges.batch, option: "--batch")
            if let grace {
                do { _ = try DurationParser.parse(grace, allowZero: true) } catch { throw ValidationError("--grace \(error.message)") }
            }
        }

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault(maintenanceFor: "purge", grace: try grace.map { try VaultOptions.duration($0, name: "--grace") })
                let report = try await vault.purge(batchSize: batch)
                try options.emit(report) {
                    var lines = ["purged \(report.secretVersionsPurged) secret version(s); shredded \(report.workspacesShredded.count) workspace(s); removed \(report.auditRecordsPurged) audit record(s)"]
                    for r in report.workspacesShredded {
                        lines.append("  shredded \(r.workspace): data keys \(r.dataKeyVersionsDestroyed.map(String.init).joined(separator: ",")), \(r.secretVersionsUnreadable) secret version(s)")
                    }
                    return lines.joined(separator: "\n")
                }
            }
        }
    }
}
