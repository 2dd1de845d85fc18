import CofferCrypto
import CofferPKCS11
import CofferTestSupport
import Foundation
import Logging
import Testing

/// The suites that use the shared SoftHSM2 token, one at a time: one of them deletes and
/// re-creates a token with `softhsm2-util`, which must not happen while another suite's
/// `coffer` child process is reading the token directory.
@Suite(.serialized) enum PKCS11TokenTests {}

/// The SoftHSM2 token the test script makes (scripts/hsm.sh), named by `SOFTHSM2_CONF` and
/// `COFFER_TEST_PKCS11_*`. Without them the PKCS#11 suites are skipped.
enum LocalHSM {
    static let environment = ProcessInfo.processInfo.environment
    static let module = environment["COFFER_TEST_PKCS11_MODULE"].flatMap { $0.isEmpty ? nil : $0 }
    static let token = environment["COFFER_TEST_PKCS11_TOKEN"] ?? "coffer"
    static let pinFile = environment["COFFER_TEST_PKCS11_PIN_FILE"].flatMap { $0.isEmpty ? nil : $0 }
    static var available: Bool { module != nil && pinFile != nil && environment["SOFTHSM2_CONF"] != nil }
    static let skipReason: Comment = "no SoftHSM2 token: run eval \"$(bash scripts/hsm.sh start)\" (SOFTHSM2_CONF, COFFER_TEST_PKCS11_MODULE, COFFER_TEST_PKCS11_PIN_FILE)"

    static let logger = Logger(label: "coffer.pkcs11-tests") { _ in SwiftLogNoOpLogHandler() }

    /// The URI of key `object` in the test token, with the test PIN file (or `pinFile`).
    static func uri(object: String, pinFile: String? = nil) throws -> PKCS11URI {
        try PKCS11URI(token: token, object: object, modulePath: module ?? "/none", pin: .file(path: pinFile ?? self.pinFile ?? "/none"))
    }

    /// A fresh label, so every test has a key of its own in the shared token.
    static func newLabel(_ prefix: String = "kek") -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A new AES key in the token; its URI.
    static func createKey(_ prefix: String = "kek") throws -> PKCS11URI {
        let uri = try uri(object: newLabel(prefix))
        _ = try PKCS11KEKProvider.generateKey(uri: uri)
        return uri
    }

    static func provider(_ uri: PKCS11URI, sessions: Int = 4) throws -> PKCS11KEKProvider {
        try PKCS11KEKProvider(uri: uri, sessions: sessions, logger: logger)
    }

    /// The user PIN of the test token.
    static func pin() throws -> String {
        try String(contentsOfFile: pinFile ?? "/none", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `softhsm2-util` (another process, as an operator would) on the test token directory.
    static func softhsmUtil(_ arguments: [String]) throws {
        let tool = try #require(["/usr/bin/softhsm2-util", "/usr/local/bin/softhsm2-util"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                "softhsm2-util is not installed: run scripts/install-deps.sh")
        let r = try ChildProcess.run(URL(fileURLWithPath: tool), arguments, environment: ["SOFTHSM2_CONF": environment["SOFTHSM2_CONF"] ?? ""])
        try #require(r.status == 0, "softhsm2-util \(arguments.first ?? ""): \(r.stderr)")
    }

    /// A temporary directory.
    static func tempDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-hsm-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A PIN file holding `text`, with `mode`.
    static func pinFile(_ text: String, mode: Int = 0o600) throws -> String {
        let path = try tempDirectory().appendingPathComponent("pin").path
        try (text + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }
}
