import ArgumentParser
import Coffer
import Foundation

extension CofferCommand {
    /// `coffer reencrypt [WS]`.
    struct Reencrypt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal values sealed under older data-key versions with the primary one, in batches.",
            discussion: """
                Every kept secret version (live and soft-deleted) not sealed under its workspace's
                primary data key is opened and sealed again under the primary, --batch rows per
                transaction. Safe to kill at any instant and run again (it resumes), and safe
                while applications write the same secrets: no write is lost or reverted.
                A progress bar is drawn on stderr when it is a terminal; --json prints one JSON
                object per batch on stdout.

                Examples:
                  coffer reencrypt acme
                  coffer reencrypt --batch 500 --rate 2000 --json
                """)

        @OptionGroup var options: VaultOptions
        @Argument(help: "Only this workspace (default: all).")
        var workspace: String?
        @Option(name: .long, help: "Secret versions per transaction.")
        var batch: Int = 100
        @Option(name: .long, help: ArgumentHelp("At most this many secret versions per second.", valueName: "R"))
        var rate: Double?

        func validate() throws {
            try ArgumentRanges.check(batch, in: ArgumentRanges.batch, option: "--batch")
            if let rate, !Vault.reencryptionRates.contains(rate) {
                throw ValidationError("--rate must be between 0.001 and 1000000000 secret versions per second")
            }
        }

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault(maintenanceFor: "reencrypt")
                let reporter = ProgressReporter(json: options.json)
                let report = try await vault.reencrypt(workspace: workspace, batchSize: batch, ratePerSecond: rate) { reporter.report($0) }
                if !options.json {
                    try options.emit(report) {
                        "re-encrypted \(report.reencrypted) secret version(s)" + (report.skipped > 0 ? " (\(report.skipped) changed meanwhile, left as they are)" : "")
                    }
                }
            }
        }
    }
}
