public import CofferCrypto
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What every fuzzer shares: invariant checks that crash (so libFuzzer records the input),
/// the fixed test keys the seed corpora are sealed under, and seed writing.
///
/// The keys here are public test keys: they protect nothing but the committed seed files.
public enum Fuzz {
    /// Every plaintext a seed holds starts with these bytes. The fuzzers hold keys that only
    /// ever sealed seeds, so an open that succeeds must return such a plaintext: anything else
    /// would be a forgery.
    public static let seedPrefix = Array("coffer-fuzz-seed ".utf8)

    /// Stops the process (libFuzzer then saves the input as a crash) when `condition` is false.
    public static func require(
        _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
        file: StaticString = #fileID, line: UInt = #line
    ) {
        if !condition() { fatalError("fuzz invariant violated: \(message())", file: file, line: line) }
    }

    /// Whether `text`'s UTF-8 bytes contain `part`'s as a run (byte for byte: Foundation's
    /// `contains` skips NUL characters and would see "n\0\0" in "name").
    public static func containsBytes(_ text: String, _ part: some StringProtocol) -> Bool {
        let haystack = Array(text.utf8), needle = Array(part.utf8)
        guard !needle.isEmpty else { return true }
        return haystack.withUnsafeBytes { h in
            needle.withUnsafeBytes { n in
                guard n.count <= h.count else { return false }
                return (0...(h.count - n.count)).contains { memcmp(h.baseAddress! + $0, n.baseAddress!, n.count) == 0 }
            }
        }
    }

    /// Whether `plaintext` is one a seed holds (see ``seedPrefix``).
    public static func isSeedPlaintext(_ plaintext: SecretBytes) -> Bool {
        plaintext.withUnsafeBytes { $0.starts(with: seedPrefix) }
    }

    /// A seed plaintext: ``seedPrefix`` then `suffix`.
    public static func seedPlaintext(_ suffix: String) -> SecretBytes {
        SecretBytes(seedPrefix + Array(suffix.utf8))
    }

    /// A fixed 32-byte test key: `tag, tag+1, ...`.
    public static func testKey(_ tag: UInt8) -> SymmetricKey {
        let bytes = (0..<UInt8(SymmetricKey.byteCount)).map { tag &+ $0 }
        return bytes.withUnsafeBytes { try! SymmetricKey(copying: $0) }
    }

    /// The input as a byte array.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Runs `body` to completion from the fuzzer's synchronous entry point.
    public static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            box.result.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return box.result.withLock { $0! }
    }

    /// libFuzzer's `LLVMFuzzerInitialize` work: when `COFFER_FUZZ_WRITE_SEEDS` names a
    /// directory, writes `seeds()` there as `seed-N` files and exits (scripts/fuzz.sh --seeds);
    /// otherwise returns at once.
    public static func initialize(seeds: () throws -> [[UInt8]]) {
        guard let directory = ProcessInfo.processInfo.environment["COFFER_FUZZ_WRITE_SEEDS"] else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (index, seed) in try seeds().enumerated() {
                try Data(seed).write(to: URL(fileURLWithPath: directory).appendingPathComponent("seed-\(index)"))
            }
        } catch {
            fatalError("cannot write the seeds to \(directory): \(error)")
        }
        exit(0)
    }
}

/// A result handed from a task to the waiting fuzzer thread.
private final class ResultBox<T: Sendable>: Sendable {
    let result = Mutex<Result<T, any Error>?>(nil)
}
