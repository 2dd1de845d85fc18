import CofferCrypto
import CofferPostgres

/// The PostgreSQL stores this process opened, closed (pools stopped, connections ended
/// cleanly) when a command finishes, successfully or not.
enum OpenStores {
    private static let stores = PosixMutex<[PostgresStore]>([])

    /// Remembers `store` for ``closeAll()``.
    static func register(_ store: PostgresStore) {
        stores.withLock { $0.append(store) }
    }

    /// Closes every registered store.
    static func closeAll() async {
        let all = stores.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for store in all { await store.close() }
    }
}
