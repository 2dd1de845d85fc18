public import CofferCrypto
public import CofferInput
public import Tracing

/// Everything the AWS KMS provider needs: the key, region, endpoint, credentials, and how long
/// a call may take with its retries.
public struct AWSKMSConfiguration: Sendable {
    /// The KMS key (ARN, alias ARN, key id or `alias/NAME`).
    public var key: AWSKMSKeySpec
    /// The region requests are signed for.
    public var region: String
    /// Where requests go.
    public var endpoint: AWSKMSEndpoint
    /// Who signs them.
    public var credentials: AWSCredentials
    /// Longest time one provider call may take, retries included (default 10 s). Past it the
    /// call fails as "KEK service unavailable".
    public var deadline: Duration
    /// Longest time one HTTP attempt may take (default 5 s, never more than what is left of
    /// ``deadline``).
    public var attemptTimeout: Duration
    /// Most attempts per call (default 8): throttling, 5xx and network errors are retried
    /// with capped, fully jittered exponential backoff (50 ms base, 2 s cap).
    public var maxAttempts: Int
    /// Where each KMS request's span (`aws-kms.<Operation>`, docs/OBSERVABILITY.md) goes. nil
    /// (default): the `InstrumentationSystem` tracer when the client is created; no span at all
    /// when that is the no-op tracer.
    public var tracer: (any Tracer)?

    /// Accepted range of ``deadline`` (also of `COFFER_KMS_TIMEOUT`).
    public static let deadlineRange: ClosedRange<Duration> = .milliseconds(100) ... .seconds(600)

    /// A configuration from its parts.
    /// - Throws: ``AWSKMSError/configuration(_:)`` when the region is not a region name, or a
    ///   limit is out of range.
    public init(
        key: AWSKMSKeySpec, region: String, endpoint: AWSKMSEndpoint? = nil, credentials: AWSCredentials,
        deadline: Duration = .seconds(10), attemptTimeout: Duration = .seconds(5), maxAttempts: Int = 8
    ) throws(AWSKMSError) {
        guard Self.isRegion(region) else {
            throw .configuration("the region must be a region name such as us-east-1 (letters, digits, '-', at most 64)")
        }
        if let arnRegion = key.region, arnRegion != region {
            throw .configuration("the key ARN is in region \(arnRegion), but the region configured is \(region)")
        }
        guard Self.deadlineRange.contains(deadline) else {
            throw .configuration("the call deadline must be within 100ms–600s")
        }
        guard attemptTimeout >= .milliseconds(50), attemptTimeout <= deadline else {
            throw .configuration("the attempt timeout must be at least 50ms and at most the deadline")
        }
        guard (1...100).contains(maxAttempts) else { throw .configuration("maxAttempts must be within 1–100") }
        self.key = key
        self.region = region
        self.endpoint = endpoint ?? .aws(region: region)
        self.credentials = credentials
        self.deadline = deadline
        self.attemptTimeout = attemptTimeout
        self.maxAttempts = maxAttempts
    }

    /// The configuration for `key` from the environment, as the AWS SDKs read it:
    /// - region: from the key's ARN, else `AWS_REGION`, else `AWS_DEFAULT_REGION`;
    /// - credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`;
    /// - endpoint: `AWS_ENDPOINT_URL_KMS`, else `AWS_ENDPOINT_URL`, else AWS's;
    /// - deadline: `COFFER_KMS_TIMEOUT` (a duration such as `10s` or `2.5s`, 0.1s–600s).
    /// - Throws: ``AWSKMSError/configuration(_:)`` naming the variable that is missing or
    ///   malformed (never its value when it may be secret).
    public static func fromEnvironment(key: AWSKMSKeySpec, environment: [String: String]) throws(AWSKMSError) -> AWSKMSConfiguration {
        let nonEmpty = { (name: String) -> String? in environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let region = key.region ?? nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION") else {
            throw .configuration("no region: use a key ARN, or set AWS_REGION")
        }
        let credentials: AWSCredentials
        do {
            credentials = try AWSCredentials.fromEnvironment(environment)
        } catch {
            throw .configuration(Self.reason(error))
        }
        var endpoint: AWSKMSEndpoint?
        for name in ["AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL"] {
            if let text = nonEmpty(name) {
                do {
                    endpoint = try AWSKMSEndpoint(parsing: text)
                } catch {
                    throw .configuration("\(name): \(error.message)")
                }
                break
            }
        }
        var deadline = Duration.seconds(10)
        if let text = nonEmpty("COFFER_KMS_TIMEOUT") {
            guard let value = try? DurationParser.parse(text, allowZero: false), deadlineRange.contains(value) else {
                throw .configuration("COFFER_KMS_TIMEOUT must be a duration within 0.1s–600s, such as 10s or 2.5s")
            }
            deadline = value
        }
        return try AWSKMSConfiguration(
            key: key, region: region, endpoint: endpoint, credentials: credentials,
            deadline: deadline, attemptTimeout: min(.seconds(5), deadline))
    }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case AWSKMSError.configuration(let why): return why
        case CofferCryptoError.kekUnavailable(let why): return why
        default: return "\(error)"
        }
    }

    private static func isRegion(_ s: String) -> Bool {
        (1...64).contains(s.utf8.count) && s.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "-") }
    }
}
