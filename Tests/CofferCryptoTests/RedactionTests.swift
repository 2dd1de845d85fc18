import Foundation
import Testing
@testable import CofferCrypto

/// Secret containers never show their bytes in `description`, `debugDescription`,
/// string interpolation or `dump`, and no error message carries plaintext or key material.
@Suite("Redaction of secrets")
struct RedactionTests {
    /// ASCII bytes so that a leak in any rendering shows up as a substring.
    static let secret = Array("TOPSECRET-0123456789-abcdefghijk".utf8)  // 32 bytes

    /// Renderings of `secret` that must not appear anywhere.
    static var forbidden: [String] {
        [
            String(decoding: secret, as: UTF8.self),
            "TOPSECRET",
            secret.hex,
            secret.hex.uppercased(),
            Data(secret).base64EncodedString(),
            "\(secret)",  // [84, 79, 80, ...]
            secret.prefix(4).map { String($0) }.joined(separator: ", "),
            secret.prefix(4).map { "0x" + String($0, radix: 16) }.joined(separator: ", "),
        ]
    }

    static func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), "\(value)", dumped]
    }

    /// Decimal digit runs of `text`, comma-separated and comma-wrapped: catches the bytes
    /// however they are laid out (`[84, 79, ...]`, one per line in `dump`, ...).
    static func decimalRuns(_ text: String) -> String {
        var out = ",", inRun = false
        for ch in text {
            if ch.isASCII && ch.isNumber { out.append(ch); inRun = true } else if inRun { out.append(","); inRun = false }
        }
        if inRun { out.append(",") }
        return out
    }

    static let secretDecimalRun = "," + secret.prefix(8).map { String($0) }.joined(separator: ",") + ","

    static func leaks(_ text: String) -> Bool {
        forbidden.contains { text.contains($0) } || decimalRuns(text).contains(secretDecimalRun)
    }

    static func expectClean(_ value: Any, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for text in renderings(value) {
            #expect(!leaks(text), "\(label) shows the secret", sourceLocation: sourceLocation)
        }
    }

    @Test("the forbidden renderings do detect a leak (control)")
    func control() {
        // An ordinary array of the same bytes is caught by the checks above.
        #expect(Self.renderings(Self.secret).filter(Self.leaks).count == 4)
        #expect(Self.renderings(Self.secret.map { UInt16($0) }).filter(Self.leaks).count == 4)
        #expect(Self.renderings(String(decoding: Self.secret, as: UTF8.self)).filter(Self.leaks).count == 4)
        #expect(!Self.leaks("SecureBytes(32 bytes, redacted)"))
    }

    @Test("SecureBytes, SecretBytes, SymmetricKey and EnvelopeKey are redacted")
    func containers() throws {
        let secure = Self.secret.withUnsafeBytes { SecureBytes(copying: $0) }
        Self.expectClean(secure, "SecureBytes")
        #expect(secure.description.contains("32"))  // the length is not secret

        let secretBytes = SecretBytes(Self.secret)
        Self.expectClean(secretBytes, "SecretBytes")

        let key = try TestSupport.key(Self.secret)
        Self.expectClean(key, "SymmetricKey")

        for backend in EnvelopeKey.Backend.allCases {
            let envelopeKey = try EnvelopeKey(key, id: 77, backend: backend)
            Self.expectClean(envelopeKey, "EnvelopeKey(\(backend))")
            #expect(envelopeKey.description.contains("77"))
        }

        // And a value that came out of open().
        let ek = try EnvelopeKey(key, id: 1)
        let ctx = EnvelopeContext.secret(workspace: "w", name: "n", version: 1)
        let opened = try ek.open(try ek.seal(Self.secret, context: ctx), context: ctx)
        #expect(opened == secretBytes)
        Self.expectClean(opened, "opened SecretBytes")
        Self.expectClean([opened, opened], "array of SecretBytes")
        Self.expectClean(Optional(key) as Any, "Optional<SymmetricKey>")
    }

    @Test("errors raised while handling secrets do not contain them")
    func errors() throws {
        let key = try TestSupport.key(Self.secret)
        let ek = try EnvelopeKey(key, id: 1)
        let ctx = EnvelopeContext.secret(workspace: "w", name: "n", version: 1)
        let sealed = try ek.seal(Self.secret, context: ctx)
        var errors: [CofferCryptoError?] = []

        // Wrong context, tampering, truncation.
        errors.append(TestSupport.cofferError { _ = try ek.open(sealed, context: .secret(workspace: "w", name: "n", version: 2)) })
        var t = sealed; t[20] ^= 1
        errors.append(TestSupport.cofferError { _ = try ek.open(t, context: ctx) })
        errors.append(TestSupport.cofferError { _ = try ek.open(Array(sealed.prefix(10)), context: ctx) })
        // Unknown version.
        var v = sealed; v[0] = 9
        errors.append(TestSupport.cofferError { _ = try ek.open(v, context: ctx) })
        // Key text that is almost base64 of the secret, and other bad key inputs built from it.
        let b64 = Data(Self.secret).base64EncodedString()
        errors.append(TestSupport.cofferError { _ = try SymmetricKey(base64: b64 + "!") })
        errors.append(TestSupport.cofferError { _ = try SymmetricKey(base64: String(decoding: Self.secret, as: UTF8.self)) })
        errors.append(TestSupport.cofferError { _ = try SymmetricKey(base64: Self.secret.hex) })
        errors.append(TestSupport.cofferError { _ = try TestSupport.key(Self.secret + [0]) })
        // Context fields too long, with the secret as content.
        let longSecret = String(repeating: String(decoding: Self.secret, as: UTF8.self), count: 2100)
        errors.append(TestSupport.cofferError { _ = try ek.seal(Self.secret, context: .secret(workspace: longSecret, name: "n", version: 1)) })
        errors.append(TestSupport.cofferError { _ = try ek.seal(Self.secret, context: .secret(workspace: "w", name: longSecret, version: 1)) })

        #expect(errors.count == 10)
        #expect(errors.allSatisfy { $0 != nil }, "an operation that must fail succeeded")
        for case let e? in errors {
            Self.expectClean(e, "error \(e)")
            Self.expectClean(e.localizedDescription, "localizedDescription")
        }
    }
}
