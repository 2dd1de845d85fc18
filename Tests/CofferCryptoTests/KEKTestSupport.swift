import Foundation
import Testing
@testable import CofferCrypto

/// A fresh temporary directory per test, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        let dir = base + "/coffer-kek." + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        path = dir
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8], mode: Int) throws -> String {
        let p = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: p)
        return p
    }

    func mode(_ name: String) throws -> Int {
        let attrs = try FileManager.default.attributesOfItem(atPath: file(name))
        return (attrs[.posixPermissions] as! NSNumber).intValue & 0o7777
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Small Argon2id cost for tests: 1 pass over 8 KiB.
let testCost = PassphraseKEKProvider.Cost(opsLimit: 1, memLimitBytes: 8192)

/// The message of a `CofferCryptoError.kekUnavailable`, or nil for anything else.
func kekUnavailableMessage(_ error: any Error) -> String? {
    if case CofferCryptoError.kekUnavailable(let why) = error { return why }
    return nil
}

/// Runs `body`, requires it to throw `CofferCryptoError.kekUnavailable`, and returns the message.
func expectKEKUnavailable(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> String {
    do {
        try await body()
        Issue.record("expected kekUnavailable, got success", sourceLocation: sourceLocation)
        return ""
    } catch {
        guard let why = kekUnavailableMessage(error) else {
            Issue.record("expected kekUnavailable, got \(error)", sourceLocation: sourceLocation)
            return ""
        }
        return why
    }
}

/// Wraps a fresh DEK with `provider`, unwraps it, and checks the two are equal.
func expectRoundTrip(_ provider: any KeyEncryptionKeyProvider, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let dek = SymmetricKey.generate()
    let wrapped = try await provider.wrap(dek, workspace: "acme", dataKeyVersion: 3)
    #expect(wrapped.kekID == (try await provider.keyID()), sourceLocation: sourceLocation)
    #expect(wrapped.ciphertext.count == SymmetricKey.byteCount + CiphertextHeader.overhead, sourceLocation: sourceLocation)
    let header = try CiphertextHeader(parsing: wrapped.ciphertext)
    #expect(header.keyID == wrapped.kekID.headerKeyID, sourceLocation: sourceLocation)
    let back = try await provider.unwrap(wrapped, workspace: "acme", dataKeyVersion: 3)
    #expect(back == dek, sourceLocation: sourceLocation)
}

/// Base64 of the bytes of `key` (test-only: ordinary memory).
func base64(of key: SymmetricKey) -> String {
    key.withUnsafeBytes { Data($0).base64EncodedString() }
}

/// The raw bytes of `key` (test-only: ordinary memory).
func rawBytes(of key: SymmetricKey) -> [UInt8] {
    key.withUnsafeBytes { Array($0) }
}
