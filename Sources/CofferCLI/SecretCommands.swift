import ArgumentParser
import Coffer
import CofferInput
import Foundation

/// Workspace and secret name as positional arguments.
struct SecretPath: ParsableArguments {
    @Argument(help: "Workspace id.")
    var workspace: String
    @Argument(help: "Secret name: 1-256 of A-Z a-z 0-9 . _ - /, starting with a letter or digit.")
    var name: String
}

extension CofferCommand {
    /// `coffer put WS NAME`: writes a new version.
    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a new version of a secret; the value comes from stdin or --file, never from arguments.",
            discussion: """
                Prints the new version number. --kind other than raw expects the kind's JSON form:
                  oauth-token        {"access_token", "refresh_token", "token_type", "scopes" or "scope", "expires_at" or "expires_in"}
                  cloud-credentials  {"access_key_id", "secret_access_key", "session_token", "expires_at"}
                  webhook-secret     {"secret", "algorithm"}
                Values are limited to 1 MiB (1048576 bytes).

                Examples:
                  printf '%s' "$TOKEN" | coffer put acme github/token --label env=prod
                  coffer put acme github/oauth --kind oauth-token --file token.json --expect-version 3
                """)

        @OptionGroup var options: VaultOptions
        @OptionGroup var path: SecretPath

        @Option(name: .long, help: "Read the value from this file instead of stdin.")
        var file: String?

        @Option(name: .long, help: ArgumentHelp("Check-and-set: only write if the current version is N (0: only if the secret does not exist).", valueName: "N"),
                transform: ArgumentRanges.expectedVersion)
        var expectVersion: UInt32?

        @Option(name: .long, help: "raw, oauth-token, cloud-credentials or webhook-secret.")
        var kind: String = SecretKind.raw.rawValue

        @Option(name: .long, help: ArgumentHelp("A label key=value (repeatable; not secret).", valueName: "key=value"))
        var label: [String] = []

        @Option(name: .long, help: ArgumentHelp("Expiry time, RFC 3339 (e.g. 2026-12-31T23:59:59Z).", valueName: "time"))
        var expiresAt: String?

        @Option(name: .long, help: "Content type of the value (e.g. text/plain).")
        var contentType: String?

        func validate() throws {
            guard SecretKind(rawValue: kind) != nil else {
                throw ValidationError("unknown --kind '\(TerminalText.escaped(kind))'; use one of: \(SecretKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            for l in label where !l.contains("=") || l.hasPrefix("=") {
                throw ValidationError("--label takes key=value, got '\(TerminalText.escaped(l))'")
            }
            if let expiresAt { _ = try ArgumentRanges.date(expiresAt, option: "--expires-at") }
        }

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault()
                let scope = try vault.workspace(path.workspace)
                var labels: [String: String] = [:]
                for l in label {
                    let parts = l.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    labels[String(parts[0])] = String(parts[1])
                }
                let metadata = SecretMetadata(
                    kind: SecretKind(rawValue: kind)!, contentType: contentType, labels: labels,
                    expiresAt: try expiresAt.map { try ArgumentRanges.date($0, option: "--expires-at") })
                let value = try Terminal.readSecret(file: file, limit: VaultConfiguration().maxValueBytes)
                let info = try await scope.put(path.name, value: value, metadata: metadata, expectedVersion: expectVersion)
                try options.emit(info) { "\(info.version)" }
            }
        }
    }

    /// `coffer get WS NAME`: exact stored bytes on stdout.
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the exact stored value of a secret (latest or --version N) to stdout, nothing added.",
            discussion: """
                With --json, prints the version's metadata and the value as base64 instead.

                Examples:
                  coffer get acme github/token > token.txt
                  coffer get acme github/token --version 2
                """)

        @OptionGroup var options: VaultOptions
        @OptionGroup var path: SecretPath

        @Option(name: .long, help: "Version to read (default: the latest).", transform: ArgumentRanges.version)
        var version: UInt32?

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault()
                let secret = try await vault.workspace(path.workspace).get(path.name, version: version)
                if options.json {
                    struct Output: Encodable { let info: SecretVersionInfo; let valueBase64: String }
                    let b64 = secret.value.withUnsafeBytes { Data($0).base64EncodedString() }
                    try options.emit(Output(info: secret.info, valueBase64: b64)) { "" }
                } else {
                    try secret.value.withUnsafeBytes { try Terminal.writeStdout($0) }
                }
            }
        }
    }

    /// `coffer list WS`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the secrets of a workspace with their metadata (never values), or the credentials expiring soon in every workspace.",
            discussion: """
                Examples:
                  coffer list acme --json
                  coffer list --expiring-within 7d            # every workspace; expired ones too
                  coffer list acme --expiring-within 24h --json
                """)

        @OptionGroup var options: VaultOptions
        @Argument(help: "Workspace id (optional with --expiring-within: then every workspace).")
        var workspace: String?

        @Option(name: .long, help: ArgumentHelp(
            "Only secrets whose current version expires within this duration (or already has), soonest first: 30m, 24h, 7d.",
            valueName: "duration"))
        var expiringWithin: String?

        func validate() throws {
            if workspace == nil && expiringWithin == nil {
                throw ValidationError("give a workspace, or --expiring-within DURATION to list expiring credentials in every workspace")
            }
            if let expiringWithin { _ = try ArgumentRanges.duration(expiringWithin, option: "--expiring-within", allowZero: true) }
        }

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault()
                if let expiringWithin {
                    let window = try ArgumentRanges.duration(expiringWithin, option: "--expiring-within", allowZero: true)
                    var expiring = try await vault.expiringSecrets(within: window)
                    if let workspace { expiring = expiring.filter { $0.workspace == workspace } }
                    try options.emit(expiring) {
                        Format.table(
                            ["WORKSPACE", "NAME", "VERSION", "KIND", "EXPIRES", "LABELS"],
                            expiring.map {
                                [$0.workspace, $0.name, "\($0.version)", $0.kind.rawValue, Format.date($0.expiresAt), Format.labels($0.labels)]
                            })
                    }
                    return
                }
                guard let workspace else { return }
                let all = try await vault.workspace(workspace).list()
                try options.emit(all) {
                    Format.table(
                        ["NAME", "VERSION", "LIVE/KEPT", "KIND", "UPDATED", "EXPIRES", "LABELS"],
                        all.map {
                            [$0.name, "\($0.currentVersion)", "\($0.liveVersionCount)/\($0.versionCount)",
                             $0.metadata.kind.rawValue, Format.date($0.updatedAt), Format.date($0.metadata.expiresAt),
                             Format.labels($0.metadata.labels)]
                        })
                }
            }
        }
    }

    /// `coffer history WS NAME`.
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every kept version of a secret (never values).",
            discussion: "Example:\n  coffer history acme github/token")

        @OptionGroup var options: VaultOptions
        @OptionGroup var path: SecretPath

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault()
                let versions = try await vault.workspace(path.workspace).history(path.name)
                guard !versions.isEmpty else {
                    throw VaultError.secretNotFound(workspace: path.workspace, name: path.name)
                }
                try options.emit(versions) {
                    Format.table(
                        ["VERSION", "CREATED", "DELETED", "DEK", "KIND", "LABELS"],
                        versions.map {
                            ["\($0.version)", Format.date($0.createdAt), Format.date($0.deletedAt), "\($0.dataKeyVersion)",
                             $0.metadata.kind.rawValue, Format.labels($0.metadata.labels)]
                        })
                }
            }
        }
    }

    /// `coffer delete WS NAME [--version N]`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Soft-delete one version (--version N) or every version of a secret; undelete restores it.",
            discussion: "Examples:\n  coffer delete acme github/token --version 2\n  coffer delete acme github/token")

        @OptionGroup var options: VaultOptions
        @OptionGroup var path: SecretPath
        @Option(name: .long, help: "Delete only this version.", transform: ArgumentRanges.version)
        var version: UInt32?

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault()
                let changed = try await vault.workspace(path.workspace).delete(path.name, version: version)
                struct Output: Encodable { let deleted: [UInt32] }
                try options.emit(Output(deleted: changed)) {
                    changed.isEmpty ? "nothing to delete" : "deleted version(s) \(changed.map(String.init).joined(separator: ", "))"
                }
            }
        }
    }

    /// `coffer undelete WS NAME [--version N]`.
    struct Undelete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a soft-deleted version (--version N) or every deleted version of a secret.",
            discussion: "Example:\n  coffer undelete acme github/token --version 2")

        @OptionGroup var options: VaultOptions
        @OptionGroup var path: SecretPath
        @Option(name: .long, help: "Restore only this version.", transform: ArgumentRanges.version)
        var version: UInt32?

        func run() async throws {
            try await Self.reportingFailures {
                let (vault, _) = try await options.openVault()
                let changed = try await vault.workspace(path.workspace).undelete(path.name, version: version)
                struct Output: Encodable { let undeleted: [UInt32] }
                try options.emit(Output(undeleted: changed)) {
                    changed.isEmpty ? "nothing to undelete" : "restored version(s) \(changed.map(String.init).joined(separator: ", "))"
                }
            }
        }
    }
}
