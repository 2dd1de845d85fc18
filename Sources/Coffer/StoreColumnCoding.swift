import Foundation

/// Column conventions every store shares, so a SQLite and a PostgreSQL vault hold the same
/// values: labels as a JSON object with sorted keys (`{}` when empty), kinds by raw value,
/// versions as 64-bit integers range-checked into `UInt32`. A store's coding type adopts this
/// protocol and adds what is driver-specific (dates, blobs, rows).
public protocol StoreColumnCoding {}

extension StoreColumnCoding {
    /// Labels as a JSON object with sorted keys; `{}` when there are none.
    public static func labelsJSON(_ labels: [String: String]) throws -> String {
        if labels.isEmpty { return "{}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(labels), as: UTF8.self)
    }

    /// Labels read back from their JSON column.
    /// - Throws: ``VaultError/storeCorrupted(_:)`` when the column is not an object of strings.
    public static func labels(json: String) throws -> [String: String] {
        if json == "{}" { return [:] }
        do {
            return try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        } catch {
            throw VaultError.storeCorrupted("labels column does not hold a JSON object of strings")
        }
    }

    /// A secret kind read back from its column.
    /// - Throws: ``VaultError/storeCorrupted(_:)`` for a kind this build does not know.
    public static func kind(_ text: String) throws -> SecretKind {
        guard let kind = SecretKind(rawValue: text) else {
            throw VaultError.storeCorrupted("unknown secret kind '\(text)' (written by a newer Coffer?)")
        }
        return kind
    }

    /// A version number read back from a 64-bit column.
    /// - Throws: ``VaultError/storeCorrupted(_:)`` when it does not fit a `UInt32`.
    public static func version(_ value: Int64) throws -> UInt32 {
        guard let v = UInt32(exactly: value) else {
            throw VaultError.storeCorrupted("version number \(value) is out of range")
        }
        return v
    }

    /// A workspace's stored rotation-policy override, checked like a new one.
    /// - Throws: ``VaultError/storeCorrupted(_:)`` for a policy ``RotationPolicy/problem`` refuses
    ///   (an edited row): the workspace cannot be used until `coffer policy WS --clear`.
    public static func storedPolicy(_ policy: RotationPolicy, workspace: String) throws -> RotationPolicy {
        if let problem = policy.problem {
            throw VaultError.storeCorrupted(
                "workspace '\(workspace)' has a damaged rotation policy (\(problem)); reset it with: coffer policy \(workspace) --clear")
        }
        return policy
    }
}
