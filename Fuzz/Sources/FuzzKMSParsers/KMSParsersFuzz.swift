import CofferInput
import FuzzSupport

/// What the AWS KMS provider parses from outside: the stored wrapped-key layout
/// (`AWSKMSWrappedKey`, from a database row), the `Plaintext` member of a KMS response
/// (`AWSKMSPlaintextField`, from the network) and the endpoint URL (`AWSKMSEndpoint`, from
/// `AWS_ENDPOINT_URL_KMS`). The first input byte picks the parser.
///
/// Invariants: a parsed wrapped key writes back to exactly the input and its parts are in
/// range; a plaintext range lies inside the body, is non-empty, at most 1024 bytes and all
/// base64; a parsed endpoint has a port in 1...65535, an http(s) scheme and a URL that parses
/// back to the same endpoint.
enum KMSParsersFuzz {
    static func run(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        let rest = Array(input.dropFirst())
        switch selector % 3 {
        case 0:
            guard let key = AWSKMSWrappedKey(parsing: rest) else { return }
            Fuzz.require(key.bytes == rest, "a wrapped key that does not write back to its input")
            Fuzz.require((1...AWSKMSWrappedKey.maxKeyARNLength).contains(key.keyARN.utf8.count), "an ARN length out of range")
            Fuzz.require((1...AWSKMSWrappedKey.maxBlobLength).contains(key.blob.count), "a blob length out of range")
        case 1:
            guard let range = AWSKMSPlaintextField.valueRange(in: rest) else { return }
            Fuzz.require(range.lowerBound >= 0 && range.upperBound <= rest.count && !range.isEmpty, "a range outside the body")
            Fuzz.require(range.count <= 1024, "a plaintext longer than 1024 characters")
            Fuzz.require(rest[range].allSatisfy { c in
                (65...90).contains(c) || (97...122).contains(c) || (48...57).contains(c) || c == 43 || c == 47 || c == 61
            }, "a plaintext with a non-base64 byte")
        default:
            let text = String(decoding: rest, as: UTF8.self)
            guard let endpoint = try? AWSKMSEndpoint(parsing: text) else { return }
            Fuzz.require((1...65535).contains(endpoint.port), "a port outside 1...65535")
            Fuzz.require(endpoint.scheme == "http" || endpoint.scheme == "https", "a scheme other than http(s)")
            Fuzz.require((try? AWSKMSEndpoint(parsing: endpoint.url)) == endpoint, "a URL that does not parse back")
        }
    }

    static func seeds() throws -> [[UInt8]] {
        let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        let wrapped = try AWSKMSWrappedKey(keyARN: arn, blob: (0..<96).map { UInt8($0) }).bytes
        return [
            [0] + wrapped, [0] + Array(wrapped.dropLast()), [0, 1, 1] + [UInt8](repeating: 0, count: 60),
            [1] + Array(#"{"KeyId":"k","Plaintext":"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#.utf8),
            [1] + Array(#"{"x":{"Plaintext":"QUJD"},"s":"\"Plaintext\":\"QUJD\"","Plaintext":"REVG"}"#.utf8),
            [2] + Array("http://127.0.0.1:5000".utf8), [2] + Array("https://kms.eu-west-1.amazonaws.com/".utf8),
            [2] + Array("http://[::1]:65535".utf8), [2] + Array("http://h:65536".utf8),
        ]
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: KMSParsersFuzz.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    KMSParsersFuzz.run(Fuzz.bytes(data, size))
    return 0
}
