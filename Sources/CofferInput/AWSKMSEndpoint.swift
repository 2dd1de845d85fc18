/// Where KMS requests go: `https://kms.REGION.amazonaws.com` by default, or an override from
/// `AWS_ENDPOINT_URL_KMS` / `AWS_ENDPOINT_URL` (the AWS SDKs' convention), such as a local
/// KMS-compatible endpoint (`http://127.0.0.1:5000`).
public struct AWSKMSEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public let scheme: String
    /// Host name or IP address (IPv6 in brackets).
    public let host: String
    /// TCP port.
    public let port: Int

    /// The AWS endpoint of `region`.
    public static func aws(region: String) -> AWSKMSEndpoint {
        AWSKMSEndpoint(scheme: "https", host: "kms.\(region).amazonaws.com", port: 443)
    }

    private init(scheme: String, host: String, port: Int) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Parses `scheme://host[:port][/]`: scheme `http` or `https`, no user information, no
    /// path beyond `/`, no query; the port (1–65535) is range-checked before conversion.
    /// - Throws: ``InputError`` saying what is wrong (never repeating the text).
    public init(parsing text: String) throws(InputError) {
        let bad = { (why: String) in InputError("the KMS endpoint URL \(why); expected http(s)://HOST[:PORT]") }
        guard text.utf8.count <= 2048, text.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw bad("is empty, too long or holds spaces or non-ASCII characters")
        }
        guard let sep = text.firstRange(of: "://") else { throw bad("has no scheme") }
        let scheme = text[..<sep.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw bad("must start with http:// or https://") }
        var rest = Substring(text[sep.upperBound...])
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/"), !rest.contains("?"), !rest.contains("#") else { throw bad("may not have a path, query or fragment") }
        guard !rest.contains("@") else { throw bad("may not hold user information") }
        var host = rest
        var port = scheme == "https" ? 443 : 80
        let portStart: Substring.Index?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad("has an unclosed IPv6 bracket") }
            host = rest[...close]
            let after = rest[rest.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw bad("has text after the IPv6 address") }
            portStart = after.isEmpty ? nil : after.startIndex
        } else {
            portStart = rest.lastIndex(of: ":")
            if let p = portStart { host = rest[..<p] }
        }
        if let p = portStart {
            let digits = rest[rest.index(after: p)...]
            guard (1...5).contains(digits.count), digits.utf8.allSatisfy({ (48...57).contains($0) }),
                  let value = Int(digits), (1...65535).contains(value)
            else { throw bad("has a port outside 1–65535") }
            port = value
        }
        guard !host.isEmpty, host.count <= 253 else { throw bad("has no host") }
        if !host.hasPrefix("[") {
            guard host.utf8.allSatisfy({ c in
                (97...122).contains(c) || (65...90).contains(c) || (48...57).contains(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
            }) else { throw bad("has a host with characters other than letters, digits, '.' and '-'") }
        }
        self.init(scheme: scheme, host: host.lowercased(), port: port)
    }

    /// The `Host` header: the host, with `:port` unless it is the scheme's default.
    public var hostHeader: String {
        (scheme == "https" && port == 443) || (scheme == "http" && port == 80) ? host : "\(host):\(port)"
    }

    /// `scheme://host[:port]/`.
    public var url: String { "\(scheme)://\(hostHeader)/" }

    public var description: String { "\(scheme)://\(hostHeader)" }
}
