/// A failed refresh at a provider's token endpoint (HTTP 502 to the client).
struct ProviderFailure: Error, CustomStringConvertible {
    /// What failed, naming the provider and a status, never a token.
    var message: String
    /// Whether the provider certainly did not use the refresh token: it answered with an error
    /// status. Then the claim is released at once. A timeout, a lost connection or an
    /// unreadable success answer leave it open (the provider may have rotated the token), so
    /// the claim stays until it lapses.
    var definite: Bool

    var description: String { message }
}
