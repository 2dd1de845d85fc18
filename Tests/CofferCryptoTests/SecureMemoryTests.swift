import Testing
@testable import CofferCrypto

/// Construction and failure paths of the secure containers.
@Suite("Secure memory containers")
struct SecureMemoryTests {
    struct Boom: Error, Equatable {}

    @Test("a throwing SecureBytes initializer rethrows and releases the memory exactly once")
    func secureBytesThrowingInitializer() {
        // Regression: the memory used to be freed in the catch block *and* again by deinit,
        // which crashed on every invalid base64 key. Repeat so a double free cannot hide.
        for count in [0, 1, 32, 4096] {
            for _ in 0..<50 {
                var reached = false
                #expect(throws: Boom.self) {
                    _ = try SecureBytes(count: count) { (b: UnsafeMutableRawBufferPointer) throws(Boom) in
                        #expect(b.count == count)
                        reached = true
                        throw Boom()
                    }
                }
                #expect(reached)
            }
        }
        // Still usable afterwards.
        let ok = SecureBytes(count: 3) { (b: UnsafeMutableRawBufferPointer) in b.copyBytes(from: [7, 8, 9]) }
        #expect(ok.withUnsafeBytes { Array($0) } == [7, 8, 9])
    }

    @Test("a throwing SecretBytes initializer rethrows")
    func secretBytesThrowingInitializer() {
        for count in [0, 1, 32, 4096] {
            #expect(throws: Boom.self) {
                _ = try SecretBytes(count: count) { (_: UnsafeMutableRawBufferPointer) throws(Boom) in throw Boom() }
            }
        }
    }

    @Test("invalid base64 keys can be rejected many times in a row")
    func repeatedInvalidKeys() {
        var rejected = 0
        for i in 0..<200 {
            let e = TestSupport.cofferError { _ = try SymmetricKey(base64: String(repeating: "A", count: i % 60)) }
            if case .invalidKey? = e { rejected += 1 }
        }
        // Only 43 characters (unpadded 32 bytes) is a valid length among 0..<60.
        #expect(rejected == 200 - (0..<200).filter { $0 % 60 == 43 }.count)
    }
}
