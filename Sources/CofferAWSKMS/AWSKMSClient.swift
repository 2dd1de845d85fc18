public import AsyncHTTPClient
import CofferCrypto
import Foundation
public import Logging
import NIOCore
import Tracing

/// Calls AWS KMS's JSON API (`X-Amz-Target: TrentService.<Operation>`,
/// `application/x-amz-json-1.1`), signed with ``AWSSigV4Signer``, over async-http-client.
///
/// Each call is bounded by the configuration's deadline; throttling (HTTP 429,
/// `ThrottlingException`), server errors (5xx, `KMSInternalException`,
/// `DependencyTimeoutException`, `KeyUnavailableException`) and network errors are retried
/// with capped, fully jittered exponential backoff while the deadline allows. Bodies are
/// never logged; the logger gets operation names, statuses, error types and timings.
public final class AWSKMSClient: Sendable {
    // Sendable: every stored property is a `let` of a Sendable type (HTTPClient is Sendable,
    // PosixMutex is Sendable; the counts are a Sendable value).
    /// The configuration calls use.
    public let configuration: AWSKMSConfiguration
    private let signer: AWSSigV4Signer
    private let http: HTTPClient
    private let logger: Logger
    private let counts = PosixMutex(AWSKMSCallCounts())
    /// The tracer; nil when it is the no-op tracer.
    private let tracer: (any Tracer)?

    /// Largest response body accepted (KMS answers are a few kilobytes).
    static let maxResponseBytes = 1 << 20

    /// A client for `configuration`, sending through `httpClient` (default: the process-wide
    /// shared client, which needs no shutdown).
    public init(configuration: AWSKMSConfiguration, httpClient: HTTPClient = .shared, logger: Logger? = nil) {
        self.configuration = configuration
        self.signer = AWSSigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "kms")
        self.http = httpClient
        self.logger = logger ?? Logger(label: "coffer.aws-kms", factory: { SwiftLogNoOpLogHandler($0) })
        let tracer = configuration.tracer ?? InstrumentationSystem.tracer
        self.tracer = tracer is NoOpTracer ? nil : tracer
    }

    /// Requests sent so far, by operation.
    public var callCounts: AWSKMSCallCounts { counts.withLock { $0 } }

    /// Sends `body` (a JSON object) as `operation` and returns the JSON object KMS answers.
    /// - Throws: ``AWSKMSError/service(type:status:)`` for an error KMS reports and that is not
    ///   retried (or still fails at the deadline, for throttling); ``AWSKMSError/unavailable(_:)``
    ///   when KMS cannot be reached before the deadline; ``AWSKMSError/unexpectedResponse(_:)``
    ///   for a 200 whose body is not a JSON object.
    ///
    /// With a tracer, the call (retries included) is one client span `aws-kms.<operation>` with
    /// the attributes `rpc.system` (`aws-api`), `rpc.service` (`KMS`), `rpc.method` and
    /// `aws.kms.attempts`; never a body or a key.
    public func call(_ operation: String, body: [UInt8]) async throws -> [UInt8] {
        guard let tracer else { return try await attempts(operation, body: body) { _ in } }
        return try await tracer.withSpan("aws-kms.\(operation)", ofKind: .client) { span in
            span.attributes["rpc.system"] = "aws-api"
            span.attributes["rpc.service"] = "KMS"
            span.attributes["rpc.method"] = operation
            return try await attempts(operation, body: body) { span.attributes["aws.kms.attempts"] = $0 }
        }
    }

    /// ``call(_:body:)`` without the span; `attempted` gets the number of attempts made so far.
    private func attempts(_ operation: String, body: [UInt8], attempted: (Int) -> Void) async throws -> [UInt8] {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.deadline
        var attempt = 0
        var lastProblem = "no attempt made"
        while true {
            attempt += 1
            attempted(attempt)
            try Task.checkCancellation()
            let remaining = deadline - clock.now
            if remaining <= .zero { break }
            counts.withLock { $0.count(operation) }
            let started = clock.now
            do {
                let (status, answer) = try await send(operation, body: body, timeout: min(configuration.attemptTimeout, remaining))
                if status == 200 {
                    logger.debug("kms call", metadata: [
                        "operation": "\(operation)", "attempt": "\(attempt)", "elapsed": "\(clock.now - started)",
                    ])
                    return answer
                }
                let type = Self.errorType(answer) ?? "HTTP \(status)"
                guard Self.isRetryable(status: status, type: type) else {
                    counts.withLock { $0.failures += 1 }
                    logger.warning("kms call refused", metadata: ["operation": "\(operation)", "status": "\(status)", "type": "\(type)"])
                    throw AWSKMSError.service(type: type, status: status)
                }
                lastProblem = "\(type) (HTTP \(status))"
            } catch let error as AWSKMSError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastProblem = Self.transportProblem(error)
            }
            guard attempt < configuration.maxAttempts else { break }
            // Full jitter: a random wait up to min(2 s, 50 ms · 2^(attempt-1)), within the deadline.
            let cap = min(Duration.seconds(2), .milliseconds(50) * (1 << min(attempt - 1, 10)))
            let wait = min(cap * Double.random(in: 0...1), deadline - clock.now)
            if wait <= .zero { break }
            counts.withLock { $0.retries += 1 }
            logger.notice("kms call retried", metadata: ["operation": "\(operation)", "attempt": "\(attempt)", "problem": "\(lastProblem)"])
            try await Task.sleep(for: wait)
        }
        counts.withLock { $0.failures += 1 }
        logger.warning("kms unavailable", metadata: ["operation": "\(operation)", "attempts": "\(attempt)", "problem": "\(lastProblem)"])
        throw AWSKMSError.unavailable(
            "\(operation) at \(configuration.endpoint) failed after \(attempt) attempt\(attempt == 1 ? "" : "s") within \(configuration.deadline): \(lastProblem)")
    }

    /// One signed attempt: the HTTP status and the body.
    private func send(_ operation: String, body: [UInt8], timeout: Duration) async throws -> (Int, [UInt8]) {
        let endpoint = configuration.endpoint
        let headers: [(name: String, value: String)] = [
            ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "TrentService.\(operation)"),
        ]
        let signature = try signer.sign(
            AWSSigV4Signer.Request(method: "POST", host: endpoint.hostHeader, path: "/", headers: headers, body: body), at: Date())
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        for (name, value) in headers + signature.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let millis = max(1, Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        let response = try await http.execute(request, timeout: .milliseconds(millis), logger: nil)
        var buffer = try await response.body.collect(upTo: Self.maxResponseBytes)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        // Overwrite the buffer's storage: a response may hold a plaintext data key.
        buffer.clear()
        buffer.writeRepeatingByte(0, count: bytes.count)
        return (Int(response.status.code), bytes)
    }

    /// `__type` of a KMS error body, without its namespace prefix (`…#ThrottlingException`).
    static func errorType(_ body: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let raw = (object["__type"] ?? object["code"] ?? object["Code"]) as? String
        else { return nil }
        let name = raw.split(separator: "#").last.map(String.init) ?? raw
        // Only a type name goes into messages and logs: letters and digits, bounded.
        let clean = String(name.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }.prefix(64))
        return clean.isEmpty ? nil : clean
    }

    static func isRetryable(status: Int, type: String) -> Bool {
        if status == 429 || status >= 500 { return true }
        return ["ThrottlingException", "ThrottledException", "RequestLimitExceeded", "TooManyRequestsException",
                "KMSInternalException", "DependencyTimeoutException", "KeyUnavailableException", "ServiceUnavailable",
                "RequestTimeout", "RequestTimeoutException"].contains(type)
    }

    /// A short, non-secret name for a network failure.
    static func transportProblem(_ error: any Error) -> String {
        let text = String(describing: error)
        return String(text.prefix(160))
    }
}
