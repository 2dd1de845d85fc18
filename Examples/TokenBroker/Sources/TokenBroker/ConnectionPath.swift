import Coffer

/// A workspace id and connection name from a request path, checked before anything touches
/// the vault. A connection is stored as secret `oauth/NAME` of its workspace.
struct ConnectionPath: Sendable, Hashable {
    /// The workspace (tenant) id.
    var workspace: String
    /// The connection name.
    var name: String

    /// Longest connection name, in characters.
    static let maxNameLength = 128
    /// The prefix of the secrets that hold connections.
    static let secretPrefix = "oauth/"

    /// The secret that stores the connection.
    var secretName: String { Self.secretPrefix + name }

    /// Checks both parts.
    /// - Throws: ``BrokerError`` 400 saying which rule a part breaks (never repeating it).
    init(workspace: String?, name: String?) throws(BrokerError) {
        self.workspace = try Self.workspace(workspace)
        guard let name, !name.isEmpty else { throw .badRequest("the connection name is empty") }
        guard name.utf8.count <= Self.maxNameLength,
              let first = name.utf8.first, Self.isAlnum(first),
              name.utf8.allSatisfy({ Self.isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else {
            throw .badRequest("a connection name is 1 to \(Self.maxNameLength) characters from A-Z a-z 0-9 . _ -, starting with a letter or digit")
        }
        self.name = name
    }

    /// Checks a workspace id from a path (``NameRules``).
    static func workspace(_ text: String?) throws(BrokerError) -> String {
        guard let text else { throw .badRequest("the workspace id is missing") }
        if let problem = NameRules.problem(withWorkspace: text) { throw .badRequest(problem) }
        return text
    }

    /// The connection name of a secret name, nil for a secret that is not a connection.
    static func connectionName(ofSecret secret: String) -> String? {
        secret.hasPrefix(secretPrefix) ? String(secret.dropFirst(secretPrefix.count)) : nil
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c)
    }
}
