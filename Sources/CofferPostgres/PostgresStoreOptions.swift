extension PostgresStore {
    /// How a ``PostgresStore`` uses its database, beyond the two connection configurations.
    public struct Options: Sendable {
        /// The PostgreSQL schema (namespace) holding Coffer's tables: lowercase letters, digits
        /// and `_`, starting with a letter or `_`, at most 63 bytes. Default `coffer`.
        public var schema: String
        /// The role that migrations grant the application's table privileges to; nil (the
        /// default) means the user name of the application configuration. Name a group role here
        /// when several application login roles share it (docs/POSTGRES.md).
        public var applicationRole: String?
        /// How many times a transaction is tried when PostgreSQL aborts it with a serialization
        /// failure or a deadlock (SQLSTATE 40001, 40P01) before the store gives up with
        /// ``Coffer/VaultError/storeUnavailable(_:)``. Default 5.
        public var maxAttempts: Int
        /// Whether opening the store applies pending schema migrations (needs the maintenance
        /// configuration). When false, or without a maintenance configuration, opening only checks
        /// that the schema is installed and current. Default true.
        public var migrate: Bool

        /// Options with the given values.
        public init(schema: String = "coffer", applicationRole: String? = nil, maxAttempts: Int = 5, migrate: Bool = true) {
            self.schema = schema
            self.applicationRole = applicationRole
            self.maxAttempts = maxAttempts
            self.migrate = migrate
        }
    }
}
