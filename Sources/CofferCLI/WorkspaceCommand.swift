import ArgumentParser
import Coffer

extension CofferCommand {
    /// `coffer workspace create|list|show`.
    struct Workspace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "workspace",
            abstract: "Create, list, show, delete, undelete and shred workspaces (tenants).",
            subcommands: [Create.self, List.self, Show.self, Delete.self, Undelete.self, Shred.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create a workspace with a fresh data key (version 1) wrapped by the KEK.",
                discussion: "Example:\n  coffer workspace create acme")
            @OptionGroup var options: VaultOptions
            @Argument(help: "Workspace id: 1-64 of a-z 0-9 . _ -, starting with a letter or digit.")
            var workspace: String

            func run() async throws {
                try await Self.reportingFailures {
                    let (vault, _) = try await options.openVault(maintenanceFor: "workspace create")
                    let info = try await vault.createWorkspace(workspace)
                    try options.emit(info) { "created workspace \(info.id) (data key version \(info.primaryDataKeyVersion))" }
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List workspaces with their state (live, deleted, shredded).")

            static func state(_ w: WorkspaceRecord) -> String {
                if let at = w.shreddedAt { return "shredded " + Format.date(at) }
                if let at = w.deletedAt { return "deleted " + Format.date(at) }
                return "live"
            }
            @OptionGroup var options: VaultOptions

            func run() async throws {
                try await Self.reportingFailures {
                    let (vault, _) = try await options.openVault(maintenanceFor: "workspace list")
                    let all = try await vault.listWorkspaces()
                    try options.emit(all) {
                        Format.table(
                            ["WORKSPACE", "STATE", "PRIMARY-DEK", "CREATED"],
                            all.map { [$0.id, Self.state($0), "\($0.primaryDataKeyVersion)", Format.date($0.createdAt)] })
                    }
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show a workspace: data-key versions, secret count, created time.")
            @OptionGroup var options: VaultOptions
            @Argument(help: "Workspace id.")
            var workspace: String

            func run() async throws {
                try await Self.reportingFailures {
                    let (vault, _) = try await options.openVault()
                    let info = try await vault.workspaceInfo(workspace)
                    try options.emit(info) {
                        var lines = [
                            "workspace: \(info.id)",
                            "created: \(Format.date(info.createdAt))",
                            "secrets: \(info.secretCount)",
                            "primary data key: \(info.primaryDataKeyVersion)",
                            "data keys:",
                        ]
                        lines.append(Format.table(
                            ["  VERSION", "CREATED", "KEK"],
                            info.dataKeys.map { ["  \($0.version)", Format.date($0.createdAt), "\($0.kekID)"] }))
                        return lines.joined(separator: "\n")
                    }
                }
            }
        }
    }
}
