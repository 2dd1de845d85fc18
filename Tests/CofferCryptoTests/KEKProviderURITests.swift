import Testing
@testable import CofferCrypto

@Suite struct KEKProviderURITests {
    @Test func parsesAcceptedForms() throws {
        #expect(try KEKProviderURI(parsing: "file:/etc/coffer/kek") == .file(path: "/etc/coffer/kek"))
        #expect(try KEKProviderURI(parsing: "file:relative/kek") == .file(path: "relative/kek"))
        #expect(try KEKProviderURI(parsing: "file:///etc/coffer/kek") == .file(path: "/etc/coffer/kek"))
        #expect(try KEKProviderURI(parsing: "env:COFFER_KEK_B64") == .environment(variable: "COFFER_KEK_B64"))
        #expect(try KEKProviderURI(parsing: "passphrase") == .passphrase(paramsPath: nil))
        #expect(try KEKProviderURI(parsing: "passphrase:") == .passphrase(paramsPath: nil))
        #expect(try KEKProviderURI(parsing: "passphrase:/p/params.json") == .passphrase(paramsPath: "/p/params.json"))
        #expect(try KEKProviderURI(parsing: "FILE:/x") == .file(path: "/x"))
        for text in ["file:/etc/coffer/kek", "env:X", "passphrase", "passphrase:/p.json"] {
            #expect(try KEKProviderURI(parsing: text).description == text)
        }
    }

    /// Found by the kek-uri fuzzer (Fuzz/): "file:////etc/kek" parsed to the path "//etc/kek",
    /// whose text "file://etc/kek" did not parse at all.
    @Test(arguments: ["file:////etc/kek", "file://///x", "file:/x", "file:///x", "file:a//b"])
    func textParsesBackToTheSameURI(text: String) throws {
        let uri = try KEKProviderURI(parsing: text)
        #expect(try KEKProviderURI(parsing: uri.text) == uri)
        #expect(try KEKProviderURI(parsing: KEKProviderURI.file(path: "//etc/kek").text) == .file(path: "//etc/kek"))
    }

    @Test(arguments: ["s3:bucket/key", "kek", "", "http://x"])
    func unknownSchemeListsForms(text: String) async throws {
        let why = await expectKEKUnavailable { _ = try KEKProviderURI(parsing: text) }
        for form in KEKProviderURI.acceptedForms { #expect(why.contains(form)) }
    }

    @Test(arguments: ["kms:arn:aws:kms:eu-west-1:1:key/x"])
    func reservedSchemesNotYetSupported(text: String) async throws {
        let why = await expectKEKUnavailable { _ = try KEKProviderURI(parsing: text) }
        #expect(why.contains("not supported by this build yet"))
        #expect(why.contains("file:PATH"))
    }

    @Test(arguments: ["file:", "file://relative", "env:", "env:1ABC", "env:A-B", "env:A B"])
    func malformed(text: String) async throws {
        _ = await expectKEKUnavailable { _ = try KEKProviderURI(parsing: text) }
    }

    @Test func factoryBuildsProviders() throws {
        let file = try KEKProviders.make(uri: "file:/k")
        #expect(file is FileKEKProvider && file.displayName == "file:/k")
        let env = try KEKProviders.make(uri: "env:K", environment: ["K": "x"])
        #expect(env is EnvironmentKEKProvider && env.displayName == "env:K")
        let p = try KEKProviders.make(uri: "passphrase", defaultPassphraseParamsPath: "/d/params.json")
        #expect(p is PassphraseKEKProvider && p.displayName == "passphrase:/d/params.json")
        let q = try KEKProviders.make(uri: "passphrase:/q.json", defaultPassphraseParamsPath: "/d/params.json")
        #expect(q.displayName == "passphrase:/q.json")
    }

    @Test func barePassphraseNeedsDefaultPath() async throws {
        let why = await expectKEKUnavailable { _ = try KEKProviders.make(uri: "passphrase") }
        #expect(why.contains("passphrase:PARAMS_PATH"))
    }

    @Test func factoryProviderWorks() async throws {
        let key = SymmetricKey.generate()
        let provider = try KEKProviders.make(uri: "env:K", environment: ["K": base64(of: key)])
        try await expectRoundTrip(provider)
    }
}
