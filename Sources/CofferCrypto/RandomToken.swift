/// Non-secret random identifiers from libsodium's CSPRNG.
public enum RandomToken {
    /// `byteCount` random bytes as lowercase hex (2 × `byteCount` characters).
    public static func hex(byteCount: Int = 16) throws -> String {
        var bytes = [UInt8](repeating: 0, count: byteCount)
        try bytes.withUnsafeMutableBytes { try Sodium.randomBytes($0) }
        return Hex.string(bytes)
    }
}
