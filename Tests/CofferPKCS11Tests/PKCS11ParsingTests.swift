import CofferCrypto
import CofferInput
@testable import CofferPKCS11
import Testing

/// What the PKCS#11 provider reads from outside before it loads anything: the `pkcs11:` URI
/// and the stored wrapped-key layout. No token needed.
@Suite struct PKCS11ParsingTests {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"

    @Test func issueExampleParses() throws {
        let text = "pkcs11:token=coffer;object=kek-2026?module-path=\(Self.module)&pin-source=file:/etc/coffer/pin"
        guard case .pkcs11(let uri) = try KEKProviderURI(parsing: text) else { Issue.record("not pkcs11"); return }
        #expect(uri.token == "coffer" && uri.object == "kek-2026" && uri.modulePath == Self.module)
        #expect(uri.pin == .file(path: "/etc/coffer/pin"))
        #expect(uri.description == text && uri.text == text)
        #expect(try KEKProviderURI(parsing: uri.text) == .pkcs11(uri))
        #expect(uri.keyName == "coffer\u{0}kek-2026")
    }

    @Test func percentEncodingAndTypeAndBarePINPath() throws {
        let uri = try PKCS11URI(parsing: "token=my%20token;type=secret-key;object=k%3B1?pin-source=/run/pin&module-path=\(Self.module)")
        #expect(uri.token == "my token" && uri.object == "k;1" && uri.pin == .file(path: "/run/pin"))
        #expect(try PKCS11URI(parsing: String(uri.text.dropFirst("pkcs11:".count))) == uri)
    }

    @Test(arguments: [
        "token=coffer?module-path=/m.so&pin-source=file:/p",  // no object
        "object=k?module-path=/m.so&pin-source=file:/p",  // no token
        "token=coffer;object=k?pin-source=file:/p",  // no module
        "token=coffer;object=k?module-path=/m.so",  // no PIN source
        "token=coffer;object=k?module-path=relative.so&pin-source=file:/p",
        "token=coffer;object=k?module-path=/m.so&pin-source=file:relative",
        "token=coffer;object=k;type=private-key?module-path=/m.so&pin-source=file:/p",
        "token=coffer;object=k;slot-id=3?module-path=/m.so&pin-source=file:/p",
        "token=coffer;token=other;object=k?module-path=/m.so&pin-source=file:/p",
        "token=;object=k?module-path=/m.so&pin-source=file:/p",
        "token=coffer;object=k%zz?module-path=/m.so&pin-source=file:/p",
        "token=coffer;object=a%0Ab?module-path=/m.so&pin-source=file:/p",
        "token=0123456789012345678901234567890123;object=k?module-path=/m.so&pin-source=file:/p",  // 34 > 32
        "token=coffer;object=k?module-path=/m.so&pin-source=file:/p&pin-value=1234",
        "token=coffer;object=k?module-path=/m.so&pin-source=file:/p&max-sessions=9",
    ])
    func malformedURIsRefused(_ text: String) {
        #expect(throws: CofferCryptoError.self) { try KEKProviderURI(parsing: "pkcs11:" + text) }
    }

    /// A `pin-value` parses (tests use it) but is never shown, and the provider refuses it
    /// unless explicitly allowed.
    @Test func pinValueNeverShownAndRefusedByDefault() throws {
        let pin = "s3cr3t-PIN-98765"
        let text = "pkcs11:token=coffer;object=k?module-path=\(Self.module)&pin-value=\(pin)"
        let uri = try KEKProviderURI(parsing: text)
        #expect(!uri.description.contains(pin) && uri.description.contains("pin-value=(hidden)"))
        #expect(!KEKProviderURI.redacted(text).contains(pin))
        do {
            _ = try PKCS11KEKProvider(uri: text, environment: [:])
            Issue.record("pin-value accepted")
        } catch {
            #expect("\(error)".contains("pin-source=file:") && !"\(error)".contains(pin))
        }
        let allowed = try PKCS11KEKProvider(uri: text, environment: [PKCS11KEKProvider.allowPINValueVariable: "1"])
        #expect(!allowed.displayName.contains(pin) && !"\(allowed)".contains(pin))
        // A malformed pin-value is not echoed either.
        do {
            _ = try KEKProviderURI(parsing: "pkcs11:token=coffer;object=k?module-path=/m.so&pin-value=\(pin)%0A")
            Issue.record("control character accepted")
        } catch {
            #expect(!"\(error)".contains(pin))
        }
    }

    @Test func kekIDDependsOnTokenAndObjectOnly() throws {
        let a = try PKCS11KEKProvider(uri: try PKCS11URI(token: "coffer", object: "k1", modulePath: "/a.so", pin: .file(path: "/p")))
        let b = try PKCS11KEKProvider(uri: try PKCS11URI(token: "coffer", object: "k1", modulePath: "/b.so", pin: .file(path: "/q")))
        let c = try PKCS11KEKProvider(uri: try PKCS11URI(token: "coffer", object: "k2", modulePath: "/a.so", pin: .file(path: "/p")))
        let d = try PKCS11KEKProvider(uri: try PKCS11URI(token: "coffe", object: "rk1", modulePath: "/a.so", pin: .file(path: "/p")))
        let ids = [a, b, c, d].map { try? KEKIdentifier(externalKey: $0.uri.keyName, provider: "pkcs11") }
        #expect(ids[0] == ids[1] && ids[0] != ids[2] && ids[0] != ids[3])
        #expect(ids[0] == (try KEKIdentifier(externalKey: "coffer\u{0}k1", provider: "pkcs11")))
    }

    @Test func layoutRoundTripsAndRejectsEveryTruncationAndExtension() throws {
        let key = try PKCS11WrappedKey(
            iv: Array(0..<12), sealed: Array(repeating: 0xab, count: 48), tokenLabel: "coffer", objectLabel: "kek-2026")
        let bytes = key.bytes
        #expect(Array(bytes.prefix(5)) == Array("CFPK".utf8) + [1])
        #expect(bytes.count == 65 + 1 + 6 + 1 + 8)
        #expect(PKCS11WrappedKey(parsing: bytes) == key)
        for n in 0..<bytes.count { #expect(PKCS11WrappedKey(parsing: Array(bytes.prefix(n))) == nil) }
        #expect(PKCS11WrappedKey(parsing: bytes + [0]) == nil)
        var badVersion = bytes
        badVersion[4] = 2
        #expect(PKCS11WrappedKey(parsing: badVersion) == nil)
        var zeroLabel = bytes
        zeroLabel[65] = 0
        #expect(PKCS11WrappedKey(parsing: zeroLabel) == nil)
        var control = bytes
        control[66] = 0x0a
        #expect(PKCS11WrappedKey(parsing: control) == nil)
        #expect(throws: InputError.self) { try PKCS11WrappedKey(iv: [1], sealed: Array(repeating: 0, count: 48), tokenLabel: "t", objectLabel: "o") }
        #expect(throws: InputError.self) {
            try PKCS11WrappedKey(iv: Array(0..<12), sealed: Array(repeating: 0, count: 48), tokenLabel: String(repeating: "t", count: 33), objectLabel: "o")
        }
    }

    @Test func associatedDataSeparatesEveryField() {
        let a = PKCS11WrappedKey.associatedData(binding: "ws/acme", version: 1)
        #expect(a != PKCS11WrappedKey.associatedData(binding: "ws/acme", version: 2))
        #expect(a != PKCS11WrappedKey.associatedData(binding: "ws/acmf", version: 1))
        #expect(a != PKCS11WrappedKey.associatedData(binding: "", version: 1))
        // Lengths prefix every field: "ws/acme1" + "1" cannot collide with "ws/acme" + "11".
        #expect(PKCS11WrappedKey.associatedData(binding: "ws/acme1", version: 1) != PKCS11WrappedKey.associatedData(binding: "ws/acme", version: 11))
    }
}
