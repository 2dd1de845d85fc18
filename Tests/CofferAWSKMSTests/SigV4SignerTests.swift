import CofferAWSKMS
import CofferCrypto
import Foundation
import Testing

/// The signer against signatures botocore computed for the same requests with a fixed clock
/// (scripts/sigv4_vectors.py → Fixtures/sigv4-botocore.json). moto does not check signatures,
/// so these vectors are the proof that real AWS would accept ours.
@Suite struct SigV4SignerTests {
    struct Fixture: Decodable {
        struct Case: Decodable {
            struct Expected: Decodable {
                let canonicalRequest: String
                let stringToSign: String
                let authorization: String
                let amzDate: String
            }
            let name: String
            let method: String
            let host: String
            let path: String
            let query: [[String]]
            let headers: [[String]]
            let bodyBase64: String
            let region: String
            let service: String
            let time: String
            let accessKeyID: String
            let secretAccessKey: String
            let sessionToken: String?
            let expected: Expected
        }
        let source: String
        let cases: [Case]
    }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "sigv4-botocore", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    static func sign(_ c: Fixture.Case) throws -> AWSSigV4Signer.Signature {
        let credentials = try AWSCredentials(
            accessKeyID: c.accessKeyID, secretAccessKey: SecretBytes(Array(c.secretAccessKey.utf8)),
            sessionToken: c.sessionToken.map { SecretBytes(Array($0.utf8)) })
        let signer = AWSSigV4Signer(credentials: credentials, region: c.region, service: c.service)
        let request = AWSSigV4Signer.Request(
            method: c.method, host: c.host, path: c.path,
            query: c.query.map { ($0[0], $0[1]) }, headers: c.headers.map { ($0[0], $0[1]) },
            body: Array(Data(base64Encoded: c.bodyBase64)!))
        let date = try Date(c.time, strategy: .iso8601)
        return try signer.sign(request, at: date)
    }

    @Test func fixtureCoversTheCasesTheIssueNames() {
        let cases = Self.fixture.cases
        #expect(cases.count >= 8)
        #expect(cases.contains { $0.sessionToken != nil })
        #expect(cases.contains { !$0.query.isEmpty })
        #expect(cases.contains { Data(base64Encoded: $0.bodyBase64).map { !$0.allSatisfy { $0 < 0x80 } } ?? false })
        #expect(Self.fixture.source.contains("botocore"))
    }

    @Test(arguments: fixture.cases.map(\.name))
    func matchesBotocore(_ name: String) throws {
        let c = try #require(Self.fixture.cases.first { $0.name == name })
        let signature = try Self.sign(c)
        #expect(signature.canonicalRequest == c.expected.canonicalRequest)
        #expect(signature.stringToSign == c.expected.stringToSign)
        #expect(signature.amzDate == c.expected.amzDate)
        #expect(signature.authorization == c.expected.authorization)
        // The headers to send carry exactly what was signed.
        #expect(signature.headers.contains { $0.name == "Authorization" && $0.value == c.expected.authorization })
        #expect(signature.headers.contains { $0.name == "X-Amz-Security-Token" } == (c.sessionToken != nil))
    }

    @Test func anyChangeToTheRequestChangesTheSignature() throws {
        let c = try #require(Self.fixture.cases.first { $0.name == "kms-decrypt" })
        let original = try Self.sign(c).authorization
        var body = Array(Data(base64Encoded: c.bodyBase64)!)
        body[body.count / 2] ^= 1
        let credentials = try AWSCredentials(accessKeyID: c.accessKeyID, secretAccessKey: SecretBytes(Array(c.secretAccessKey.utf8)))
        let signer = AWSSigV4Signer(credentials: credentials, region: c.region, service: c.service)
        let changed = try signer.sign(
            AWSSigV4Signer.Request(method: c.method, host: c.host, path: c.path, headers: c.headers.map { ($0[0], $0[1]) }, body: body),
            at: try Date(c.time, strategy: .iso8601))
        #expect(changed.authorization != original)
    }

    @Test func credentialsNeverPrintTheirSecrets() throws {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        let token = "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
        let credentials = try AWSCredentials(
            accessKeyID: "ASIAEXAMPLE123", secretAccessKey: SecretBytes(Array(secret.utf8)), sessionToken: SecretBytes(Array(token.utf8)))
        for text in [credentials.description, credentials.debugDescription, String(reflecting: credentials), "\(credentials)"] {
            #expect(!text.contains(secret))
            #expect(!text.contains(token))
            #expect(!text.contains("ASIAEXAMPLE123"))
        }
    }

    @Test func malformedCredentialsAreRefusedWithoutEchoingThem() throws {
        let bad = "secret with spaces and ünïcode"
        #expect(throws: CofferCryptoError.self) {
            try AWSCredentials(accessKeyID: "AKID", secretAccessKey: SecretBytes(Array(bad.utf8)))
        }
        do {
            _ = try AWSCredentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": bad])
            Issue.record("accepted a malformed secret")
        } catch {
            #expect(!"\(error)".contains(bad))
            #expect("\(error)".contains("AWS_SECRET_ACCESS_KEY"))
        }
        #expect(throws: CofferCryptoError.self) { try AWSCredentials.fromEnvironment([:]) }
    }
}
