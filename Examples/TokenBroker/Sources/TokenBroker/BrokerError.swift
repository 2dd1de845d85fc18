public import Hummingbird
import Foundation

/// A request failure with its HTTP status and a message safe to return and log: it names
/// workspaces, connections, versions and limits, never a token.
public struct BrokerError: HTTPResponseError, CustomStringConvertible {
    /// The response status.
    public var status: HTTPResponse.Status
    /// What went wrong, for the client.
    public var message: String
    /// Extra response headers (`Retry-After` on 503).
    public var headers: HTTPFields

    /// An error from its parts.
    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    /// 400: a path, query or body value is malformed or out of range.
    public static func badRequest(_ message: String) -> BrokerError { BrokerError(.badRequest, message) }
    /// 404: no such workspace or connection.
    public static func notFound(_ message: String) -> BrokerError { BrokerError(.notFound, message) }
    /// 409: a concurrent change won, or the connection cannot be refreshed.
    public static func conflict(_ message: String) -> BrokerError { BrokerError(.conflict, message) }
    /// 502: the provider's token endpoint failed or answered something unusable.
    public static func badGateway(_ message: String) -> BrokerError { BrokerError(.badGateway, message) }
    /// 503: the KEK service or the store is unavailable, or a refresh is still in progress.
    public static func unavailable(_ message: String, retryAfterSeconds: Int = 1) -> BrokerError {
        BrokerError(.serviceUnavailable, message, headers: [.retryAfter: "\(retryAfterSeconds)"])
    }

    /// Status and message.
    public var description: String { "\(status.code) \(message)" }

    /// A JSON body `{"error": MESSAGE}`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(["error": message])
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
