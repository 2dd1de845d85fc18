import CofferCrypto
public import Foundation

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`) for one region and service.
///
/// It follows botocore's `SigV4Auth` exactly, and is tested against signatures botocore
/// computes for the same requests with a fixed clock (scripts/sigv4_vectors.py): every header
/// given is signed (`host` included), values are trimmed and inner runs of whitespace folded,
/// repeated names are joined with `,`; query names and values are percent-encoded (all but
/// `A–Z a–z 0–9 - _ . ~`) and sorted; the path is taken as it is sent (already encoded) and
/// encoded once more, as botocore does for every service but S3; the body is hashed with
/// SHA-256. HMAC-SHA256 and SHA-256 come from OpenSSL through `CofferCrypto`.
public struct AWSSigV4Signer: Sendable {
    /// A request to sign: what goes on the wire.
    public struct Request: Sendable {
        /// `GET`, `POST`, ...
        public var method: String
        /// The `Host` header: host, and `:port` unless it is the scheme's default.
        public var host: String
        /// The path as sent (percent-encoded where needed), `/` at least.
        public var path: String
        /// Query parameters, not encoded, in the order they are sent.
        public var query: [(name: String, value: String)]
        /// Headers other than `Host`, `X-Amz-Date`, `X-Amz-Security-Token` and
        /// `Authorization` (the signer adds those).
        public var headers: [(name: String, value: String)]
        /// The body.
        public var body: [UInt8]

        /// A request from its parts.
        public init(
            method: String, host: String, path: String = "/", query: [(name: String, value: String)] = [],
            headers: [(name: String, value: String)] = [], body: [UInt8] = []
        ) {
            self.method = method
            self.host = host
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }

        /// The query string as sent: each name and value percent-encoded, in the given order.
        public var encodedQuery: String {
            query.map { "\(AWSSigV4Signer.encode($0.name))=\(AWSSigV4Signer.encode($0.value))" }.joined(separator: "&")
        }
    }

    /// The parts of a signature, for tests and for debugging a rejected request (none of them
    /// holds the secret key; the canonical request holds the session token, so do not log it).
    public struct Signature: Sendable {
        /// The canonical request (SigV4 task 1).
        public var canonicalRequest: String
        /// The string to sign (task 2).
        public var stringToSign: String
        /// `X-Amz-Date`: `YYYYMMDD'T'HHMMSS'Z'`.
        public var amzDate: String
        /// The `Authorization` header value.
        public var authorization: String
        /// Every header to send besides the request's own: `Host`, `X-Amz-Date`,
        /// `X-Amz-Security-Token` (temporary credentials) and `Authorization`.
        public var headers: [(name: String, value: String)]
    }

    /// The credentials that sign.
    public let credentials: AWSCredentials
    /// The region, such as `us-east-1`.
    public let region: String
    /// The signing name of the service, such as `kms`.
    public let service: String

    /// A signer for `service` in `region` with `credentials`.
    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Signs `request` at `date`.
    /// - Throws: ``CofferCryptoError/libraryFailure(operation:)`` if OpenSSL fails.
    public func sign(_ request: Request, at date: Date) throws -> Signature {
        let amzDate = Self.amzDate(date)
        let day = String(amzDate.prefix(8))
        var headers: [(name: String, value: String)] = [("host", request.host), ("x-amz-date", amzDate)]
        let token = credentials.sessionToken.map { String(decoding: $0.unprotectedArray(), as: UTF8.self) }
        if let token { headers.append(("x-amz-security-token", token)) }
        headers += request.headers

        // Canonical headers: lower-case names, sorted; values trimmed and folded; repeats joined.
        var byName: [String: [String]] = [:]
        for (name, value) in headers {
            byName[name.lowercased(), default: []].append(value.split(whereSeparator: { $0.isWhitespace }).joined(separator: " "))
        }
        let names = byName.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let canonicalHeaders = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let query = request.query
            .map { (Self.encode($0.name), Self.encode($0.value)) }
            .sorted { a, b in
                a.0 == b.0 ? Array(a.1.utf8).lexicographicallyPrecedes(Array(b.1.utf8))
                    : Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8))
            }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let path = request.path.isEmpty ? "/" : Self.encode(request.path, keepingSlash: true)
        let canonicalRequest = [
            request.method.uppercased(), path, query, canonicalHeaders, signedHeaders, try SHA256.hexHash(request.body),
        ].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, try SHA256.hexHash(Array(canonicalRequest.utf8))]
            .joined(separator: "\n")

        var key = Array("AWS4".utf8) + credentials.secretAccessKey.unprotectedArray()
        defer { Self.wipe(&key) }
        for part in [day, region, service, "aws4_request"] {
            let next = try SHA256.hmac(key: key, data: Array(part.utf8))
            Self.wipe(&key)
            key = next
        }
        let signature = Hex.string(try SHA256.hmac(key: key, data: Array(stringToSign.utf8)))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"

        var sent: [(name: String, value: String)] = [("Host", request.host), ("X-Amz-Date", amzDate)]
        if let token { sent.append(("X-Amz-Security-Token", token)) }
        sent.append(("Authorization", authorization))
        return Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, amzDate: amzDate,
            authorization: authorization, headers: sent)
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    static func amzDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ v: Int?, _ width: Int) -> String {
            let s = String(v ?? 0)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(c.year, 4))\(pad(c.month, 2))\(pad(c.day, 2))T\(pad(c.hour, 2))\(pad(c.minute, 2))\(pad(c.second, 2))Z"
    }

    /// Percent-encodes every byte of `text`'s UTF-8 but `A–Z a–z 0–9 - _ . ~` (and `/` when
    /// `keepingSlash`), with upper-case hex digits.
    static func encode(_ text: String, keepingSlash: Bool = false) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for c in text.utf8 {
            let unreserved = (65...90).contains(c) || (97...122).contains(c) || (48...57).contains(c)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: "~")
            if unreserved || (keepingSlash && c == UInt8(ascii: "/")) {
                out.append(c)
            } else {
                out += [UInt8(ascii: "%"), digits[Int(c >> 4)], digits[Int(c & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { b in
            for i in b.indices { b[i] = 0 }
        }
    }
}
