#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CofferCrypto

// coffer-bench --threads T[,T...]: aggregate seal+open throughput of T threads sharing one
// EnvelopeKey (as every task of a vault shares its workspace's data key), each thread sealing
// then opening a 256-byte token (or --sizes' first size) under its own context, for issue 14's
// "seal/open on 1 and 2 cores" (scripts/bench_cores.sh pins the process with taskset).
//
// Two APIs:
//   vault   seal(SecretBytes, context:) -> [UInt8], open([UInt8], context:) -> SecretBytes:
//           exactly what WorkspaceScope.put/get call (VaultCore.seal, getUnaudited)
//   into    seal(_:context:into:) / open(_:context:into:) into per-thread reused buffers
//
// Each repetition: the threads meet at a barrier, then each runs seal+open pairs for the
// target time and counts them; the repetition's figure is the sum over threads of
// pairs / own elapsed time. One unrecorded warm-up repetition, then 3; the median is printed.
// Machine-readable line per (api, threads):
// `THREADS<TAB>api<TAB>threads<TAB>pairs_per_s<TAB>reps<TAB>pairs_per_cpu_s_per_thread<TAB>cpu_over_wall`.
// The last two tell serialisation from load: a lock or a contended cache line raises the CPU
// per pair (or idles the threads with CPUs free); other processes only lower CPU/wall.

/// A closure run on a new POSIX thread.
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Runs `body(i)` on `count` new POSIX threads (i = 0..<count) and waits for all of them.
private func onThreads(_ count: Int, _ body: @escaping (Int) -> Void) {
    var threads: [pthread_t] = []
    for i in 0..<count {
        let box = Unmanaged.passRetained(ThreadBody { body(i) }).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue().run()
            return nil
        }, box)
        guard rc == 0 else { fail("pthread_create failed (\(rc))") }
        threads.append(thread)
    }
    for t in threads { pthread_join(t, nil) }
}

/// One thread's seal+open loop state.
private struct PairLoop {
    let key: EnvelopeKey
    let context: EnvelopeContext
    let token: SecretBytes
    let plaintext: UnsafeMutableRawBufferPointer
    let blob: UnsafeMutableRawBufferPointer
    let out: UnsafeMutableRawBufferPointer
    var acc = 0

    init(key: EnvelopeKey, thread: Int, size: Int) {
        self.key = key
        context = .secret(workspace: "acme", name: "github/oauth-\(thread)", version: 1)
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
        token = SecretBytes(bytes)
        plaintext = .allocate(byteCount: max(size, 1), alignment: 64)
        blob = .allocate(byteCount: size + CiphertextHeader.overhead, alignment: 64)
        out = .allocate(byteCount: max(size, 1), alignment: 64)
        bytes.withUnsafeBytes { if size > 0 { plaintext.copyMemory(from: $0) } }
    }

    func deallocate() {
        plaintext.deallocate()
        blob.deallocate()
        out.deallocate()
    }

    /// One seal then open through the vault's allocating API; false on failure.
    @inline(__always)
    mutating func vaultPair() -> Bool {
        do {
            let sealed = try key.seal(token, context: context)
            acc &+= try key.open(sealed, context: context).count
            return true
        } catch {
            return false
        }
    }

    /// One seal then open through the zero-allocation API; false on failure.
    @inline(__always)
    mutating func intoPair() -> Bool {
        do {
            let n = token.count
            let sealed = try key.seal(UnsafeRawBufferPointer(rebasing: plaintext[0..<n]), context: context, into: blob)
            acc &+= try key.open(UnsafeRawBufferPointer(rebasing: blob[0..<sealed]), context: context, into: out)
            return true
        } catch {
            return false
        }
    }
}

/// CPU time of the calling thread in ns.
private func threadCPUNs() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
}

/// One repetition's figures.
private struct Repetition {
    /// Sum over threads of pairs / own wall time.
    var pairsPerSecond: Double
    /// Sum over threads of pairs / own CPU time, divided by the thread count: what one thread
    /// does per CPU second. It stays flat when threads do not slow each other down through
    /// shared cache lines or spinning, whatever other processes take.
    var pairsPerCPUSecond: Double
    /// Mean over threads of own CPU time / own wall time (1.0: never off the CPU).
    var utilisation: Double
}

/// `threads` threads for `api` ("vault" or "into"), one repetition.
private func repetition(key: EnvelopeKey, api: String, threads: Int, size: Int, targetNs: Double) -> Repetition {
    let rates = UnsafeMutableBufferPointer<Double>.allocate(capacity: 3 * threads)
    rates.initialize(repeating: 0)
    let barrier = UnsafeMutablePointer<pthread_barrier_t>.allocate(capacity: 1)
    pthread_barrier_init(barrier, nil, UInt32(threads))
    defer {
        pthread_barrier_destroy(barrier)
        barrier.deallocate()
        rates.deallocate()
    }
    let vault = api == "vault"
    onThreads(threads) { i in
        var loop = PairLoop(key: key, thread: i, size: size)
        defer { loop.deallocate() }
        pthread_barrier_wait(barrier)
        var pairs = 0
        let c0 = threadCPUNs()
        let t0 = nowNs()
        var elapsed = 0.0
        repeat {
            for _ in 0..<64 {
                guard vault ? loop.vaultPair() : loop.intoPair() else { fail("seal/open failed") }
            }
            pairs += 64
            elapsed = nowNs() - t0
        } while elapsed < targetNs
        if loop.acc != pairs * size { fail("seal/open round trip returned wrong lengths") }
        let cpu = threadCPUNs() - c0
        // Each thread writes only its own slots; main reads them after pthread_join.
        rates[3 * i] = Double(pairs) / elapsed * 1e9
        rates[3 * i + 1] = Double(pairs) / cpu * 1e9
        rates[3 * i + 2] = cpu / elapsed
    }
    let n = Double(threads)
    return Repetition(
        pairsPerSecond: (0..<threads).reduce(0) { $0 + rates[3 * $1] },
        pairsPerCPUSecond: (0..<threads).reduce(0) { $0 + rates[3 * $1 + 1] } / n,
        utilisation: (0..<threads).reduce(0) { $0 + rates[3 * $1 + 2] } / n)
}

/// The `Cpus_allowed_list` of this process (what taskset set), or "?".
private func allowedCPUs() -> String {
    guard let f = fopen("/proc/self/status", "r") else { return "?" }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 512)
    while fgets(&line, Int32(line.count), f) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("Cpus_allowed_list:") {
            return String(text.dropFirst("Cpus_allowed_list:".count).filter { !$0.isWhitespace })
        }
    }
    return "?"
}

/// Runs the `--threads` mode and prints its table and THREADS lines.
func runThreadScaling(counts: [Int], apis: [String], size: Int, targetNs: Double) {
    let key: EnvelopeKey
    do { key = try EnvelopeKey(SymmetricKey.generate(), id: 1) } catch { fail("key setup failed: \(error)") }
    let allowed = allowedCPUs()
    print("coffer-bench --threads: \(size)-byte token, one seal then one open per pair, one EnvelopeKey(.automatic) shared by all threads, "
          + "\(fmt1(targetNs / 1e6)) ms x 3 (median), CPUs allowed: \(allowed)")
    print("api     threads   pairs/s (all threads)   per thread  vs first row   pairs/CPU-s per thread   CPU/wall")
    for api in apis {
        var base = Double.nan
        for t in counts {
            _ = repetition(key: key, api: api, threads: t, size: size, targetNs: targetNs / 4)  // warm-up
            let reps = (0..<3).map { _ in repetition(key: key, api: api, threads: t, size: size, targetNs: targetNs) }
            let mid = reps.sorted { $0.pairsPerSecond < $1.pairsPerSecond }[1]
            let median = mid.pairsPerSecond
            if t == counts.first { base = median }
            func col(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
            print(api + String(repeating: " ", count: max(0, 6 - api.count)) + col(String(t), 9) + col(fmt1(median), 24)
                  + col(fmt1(median / Double(t)), 13) + col(fmt2(median / base) + "x", 13)
                  + col(fmt1(mid.pairsPerCPUSecond), 25) + col(fmt2(mid.utilisation), 11))
            print("THREADS\t\(api)\t\(t)\t\(fmt1(median))\t\(reps.map { fmt1($0.pairsPerSecond) }.joined(separator: ","))"
                  + "\t\(fmt1(mid.pairsPerCPUSecond))\t\(fmt2(mid.utilisation))")
            flushOutput()
        }
    }
}
