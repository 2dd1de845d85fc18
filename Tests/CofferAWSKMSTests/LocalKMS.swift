#if canImport(Glibc)
import Glibc
#endif
import CofferAWSKMS
import CofferCrypto
import CofferTestSupport
import Foundation
import Logging
import Testing

/// The KMS-compatible endpoint the test script starts (moto_server on loopback,
/// scripts/kms.sh), named by `COFFER_TEST_KMS_URL`. Without it the KMS suites are skipped.
enum LocalKMS {
    static let url = LocalKMSServer.url
    static var available: Bool { LocalKMSServer.available }

    static let logger = Logger(label: "coffer.kms-tests") { _ in SwiftLogNoOpLogHandler() }

    static func environment(endpoint: String? = nil, timeout: String = "5s") -> [String: String] {
        LocalKMSServer.environment(endpoint: endpoint, timeout: timeout)
    }

    static func provider(key: String, endpoint: String? = nil, timeout: String = "5s", logger: Logger = logger) throws -> AWSKMSKEKProvider {
        try AWSKMSKEKProvider(uri: "aws-kms:" + key, environment: environment(endpoint: endpoint, timeout: timeout), logger: logger)
    }

    static func createKey() async throws -> String { try await LocalKMSServer.createKey() }

    static func disableKey(_ arn: String) async throws {
        // moto's DisableKey takes the key id, not the ARN.
        _ = try await LocalKMSServer.call("DisableKey", ["KeyId": String(arn.split(separator: "/").last ?? "")])
    }

    static func createAlias(_ name: String, for arn: String) async throws {
        _ = try await LocalKMSServer.call("CreateAlias", ["AliasName": name, "TargetKeyId": arn])
    }

    /// The repository root (for scripts/).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// scripts/kms_fault_proxy.py in front of the local KMS: injects throttling and server errors,
/// and is killed to make KMS unreachable.
final class FaultProxy: @unchecked Sendable {
    // @unchecked Sendable: `process` and `port` are set in init and never mutated; Process is
    // only asked for its pid and terminated.
    let process: Process
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    init() throws {
        let upstream = try #require(LocalKMS.url)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", LocalKMS.root.appendingPathComponent("scripts/kms_fault_proxy.py").path, upstream]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0a) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Arms faults: the next `throttle` KMS requests get ThrottlingException, the next
    /// `error500` KMSInternalException.
    func arm(throttle: Int = 0, error500: Int = 0) throws {
        // A synchronous POST through python3 (which runs the proxy anyway).
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "python3", "-c",
            "import sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method='POST'), timeout=5).read()",
            url + "/__fault", "{\"throttle\": \(throttle), \"error500\": \(error500)}",
        ]
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "the fault proxy did not take the fault")
    }

    /// Kills the proxy (SIGKILL): KMS is unreachable from then on.
    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}
