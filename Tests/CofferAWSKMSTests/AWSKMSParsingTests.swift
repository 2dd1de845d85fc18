@testable import CofferAWSKMS
import CofferCrypto
import CofferInput
import Foundation
import Testing

/// Everything the KMS provider reads from outside before it sends a request: the key of an
/// `aws-kms:` URI, the endpoint URL, the configuration's ranges, the stored wrapped-key layout
/// and the `Plaintext` field of a response.
@Suite struct AWSKMSParsingTests {
    static let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    @Test(arguments: [
        arn, "arn:aws:kms:eu-west-1:111122223333:alias/coffer-prod", "arn:aws-cn:kms:cn-north-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "1234abcd-12ab-34cd-56ef-1234567890ab", "mrk-1234abcd12ab34cd56ef1234567890ab", "alias/coffer", "alias/team/coffer_kek-1",
    ])
    func keySpecsAccepted(_ text: String) throws {
        let uri = try KEKProviderURI(parsing: "aws-kms:" + text)
        guard case .awsKMS(let key) = uri else { Issue.record("not aws-kms"); return }
        #expect(key.text == text)
        #expect(uri.text == "aws-kms:" + text)
        #expect(uri.description == "aws-kms:" + text)
        #expect(try KEKProviderURI(parsing: uri.text) == uri)
        #expect(key.region == (text.hasPrefix("arn:") ? text.split(separator: ":")[3].description : nil))
    }

    @Test(arguments: [
        "", "arn:aws:kms:us-east-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",  // short account
        "arn:aws:s3:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",  // not kms
        "arn:aws:kms:us-east-1:111122223333:key/nothex", "1234abcd12ab34cd56ef1234567890ab", "alias/", "alias/with space",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "key/1234abcd-12ab-34cd-56ef-1234567890ab",
        String(repeating: "a", count: 3000),
    ])
    func keySpecsRefusedWithoutEcho(_ text: String) {
        do {
            _ = try KEKProviderURI(parsing: "aws-kms:" + text)
            Issue.record("accepted \(text.prefix(40))")
        } catch {
            #expect(error as? CofferCryptoError != nil)
            if text.count > 8 { #expect(!"\(error)".contains(text)) }
        }
    }

    @Test func keyARNRegionMustMatchTheConfiguredRegion() throws {
        let key = try AWSKMSKeySpec(parsing: Self.arn)
        let credentials = try AWSCredentials(accessKeyID: "AKID", secretAccessKey: SecretBytes(Array("s".utf8)))
        #expect(throws: AWSKMSError.self) { try AWSKMSConfiguration(key: key, region: "eu-west-1", credentials: credentials) }
        let ok = try AWSKMSConfiguration(key: key, region: "us-east-1", credentials: credentials)
        #expect(ok.endpoint.description == "https://kms.us-east-1.amazonaws.com")
    }

    @Test func environmentConfiguration() throws {
        let base = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"]
        let alias = try AWSKMSKeySpec(parsing: "alias/coffer")
        // No region for an alias without AWS_REGION.
        #expect(throws: AWSKMSError.self) { try AWSKMSConfiguration.fromEnvironment(key: alias, environment: base) }
        var env = base
        env["AWS_REGION"] = "eu-central-1"
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566"
        env["AWS_ENDPOINT_URL_KMS"] = "http://localhost:5000/"
        env["COFFER_KMS_TIMEOUT"] = "2.5s"
        let c = try AWSKMSConfiguration.fromEnvironment(key: alias, environment: env)
        #expect(c.region == "eu-central-1")
        #expect(c.endpoint.url == "http://localhost:5000/")  // the KMS-specific variable wins
        #expect(c.deadline == .milliseconds(2500))
        for bad in ["0s", "601s", "1e3s", "-1s", "10 s", "inf"] {
            env["COFFER_KMS_TIMEOUT"] = bad
            #expect(throws: AWSKMSError.self, "COFFER_KMS_TIMEOUT=\(bad)") { try AWSKMSConfiguration.fromEnvironment(key: alias, environment: env) }
        }
    }

    @Test func endpoints() throws {
        #expect(try AWSKMSEndpoint(parsing: "http://127.0.0.1:5000").hostHeader == "127.0.0.1:5000")
        #expect(try AWSKMSEndpoint(parsing: "https://kms.example.com").port == 443)
        #expect(try AWSKMSEndpoint(parsing: "https://kms.example.com:443/").hostHeader == "kms.example.com")
        #expect(try AWSKMSEndpoint(parsing: "http://[::1]:8080").hostHeader == "[::1]:8080")
        #expect(try AWSKMSEndpoint(parsing: "http://h:65535").port == 65535)
        for bad in ["http://h:65536", "http://h:0", "http://h:99999999999999999999", "ftp://h", "h:80", "http://user:pw@h",
                    "http://h/path", "http://h?x=1", "http://", "http://h h", "http://[::1", "http://hé"] {
            #expect(throws: InputError.self, "\(bad)") { try AWSKMSEndpoint(parsing: bad) }
        }
        do {
            _ = try AWSKMSEndpoint(parsing: "http://AKIDSECRETPASSWORD@h")
        } catch {
            #expect(!"\(error)".contains("AKIDSECRETPASSWORD"))
        }
    }

    @Test func wrappedKeyLayoutRoundTripsAndRejectsEveryDamage() throws {
        let blob = (0..<200).map { UInt8($0 & 0xff) }
        let wrapped = try AWSKMSWrappedKey(keyARN: Self.arn, blob: blob)
        let bytes = wrapped.bytes
        #expect(Array(bytes.prefix(5)) == Array("CFKM".utf8) + [1])
        #expect(bytes.count == 4 + 1 + 2 + Self.arn.utf8.count + 2 + blob.count)
        #expect(AWSKMSWrappedKey(parsing: bytes) == wrapped)
        // Every truncation, an extra byte, and a changed magic, version or length are refused.
        for n in 0..<bytes.count { #expect(AWSKMSWrappedKey(parsing: Array(bytes.prefix(n))) == nil) }
        #expect(AWSKMSWrappedKey(parsing: bytes + [0]) == nil)
        for i in [0, 4, 5, 6, 7 + Self.arn.utf8.count, 8 + Self.arn.utf8.count] {
            var damaged = bytes
            damaged[i] ^= 0x40
            #expect(AWSKMSWrappedKey(parsing: damaged) == nil, "byte \(i)")
        }
        // A local v1 ciphertext is not this layout.
        #expect(AWSKMSWrappedKey(parsing: [1, 1] + [UInt8](repeating: 0, count: 60)) == nil)
        #expect(throws: InputError.self) { try AWSKMSWrappedKey(keyARN: "", blob: blob) }
        #expect(throws: InputError.self) { try AWSKMSWrappedKey(keyARN: Self.arn, blob: []) }
        #expect(throws: InputError.self) { try AWSKMSWrappedKey(keyARN: Self.arn, blob: [UInt8](repeating: 0, count: 6145)) }
    }

    @Test func plaintextFieldIsFoundOnlyAtTheTopLevelAndOnlyAsBase64() {
        func find(_ json: String) -> String? {
            let bytes = Array(json.utf8)
            return AWSKMSPlaintextField.valueRange(in: bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
        }
        #expect(find(#"{"KeyId":"k","Plaintext":"QUJD+/=="}"#) == "QUJD+/==")
        #expect(find(#"{ "Plaintext" : "QUJD" , "x":1}"#) == "QUJD")
        #expect(find(#"{"x":{"Plaintext":"QUJD"},"Plaintext":"REVG"}"#) == "REVG")
        #expect(find(#"{"x":"\"Plaintext\":\"QUJD\"","Plaintext":"REVG"}"#) == "REVG")
        #expect(find(#"{"Plaintext":"QU\/JD"}"#) == nil)
        #expect(find(#"{"Plaintext":""}"#) == nil)
        #expect(find(#"{"Plaintext":123}"#) == nil)
        #expect(find(#"{"Plaintext":"QUJD"#) == nil)
        #expect(find(#"{"KeyId":"k"}"#) == nil)
        #expect(find("") == nil)
    }

    @Test func encryptionContextBindsBindingPurposeAndVersion() {
        #expect(AWSKMSKEKProvider.context("acme#0f3c", 7) == ["coffer:binding": "acme#0f3c", "coffer:purpose": "data-key", "coffer:version": "7"])
        #expect(AWSKMSKEKProvider.context("", 1) == ["coffer:purpose": "audit-key", "coffer:version": "1"])
    }

    @Test func kekIdentifierOfAnExternalKeyIsStableAndDistinct() throws {
        let a = try KEKIdentifier(externalKey: Self.arn, provider: "aws-kms")
        #expect(a == (try KEKIdentifier(externalKey: Self.arn, provider: "aws-kms")))
        #expect(a != (try KEKIdentifier(externalKey: Self.arn + "0", provider: "aws-kms")))
        #expect(a != (try KEKIdentifier(externalKey: Self.arn, provider: "pkcs11")))
        // docs/FORMAT.md §4's vector, computed with Python's hashlib.blake2b(digest_size=16).
        #expect(a.description == "kek-dec29a0d40c4b4fefcf32181da8ac2ad")
    }
}
