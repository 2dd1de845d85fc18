public import CofferCrypto
public import Foundation

/// A workspace's live secrets with their metadata, in plaintext: what `coffer export` writes
/// and `coffer import` reads (see docs/FORMAT.md, "Workspace export"). Values are plaintext:
/// handle the JSON like the secrets it holds (or seal it, ``WorkspaceScope/exportBundle(to:)``).
public struct WorkspaceExport: Sendable, Codable {
    /// Always `coffer-workspace-export/v1`.
    public var format: String
    /// The workspace exported.
    public var workspace: String
    /// When the export was made (RFC 3339 UTC with microseconds in the JSON). Informational: an
    /// import does not use it.
    public var exportedAt: Date
    /// Ordered by name.
    public var secrets: [ExportedSecret]

    /// The format string of this version.
    public static let formatV1 = "coffer-workspace-export/v1"

    /// Makes an export in format ``formatV1``.
    public init(workspace: String, exportedAt: Date, secrets: [ExportedSecret]) {
        self.format = Self.formatV1
        self.workspace = workspace
        self.exportedAt = exportedAt
        self.secrets = secrets
    }

    private enum CodingKeys: String, CodingKey { case format, workspace, exportedAt, secrets }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        guard format == Self.formatV1 else {
            throw VaultError.invalidImport("unknown export format '\(format)' (this Coffer reads \(Self.formatV1))")
        }
        workspace = try c.decode(String.self, forKey: .workspace)
        let stamp = try c.decode(String.self, forKey: .exportedAt)
        guard let date = ExportedSecret.parseTime(stamp) else { throw VaultError.invalidImport("'exportedAt' is not an RFC 3339 date") }
        exportedAt = date
        secrets = try c.decode([ExportedSecret].self, forKey: .secrets)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(workspace, forKey: .workspace)
        try c.encode(ExportedSecret.format(exportedAt), forKey: .exportedAt)
        try c.encode(secrets, forKey: .secrets)
    }

    /// Pretty-printed JSON, keys sorted. The bytes hold plaintext values: they are returned
    /// in wiped memory.
    public func jsonBytes() throws -> SecretBytes {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        defer { data.resetBytes(in: 0..<data.count) }
        return data.withUnsafeBytes { SecretBytes(copying: $0) }
    }

    /// Parses an export.
    /// - Throws: ``VaultError/invalidImport(_:)`` saying what is wrong (never a value).
    public init(json: SecretBytes) throws {
        guard json.count > 0 else { throw VaultError.invalidImport("the input is empty") }
        do {
            self = try json.withUnsafeBytes { raw in
                try JSONDecoder().decode(WorkspaceExport.self, from: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress!), count: raw.count, deallocator: .none))
            }
        } catch let error as VaultError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw VaultError.invalidImport("missing field '\(key.stringValue)' at \(Self.path(context.codingPath))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw VaultError.invalidImport("wrong type at \(Self.path(context.codingPath))")
        } catch let DecodingError.valueNotFound(_, context) {
            throw VaultError.invalidImport("missing value at \(Self.path(context.codingPath))")
        } catch {
            throw VaultError.invalidImport("not valid export JSON")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
