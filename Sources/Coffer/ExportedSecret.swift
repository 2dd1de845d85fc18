public import CofferCrypto
import CofferInput
public import Foundation

/// One secret in a ``WorkspaceExport``: its current live version's value and metadata.
///
/// JSON: `name`, `version` (in the source workspace), `kind`, `contentType`, `labels`,
/// `expiresAt`, `createdAt`, and the value as `value` (UTF-8 text) or `valueBase64` (other
/// bytes). Dates are RFC 3339 UTC with microseconds.
public struct ExportedSecret: Sendable, Codable {
    /// The secret's name (see ``NameRules``); an import writes the value under the same name.
    public var name: String
    /// The version that was exported, in the source workspace (0 when an imported document omits
    /// it). Informational: an import writes a new version numbered by the target workspace.
    public var version: UInt32
    /// The version's clear-text metadata; an import writes it with the value.
    public var metadata: SecretMetadata
    /// When the exported version was written in the source workspace (the Unix epoch when an
    /// imported document omits it). Informational: an import does not keep it.
    public var createdAt: Date
    /// The plaintext value, in wiped memory (`SecretBytes`). Never log it.
    public var value: SecretBytes

    /// Makes an exported secret.
    public init(name: String, version: UInt32, metadata: SecretMetadata, createdAt: Date, value: SecretBytes) {
        self.name = name
        self.version = version
        self.metadata = metadata
        self.createdAt = createdAt
        self.value = value
    }

    private enum CodingKeys: String, CodingKey {
        case name, version, kind, contentType, labels, expiresAt, createdAt, value, valueBase64
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decodeIfPresent(UInt32.self, forKey: .version) ?? 0
        let kindText = try c.decodeIfPresent(String.self, forKey: .kind) ?? SecretKind.raw.rawValue
        guard let kind = SecretKind(rawValue: kindText) else {
            throw VaultError.invalidImport("secret '\(name)' has unknown kind '\(kindText)'")
        }
        metadata = SecretMetadata(
            kind: kind, contentType: try c.decodeIfPresent(String.self, forKey: .contentType),
            labels: try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:],
            expiresAt: try Self.date(c, .expiresAt))
        createdAt = try Self.date(c, .createdAt) ?? Date(timeIntervalSince1970: 0)
        if let text = try c.decodeIfPresent(String.self, forKey: .value) {
            value = SecretBytes(Array(text.utf8))
        } else if let b64 = try c.decodeIfPresent(String.self, forKey: .valueBase64) {
            guard let data = Data(base64Encoded: b64) else { throw VaultError.invalidImport("secret '\(name)' has invalid valueBase64") }
            value = SecretBytes(Array(data))
        } else {
            throw VaultError.invalidImport("secret '\(name)' has neither value nor valueBase64")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(version, forKey: .version)
        try c.encode(metadata.kind.rawValue, forKey: .kind)
        try c.encodeIfPresent(metadata.contentType, forKey: .contentType)
        try c.encode(metadata.labels, forKey: .labels)
        try c.encodeIfPresent(metadata.expiresAt.map(Self.format), forKey: .expiresAt)
        try c.encode(Self.format(createdAt), forKey: .createdAt)
        let bytes = value.unprotectedArray()
        if let text = String(validating: bytes, as: UTF8.self) {
            try c.encode(text, forKey: .value)
        } else {
            try c.encode(Data(bytes).base64EncodedString(), forKey: .valueBase64)
        }
    }

    /// RFC 3339, UTC, microseconds: `2025-01-02T03:04:05.123456Z`.
    static func format(_ date: Date) -> String {
        let micros = AuditChain.micros(date)
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let whole = RFC3339.format(Date(timeIntervalSince1970: TimeInterval(seconds)))
        let digits = String(fraction)
        return String(whole.dropLast()) + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }

    private static func date(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Date? {
        guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let date = parseTime(text) else {
            throw VaultError.invalidImport("'\(key.stringValue)' is not an RFC 3339 date: \(text)")
        }
        return date
    }

    /// An export's time: whole seconds and nanoseconds in integers, rounded once to the
    /// microsecond ``format(_:)`` writes. Through a Double of seconds first,
    /// 2052-01-01T00:00:00.143501Z came back as .143502Z, a microsecond later on every
    /// export → import cycle (found by fuzzing).
    static func parseTime(_ text: String) -> Date? {
        guard let (seconds, nanoseconds) = try? TimestampParser.parseComponents(text) else { return nil }
        return StoredTime.date(micros: seconds * 1_000_000 + (nanoseconds + 500) / 1_000)
    }
}
