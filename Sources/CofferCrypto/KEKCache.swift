
/// Loads a ``LocalKEK`` once, on first use, and keeps it. Used by the local providers so that
/// constructing a provider does no I/O and a prompt happens at most once.
final class KEKCache: Sendable {
    // Sendable without @unchecked: PosixMutex is Sendable and LocalKEK is Sendable.
    private let state = PosixMutex<LocalKEK?>(nil)

    /// Returns the cached KEK, or runs `load` (holding the lock, so concurrent first uses
    /// load once) and caches its result. A failed load is not cached.
    func get(_ load: () throws -> LocalKEK) throws -> LocalKEK {
        try state.withLock { (kek: inout LocalKEK?) throws -> LocalKEK in
            if let kek { return kek }
            let loaded = try load()
            kek = loaded
            return loaded
        }
    }
}
