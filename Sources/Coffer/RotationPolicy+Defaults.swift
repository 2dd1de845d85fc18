import CofferInput
public import Foundation

extension RotationPolicy {
    /// The default encryption limit per data key: 2^30 values.
    ///
    /// Every value is sealed with AES-256-GCM under a fresh random 96-bit nonce. After `q`
    /// encryptions under one key, the probability that any two nonces collide (which would
    /// break GCM's confidentiality and authenticity for that key) is at most
    /// `q(q-1)/2 / 2^96 < q² / 2^97`. NIST SP 800-38D caps random-nonce GCM at 2^32
    /// invocations per key (collision probability ≤ 2^-33). At 2^30 the bound is
    /// 2^60 / 2^97 = 2^-37, four bits of margin below the NIST cap, and one rotation per
    /// billion writes is cheap (rotation re-wraps nothing and re-encrypts nothing).
    public static let defaultMaxEncryptionsPerDataKey: UInt64 = 1 << 30

    /// The highest encryption limit the vault accepts: the NIST SP 800-38D random-nonce bound
    /// of 2^32 encryptions per key.
    public static let maxAllowedEncryptionsPerDataKey: UInt64 = 1 << 32

    /// The vault default: at most ``defaultMaxEncryptionsPerDataKey`` (2^30) encryptions per
    /// data key, no age limit.
    public static let standard = RotationPolicy(maxDataKeyAgeSeconds: nil, maxEncryptionsPerDataKey: defaultMaxEncryptionsPerDataKey)

    /// Whether a primary data key of this age and encryption count is due for rotation under
    /// this policy (the census's `rotationDue` and the policy job).
    func isDue(ageSeconds: Double, encryptionCount: UInt64) -> Bool {
        if let maxAge = maxDataKeyAgeSeconds, ageSeconds >= maxAge { return true }
        if let maxCount = maxEncryptionsPerDataKey, encryptionCount >= maxCount { return true }
        return false
    }

    /// This policy with every field that `override` sets replaced by the override's value (a
    /// workspace's override of the vault policy).
    public func overridden(by override: RotationPolicy?) -> RotationPolicy {
        guard let override else { return self }
        return RotationPolicy(
            maxDataKeyAgeSeconds: override.maxDataKeyAgeSeconds ?? maxDataKeyAgeSeconds,
            maxEncryptionsPerDataKey: override.maxEncryptionsPerDataKey ?? maxEncryptionsPerDataKey)
    }

    /// The longest maximum data-key age accepted, in seconds: 36 500 days (100 years), the
    /// longest duration the CLI takes (`DurationParser.maximumSeconds`).
    public static let maxAllowedDataKeyAgeSeconds = Double(DurationParser.maximumSeconds)

    /// Why this policy is not acceptable, or nil when it is: an age must be more than 0 and at
    /// most ``maxAllowedDataKeyAgeSeconds``, an encryption limit between 1 and
    /// ``maxAllowedEncryptionsPerDataKey``. Stores refuse to read back a policy with a problem
    /// (``VaultError/storeCorrupted(_:)``).
    public var problem: String? {
        if let age = maxDataKeyAgeSeconds, !(age > 0 && age <= Self.maxAllowedDataKeyAgeSeconds) {
            return "the maximum data-key age must be more than 0 seconds and at most 36500 days (3153600000 seconds)"
        }
        if let n = maxEncryptionsPerDataKey, n < 1 || n > Self.maxAllowedEncryptionsPerDataKey {
            return "the maximum number of encryptions per data key must be between 1 and 2^32 (\(Self.maxAllowedEncryptionsPerDataKey)), the AES-GCM random-nonce bound"
        }
        return nil
    }
}
