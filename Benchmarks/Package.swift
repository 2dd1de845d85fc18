// swift-tools-version: 6.1
// Benchmarks of Coffer's seal/open hot path with ordo-one/benchmark.
// Run from this directory:  swift package --disable-sandbox benchmark
import PackageDescription

let package = Package(
    name: "coffer-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "coffer", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "EnvelopeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CofferCrypto", package: "coffer"),
            ],
            path: "Benchmarks/EnvelopeBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
