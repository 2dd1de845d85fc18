import Benchmark
import CofferCrypto

// Seal and open of one Coffer v1 ciphertext at 64 B, 256 B, 4 KiB and 64 KiB, through the
// allocating API (seal -> [UInt8], open -> SecretBytes: the malloc counts show the one
// allocation each makes) and through the zero-allocation `into:` API with reused buffers.
// Context: workspace "acme", name "github/oauth", version 1 -> 31-byte AAD.
// One benchmark iteration = one seal or one open; metrics are per iteration.

let sizes = [64, 256, 4096, 65536]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 1000,
        maxDuration: .seconds(1),
        maxIterations: 2_000_000
    )

    let key: EnvelopeKey
    do {
        key = try EnvelopeKey(SymmetricKey.generate(), id: 1)
    } catch {
        fatalError("EnvelopeKey setup failed: \(error)")
    }
    let context = EnvelopeContext.secret(workspace: "acme", name: "github/oauth", version: 1)

    for size in sizes {
        let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }
        let sealed: [UInt8]
        do { sealed = try key.seal(plaintext, context: context) } catch { fatalError("seal failed") }

        Benchmark("seal \(size) B") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try key.seal(plaintext, context: context))
            }
        }

        Benchmark("open \(size) B") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try key.open(sealed, context: context))
            }
        }

        Benchmark("seal into \(size) B") { benchmark in
            let out = UnsafeMutableRawBufferPointer.allocate(byteCount: size + CiphertextHeader.overhead, alignment: 64)
            defer { out.deallocate() }
            try plaintext.withUnsafeBytes { p in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(try key.seal(p, context: context, into: out))
                }
                benchmark.stopMeasurement()
            }
        }

        Benchmark("open into \(size) B") { benchmark in
            let out = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 64)
            defer { out.deallocate() }
            try sealed.withUnsafeBytes { c in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(try key.open(c, context: context, into: out))
                }
                benchmark.stopMeasurement()
            }
        }
    }
}
