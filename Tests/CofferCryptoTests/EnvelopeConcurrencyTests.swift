import Testing
@testable import CofferCrypto

/// One `EnvelopeKey` shared by many tasks: values sealed in one task open in another.
@Suite("Envelope concurrency")
struct EnvelopeConcurrencyTests {
    struct Sealed: Sendable {
        let task: Int
        let index: Int
        let bytes: [UInt8]
    }

    static let sizes = [0, 1, 17, 255, 1024, 1025, 3000]

    static func plaintext(task: Int, index: Int) -> [UInt8] {
        TestSupport.pattern(sizes[(task + index) % sizes.count], seed: UInt8(truncatingIfNeeded: task * 13 + index))
    }

    static func context(task: Int, index: Int) -> EnvelopeContext {
        .secret(workspace: "ws-\(task % 3)", name: "secret-\(task)-\(index)", version: UInt32(index))
    }

    @Test("seal in one task, open in another", arguments: EnvelopeKey.Backend.allCases)
    func crossTask(backend: EnvelopeKey.Backend) async throws {
        let key = try EnvelopeKey(SymmetricKey.generate(), id: 9, backend: backend)
        let tasks = 24, perTask = 150

        let sealed: [[Sealed]] = try await withThrowingTaskGroup(of: (Int, [Sealed]).self) { group in
            for t in 0..<tasks {
                group.addTask {
                    var out = [Sealed]()
                    for i in 0..<perTask {
                        let pt = Self.plaintext(task: t, index: i)
                        out.append(Sealed(task: t, index: i, bytes: try key.seal(pt, context: Self.context(task: t, index: i))))
                        // Open something this task sealed earlier too, while others are sealing.
                        if i > 0 && i % 10 == 0 {
                            let prev = out[i - 5]
                            let back = try key.open(prev.bytes, context: Self.context(task: t, index: prev.index))
                            guard back.unprotectedArray() == Self.plaintext(task: t, index: prev.index) else {
                                throw CofferCryptoError.authenticationFailed
                            }
                        }
                    }
                    return (t, out)
                }
            }
            var byTask = [[Sealed]](repeating: [], count: tasks)
            for try await (t, values) in group { byTask[t] = values }
            return byTask
        }
        #expect(sealed.allSatisfy { $0.count == perTask })

        // Task t opens everything task (t + 1) % tasks sealed, and checks a wrong context fails.
        let results = try await withThrowingTaskGroup(of: (ok: Int, bad: Int, rejected: Int).self) { group in
            for t in 0..<tasks {
                let theirs = sealed[(t + 1) % tasks]
                group.addTask {
                    var ok = 0, bad = 0, rejected = 0
                    for s in theirs {
                        let back = try key.open(s.bytes, context: Self.context(task: s.task, index: s.index))
                        if back.unprotectedArray() == Self.plaintext(task: s.task, index: s.index) { ok += 1 } else { bad += 1 }
                        let wrong = Self.context(task: s.task, index: s.index + 1)
                        if TestSupport.cofferError({ _ = try key.open(s.bytes, context: wrong) }) == .authenticationFailed {
                            rejected += 1
                        }
                    }
                    return (ok, bad, rejected)
                }
            }
            var total = (ok: 0, bad: 0, rejected: 0)
            for try await r in group {
                total.ok += r.ok; total.bad += r.bad; total.rejected += r.rejected
            }
            return total
        }
        #expect(results.ok == tasks * perTask)
        #expect(results.bad == 0)
        #expect(results.rejected == tasks * perTask)
    }
}
