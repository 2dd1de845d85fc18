import ArgumentParser
import Coffer
import CofferCrypto
import Foundation

extension CofferCommand {
    /// `coffer rotate WS [--revoke V]`.
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new data-key version for a workspace (new writes use it); --revoke destroys a compromised one.",
            discussion: """
                Older data-key versions keep opening what they sealed; move those values with
                coffer reencrypt, then retire the old versions with coffer retire.

                --revoke VERSION is the compromise response: it rotates first if VERSION is the
                primary, re-encrypts every secret version sealed under VERSION, then destroys
                that data key. Safe to run again if interrupted.

                Examples:
                  coffer rotate acme
                  coffer rotate acme --revoke 2 --json
                """)

        @OptionGroup var options: VaultOptions
        @Argument(help: "Workspace id.")
        var workspace: String
        @Option(name: .long, help: ArgumentHelp("Revoke this data-key version: rotate, re-encrypt, destroy.", valueName: "version"),
                transform: ArgumentRanges.version)
        var revoke: UInt32?

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault(maintenanceFor: revoke == nil ? nil : "rotate --revoke")
                if let revoke {
                    let reporter = ProgressReporter(json: options.json)
                    let report = try await vault.revokeDataKey(workspace: workspace, version: revoke) { reporter.report($0) }
                    if !options.json {
                        try options.emit(report) {
                            "revoked data key version \(revoke) of workspace \(workspace): \(report.reencrypted) secret version(s) re-encrypted, key destroyed"
                        }
                    }
                } else {
                    let version = try await vault.rotateDataKey(workspace: workspace)
                    struct Output: Encodable { let workspace: String; let primaryDataKeyVersion: UInt32 }
                    try options.emit(Output(workspace: workspace, primaryDataKeyVersion: version)) {
                        "data key version \(version) is now primary for workspace \(workspace)"
                    }
                }
            }
        }
    }

    /// `coffer retire WS --below N`.
    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retire data-key versions below N: nothing sealed under them opens any more.",
            discussion: """
                Refused (exit 65) while any kept secret version, live or soft-deleted, is still
                sealed under one of them; the message says how many. Run coffer reencrypt first.

                Examples:
                  coffer reencrypt acme && coffer retire acme --below 3
                """)

        @OptionGroup var options: VaultOptions
        @Argument(help: "Workspace id.")
        var workspace: String
        @Option(name: [.long, .customLong("min-version")], help: ArgumentHelp("The new minimum decryption version.", valueName: "N"),
                transform: ArgumentRanges.version)
        var below: UInt32

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault(maintenanceFor: "retire")
                try await vault.retireDataKeys(workspace: workspace, below: below)
                struct Output: Encodable { let workspace: String; let minimumDecryptionVersion: UInt32 }
                try options.emit(Output(workspace: workspace, minimumDecryptionVersion: below)) {
                    "data key versions below \(below) of workspace \(workspace) are retired"
                }
            }
        }
    }

    /// `coffer rotate-kek --new-kek URI`.
    struct RotateKEK: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-kek",
            abstract: "Re-wrap every workspace's data keys under a new KEK (no secret is re-encrypted).",
            discussion: """
                --kek (or COFFER_KEK) and --previous-kek name the KEKs the data keys are wrapped
                by now. Each data key records its KEK; batches are committed one by one, so the
                command can be killed at any moment: while unfinished, a vault opened with either
                KEK as --kek and the other as --previous-kek reads everything, and running the
                command again finishes it. Afterwards only the new KEK is needed (coffer status
                says so): use it as --kek from then on.

                Examples:
                  coffer kek generate ~/.coffer/kek-2026
                  coffer rotate-kek --kek file:$HOME/.coffer/kek --new-kek file:$HOME/.coffer/kek-2026
                  coffer status --kek file:$HOME/.coffer/kek-2026
                """)

        @OptionGroup var options: VaultOptions
        @Option(name: .long, help: ArgumentHelp("The new key-encryption key: file:PATH, env:VAR, passphrase[:PATH] or aws-kms:KEY.", valueName: "uri"))
        var newKek: String
        @Option(name: .long, help: "Data keys per transaction.")
        var batch: Int = 100

        func validate() throws {
            try ArgumentRanges.check(batch, in: ArgumentRanges.batch, option: "--batch")
        }

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, logger) = try await options.openVault(maintenanceFor: "rotate-kek")
                let newProvider = try GlobalOptions.provider(uri: newKek, logger: logger)
                let reporter = ProgressReporter(json: options.json)
                let report = try await vault.rotateKEK(to: newProvider, batchSize: batch) { reporter.report($0) }
                if !options.json {
                    try options.emit(report) {
                        report.finished
                            ? "re-wrapped \(report.rewrapped) data key(s); every data key is now wrapped by \(report.newKEK): the old KEK is no longer needed; use --kek \(KEKProviderURI.redacted(newKek)) from now on"
                            : "re-wrapped \(report.rewrapped) data key(s); some data keys are still wrapped by another KEK: run the command again"
                    }
                }
            }
        }
    }
}
