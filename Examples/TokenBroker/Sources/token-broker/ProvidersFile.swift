import Foundation
import TokenBroker

/// The `--providers` file: the OAuth providers the broker may refresh at, as JSON:
///
/// ```json
/// {"github": {"token_url": "https://github.com/login/oauth/access_token",
///             "client_id": "Iv1.abc", "client_secret": "…"}}
/// ```
/// A file holding a client secret must not be readable by group or others (mode 0600).
enum ProvidersFile {
    struct Entry: Decodable {
        var token_url: String
        var client_id: String
        var client_secret: String?
    }

    /// Largest file accepted, in bytes.
    static let maxBytes = 64 * 1024

    /// Reads and checks the file.
    /// - Throws: ``StartupFailure`` naming the rule broken (never a value from the file).
    static func load(_ path: String) throws -> [String: OAuthProvider] {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw StartupFailure(.configuration, "cannot read the providers file \(path)")
        }
        guard let size = attributes[.size] as? NSNumber, size.int64Value <= Int64(maxBytes) else {
            throw StartupFailure(.configuration, "the providers file \(path) is larger than \(maxBytes) bytes")
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard let data = FileManager.default.contents(atPath: path), data.count <= maxBytes else {
            throw StartupFailure(.configuration, "cannot read the providers file \(path)")
        }
        guard let entries = try? JSONDecoder().decode([String: Entry].self, from: data) else {
            throw StartupFailure(.configuration,
                "the providers file \(path) must be a JSON object of {\"token_url\", \"client_id\", optional \"client_secret\"} by provider name")
        }
        if entries.values.contains(where: { $0.client_secret != nil }), mode & 0o077 != 0 {
            throw StartupFailure(.configuration, "the providers file \(path) holds client secrets and must not be readable by others: chmod 600 \(path)")
        }
        var providers: [String: OAuthProvider] = [:]
        for (name, entry) in entries {
            guard entry.token_url.utf8.count <= 2048, let url = URL(string: entry.token_url) else {
                throw StartupFailure(.configuration, "provider \(name): token_url is not a URL of at most 2048 bytes")
            }
            do {
                providers[name] = try OAuthProvider(tokenURL: url, clientID: entry.client_id, clientSecret: entry.client_secret)
            } catch {
                throw StartupFailure(.configuration, "provider \(name): \(error.message)")
            }
        }
        return providers
    }
}
