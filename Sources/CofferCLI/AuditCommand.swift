import ArgumentParser
import Coffer
import CofferCrypto
import Foundation

extension CofferCommand {
    /// `coffer audit verify|list`.
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify and list the tamper-evident audit log.",
            subcommands: [Verify.self, List.self])

        struct Verify: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check the audit chain; report the first broken record (exit 77 when broken).",
                discussion: """
                    Checks every record's MAC over its predecessor from the retention checkpoint on, that
                    sequence numbers have no gaps, and the sealed chain head (a cut-off tail shows). Prints
                    the head: keep it somewhere else (ticket, log shipper) to detect wholesale replacement.
                      coffer audit verify
                    """)
            @OptionGroup var options: VaultOptions

            func run() async throws {
                try await Self.reportingFailures {
                    let (vault, _) = try await options.openVault()
                    let result = try await vault.verifyAudit()
                    try options.emit(AuditVerifyReport(result)) {
                        var lines: [String] = []
                        if let broken = result.firstBroken {
                            lines.append("BROKEN at record \(broken.sequence): \(broken.reason)")
                        } else {
                            lines.append("intact: \(result.recordsChecked) record(s)"
                                + (result.firstSequence.map { " (\($0)…\(result.lastSequence ?? $0))" } ?? ""))
                        }
                        if let cp = result.checkpoint { lines.append("checkpoint: after record \(cp.sequence), \(Format.date(cp.createdAt))") }
                        lines.append("head: record \(result.head.sequence) \(Hex.string(result.head.mac))")
                        return lines.joined(separator: "\n")
                    }
                    if let broken = result.firstBroken {
                        throw CLIFailure(status: .authenticationFailed, message: "audit chain broken at record \(broken.sequence): \(broken.reason)")
                    }
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List audit records, oldest first.",
                discussion: "Examples:\n  coffer audit list --workspace acme --since 2026-11-01T00:00:00Z\n  coffer audit list --json --limit 100")
            @OptionGroup var options: VaultOptions
            @Option(name: .long, help: "Only this workspace's records.")
            var workspace: String?
            @Option(name: .long, help: ArgumentHelp("Only records at or after this RFC 3339 time.", valueName: "time"))
            var since: String?
            @Option(name: .long, help: ArgumentHelp("Only records after this sequence number.", valueName: "N"))
            var after: UInt64 = 0
            @Option(name: .long, help: "At most this many records.")
            var limit: Int = 1000

            func validate() throws {
                if let since { _ = try ArgumentRanges.date(since, option: "--since") }
                try ArgumentRanges.check(limit, in: ArgumentRanges.limit, option: "--limit")
                guard after <= UInt64(Int64.max) else { throw ValidationError("--after must be between 0 and \(Int64.max)") }
            }

            func run() async throws {
                try await Self.reportingFailures {
                    let (vault, _) = try await options.openVault()
                    let query = AuditQuery(
                        afterSequence: after, workspace: workspace, since: try since.map { try ArgumentRanges.date($0, option: "--since") }, limit: limit)
                    let records = try await vault.auditRecords(query)
                    try options.emit(records.map(AuditLine.init)) {
                        Format.table(
                            ["SEQ", "TIME", "ACTOR", "ACTION", "OUTCOME", "WORKSPACE", "NAME", "VERSION", "DETAIL"],
                            records.map { r in
                                let e = r.event
                                return ["\(r.sequence)", Format.date(e.time), e.actor, e.action.rawValue, e.outcome.rawValue,
                                        e.workspace ?? "-", e.name ?? "-", e.version.map(String.init) ?? "-", e.detail ?? "-"]
                            })
                    }
                }
            }
        }
    }
}

/// One audit record as `coffer audit list --json` prints it.
struct AuditLine: Encodable {
    var sequence: UInt64
    var time: Date
    var actor: String
    var action: String
    var outcome: String
    var workspace: String?
    var name: String?
    var version: UInt32?
    var detail: String?
    var mac: String

    init(_ r: AuditRecord) {
        sequence = r.sequence
        time = r.event.time
        actor = r.event.actor
        action = r.event.action.rawValue
        outcome = r.event.outcome.rawValue
        workspace = r.event.workspace
        name = r.event.name
        version = r.event.version
        detail = r.event.detail
        mac = Hex.string(r.mac)
    }
}
