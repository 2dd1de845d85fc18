/// How many requests an ``AWSKMSKEKProvider`` has sent, by operation, and how many were
/// retried or failed: what a KMS bill and a throttling quota count.
public struct AWSKMSCallCounts: Sendable, Equatable, CustomStringConvertible {
    /// `DescribeKey` requests (once per provider, to resolve the key and check it is usable).
    public var describeKey = 0
    /// `Encrypt` requests (wrapping an existing data key: KEK rotation).
    public var encrypt = 0
    /// `GenerateDataKey` requests (a new workspace or data-key version).
    public var generateDataKey = 0
    /// `Decrypt` requests (a cold data key).
    public var decrypt = 0
    /// Requests of other operations (tests and tools).
    public var other = 0
    /// Attempts that were retried (throttling, 5xx, network errors).
    public var retries = 0
    /// Calls that failed after their last attempt.
    public var failures = 0

    /// An empty count.
    public init() {}

    /// Every request sent, retries included.
    public var total: Int { describeKey + encrypt + generateDataKey + decrypt + other }

    mutating func count(_ operation: String) {
        switch operation {
        case "DescribeKey": describeKey += 1
        case "Encrypt": encrypt += 1
        case "GenerateDataKey": generateDataKey += 1
        case "Decrypt": decrypt += 1
        default: other += 1
        }
    }

    public var description: String {
        "DescribeKey \(describeKey), GenerateDataKey \(generateDataKey), Encrypt \(encrypt), Decrypt \(decrypt), other \(other), retries \(retries), failures \(failures)"
    }
}
