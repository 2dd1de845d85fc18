import CoreMetrics
import Synchronization

/// A minimal real metrics backend for `--observability`: every counter, meter, recorder and
/// timer is one atomic (timers: count and sum), the way a Prometheus-style backend keeps them.
final class CountingMetricsFactory: MetricsFactory {
    // Sendable: no stored state; handlers are Sendable (atomics).

    final class Handler: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler {
        // Sendable without @unchecked: Atomic is Sendable.
        let count = Atomic<Int64>(0)
        let sum = Atomic<Int64>(0)

        func increment(by amount: Int64) { count.add(amount, ordering: .relaxed) }
        func increment(by amount: Double) { count.add(Int64(amount), ordering: .relaxed) }
        func decrement(by amount: Double) { count.subtract(Int64(amount), ordering: .relaxed) }
        func reset() { count.store(0, ordering: .relaxed) }
        func set(_ value: Int64) { count.store(value, ordering: .relaxed) }
        func set(_ value: Double) { count.store(Int64(value), ordering: .relaxed) }
        func record(_ value: Int64) { count.add(1, ordering: .relaxed); sum.add(value, ordering: .relaxed) }
        func record(_ value: Double) { record(Int64(value)) }
        func recordNanoseconds(_ duration: Int64) { record(duration) }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { Handler() }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler { Handler() }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { Handler() }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { Handler() }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { Handler() }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
