// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "coffer",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CofferCrypto", targets: ["CofferCrypto"]),
        .library(name: "CofferInput", targets: ["CofferInput"]),
        .library(name: "Coffer", targets: ["Coffer"]),
        .library(name: "CofferSQLite", targets: ["CofferSQLite"]),
        .library(name: "CofferStoreConformance", targets: ["CofferStoreConformance"]),
        .library(name: "CofferPostgres", targets: ["CofferPostgres"]),
        .library(name: "CofferAWSKMS", targets: ["CofferAWSKMS"]),
        .library(name: "CofferPKCS11", targets: ["CofferPKCS11"]),
        .library(name: "CofferService", targets: ["CofferService"]),
        .executable(name: "coffer", targets: ["CofferCLI"]),
        .executable(name: "coffer-bench", targets: ["CofferBench"]),
        .executable(name: "coffer-vault-bench", targets: ["CofferVaultBench"]),
        .executable(name: "coffer-rotation-bench", targets: ["CofferRotationBench"]),
        .executable(name: "coffer-postgres-bench", targets: ["CofferPostgresBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // `swift package generate-documentation` (scripts/docs.sh): the DocC catalogs of
        // CofferCrypto and Coffer. A command plugin: nothing of it is linked into Coffer.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
    ],
    targets: [
        // System libraries, found through pkg-config. Only CofferCrypto imports them.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        // The Cryptoki header only (p11-kit's pkcs11.h); CofferPKCS11 dlopens the token's module.
        .systemLibrary(name: "CPKCS11", pkgConfig: "p11-kit-1", providers: [.apt(["libp11-kit-dev"])]),

        .target(
            name: "CofferCrypto",
            dependencies: [
                "COpenSSL", "CSodium",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Parsers of outside text (durations, RFC 3339 dates, PostgreSQL URLs): pure Swift with no
        // dependency, range-checked, fuzzable (docs/SECURITY.md).
        .target(name: "CofferInput", swiftSettings: strict),
        .target(
            name: "Coffer",
            dependencies: [
                "CofferCrypto", "CofferInput",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CofferSQLite",
            dependencies: [
                "Coffer",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API, for the store's hot read path (SQLiteReader).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The PostgreSQL store: many instances share one database; row-level security isolates
        // workspaces inside it (docs/POSTGRES.md).
        .target(
            name: "CofferPostgres",
            dependencies: [
                "Coffer", "CofferInput",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // A KEK held in AWS KMS (or any KMS-compatible endpoint): SigV4-signed JSON calls over
        // async-http-client; HMAC/SHA-256 come from CofferCrypto's OpenSSL calls (docs/KMS.md).
        .target(
            name: "CofferAWSKMS",
            dependencies: [
                "CofferCrypto", "CofferInput",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        // A KEK inside a PKCS#11 token (an HSM, SoftHSM2): the module is loaded with dlopen and
        // AES-GCM runs in the token (docs/HSM.md).
        .target(
            name: "CofferPKCS11",
            dependencies: [
                "CPKCS11", "CofferCrypto", "CofferInput",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        // A Vault as a swift-service-lifecycle Service (audit flush, cache sweep, scheduled jobs,
        // graceful shutdown). A separate product so the CLI does not link ServiceLifecycle
        // (docs/ARCHITECTURE.md).
        .target(
            name: "CofferService",
            dependencies: [
                "Coffer",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The behaviour every SecretStore must show, as checks any store's tests can run.
        .target(
            name: "CofferStoreConformance",
            dependencies: ["Coffer"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "CofferCLI",
            dependencies: [
                "Coffer", "CofferCrypto", "CofferInput", "CofferSQLite", "CofferPostgres", "CofferAWSKMS", "CofferPKCS11",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "CofferBench",
            dependencies: ["CofferCrypto"],
            swiftSettings: strict
        ),
        // Vault put/get on SQLite next to raw GRDB insert/select, in one process (BENCHMARKS.md).
        .executableTarget(
            name: "CofferVaultBench",
            dependencies: [
                "CofferBenchSupport", "Coffer", "CofferCrypto", "CofferSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        // Timing statistics shared by the vault benches.
        .target(name: "CofferBenchSupport", swiftSettings: strict),
        // Re-encryption of N secrets and KEK rotation over many workspaces on SQLite (BENCHMARKS.md).
        .executableTarget(
            name: "CofferRotationBench",
            dependencies: [
                "Coffer", "CofferCrypto", "CofferSQLite", "CofferAWSKMS", "CofferPKCS11",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Vault put/get on PostgreSQL next to raw PostgresNIO insert/select, in one process, single
        // connection and at concurrency 16 (BENCHMARKS.md).
        .executableTarget(
            name: "CofferPostgresBench",
            dependencies: [
                "CofferBenchSupport", "Coffer", "CofferCrypto", "CofferPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Child process of the SQLite multi-process test (hammers one database file) and of the
        // PostgreSQL two-process vault test (--postgres-vault).
        .executableTarget(
            name: "coffer-store-stress",
            dependencies: [
                "Coffer", "CofferCrypto", "CofferSQLite", "CofferPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/CofferStoreStress",
            swiftSettings: strict
        ),
        // Test helpers shared by the test targets (pyca-made Fernet tokens, a local KMS, the
        // KEK-rotation CLI scenario). Captured logs: swift-log's InMemoryLogging product.
        .target(
            name: "CofferTestSupport",
            dependencies: ["Coffer", "CofferAWSKMS", "CofferCrypto", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CofferInputTests",
            dependencies: ["CofferInput"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CofferCryptoTests",
            dependencies: ["CofferCrypto", "CofferTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CofferSQLiteTests",
            dependencies: [
                "CofferSQLite", "CofferStoreConformance", "coffer-store-stress",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CofferPostgresTests",
            dependencies: [
                "Coffer", "CofferCrypto", "CofferPostgres", "CofferStoreConformance", "coffer-store-stress", "CofferCLI", "CofferTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CofferAWSKMSTests",
            dependencies: [
                "CofferAWSKMS", "Coffer", "CofferCrypto", "CofferSQLite", "CofferTestSupport", "CofferCLI",
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CofferPKCS11Tests",
            dependencies: [
                "CofferPKCS11", "Coffer", "CofferCrypto", "CofferInput", "CofferSQLite", "CofferTestSupport", "CofferCLI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CofferVaultTests",
            dependencies: [
                "Coffer", "CofferSQLite", "CofferStoreConformance", "CofferTestSupport", "coffer-store-stress",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CofferServiceTests",
            dependencies: [
                "CofferService", "Coffer", "CofferCrypto", "CofferSQLite",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CofferCLITests",
            dependencies: ["Coffer", "CofferCrypto", "CofferSQLite", "CofferTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
