public import CofferCrypto

/// One opened secret version: its non-secret info and its value in wiped memory.
///
/// `description` shows the info and the value's length only.
public struct Secret: Sendable, CustomStringConvertible {
    /// Workspace, name, version, data-key version, metadata and dates of the version.
    public let info: SecretVersionInfo
    /// The plaintext value; wiped when the last copy is released.
    public let value: SecretBytes

    /// Pairs a version's info with its opened value.
    public init(info: SecretVersionInfo, value: SecretBytes) {
        self.info = info
        self.value = value
    }

    /// `Secret(<workspace>/<name> v<version>, <n> bytes, redacted)`.
    public var description: String {
        "Secret(\(info.workspace)/\(info.name) v\(info.version), \(value.count) bytes, redacted)"
    }
}
