/// Non-secret random identifiers from libsodium's CSPRNG.
public enum RandomToken {
    /// `byteCount` random bytes as lowercase hex (2 × `byteCount` characters).
    public static func hex(byteCount: Int = 16) throws -> String {
        var bytes = [UInt8](repeating: 0, count: byteCount)
        try bytes.withUnsafeMutableBytes { try Sodium.randomBytes($0) }
        return hex(bytes)
    }

    /// `bytes` as lowercase hex.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
