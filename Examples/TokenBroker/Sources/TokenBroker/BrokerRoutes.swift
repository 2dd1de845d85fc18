import Coffer
import CofferInput
import Foundation
import Hummingbird
import Logging
import Prometheus

/// The broker's HTTP API (README.md, "Endpoints"). Every path, query and body value is checked
/// before it is used; errors are ``BrokerError``s; logs name workspaces, connections and
/// versions, never a token.
struct BrokerRoutes: Sendable {
    var vault: Vault
    var configuration: BrokerConfiguration
    var refresher: TokenRefresher
    var registry: PrometheusCollectorRegistry

    /// Longest duration text accepted in a query.
    static let maxDurationText = 32

    func register(on router: Router<BasicRequestContext>) {
        router.put("/workspaces/:ws/connections/:name") { request, context in
            try await put(request: request, context: context)
        }
        router.get("/workspaces/:ws/connections/:name") { request, context in
            try await get(request: request, context: context)
        }
        router.get("/workspaces/:ws/connections") { request, context in
            try await list(request: request, context: context)
        }
        router.get("/expiring") { request, context in
            try await expiring(request: request, context: context)
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/health") { _, _ in HTTPResponse.Status.ok }
    }

    /// Stores a token set as a new version of the connection (creating the workspace on first use).
    func put(request: Request, context: BasicRequestContext) async throws -> Response {
        let path = try ConnectionPath(workspace: context.parameters.get("ws"), name: context.parameters.get("name"))
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: ConnectionInput.maxBodyBytes)
        } catch {
            throw BrokerError.badRequest("the body is larger than \(ConnectionInput.maxBodyBytes) bytes")
        }
        let input = try ConnectionInput(json: Array(buffer: body), providers: Set(configuration.providers.keys), now: configuration.now())
        return try await mapped(path, logger: context.logger) {
            let labels = [TokenRefresher.providerLabel: input.provider]
            let info: SecretVersionInfo
            do {
                info = try await vault.workspace(path.workspace).putOAuthToken(path.secretName, input.token, labels: labels)
            } catch VaultError.workspaceNotFound {
                do {
                    try await vault.createWorkspace(path.workspace)
                    context.logger.info("created workspace", metadata: ["workspace": "\(path.workspace)"])
                } catch VaultError.workspaceExists {
                    // Another request created it first.
                }
                info = try await vault.workspace(path.workspace).putOAuthToken(path.secretName, input.token, labels: labels)
            }
            context.logger.info("stored connection", metadata: [
                "workspace": "\(path.workspace)", "connection": "\(path.name)", "version": "\(info.version)", "provider": "\(input.provider)",
            ])
            let summary = ConnectionSummary(workspace: path.workspace, connection: path.name, version: info.version, metadata: info.metadata, now: configuration.now())
            return try json(summary, status: info.version == 1 ? .created : .ok)
        }
    }

    /// A usable access token, refreshed first when it expires within the skew window.
    func get(request: Request, context: BasicRequestContext) async throws -> Response {
        let path = try ConnectionPath(workspace: context.parameters.get("ws"), name: context.parameters.get("name"))
        return try await mapped(path, logger: context.logger) {
            let usable = try await refresher.usableToken(path, logger: context.logger)
            var response = try json(ConnectionToken(path: path, usable: usable), status: .ok)
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    /// The workspace's connections, or with `expiring_within=DURATION` those expiring within it.
    func list(request: Request, context: BasicRequestContext) async throws -> Response {
        let workspace = try ConnectionPath.workspace(context.parameters.get("ws"))
        let window = try Self.duration(request, parameter: "expiring_within")
        return try await mapped(nil, workspace: workspace, logger: context.logger) {
            let now = configuration.now()
            let limit = window.map { now.addingTimeInterval($0.timeInterval) }
            let connections = try await vault.workspace(workspace).list().compactMap { secret -> ConnectionSummary? in
                guard secret.liveVersionCount > 0, secret.metadata.kind == .oauthToken,
                      let name = ConnectionPath.connectionName(ofSecret: secret.name) else { return nil }
                if let limit {
                    guard let expiresAt = secret.metadata.expiresAt, expiresAt <= limit else { return nil }
                }
                return ConnectionSummary(workspace: workspace, connection: name, version: secret.currentVersion, metadata: secret.metadata, now: now)
            }
            return try json(["connections": connections], status: .ok)
        }
    }

    /// Connections of every workspace expiring within `within` (default 7d), soonest first:
    /// `Vault.expiringSecrets(within:)`. On PostgreSQL it needs the maintenance role.
    func expiring(request: Request, context: BasicRequestContext) async throws -> Response {
        let window = try Self.duration(request, parameter: "within") ?? .seconds(7 * 86_400)
        do {
            let now = configuration.now()
            let connections = try await vault.expiringSecrets(within: window).compactMap { entry -> ConnectionSummary? in
                guard entry.kind == .oauthToken, let name = ConnectionPath.connectionName(ofSecret: entry.name) else { return nil }
                var metadata = SecretMetadata(kind: entry.kind, labels: entry.labels)
                metadata.expiresAt = entry.expiresAt
                return ConnectionSummary(workspace: entry.workspace, connection: name, version: entry.version, metadata: metadata, now: now)
            }
            return try json(["connections": connections], status: .ok)
        } catch {
            let mapped = BrokerError.from(error, workspace: "*", connection: nil)
            context.logger.warning("expiring list failed", metadata: ["status": "\(mapped.status.code)", "error.type": "\(type(of: error))"])
            throw mapped
        }
    }

    /// Runs `body`, turning vault errors into HTTP errors for `path` and logging the failure
    /// (server-side failures at warning level with the vault's message, which never holds a value).
    private func mapped(
        _ path: ConnectionPath?, workspace: String? = nil, logger: Logger, _ body: () async throws -> Response
    ) async throws -> Response {
        do {
            return try await body()
        } catch {
            let mapped = BrokerError.from(error, workspace: path?.workspace ?? workspace ?? "", connection: path?.name)
            // Vault and broker errors name workspaces, secrets and versions only; anything
            // else (a foreign error could quote input) is logged by its type.
            let detail = error is VaultError || error is BrokerError ? "\(error)" : "\(type(of: error))"
            let metadata: Logger.Metadata = [
                "workspace": "\(path?.workspace ?? workspace ?? "")", "connection": "\(path?.name ?? "")",
                "status": "\(mapped.status.code)", "error": "\(detail)",
            ]
            if mapped.status.code >= 500 {
                logger.warning("request failed", metadata: metadata)
            } else {
                logger.debug("request refused", metadata: metadata)
            }
            throw mapped
        }
    }

    /// A checked duration query parameter (CofferInput's duration form, 0s to 36500d), nil when absent.
    static func duration(_ request: Request, parameter: String) throws(BrokerError) -> Duration? {
        let values = request.uri.queryParameters[values: Substring(parameter)]
        guard let text = values.first else { return nil }
        guard values.count == 1 else { throw .badRequest("\(parameter) may be given once") }
        guard text.utf8.count <= maxDurationText else { throw .badRequest("\(parameter) must be a duration: \(DurationParser.form)") }
        do {
            return try DurationParser.parse(String(text), allowZero: true)
        } catch {
            throw .badRequest("\(parameter) \(error.message)")
        }
    }

    /// A JSON response.
    private func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
