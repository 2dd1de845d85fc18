#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Timing harness, the same scheme as /work/shared/peers/c/bench.h and the peers' Swift harness:
// the batch size is doubled until one batch takes >= 1% of the target (this is also the
// warm-up); each of 3 repetitions then runs whole batches until >= target has elapsed; the
// median ns/op over the 3 repetitions is reported. Target: PEER_TARGET_MS (default 300 ms).

/// One timed operation. `run` returns false when the operation failed (the run then aborts).
protocol BenchOp {
    mutating func run() -> Bool
}

@inline(__always)
func nowNs() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
}

func targetNs() -> Double {
    if let e = getenv("PEER_TARGET_MS"), let ms = Double(String(cString: e)), ms > 0 { return ms * 1e6 }
    return 300e6
}

@inline(never)
func runN<Op: BenchOp>(_ op: inout Op, _ n: Int) -> Double {
    let t0 = nowNs()
    for _ in 0..<n {
        if !op.run() {
            printError("operation failed")
            exit(1)
        }
    }
    return nowNs() - t0
}

struct Measurement {
    var median: Double
    var iterations: Int
    var reps: [Double]
}

func measure<Op: BenchOp>(_ op: inout Op, targetNs tgt: Double) -> Measurement {
    var batch = 1
    while runN(&op, batch) < tgt / 100 && batch < (1 << 40) { batch *= 2 }
    var reps = [Double](repeating: 0, count: 3)
    var counts = [Int](repeating: 0, count: 3)
    for r in 0..<3 {
        var c = 0
        let t0 = nowNs()
        var el = 0.0
        repeat {
            _ = runN(&op, batch)
            c += batch
            el = nowNs() - t0
        } while el < tgt
        reps[r] = el / Double(c)
        counts[r] = c
    }
    // Index of the median, ties broken by index exactly as bench.h does.
    var m = 0
    for i in 0..<3 {
        var lo = 0, hi = 0
        for j in 0..<3 where j != i {
            if reps[j] < reps[i] || (reps[j] == reps[i] && j < i) { lo += 1 } else { hi += 1 }
        }
        if lo == 1 && hi == 1 { m = i; break }
    }
    return Measurement(median: reps[m], iterations: counts[m], reps: reps)
}

/// `%.1f` without Foundation.
func fmt1(_ x: Double) -> String { fixed(x, "%.1f") }

/// `%.2f` without Foundation.
func fmt2(_ x: Double) -> String { fixed(x, "%.2f") }

private func fixed(_ x: Double, _ format: String) -> String {
    var buf = [UInt8](repeating: 0, count: 64)
    let n = withVaList([x]) { args in
        buf.withUnsafeMutableBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { vsnprintf($0, b.count, format, args) }
        }
    }
    return String(decoding: buf[0..<Int(max(0, min(n, 63)))], as: UTF8.self)
}

/// Writes one line to standard error (unbuffered, no shared C stream state).
func printError(_ message: String) {
    let line = message + "\n"
    _ = line.utf8.withContiguousStorageIfAvailable { write(2, $0.baseAddress, $0.count) }
}

/// Flushes standard output (every C stream: avoids touching the `stdout` global).
func flushOutput() { fflush(nil) }

/// One line in the format documented at the top of peers/c/bench.h (tab separated):
/// `RES peer size seal_ns open_ns seal_iters open_iters seal_reps open_reps blob_overhead_bytes`
func resLine(peer: String, size: Int, seal: Measurement, open: Measurement, overhead: Int) -> String {
    let sr = seal.reps.map(fmt1).joined(separator: ",")
    let or = open.reps.map(fmt1).joined(separator: ",")
    return "RES\t\(peer)\t\(size)\t\(fmt1(seal.median))\t\(fmt1(open.median))\t\(seal.iterations)\t\(open.iterations)\t\(sr)\t\(or)\t\(overhead)"
}
