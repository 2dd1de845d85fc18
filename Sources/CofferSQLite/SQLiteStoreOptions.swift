public import Foundation

extension SQLiteStore {
    /// How a ``SQLiteStore`` opens its database.
    public struct Options: Sendable, Hashable {
        /// How SQLite flushes a commit to disk.
        public enum Synchronous: String, Sendable, Hashable {
            /// `PRAGMA synchronous = NORMAL` (default). In WAL mode the database can never be
            /// corrupted by a crash, but a commit that returned just before an OS crash or power
            /// loss may be rolled back (an application crash loses nothing).
            case normal = "NORMAL"
            /// `PRAGMA synchronous = FULL`: every commit is fsynced before it returns, so it
            /// survives power loss too, at the cost of one fsync per write.
            case full = "FULL"
        }

        /// How long a statement waits for a lock held by another process before failing with
        /// ``VaultError/storeUnavailable(_:)``. 0 to 86 400 seconds; default 5 seconds.
        public var busyTimeout: TimeInterval
        /// Commit durability; see ``Synchronous``. Default ``Synchronous/normal``.
        public var synchronous: Synchronous
        /// Most concurrent reader connections of the GRDB pool, and separately of the read-only
        /// connections that serve single-version reads. 1 to 1000; default 5.
        public var maximumReaderCount: Int
        /// Whether opening may create the database: a missing file is created (0600) and an
        /// empty file or an SQLite database without tables becomes a Coffer store. Default true.
        /// With false (what `coffer` uses for every command but `init`) only an existing Coffer
        /// database is opened; anything else is refused with ``VaultError/storeUnavailable(_:)``
        /// (missing) or ``VaultError/storeCorrupted(_:)`` and left exactly as it was (content
        /// and mode). Either way a file that is not a Coffer database is never written or chmod-ed.
        public var create: Bool

        /// Options with the defaults described on each property.
        public init(busyTimeout: TimeInterval = 5, synchronous: Synchronous = .normal, maximumReaderCount: Int = 5, create: Bool = true) {
            self.busyTimeout = busyTimeout
            self.synchronous = synchronous
            self.maximumReaderCount = maximumReaderCount
            self.create = create
        }
    }
}
