/// Drives one operation per name from a number of concurrent tasks, the way every store bench
/// measures throughput at a given concurrency.
public enum ConcurrentOps {
    /// Runs `body` once per name, spread over `tasks` concurrent tasks (names `i`, `i + tasks`,
    /// …); with one task, inline. Returns wall-clock ns per operation (for several tasks: the
    /// inverse of throughput) and the sum of what `body` returned.
    public static func timed(
        _ names: [String], tasks: Int, _ body: @escaping @Sendable (String) async throws -> Int
    ) async throws -> (Double, Int) {
        try await timed(names.count, tasks: tasks) { i, _ in try await body(names[i]) }
    }

    /// Runs `body(i, task)` for every `i` in `0..<count`, spread over `tasks` concurrent tasks
    /// (task `k` runs `k`, `k + tasks`, …); with one task, inline. Returns wall-clock ns per
    /// operation and the sum of what `body` returned.
    public static func timed(
        _ count: Int, tasks: Int, _ body: @escaping @Sendable (_ index: Int, _ task: Int) async throws -> Int
    ) async throws -> (Double, Int) {
        let t0 = Samples.now()
        var sum = 0
        if tasks <= 1 {
            for i in 0..<count { sum &+= try await body(i, 0) }
        } else {
            sum = try await withThrowingTaskGroup(of: Int.self) { group in
                for k in 0..<tasks {
                    group.addTask {
                        var s = 0
                        var i = k
                        while i < count {
                            s &+= try await body(i, k)
                            i += tasks
                        }
                        return s
                    }
                }
                var total = 0
                for try await s in group { total &+= s }
                return total
            }
        }
        return ((Samples.now() - t0) / Double(max(1, count)), sum)
    }
}
