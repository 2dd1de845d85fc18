#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-round figures of one benchmark row (ns per operation), with the statistics the report
/// prints.
public struct Samples: Sendable {
    public var name: String
    public var rounds: [Double] = []
    /// Process CPU time per operation, per round.
    public var cpu: [Double] = []

    public init(name: String) { self.name = name }

    public mutating func record(_ wall: Double, cpu cpuTime: Double) {
        rounds.append(wall)
        cpu.append(cpuTime)
    }

    public var median: Double { Self.median(rounds) }
    public var min: Double { rounds.min() ?? .nan }
    public var max: Double { rounds.max() ?? .nan }

    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Monotonic time in nanoseconds.
    @inline(__always)
    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
    }

    /// CPU time of this process in nanoseconds (time the machine's other load took is not in it).
    public static func cpuNow() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
    }
}
