import Foundation
import Testing
@testable import CofferCrypto

@Suite struct FileKEKProviderTests {
    @Test func base64FileRoundTrip() async throws {
        let dir = try TemporaryDirectory()
        let key = SymmetricKey.generate()
        let path = try dir.write("kek", Array((base64(of: key) + "\n").utf8), mode: 0o600)
        let provider = FileKEKProvider(path: path)
        #expect(provider.displayName == "file:\(path)")
        try await expectRoundTrip(provider)
        #expect(try provider.keyID() == (try LocalKEK(key)).id)
    }

    @Test func rawFileAccepted() async throws {
        let dir = try TemporaryDirectory()
        let key = SymmetricKey.generate()
        let path = try dir.write("kek", rawBytes(of: key), mode: 0o400)
        let provider = FileKEKProvider(path: path)
        try await expectRoundTrip(provider)
        #expect(try provider.keyID() == (try LocalKEK(key)).id)
    }

    @Test func base64WithWhitespaceAndWithoutPaddingAccepted() async throws {
        let dir = try TemporaryDirectory()
        let key = SymmetricKey.generate()
        var b64 = base64(of: key)
        b64.removeAll { $0 == "=" }
        let path = try dir.write("kek", Array(("  " + b64 + "\r\n\n").utf8), mode: 0o600)
        #expect(try FileKEKProvider(path: path).keyID() == (try LocalKEK(key)).id)
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666])
    func groupOrOtherAccessRefused(mode: Int) async throws {
        let dir = try TemporaryDirectory()
        let key = SymmetricKey.generate()
        let path = try dir.write("kek", Array(base64(of: key).utf8), mode: mode)
        let why = await expectKEKUnavailable { _ = try FileKEKProvider(path: path).keyID() }
        #expect(why.contains("key file \(path) has mode 0\(String(mode, radix: 8)), so other users can"))
        #expect(why.hasSuffix("run: chmod 600 \(path)"))
        #expect(!why.contains(base64(of: key)))
    }

    @Test func modeHintWording() async throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("kek", Array(base64(of: SymmetricKey.generate()).utf8), mode: 0o644)
        let why = await expectKEKUnavailable { _ = try FileKEKProvider(path: path).keyID() }
        #expect(why == "key file \(path) has mode 0644, so other users can read it; run: chmod 600 \(path)")
    }

    @Test func missingFileSaysHowToCreateOne() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("nope")
        let why = await expectKEKUnavailable { _ = try FileKEKProvider(path: path).keyID() }
        #expect(why.contains("key file \(path) does not exist"))
        #expect(why.contains("openssl rand -base64 32 > \(path)"))
    }

    @Test func directoryRefused() async throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("d"), withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let why = await expectKEKUnavailable { _ = try FileKEKProvider(path: dir.file("d")).keyID() }
        #expect(why.contains("is not a regular file"))
    }

    @Test(arguments: [0, 16, 31, 33, 44, 45, 200])
    // 43 ASCII "A"s would be valid unpadded base64 of 32 zero bytes, hence 44 and 45.
    func wrongLengthRefused(length: Int) async throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("kek", [UInt8](repeating: 0x41, count: length), mode: 0o600)
        let why = await expectKEKUnavailable { _ = try FileKEKProvider(path: path).keyID() }
        #expect(why.contains("key file \(path) holds \(length) bytes that are neither 32 raw bytes nor 32 bytes encoded as base64"))
    }

    @Test func wrongBase64LengthRefused() async throws {
        let dir = try TemporaryDirectory()
        let b64 = Data([UInt8](repeating: 7, count: 31)).base64EncodedString()
        let path = try dir.write("kek", Array(b64.utf8), mode: 0o600)
        let why = await expectKEKUnavailable { _ = try FileKEKProvider(path: path).keyID() }
        #expect(why.contains("neither 32 raw bytes nor 32 bytes encoded as base64"))
        #expect(!why.contains(b64))
    }

    @Test func oversizedFileRefused() async throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("kek", [UInt8](repeating: 0x41, count: 10_000), mode: 0o600)
        let why = await expectKEKUnavailable { _ = try FileKEKProvider(path: path).keyID() }
        #expect(why.contains("too large"))
    }

    @Test func generateKeyFileCreates0600AndRefusesOverwrite() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("new-kek")
        let id = try FileKEKProvider.generateKeyFile(at: path)
        #expect(try dir.mode("new-kek") == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.count == 45 && text.hasSuffix("\n"))
        #expect(try FileKEKProvider(path: path).keyID() == id)
        try await expectRoundTrip(FileKEKProvider(path: path))

        let why = await expectKEKUnavailable { try FileKEKProvider.generateKeyFile(at: path) }
        #expect(why.contains("refusing to overwrite existing file \(path)"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
    }

    @Test func generateKeyFileRefusesSymlink() async throws {
        let dir = try TemporaryDirectory()
        let target = dir.file("target")
        try FileManager.default.createSymbolicLink(atPath: dir.file("link"), withDestinationPath: target)
        let why = await expectKEKUnavailable { try FileKEKProvider.generateKeyFile(at: dir.file("link")) }
        #expect(why.contains("refusing to overwrite"))
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func generateKeyFileInMissingDirectory() async throws {
        let dir = try TemporaryDirectory()
        let why = await expectKEKUnavailable { try FileKEKProvider.generateKeyFile(at: dir.file("no/such/kek")) }
        #expect(why.contains("directory does not exist"))
    }

    @Test func wrongKEKFailsAuthentication() async throws {
        let dir = try TemporaryDirectory()
        let a = dir.file("a"), b = dir.file("b")
        try FileKEKProvider.generateKeyFile(at: a)
        try FileKEKProvider.generateKeyFile(at: b)
        let wrapped = try FileKEKProvider(path: a).wrap(SymmetricKey.generate(), workspace: "w", dataKeyVersion: 1)
        #expect(throws: CofferCryptoError.authenticationFailed) {
            _ = try FileKEKProvider(path: b).unwrap(wrapped, workspace: "w", dataKeyVersion: 1)
        }
    }

    @Test func boundToWorkspaceAndVersion() async throws {
        let dir = try TemporaryDirectory()
        try FileKEKProvider.generateKeyFile(at: dir.file("k"))
        let provider = FileKEKProvider(path: dir.file("k"))
        let wrapped = try provider.wrap(SymmetricKey.generate(), workspace: "w", dataKeyVersion: 1)
        #expect(throws: CofferCryptoError.authenticationFailed) {
            _ = try provider.unwrap(wrapped, workspace: "w2", dataKeyVersion: 1)
        }
        #expect(throws: CofferCryptoError.authenticationFailed) {
            _ = try provider.unwrap(wrapped, workspace: "w", dataKeyVersion: 2)
        }
    }
}
