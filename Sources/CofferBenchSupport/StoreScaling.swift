/// The rows and the round of every store's `--scaling` mode (issue 14): raw insert, vault put
/// in one workspace, vault put spread over workspaces, raw select, and the two vault gets, each
/// run by N tasks sharing `ops` operations (``ConcurrentOps``), rows in an order that rotates
/// with the round. The store-specific work comes in as closures, so this target needs neither
/// Coffer nor a store.
public struct StoreScaling: Sendable {
    /// Name of the raw insert row.
    public let rawInsert: String
    /// Name of the raw select row.
    public let rawSelect: String
    /// Workspaces of the spread rows (task k in workspace k mod 16).
    public static let spreadWorkspaces = 16
    /// Row names of the vault operations.
    public static let putHot = "vault put, 1 workspace"
    public static let putSpread = "vault put, 16 workspaces"
    public static let getHot = "vault get, 1 workspace (warm)"
    public static let getSpread = "vault get, 16 workspaces (warm)"

    /// Operations of one task count: the raw baseline and the vault, where `spread` selects the
    /// row whose task k works in workspace k mod 16 instead of the one shared workspace.
    public struct Operations: Sendable {
        public var rawInsert: @Sendable (_ index: Int) async throws -> Void
        public var rawSelect: @Sendable (_ index: Int) async throws -> Int
        public var put: @Sendable (_ index: Int, _ task: Int, _ spread: Bool) async throws -> Void
        public var get: @Sendable (_ index: Int, _ task: Int, _ spread: Bool) async throws -> Int

        /// The four operations of one task count.
        public init(
            rawInsert: @escaping @Sendable (Int) async throws -> Void, rawSelect: @escaping @Sendable (Int) async throws -> Int,
            put: @escaping @Sendable (Int, Int, Bool) async throws -> Void, get: @escaping @Sendable (Int, Int, Bool) async throws -> Int
        ) {
            self.rawInsert = rawInsert
            self.rawSelect = rawSelect
            self.put = put
            self.get = get
        }
    }

    /// Operations on `names`: the raw baseline by name, and the vault on `hot` (every task) or
    /// on `spread[task % spread.count]` (the spread row), with `put`/`get` doing the vault call
    /// on one scope and name.
    public static func operations<Scope: Sendable>(
        names: [String], hot: Scope, spread: [Scope],
        rawInsert: @escaping @Sendable (String) async throws -> Void, rawSelect: @escaping @Sendable (String) async throws -> Int,
        put: @escaping @Sendable (Scope, String) async throws -> Void, get: @escaping @Sendable (Scope, String) async throws -> Int
    ) -> Operations {
        Operations(
            rawInsert: { try await rawInsert(names[$0]) }, rawSelect: { try await rawSelect(names[$0]) },
            put: { i, task, isSpread in try await put(isSpread ? spread[task % spread.count] : hot, names[i]) },
            get: { i, task, isSpread in try await get(isSpread ? spread[task % spread.count] : hot, names[i]) })
    }

    /// The rows with these raw-baseline names.
    public init(rawInsert: String, rawSelect: String) {
        self.rawInsert = rawInsert
        self.rawSelect = rawSelect
    }

    /// An empty table with these rows and the vault/raw ratios.
    public func table(title: String, levels: [Int]) -> ScalingTable {
        ScalingTable(
            title: title, levels: levels,
            rows: [rawInsert, Self.putHot, Self.putSpread, rawSelect, Self.getHot, Self.getSpread],
            ratios: [(Self.putHot, rawInsert), (Self.putSpread, rawInsert), (Self.getHot, rawSelect), (Self.getSpread, rawSelect)])
    }

    /// One round at `tasks` tasks: the three put rows on ops `0..<ops`, then the three get rows
    /// reading them back, in an order rotated by `rotation`. Returns ns per operation by row and
    /// the sum of what the gets returned.
    public func round(ops: Int, tasks: Int, rotation: Int, _ o: Operations) async throws -> (times: [String: Double], sum: Int) {
        var times: [String: Double] = [:]
        var sum = 0
        let putRows = [rawInsert, Self.putHot, Self.putSpread]
        for k in 0..<putRows.count {
            let row = (k + rotation) % putRows.count
            let (t, _) = try await ConcurrentOps.timed(ops, tasks: tasks) { i, task in
                if row == 0 { try await o.rawInsert(i) } else { try await o.put(i, task, row == 2) }
                return 0
            }
            times[putRows[row]] = t
        }
        let getRows = [rawSelect, Self.getHot, Self.getSpread]
        for k in 0..<getRows.count {
            let row = (k + rotation) % getRows.count
            let (t, s) = try await ConcurrentOps.timed(ops, tasks: tasks) { i, task in
                row == 0 ? try await o.rawSelect(i) : try await o.get(i, task, row == 2)
            }
            sum &+= s
            times[getRows[row]] = t
        }
        return (times, sum)
    }
}
