extension ExportBundle {
    /// Who can open a bundle, as its header says (readable without any key).
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        /// Sealed to an X25519 public key; `fingerprint` is that key's
        /// ``X25519PublicKey/fingerprint`` (16 hex digits).
        case x25519(fingerprint: String)
        /// Sealed under a passphrase (Argon2id).
        case passphrase

        public var description: String {
            switch self {
            case .x25519(let fingerprint): return "X25519 recipient \(fingerprint)"
            case .passphrase: return "passphrase"
            }
        }
    }
}
