public import CofferCrypto

/// Fernet tokens made by Python's `cryptography` (pyca) for the seed corpora, with the key of
/// the Fernet spec's vectors (Tests/Vectors/fernet) and seed plaintexts, timestamps
/// 499162800... (1985-10-26T08:20:00Z, the vectors' time).
public enum FernetSeeds {
    /// The spec vectors' key.
    public static let keyText = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
    /// The spec vectors' `now` for the TTL vector, in Unix seconds.
    public static let now: Int64 = 499_162_801

    /// Another key first, then the vectors' key (a MultiFernet that must try both).
    public static let keys: [FernetKey] = [
        try! FernetKey(base64: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
        try! FernetKey(base64: keyText),
    ]

    /// pyca tokens of ``Fuzz/seedPrefix`` + "a", + 15 x "b", + 100 x "c"; and the spec's
    /// "hello" vector.
    public static let tokens = [
        "gAAAAAAdwJ6wYPGnl7BxasYF21JWav0grtb5PVML3WR5JUztb9_6ZTEqbtopSqmkUOUP9KiaGYYYdt0YLHMoh1_NnH7WqDErur2EIoFUVIXYUsJbFfaYd5I=",
        "gAAAAAAdwJ6xJyqKp3MLSj3r8rnbMHqPfmjtluDcFCUHe80iRxh96CKq3-IOflceaZvlc9XoRFAzrrrdQn_5IiqUlEJ71wpaqpo-yWQrKzkv991f7RrQHYuv9ZYx95DqdlbeoBQtq9Qj",
        "gAAAAAAdwJ6yOz0CZUic4kGhLcZav5_GQYNzDTCGJBbcLAvmL58anNTfdYt3ycmr9lVDuEep5pWXi2ygziN_by1AoDLHh4QKZEno25XevokaPi78MrW-096vA4Vrq-sHADlmxaP2vkbypH04ap40ncI66wKFoLe4xCRK3fnpKnQawnDYEpxE9LrpS5nA0mUuYNn7ZFZVHjpwn_bOYvJzZtuce794yzFWYnn5Jz-x_I_xX6hq3xPL0Z0=",
        "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==",
    ]

    /// Whether `plaintext` is one the seed tokens hold: a seed plaintext or the vector's "hello".
    public static func isKnownPlaintext(_ plaintext: SecretBytes) -> Bool {
        Fuzz.isSeedPlaintext(plaintext) || plaintext.withUnsafeBytes { Array($0) } == Array("hello".utf8)
    }
}
