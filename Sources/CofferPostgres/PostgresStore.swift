public import Coffer
import CofferCrypto
public import Logging
public import PostgresNIO

/// A ``RotatingSecretStore`` and ``LifecycleSecretStore`` in a PostgreSQL database shared by many
/// instances of a backend, through PostgresNIO connection pools (`PostgresClient`).
///
/// ## Two roles
/// - The **application** configuration (required) logs in as a role that owns nothing and has no
///   BYPASSRLS. Every operation that names one workspace runs in one transaction that first binds
///   it (`set_config('coffer.workspace', id, true)`); row-level security then lets that
///   transaction see and change only that workspace's rows, whatever the SQL says.
/// - The **maintenance** configuration (optional) logs in as the role that owns the schema. It
///   migrates the schema and runs the fleet-wide and operator jobs: creating and listing
///   workspaces, KEK rotation across workspaces (``dataKeys(notWrappedBy:limit:)``,
///   ``rewrapDataKeys(_:)``, ``dataKeyCountByKEK()``), re-encryption
///   (``secretVersions(workspace:sealedUnder:after:limit:)``,
///   ``replaceCiphertexts(workspace:_:encryptionLimit:)``), retirement and destruction of data
///   keys, rotation policies. Without it those methods throw
///   ``VaultError/storeUnavailable(_:)`` naming the missing configuration. Fleet-wide jobs set
///   `coffer.fleet`; maintenance operations on one workspace bind it like the application does.
///   Lifecycle: deleting, restoring and shredding one workspace and batch puts are application
///   work (workspace bound); listing deleted workspaces, purging deleted versions and audit
///   records, and re-wrapping audit keys are maintenance jobs. The audit log is store-wide:
///   the application role appends to and reads it but can never change or delete a record.
///
/// docs/POSTGRES.md shows how to provision both roles.
///
/// ## Concurrency
/// Transactions run at READ COMMITTED and take row locks in one order (workspace row, secret
/// row, data-key rows, secret-version rows), so writers in any number of instances serialize
/// exactly where they must: version numbers, check-and-set, encryption counts and data-key
/// rotation stay exact. A transaction that PostgreSQL still aborts with a serialization failure or
/// deadlock is retried (``Options/maxAttempts``); a retried put calls its `seal` closure again.
///
/// ## Lifetime
/// ``init(application:maintenance:options:logger:)`` starts the pools and checks (or migrates)
/// the schema; call ``close()`` when done, which stops the pools.
///
/// Never logs values or passwords; error messages name the server and role, never bound values.
public final class PostgresStore: RotatingSecretStore {
    /// The PostgreSQL schema holding the tables.
    public let schema: String
    let logger: Logger
    let options: Options
    let tables: Tables
    /// Version numbers puts are likely to get (the one-statement put seals before it asks).
    let versionGuesses = PostgresVersionGuesses()
    /// The audit head this instance last wrote, for one-statement appends.
    let auditHeadCache = PostgresAuditHeadCache()
    private let application: PostgresClient
    private let maintenance: PostgresClient?
    private let applicationEndpoint: PostgresErrors.Endpoint
    private let maintenanceEndpoint: PostgresErrors.Endpoint?
    private let runners: [Task<Void, Never>]

    /// Quoted, schema-qualified table names for SQL text.
    struct Tables: Sendable {
        let workspaces: String
        let dataKeys: String
        let secrets: String
        let versions: String
        let auditKeys: String
        let auditLog: String
        let auditHead: String
        let auditCheckpoint: String
        let shredFunction: String
        let readSecretVersionFunction: String
        let beginPutFunction: String
        let finishPutFunction: String
        let putSecretFunction: String
        let putSecretAuditedFunction: String

        init(schema: String) {
            let s = PostgresCoding.quoted(schema)
            workspaces = "\(s).workspaces"
            dataKeys = "\(s).data_keys"
            secrets = "\(s).secrets"
            versions = "\(s).secret_versions"
            auditKeys = "\(s).audit_keys"
            auditLog = "\(s).audit_log"
            auditHead = "\(s).audit_head"
            auditCheckpoint = "\(s).audit_checkpoint"
            shredFunction = "\(s).shred_bound_workspace"
            readSecretVersionFunction = "\(s).read_secret_version"
            beginPutFunction = "\(s).begin_put"
            finishPutFunction = "\(s).finish_put"
            putSecretFunction = "\(s).put_secret"
            putSecretAuditedFunction = "\(s).put_secret_audited"
        }
    }

    /// Which pool an operation uses.
    enum Access: Sendable {
        case application
        case maintenance
    }

    /// What a transaction binds before its first query.
    enum Binding: Sendable {
        /// Row-level security admits only this workspace's rows.
        case workspace(String)
        /// Every workspace (maintenance role only: the `fleet_maintenance` policy).
        case fleet
        /// Nothing: the transaction only touches the store-wide audit tables, which have no
        /// row-level security (their grants restrict them), so no round trip is spent binding.
        case storeWide
    }

    /// Starts the connection pools and brings the schema up to date: with a maintenance
    /// configuration (and ``Options/migrate``) pending migrations are applied and the application
    /// role is granted its privileges; otherwise the schema is only checked.
    /// - Parameters:
    ///   - application: how the application role connects (required).
    ///   - maintenance: how the maintenance role (schema owner) connects; nil for instances that
    ///     only serve workspace-scoped requests.
    /// - Throws: ``VaultError/storeUnavailable(_:)`` when a server cannot be reached or logged
    ///   into, or the schema is missing or older than this code and cannot be migrated;
    ///   ``VaultError/storeCorrupted(_:)`` when the schema is newer than this code.
    public init(
        application: PostgresClient.Configuration, maintenance: PostgresClient.Configuration?,
        options: Options = Options(), logger: Logger
    ) async throws {
        guard PostgresSchema.isValidSchemaName(options.schema) else {
            throw VaultError.invalidValue(
                "PostgreSQL schema name '\(options.schema)' must be lowercase letters, digits and _, starting with a letter or _, at most 63 bytes")
        }
        schema = options.schema
        self.options = options
        self.logger = logger
        tables = Tables(schema: options.schema)
        applicationEndpoint = PostgresErrors.Endpoint(role: "application", application)
        maintenanceEndpoint = maintenance.map { PostgresErrors.Endpoint(role: "maintenance", $0) }
        // The pools log connection churn; keep their background log to errors.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let app = PostgresClient(configuration: application, backgroundLogger: background)
        let maint = maintenance.map { PostgresClient(configuration: $0, backgroundLogger: background) }
        self.application = app
        self.maintenance = maint
        var runners = [Task { await app.run() }]
        if let maint { runners.append(Task { await maint.run() }) }
        self.runners = runners

        do {
            let schema = options.schema
            try await Self.probe(app, endpoint: applicationEndpoint, timeout: application.options.connectTimeout + .seconds(3))
            if let maint, let maintenance, let maintenanceEndpoint {
                try await Self.probe(maint, endpoint: maintenanceEndpoint, timeout: maintenance.options.connectTimeout + .seconds(3))
            }
            if let maint, let maintenanceEndpoint, options.migrate {
                let role = options.applicationRole ?? application.username
                let maintenanceUser = maintenance?.username ?? ""
                try await Self.run(maint, endpoint: maintenanceEndpoint, schema: schema, logger: logger) { connection in
                    try await connection.withTransaction(logger: logger) { connection in
                        try await PostgresSchema.migrate(
                            connection, schema: schema, applicationRole: role, maintenanceUser: maintenanceUser, logger: logger)
                    }
                }
            }
            try await Self.run(app, endpoint: applicationEndpoint, schema: schema, logger: logger) { connection in
                try await PostgresSchema.verify(connection, schema: schema, logger: logger)
            }
        } catch {
            for runner in runners { runner.cancel() }
            for runner in runners { await runner.value }
            throw error
        }
        logger.debug("PostgreSQL store open", metadata: [
            "schema": "\(schema)", "application": "\(applicationEndpoint)",
            "maintenance": "\(maintenanceEndpoint.map(String.init(describing:)) ?? "not configured")",
        ])
    }

    deinit {
        for runner in runners { runner.cancel() }
    }

    /// Stops the connection pools (open connections are closed). The store cannot be used
    /// afterwards.
    public func close() async {
        for runner in runners { runner.cancel() }
        for runner in runners { await runner.value }
    }

    /// Whether fleet-wide and operator methods are available (a maintenance configuration was
    /// given).
    public var hasMaintenanceAccess: Bool { maintenance != nil }

    // MARK: - Plumbing

    /// Waits until `client` hands out a connection. A pool retries failing connection attempts
    /// for a minute before failing its requests; this gives up after `timeout` instead.
    private static func probe(_ client: PostgresClient, endpoint: PostgresErrors.Endpoint, timeout: Duration) async throws {
        let reached: Bool
        do {
            reached = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await client.withConnection { _ in }
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                return first
            }
        } catch {
            throw PostgresErrors.map(error, endpoint: endpoint, schema: "")
        }
        if !reached {
            throw VaultError.storeUnavailable(
                "cannot connect to \(endpoint) within \(timeout): check that the server is running and accepts connections at that address, that the database exists, and the user name and password of the \(endpoint.role) configuration (and pg_hba.conf)")
        }
    }

    /// Runs `body` on a pooled connection, mapping failures (not retried).
    private static func run<T: Sendable>(
        _ client: PostgresClient, endpoint: PostgresErrors.Endpoint, schema: String, logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw PostgresErrors.map(error, endpoint: endpoint, schema: schema)
        }
    }

    /// Runs `body` — one statement that binds its own workspace, in its own implicit
    /// transaction — on an application connection, mapping failures. Not retried: a single
    /// read at READ COMMITTED meets no serialization failure.
    func statement<T: Sendable>(operation: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.run(application, endpoint: applicationEndpoint, schema: schema, logger: logger, body)
    }

    /// Runs `body` on an application connection without mapping its errors (the caller decides
    /// what to retry, then maps with ``applicationEndpointForErrors``).
    func rawStatement<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await application.withConnection { connection in try await body(connection) }
    }

    /// The application endpoint, for mapping errors of ``rawStatement(_:)``.
    var applicationEndpointForErrors: PostgresErrors.Endpoint { applicationEndpoint }

    /// Runs `body` in one transaction on the `access` pool after binding `binding`; retries the
    /// whole transaction on serialization failures and deadlocks.
    /// - Throws: ``VaultError/storeUnavailable(_:)`` for maintenance access without a maintenance
    ///   configuration (naming `operation`), for connection failures and after the last attempt.
    func transaction<T: Sendable>(
        _ access: Access, _ binding: Binding, operation: String,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let client: PostgresClient
        let endpoint: PostgresErrors.Endpoint
        switch access {
        case .application:
            client = application
            endpoint = applicationEndpoint
        case .maintenance:
            guard let maintenance, let maintenanceEndpoint else {
                throw VaultError.storeUnavailable(
                    "\(operation) needs the PostgreSQL maintenance role, but this PostgresStore was opened without a maintenance configuration; run it from an operator job configured with the maintenance role (docs/POSTGRES.md)")
            }
            client = maintenance
            endpoint = maintenanceEndpoint
        }
        let logger = self.logger
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    switch binding {
                    case .workspace(let id):
                        try await connection.query("SELECT set_config('coffer.workspace', \(id), true)", logger: logger)
                    case .fleet:
                        try await connection.query("SELECT set_config('coffer.fleet', 'on', true)", logger: logger)
                    case .storeWide:
                        break
                    }
                    return try await body(connection)
                }
            } catch {
                let inner = PostgresErrors.unwrap(error)
                if PostgresErrors.isRetryable(inner) && attempt < max(1, options.maxAttempts) {
                    logger.debug("PostgreSQL transaction retried", metadata: [
                        "operation": "\(operation)", "attempt": "\(attempt)",
                        "sqlstate": "\(PostgresErrors.sqlState(inner) ?? "")",
                    ])
                    try await Task.sleep(for: .milliseconds(UInt64.random(in: 1...(5 << min(attempt, 5)))))
                    continue
                }
                throw PostgresErrors.map(inner, endpoint: endpoint, schema: schema)
            }
        }
    }
}
