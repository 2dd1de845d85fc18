public import CofferCrypto
public import Foundation

extension SecretKind {
    /// Checks that `value` is the JSON form of this kind and returns the canonical JSON a `put`
    /// stores (sorted keys, snake_case fields) with the expiry the value states; `now`
    /// resolves an OAuth token's `expires_in`. The raw kind returns `value` unchanged.
    ///
    /// This is the validation ``WorkspaceScope/put(_:value:metadata:expectedVersion:)`` runs
    /// on typed values, offered to check a value before storing it (and to fuzz it).
    /// - Throws: ``VaultError/invalidValue(_:)`` naming the field and rule, never the value.
    public func canonicalJSON(of value: SecretBytes, now: Date) throws -> (value: SecretBytes, expiresAt: Date?) {
        try CredentialCodec.canonicalize(value, kind: self, now: now)
    }
}
