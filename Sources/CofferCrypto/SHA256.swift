import COpenSSL

/// SHA-256 and HMAC-SHA256 for other Coffer modules (AWS Signature Version 4 in
/// `CofferAWSKMS`), through OpenSSL (`EVP_Digest`, `EVP_MAC`). Nothing here implements a
/// primitive.
package enum SHA256 {
    /// Length of a digest or an HMAC tag.
    package static let byteCount = 32

    /// SHA-256 of `data`.
    package static func hash(_ data: some Collection<UInt8>) throws -> [UInt8] {
        let bytes = Array(data)
        var out = [UInt8](repeating: 0, count: byteCount)
        var written: UInt32 = 0
        let ok = bytes.withUnsafeBytes { b in
            EVP_Digest(b.baseAddress, b.count, &out, &written, EVP_sha256(), nil)
        }
        guard ok == 1, written == UInt32(byteCount) else {
            ERR_clear_error()
            throw CofferCryptoError.libraryFailure(operation: "EVP_Digest(SHA256)")
        }
        return out
    }

    /// SHA-256 of `data` as 64 lowercase hex digits.
    package static func hexHash(_ data: some Collection<UInt8>) throws -> String {
        Hex.string(try hash(data))
    }

    /// HMAC-SHA256(`key`, `data`). `key` must not be empty.
    package static func hmac(key: [UInt8], data: some Collection<UInt8>) throws -> [UInt8] {
        precondition(!key.isEmpty)
        let message = Array(data)
        var tag = [UInt8](repeating: 0, count: byteCount)
        try key.withUnsafeBytes { k in
            try message.withUnsafeBytes { m in
                try tag.withUnsafeMutableBytes { t in try OpenSSLHMAC.sha256(key: k, data: m, into: t) }
            }
        }
        return tag
    }
}
