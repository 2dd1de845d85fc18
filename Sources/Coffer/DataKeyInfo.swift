public import CofferCrypto
public import Foundation

/// Non-secret facts about one version of a workspace's data key (DEK).
public struct DataKeyInfo: Sendable, Hashable, Codable {
    /// Data-key version: the key id in the header of every value it sealed.
    public var version: UInt32
    /// When the data key was generated.
    public var createdAt: Date
    /// Fingerprint of the KEK that wrapped it.
    public var kekID: KEKIdentifier

    /// Creates the description of a data-key version.
    public init(version: UInt32, createdAt: Date, kekID: KEKIdentifier) {
        self.version = version
        self.createdAt = createdAt
        self.kekID = kekID
    }
}
