#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CofferCrypto

// coffer-bench: AES-256-GCM seal/open timings of Coffer (format v1) in the format of the
// shared peers baseline (/work/shared/peers, c/bench.h), so the figures join the peers table:
//
//   PEER_PROJECT_CMD='/abs/path/.build/release/coffer-bench --peers-format' bash run_peers.sh
//
// Rows:
//   coffer            EnvelopeKey(.automatic), zero-allocation `into:` API, reused buffers
//   coffer-alloc      EnvelopeKey(.automatic), allocating API ([UInt8] / SecretBytes)
//   coffer-libsodium  EnvelopeKey(.libsodium), `into:` API (for choosing automaticSodiumLimit)
//   coffer-openssl    EnvelopeKey(.openSSL),   `into:` API (for choosing automaticSodiumLimit)
//
// Context: workspace "acme", name "github/oauth", version 1, purpose secretValue. The AEAD
// associated data is the 6-byte header plus the 25-byte encoded context = 31 bytes (the peers
// use 32). Blob overhead: 6-byte header + 12-byte nonce + 16-byte tag = 34 bytes.

let allRows = ["coffer", "coffer-alloc", "coffer-libsodium", "coffer-openssl"]
let defaultSizes = [64, 256, 4096, 65536]
let thresholdSizes = [256, 512, 768, 1024, 1536, 2048, 3072, 4096, 8192, 16384, 65536]

func usage() -> Never {
    print("""
    usage: coffer-bench [--peers-format] [--sizes N,N,...] [--only ROW,ROW,...] [--threshold]
                        [--target-ms MS] [--check]
           coffer-bench --threads T[,T...] [--api vault,into] [--sizes N] [--target-ms MS]

      --peers-format   print RES lines (peers/c/bench.h format) only
      --sizes          payload sizes in bytes (default 64,256,4096,65536)
      --only           rows to run (default all): \(allRows.joined(separator: ","))
      --threshold      libsodium vs OpenSSL at \(thresholdSizes.map(String.init).joined(separator: ","))
                       (same as --only coffer-libsodium,coffer-openssl --sizes ...)
      --size-major     measure size by size (all rows of one size back to back)
      --target-ms      ms per repetition (default: $PEER_TARGET_MS or 300)
      --name NAME      secret name of the context (default github/oauth; AAD = 19 + its UTF-8 length)
      --check          only run the correctness checks (round trip, tamper detection)
      --threads        aggregate seal+open pairs/s of T threads sharing one key (first --sizes
                       size, default 256); pin with taskset (scripts/bench_cores.sh)
      --api            with --threads: vault (allocating API, as the vault calls it), into
                       (zero-allocation API); default both

    Each figure is the median of 3 repetitions of ~target ms (same scheme as bench.h).
    Context: workspace "acme", name "github/oauth", version 1 (31-byte AAD).
    """)
    exit(2)
}

var peersFormat = false
var checkOnly = false
var sizes = defaultSizes
var rows = allRows
var tgt = targetNs()
var secretName = "github/oauth"
var sizeMajor = false
var threadCounts: [Int]? = nil
var threadAPIs = ["vault", "into"]
var sizesGiven = false
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--peers-format": peersFormat = true
    case "--check": checkOnly = true
    case "--size-major": sizeMajor = true
    case "--threshold":
        rows = ["coffer-libsodium", "coffer-openssl"]
        sizes = thresholdSizes
        sizeMajor = true
    case "--sizes":
        guard let v = args.popFirst() else { usage() }
        let parsed = v.split(separator: ",").compactMap { Int($0) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 >= 0 && $0 <= EnvelopeKey.maxPlaintextBytes }) else { usage() }
        sizes = parsed
        sizesGiven = true
    case "--only":
        guard let v = args.popFirst() else { usage() }
        let parsed = v.split(separator: ",").map(String.init)
        guard !parsed.isEmpty, parsed.allSatisfy(allRows.contains) else { usage() }
        rows = parsed
    case "--threads":
        guard let v = args.popFirst() else { usage() }
        let parsed = v.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard !parsed.isEmpty, parsed.count <= 16, parsed.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 256 }) else { usage() }
        threadCounts = parsed.compactMap { $0 }
    case "--api":
        guard let v = args.popFirst() else { usage() }
        let parsed = v.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !parsed.isEmpty, parsed.allSatisfy(["vault", "into"].contains) else { usage() }
        threadAPIs = parsed
    case "--name":
        guard let v = args.popFirst() else { usage() }
        secretName = v
    case "--target-ms":
        guard let v = args.popFirst(), let ms = Double(v), ms > 0 else { usage() }
        tgt = ms * 1e6
    default: usage()
    }
}

func fail(_ message: String) -> Never {
    printError("coffer-bench: \(message)")
    exit(1)
}

if let threadCounts {
    runThreadScaling(counts: threadCounts, apis: threadAPIs, size: sizesGiven ? sizes[0] : 256, targetNs: tgt)
    exit(0)
}

let context = EnvelopeContext.secret(workspace: "acme", name: secretName, version: 1)
let overhead = CiphertextHeader.overhead
let rawKey = SymmetricKey.generate()
var sinkTotal = 0

func backend(for row: String) -> EnvelopeKey.Backend {
    switch row {
    case "coffer-libsodium": return .libsodium
    case "coffer-openssl": return .openSSL
    default: return .automatic
    }
}

/// Round trip and tamper detection through the API the row times.
func check(row: String, key: EnvelopeKey, plaintext: [UInt8]) {
    let n = plaintext.count
    if row == "coffer-alloc" {
        guard var blob = try? key.seal(plaintext, context: context) else { fail("\(row) \(n): seal failed") }
        guard blob.count - n == overhead else { fail("\(row) \(n): unexpected blob size") }
        guard let back = try? key.open(blob, context: context), back == SecretBytes(plaintext) else {
            fail("\(row) \(n): round trip failed")
        }
        blob[overhead - 16] ^= 1  // first ciphertext byte (or the tag when n == 0)
        if (try? key.open(blob, context: context)) != nil { fail("\(row) \(n): tamper not detected") }
        blob[overhead - 16] ^= 1
        blob[blob.count - 1] ^= 0x80  // last tag byte
        if (try? key.open(blob, context: context)) != nil { fail("\(row) \(n): tamper not detected") }
        return
    }
    var blob = [UInt8](repeating: 0, count: n + overhead)
    var out = [UInt8](repeating: 0, count: n)
    let written = blob.withUnsafeMutableBytes { b in
        plaintext.withUnsafeBytes { p in try? key.seal(p, context: context, into: b) }
    }
    guard written == n + overhead else { fail("\(row) \(n): seal failed") }
    func openOK() -> Bool {
        blob.withUnsafeBytes { b in
            out.withUnsafeMutableBytes { o in (try? key.open(b, context: context, into: o)) == n }
        }
    }
    guard openOK(), out == plaintext else { fail("\(row) \(n): round trip failed") }
    blob[overhead - 16] ^= 1
    if openOK() { fail("\(row) \(n): tamper not detected") }
    blob[overhead - 16] ^= 1
    blob[blob.count - 1] ^= 0x80
    if openOK() { fail("\(row) \(n): tamper not detected") }
}

if !peersFormat && !checkOnly {
    print("coffer-bench: target \(fmt1(tgt / 1e6)) ms per repetition, median of 3; AAD 31 bytes")
    print("row                  size  seal ns/op  open ns/op   seal MB/s   open MB/s  +bytes")
}

var keys: [String: EnvelopeKey] = [:]
for row in rows {
    do { keys[row] = try EnvelopeKey(rawKey, id: 1, backend: backend(for: row)) } catch { fail("\(row): key setup failed: \(error)") }
}
// Row by row (peers order); with --threshold size by size, so both backends of one size are
// measured back to back under the same machine load.
let plan: [(String, Int)] = sizeMajor
    ? sizes.flatMap { n in rows.map { ($0, n) } }
    : rows.flatMap { r in sizes.map { (r, $0) } }
do {
    for (row, n) in plan {
        let key = keys[row]!
        var rng = SystemRandomNumberGenerator()
        let plaintext = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
        check(row: row, key: key, plaintext: plaintext)
        if checkOnly { continue }

        let s: Measurement, o: Measurement
        if row == "coffer-alloc" {
            let blob: [UInt8]
            do { blob = try key.seal(plaintext, context: context) } catch { fail("\(row) \(n): seal failed") }
            var seal = SealAlloc(key: key, context: context, plaintext: plaintext)
            s = measure(&seal, targetNs: tgt)
            var open = OpenAlloc(key: key, context: context, ciphertext: blob)
            o = measure(&open, targetNs: tgt)
            sinkTotal &+= seal.acc &+ open.acc
        } else {
            // Page-aligned buffers reused across iterations, like a vault's hot loop.
            let pt = UnsafeMutableRawBufferPointer.allocate(byteCount: max(n, 1), alignment: 64)
            let blob = UnsafeMutableRawBufferPointer.allocate(byteCount: n + overhead, alignment: 64)
            let out = UnsafeMutableRawBufferPointer.allocate(byteCount: max(n, 1), alignment: 64)
            defer { pt.deallocate(); blob.deallocate(); out.deallocate() }
            plaintext.withUnsafeBytes { p in if n > 0 { pt.copyMemory(from: p) } }
            let ptView = UnsafeRawBufferPointer(rebasing: pt[0..<n])
            var seal = SealInto(key: key, context: context, plaintext: ptView, output: blob)
            s = measure(&seal, targetNs: tgt)
            // Open a ciphertext produced by the timed seals (the last one).
            var open = OpenInto(key: key, context: context, ciphertext: UnsafeRawBufferPointer(blob), output: out)
            o = measure(&open, targetNs: tgt)
            sinkTotal &+= seal.acc &+ open.acc
            guard memcmp(out.baseAddress!, pt.baseAddress!, n) == 0 else { fail("\(row) \(n): round trip failed") }
        }
        if peersFormat {
            print(resLine(peer: row, size: n, seal: s, open: o, overhead: overhead))
        } else {
            func col(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
            let sm = Double(n) / s.median * 1e3, om = Double(n) / o.median * 1e3
            print(row + String(repeating: " ", count: max(0, 18 - row.count)) + col(String(n), 8)
                  + col(fmt1(s.median), 12) + col(fmt1(o.median), 12) + col(fmt1(sm), 12) + col(fmt1(om), 12)
                  + col(String(overhead), 8))
        }
        flushOutput()
    }
}
if sinkTotal == 42 { print("") }  // keep results observable
