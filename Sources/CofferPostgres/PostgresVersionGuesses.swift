import CofferCrypto

/// The last version number this store instance saw for each secret, to guess the number a put
/// will get (`put_secret`, schema migration 5, seals before it reaches the server and the
/// version is part of the AAD). A wrong guess costs one more round trip (the server answers
/// the right number), never correctness: the server checks the guess under the secret's row
/// lock.
final class PostgresVersionGuesses: Sendable {
    // Sendable without @unchecked: every stored property is a `let` of a Sendable type.
    private let versions = PosixMutex([Key: UInt32]())
    /// Bound on remembered secrets; past it the map starts over (guesses are only hints).
    static let maxEntries = 65_536

    struct Key: Hashable, Sendable {
        var workspace: String
        var name: String
    }

    /// The number a put of `name` will most likely get: one more than the check-and-set
    /// version when there is one, else one more than the last seen, else 1.
    func guess(workspace: String, name: String, expected: UInt32?) -> UInt32 {
        if let expected, expected < UInt32.max { return expected + 1 }
        let last = versions.withLock { $0[Key(workspace: workspace, name: name)] } ?? 0
        return last < UInt32.max ? last + 1 : last
    }

    /// Records that `name` has reached `version`.
    func saw(workspace: String, name: String, version: UInt32) {
        versions.withLock { map in
            if map.count >= Self.maxEntries { map.removeAll(keepingCapacity: true) }
            map[Key(workspace: workspace, name: name)] = version
        }
    }
}
