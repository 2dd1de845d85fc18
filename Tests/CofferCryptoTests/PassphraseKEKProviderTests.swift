import Foundation
import Testing
@testable import CofferCrypto

@Suite struct PassphraseKEKProviderTests {
    func provider(_ dir: TemporaryDirectory, _ passphrase: String, cost: PassphraseKEKProvider.Cost = testCost) -> PassphraseKEKProvider {
        PassphraseKEKProvider(paramsPath: dir.file("params.json"), source: .value(passphrase), cost: cost)
    }

    @Test func createsParamsFile0600AndRoundTrips() async throws {
        let dir = try TemporaryDirectory()
        let p = provider(dir, "correct horse")
        #expect(p.displayName == "passphrase:\(dir.file("params.json"))")
        try await expectRoundTrip(p)
        #expect(try dir.mode("params.json") == 0o600)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("params.json")))) as! [String: Any]
        #expect(json["format"] as? String == "coffer-passphrase-kek/v1")
        #expect(json["algorithm"] as? String == "argon2id13")
        #expect((json["opsLimit"] as? NSNumber)?.intValue == 1)
        #expect((json["memLimitBytes"] as? NSNumber)?.intValue == 8192)
        #expect(Data(base64Encoded: json["salt"] as! String)?.count == 16)
        #expect(json["kekID"] as? String == (try p.keyID()).description)
        // No temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["params.json"])
    }

    @Test func secondRunDerivesSameKEK() async throws {
        let dir = try TemporaryDirectory()
        let first = provider(dir, "correct horse")
        let wrapped = try first.wrap(SymmetricKey.generate(), workspace: "acme", dataKeyVersion: 1)
        let before = try Data(contentsOf: URL(fileURLWithPath: dir.file("params.json")))
        // A new provider (as in a new process), even with another default cost, uses the file.
        let second = provider(dir, "correct horse", cost: .moderate)
        #expect(try second.keyID() == first.keyID())
        _ = try second.unwrap(wrapped, workspace: "acme", dataKeyVersion: 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("params.json"))) == before)
    }

    @Test func differentSaltGivesDifferentKEK() async throws {
        let a = try TemporaryDirectory(), b = try TemporaryDirectory()
        #expect(try provider(a, "same").keyID() != provider(b, "same").keyID())
    }

    @Test func wrongPassphraseReportedClearly() async throws {
        let dir = try TemporaryDirectory()
        _ = try provider(dir, "correct horse").keyID()
        #expect(throws: CofferCryptoError.wrongPassphrase(paramsFile: dir.file("params.json"))) {
            _ = try provider(dir, "wrong horse").keyID()
        }
        let text = "\(CofferCryptoError.wrongPassphrase(paramsFile: dir.file("params.json")))"
        #expect(text.contains("passphrase does not match the one this params file was created with"))
        #expect(!text.contains("horse"))
    }

    @Test func noTerminalAndNoEnvironment() async throws {
        let dir = try TemporaryDirectory()
        for tty in [dir.file("no-such-tty"), "/dev/null"] {
            let p = PassphraseKEKProvider(
                paramsPath: dir.file("params.json"), source: .standard(environment: [:], ttyPath: tty), cost: testCost)
            let why = await expectKEKUnavailable { _ = try p.keyID() }
            #expect(why.contains("no passphrase: COFFER_PASSPHRASE is not set and there is no terminal to prompt on (\(tty)"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("params.json")))
    }

    @Test func standardSourceUsesEnvironment() async throws {
        let dir = try TemporaryDirectory()
        let env = ["COFFER_PASSPHRASE": "from the environment"]
        let a = PassphraseKEKProvider(paramsPath: dir.file("params.json"), source: .standard(environment: env, ttyPath: "/nonexistent"), cost: testCost)
        let b = provider(dir, "from the environment")
        #expect(try a.keyID() == b.keyID())
        let viaFactory = try KEKProviders.make(
            uri: "passphrase:\(dir.file("params.json"))", environment: env, passphraseCost: testCost)
        #expect(try await viaFactory.keyID() == a.keyID())
    }

    @Test func explicitEnvironmentVariableMissing() async throws {
        let dir = try TemporaryDirectory()
        let p = PassphraseKEKProvider(paramsPath: dir.file("params.json"), source: .environment("MY_PASS", in: [:]), cost: testCost)
        let why = await expectKEKUnavailable { _ = try p.keyID() }
        #expect(why.contains("environment variable MY_PASS is not set"))
    }

    @Test func emptyPassphraseRefused() async throws {
        let dir = try TemporaryDirectory()
        let why = await expectKEKUnavailable { _ = try provider(dir, "").keyID() }
        #expect(why.contains("empty"))
    }

    @Test func writableParamsFileRefused() async throws {
        let dir = try TemporaryDirectory()
        _ = try provider(dir, "pw").keyID()
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: dir.file("params.json"))
        let why = await expectKEKUnavailable { _ = try provider(dir, "pw").keyID() }
        #expect(why.contains("mode 0666, so other users can modify it; run: chmod 600 \(dir.file("params.json"))"))
    }

    @Test func corruptParamsFileRefused() async throws {
        let dir = try TemporaryDirectory()
        _ = try dir.write("params.json", Array("{\"format\": 1}".utf8), mode: 0o600)
        let why = await expectKEKUnavailable { _ = try provider(dir, "pw").keyID() }
        #expect(why.contains("passphrase params file \(dir.file("params.json")) is not valid"))
    }

    @Test func missingDirectoryReported() async throws {
        let dir = try TemporaryDirectory()
        let p = PassphraseKEKProvider(paramsPath: dir.file("sub/params.json"), source: .value("pw"), cost: testCost)
        let why = await expectKEKUnavailable { _ = try p.keyID() }
        #expect(why.contains("does not exist"))
    }

    @Test func unusableCostRefused() async throws {
        let dir = try TemporaryDirectory()
        let p = provider(dir, "pw", cost: .init(opsLimit: 0, memLimitBytes: 8192))
        let why = await expectKEKUnavailable { _ = try p.keyID() }
        #expect(why.contains("opslimit 0"))
    }

    @Test func boundToWorkspaceAndVersionAndKEK() async throws {
        let dir = try TemporaryDirectory(), other = try TemporaryDirectory()
        let p = provider(dir, "pw")
        let wrapped = try p.wrap(SymmetricKey.generate(), workspace: "w", dataKeyVersion: 4)
        #expect(throws: CofferCryptoError.authenticationFailed) { _ = try p.unwrap(wrapped, workspace: "x", dataKeyVersion: 4) }
        #expect(throws: CofferCryptoError.authenticationFailed) { _ = try p.unwrap(wrapped, workspace: "w", dataKeyVersion: 5) }
        #expect(throws: CofferCryptoError.authenticationFailed) {
            _ = try provider(other, "pw").unwrap(wrapped, workspace: "w", dataKeyVersion: 4)
        }
    }

    @Test func concurrentFirstUseDerivesOnce() async throws {
        let dir = try TemporaryDirectory()
        let shared: any KeyEncryptionKeyProvider = provider(dir, "pw")
        let other: any KeyEncryptionKeyProvider = provider(dir, "pw")  // another "process"
        let ids = try await withThrowingTaskGroup(of: KEKIdentifier.self) { group in
            for i in 0..<16 { group.addTask { try await (i.isMultiple(of: 2) ? shared : other).keyID() } }
            return try await group.reduce(into: Set<KEKIdentifier>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["params.json"])
    }

    @Test func sourceDescriptionRedactsValue() {
        #expect(!"\(PassphraseSource.value("hunter2"))".contains("hunter2"))
        #expect(!String(reflecting: PassphraseSource.value("hunter2")).contains("hunter2"))
        var dumped = ""
        dump(PassphraseSource.value("hunter2"), to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }

    @Test func defaultCostIsLibsodiumModerate() {
        #expect(PassphraseKEKProvider(paramsPath: "/x").cost == .moderate)
        #expect(PassphraseKEKProvider.Cost.moderate == .init(opsLimit: 3, memLimitBytes: 256 << 20))
    }
}
