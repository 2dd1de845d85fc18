// swift-tools-version: 6.1
import PackageDescription

// A multi-tenant OAuth token broker on Coffer: a Hummingbird 2 service (README.md).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "TokenBroker",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "token-broker", targets: ["token-broker"]),
    ],
    dependencies: [
        // Named, so the products resolve whatever the checkout folder of the repository is called.
        .package(name: "coffer", path: "../.."),
        // No default traits: the broker needs neither swift-configuration nor full Foundation,
        // and leaving them out keeps the example's cold build (and CI) shorter.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The broker as a library: routes, the refresh claim, the stores, the application.
        .target(
            name: "TokenBroker",
            dependencies: [
                .product(name: "Coffer", package: "coffer"),
                .product(name: "CofferInput", package: "coffer"),
                .product(name: "CofferSQLite", package: "coffer"),
                .product(name: "CofferPostgres", package: "coffer"),
                .product(name: "CofferService", package: "coffer"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The executable: flags, logging and metrics bootstrap, then the ServiceGroup.
        .executableTarget(
            name: "token-broker",
            dependencies: [
                "TokenBroker",
                .product(name: "Coffer", package: "coffer"),
                .product(name: "CofferCrypto", package: "coffer"),
                .product(name: "CofferInput", package: "coffer"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TokenBrokerTests",
            dependencies: [
                "TokenBroker",
                .product(name: "Coffer", package: "coffer"),
                .product(name: "CofferCrypto", package: "coffer"),
                .product(name: "CofferSQLite", package: "coffer"),
                .product(name: "CofferPostgres", package: "coffer"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
