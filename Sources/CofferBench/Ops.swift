import CofferCrypto

// Each op accumulates the byte counts it gets back in `acc`, which main prints conditionally,
// so the optimiser cannot drop the work.

/// Zero-allocation seal into a reused buffer (`seal(_:context:into:)`), the way a vault's hot
/// loop calls it.
struct SealInto: BenchOp {
    let key: EnvelopeKey
    let context: EnvelopeContext
    let plaintext: UnsafeRawBufferPointer
    let output: UnsafeMutableRawBufferPointer
    var acc = 0

    @inline(__always)
    mutating func run() -> Bool {
        do {
            acc &+= try key.seal(plaintext, context: context, into: output)
            return true
        } catch {
            return false
        }
    }
}

/// Zero-allocation open into a reused buffer (`open(_:context:into:)`).
struct OpenInto: BenchOp {
    let key: EnvelopeKey
    let context: EnvelopeContext
    let ciphertext: UnsafeRawBufferPointer
    let output: UnsafeMutableRawBufferPointer
    var acc = 0

    @inline(__always)
    mutating func run() -> Bool {
        do {
            acc &+= try key.open(ciphertext, context: context, into: output)
            return true
        } catch {
            return false
        }
    }
}

/// Allocating seal: returns a fresh `[UInt8]` per call.
struct SealAlloc: BenchOp {
    let key: EnvelopeKey
    let context: EnvelopeContext
    let plaintext: [UInt8]
    var acc = 0

    @inline(__always)
    mutating func run() -> Bool {
        do {
            acc &+= try key.seal(plaintext, context: context).count
            return true
        } catch {
            return false
        }
    }
}

/// Allocating open: returns a fresh `SecretBytes` per call (wiped on release).
struct OpenAlloc: BenchOp {
    let key: EnvelopeKey
    let context: EnvelopeContext
    let ciphertext: [UInt8]
    var acc = 0

    @inline(__always)
    mutating func run() -> Bool {
        do {
            acc &+= try key.open(ciphertext, context: context).count
            return true
        } catch {
            return false
        }
    }
}
