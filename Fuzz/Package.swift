// swift-tools-version: 6.1
// libFuzzer targets for Coffer's parsers of hostile input (docs/SECURITY.md, "Fuzzing").
//
// Not part of the root package, so `swift build` at the root never sees it. Build and run with
// scripts/fuzz.sh, which builds in its own scratch path (.build-fuzz) with
//   swift build --package-path Fuzz --sanitize=fuzzer --sanitize=address
// so that every Swift module (Coffer's included) gets coverage instrumentation and ASan, and the
// executables link libFuzzer's main. The targets have no `main`: a plain build does not link.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// One libFuzzer executable per parser; the entry point is `LLVMFuzzerTestOneInput`.
func fuzzer(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, swiftSettings: strict)
}

let crypto: Target.Dependency = .product(name: "CofferCrypto", package: "coffer")
let coffer: Target.Dependency = .product(name: "Coffer", package: "coffer")
let input: Target.Dependency = .product(name: "CofferInput", package: "coffer")

let package = Package(
    name: "coffer-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "coffer", path: ".."),
    ],
    targets: [
        // Invariant checks, fixed test keys, seed writing, shared by the fuzzers.
        .target(name: "FuzzSupport", dependencies: [crypto], swiftSettings: strict),
        fuzzer("FuzzCiphertextOpen", [crypto]),
        fuzzer("FuzzBundle", [crypto]),
        fuzzer("FuzzSealedFile", [crypto, coffer]),
        fuzzer("FuzzFernetToken", [crypto]),
        fuzzer("FuzzFernetImport", [crypto, coffer]),
        fuzzer("FuzzExportJSON", [crypto, coffer]),
        fuzzer("FuzzCredentialJSON", [crypto, coffer]),
        fuzzer("FuzzKEKURI", [crypto]),
        fuzzer("FuzzPostgresURL", [input]),
        fuzzer("FuzzDuration", [input]),
        fuzzer("FuzzTimestamp", [input]),
        fuzzer("FuzzKMSParsers", [input]),
        fuzzer("FuzzPKCS11Parsers", [input]),
    ],
    swiftLanguageModes: [.v6]
)
