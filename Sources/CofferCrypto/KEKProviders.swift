public import Logging

/// Builds KEK providers from URIs (see ``KEKProviderURI``).
public enum KEKProviders {
    /// The provider for `uri`.
    ///
    /// ```swift
    /// let kek = try KEKProviders.make(uri: "file:/etc/coffer/kek", logger: logger)
    /// let wrapped = try await kek.wrap(dek, workspace: "acme", dataKeyVersion: 1)
    /// ```
    /// - Parameters:
    ///   - uri: where the KEK comes from (``KEKProviderURI``): `file:PATH`, `env:VARIABLE`,
    ///     `passphrase` or `passphrase:PARAMS_PATH`. `aws-kms:` and `pkcs11:` URIs are refused
    ///     with ``CofferCryptoError/kekUnavailable(_:)`` naming the module that serves them.
    ///   - environment: environment for `env:` and for `COFFER_PASSPHRASE`; `nil` reads the
    ///     process environment without copying values into Swift strings.
    ///   - passphraseSource: passphrase source for `passphrase`; default
    ///     ``PassphraseSource/standard(environment:ttyPath:)`` with `environment`.
    ///   - defaultPassphraseParamsPath: parameters file for a bare `passphrase`.
    ///   - passphraseCost: Argon2id cost of a new parameters file.
    ///   - logger: handed to the provider; receives non-secret facts only.
    /// - Throws: ``CofferCryptoError/kekUnavailable(_:)`` for an unknown or malformed URI, or a
    ///   bare `passphrase` without a default parameters path. Nothing is read yet.
    public static func make(
        uri: String,
        environment: [String: String]? = nil,
        passphraseSource: PassphraseSource? = nil,
        defaultPassphraseParamsPath: String? = nil,
        passphraseCost: PassphraseKEKProvider.Cost = .moderate,
        logger: Logger? = nil
    ) throws -> any KeyEncryptionKeyProvider {
        switch try KEKProviderURI(parsing: uri) {
        case .file(let path):
            return FileKEKProvider(path: path, logger: logger)
        case .environment(let variable):
            return EnvironmentKEKProvider(variable: variable, environment: environment, logger: logger)
        case .passphrase(let path):
            guard let paramsPath = path ?? defaultPassphraseParamsPath else {
                throw CofferCryptoError.kekUnavailable("passphrase needs a parameters file: use passphrase:PARAMS_PATH")
            }
            return PassphraseKEKProvider(
                paramsPath: paramsPath, source: passphraseSource ?? .standard(environment: environment),
                cost: passphraseCost, logger: logger)
        case .awsKMS:
            throw CofferCryptoError.kekUnavailable(
                "aws-kms: keys are served by the CofferAWSKMS module: build the provider with AWSKMSKEKProvider(uri:) there")
        case .pkcs11:
            throw CofferCryptoError.kekUnavailable(
                "pkcs11: keys are served by the CofferPKCS11 module: build the provider with PKCS11KEKProvider(uri:) there")
        }
    }
}
