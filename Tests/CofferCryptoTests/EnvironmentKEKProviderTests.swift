import Foundation
import Testing
@testable import CofferCrypto

@Suite struct EnvironmentKEKProviderTests {
    @Test func roundTrip() async throws {
        let key = SymmetricKey.generate()
        let provider = EnvironmentKEKProvider(variable: "COFFER_KEK_B64", environment: ["COFFER_KEK_B64": base64(of: key)])
        #expect(provider.displayName == "env:COFFER_KEK_B64")
        try await expectRoundTrip(provider)
        #expect(try provider.keyID() == (try LocalKEK(key)).id)
    }

    @Test func sameKeyAsFileProvider() async throws {
        let dir = try TemporaryDirectory()
        let key = SymmetricKey.generate()
        let path = try dir.write("kek", Array(base64(of: key).utf8), mode: 0o600)
        let env: any KeyEncryptionKeyProvider = EnvironmentKEKProvider(variable: "K", environment: ["K": base64(of: key)])
        let file: any KeyEncryptionKeyProvider = FileKEKProvider(path: path)
        let wrapped = try await env.wrap(SymmetricKey.generate(), workspace: "acme", dataKeyVersion: 9)
        _ = try await file.unwrap(wrapped, workspace: "acme", dataKeyVersion: 9)
        await #expect(throws: CofferCryptoError.authenticationFailed) {
            _ = try await file.unwrap(wrapped, workspace: "acme", dataKeyVersion: 8)
        }
    }

    @Test func missingVariableNamed() async throws {
        let why = await expectKEKUnavailable {
            _ = try EnvironmentKEKProvider(variable: "COFFER_KEK_B64", environment: [:]).keyID()
        }
        #expect(why.contains("environment variable COFFER_KEK_B64 is not set"))
    }

    @Test func missingVariableInProcessEnvironment() async throws {
        let name = "COFFER_TEST_UNSET_" + UUID().uuidString.replacingOccurrences(of: "-", with: "_")
        let why = await expectKEKUnavailable { _ = try EnvironmentKEKProvider(variable: name).keyID() }
        #expect(why.contains("environment variable \(name) is not set"))
    }

    @Test(arguments: [
        "not base64 at all!",
        Data([UInt8](repeating: 9, count: 31)).base64EncodedString(),
        Data([UInt8](repeating: 9, count: 33)).base64EncodedString(),
        "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw==",
    ])
    func badValueNamesVariableNotValue(value: String) async throws {
        let why = await expectKEKUnavailable {
            _ = try EnvironmentKEKProvider(variable: "MY_KEK", environment: ["MY_KEK": value]).keyID()
        }
        #expect(why.contains("environment variable MY_KEK does not hold the base64 of 32 bytes"))
        #expect(!why.contains(value))
        let full = "\(CofferCryptoError.kekUnavailable(why))"
        #expect(!full.contains(value))
    }

    /// Reads a real process variable (PATH, never base64 of 32 bytes) through getenv and checks
    /// that the error names it without echoing its value.
    @Test func badProcessVariableNotEchoed() async throws {
        let value = try #require(ProcessInfo.processInfo.environment["PATH"])
        let why = await expectKEKUnavailable { _ = try EnvironmentKEKProvider(variable: "PATH").keyID() }
        #expect(why.contains("environment variable PATH does not hold"))
        #expect(!why.contains(value))
    }

    @Test func wrongKEKFails() async throws {
        let a = EnvironmentKEKProvider(variable: "K", environment: ["K": base64(of: .generate())])
        let b = EnvironmentKEKProvider(variable: "K", environment: ["K": base64(of: .generate())])
        let wrapped = try a.wrap(SymmetricKey.generate(), workspace: "w", dataKeyVersion: 1)
        #expect(throws: CofferCryptoError.authenticationFailed) { _ = try b.unwrap(wrapped, workspace: "w", dataKeyVersion: 1) }
    }
}
