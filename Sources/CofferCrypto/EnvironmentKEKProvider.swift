#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging

/// A KEK taken from an environment variable (`env:VAR`) holding the base64 of 32 bytes.
///
/// With the process environment (the default) the value is decoded straight from the C
/// environment block into secure memory, never through a Swift `String`. Errors name the
/// variable, never its value.
public struct EnvironmentKEKProvider: LoadedKEKProvider {
    /// Name of the environment variable.
    public let variable: String
    private let environment: [String: String]?
    private let logger: Logger?
    private let cache = KEKCache()

    /// A provider for `variable`. Nothing is read until first use.
    /// - Parameters:
    ///   - variable: name of the environment variable holding the base64 of the 32-byte KEK.
    ///     A missing, empty or malformed value is ``CofferCryptoError/kekUnavailable(_:)`` on
    ///     first use, naming the variable, never its value.
    ///   - environment: the environment to read instead of the process environment (for
    ///     tests; a `String` value cannot be wiped).
    ///   - logger: receives non-secret facts (variable name, fingerprint) only.
    public init(variable: String, environment: [String: String]? = nil, logger: Logger? = nil) {
        self.variable = variable
        self.environment = environment
        self.logger = logger
    }

    /// `env:` followed by the variable name.
    public var displayName: String { "env:\(Redaction.shown(variableName: variable))" }

    /// Reads and decodes the variable now (if not done yet) and returns the loaded KEK.
    @discardableResult
    public func load() throws -> LocalKEK {
        try cache.get {
            let key = try readKey()
            let kek = try LocalKEK(key, displayName: displayName)
            logger?.debug("loaded key-encryption key from environment", metadata: ["variable": "\(Redaction.shown(variableName: variable))", "kek-id": "\(kek.id)"])
            return kek
        }
    }


    private func readKey() throws -> SymmetricKey {
        let variable = Redaction.shown(variableName: self.variable)
        let notSet = CofferCryptoError.kekUnavailable(
            "environment variable \(variable) is not set; set it to the base64 of a 32-byte key, e.g. from: openssl rand -base64 32")
        let badValue = CofferCryptoError.kekUnavailable(
            "environment variable \(variable) does not hold the base64 of 32 bytes (44 characters); generate a key with: openssl rand -base64 32")
        do {
            if let environment {
                guard let value = environment[self.variable], !value.isEmpty else { throw notSet }
                return try SymmetricKey(base64: value)
            }
            guard let value = getenv(self.variable), value.pointee != 0 else { throw notSet }
            return try SymmetricKey.decodeBase64(UnsafeRawBufferPointer(start: value, count: strlen(value)))
        } catch CofferCryptoError.invalidKey {
            throw badValue
        }
    }
}
