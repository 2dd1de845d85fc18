import ArgumentParser
import Coffer
import CofferCrypto

/// The documented exit codes of `coffer` (sysexits-style, one per kind of failure).
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    /// Bad arguments or options (argument-parser's validation code).
    case usage = 64
    /// The input is not acceptable: malformed document, empty or oversized value; or a data
    /// key cannot be retired or destroyed because stored secret versions still use it.
    case invalidInput = 65
    /// The workspace, secret or file does not exist.
    case notFound = 66
    /// The store, or the service holding the KEK (a KMS), cannot be reached or opened.
    case storeUnavailable = 69
    /// Unexpected internal failure.
    case software = 70
    /// A check-and-set write found a different current version, or a data key reached its
    /// encryption limit (retry: the next write rotates).
    case conflict = 75
    /// Authentication failed: wrong KEK or passphrase, or tampered data.
    case authenticationFailed = 77
    /// The KEK configuration is unusable (missing or unprotected key file, bad variable).
    case configuration = 78

    static var summary: String {
        "0 ok, 64 usage, 65 invalid input (or data key still in use: re-encrypt first), 66 not found, "
            + "69 store or KMS unavailable, 70 internal error, 75 check-and-set conflict (or data key exhausted: retry), 77 authentication failed (wrong KEK or tampered data), "
            + "78 KEK configuration error."
    }
}

/// A failure the CLI reports with one clear line and a documented exit code.
struct CLIFailure: Error, CustomStringConvertible {
    let status: ExitStatus
    let message: String
    var description: String { message }

    static func from(_ error: any Error) -> CLIFailure {
        if let failure = error as? CLIFailure { return failure }
        if let vault = error as? VaultError { return from(vault) }
        guard let crypto = error as? CofferCryptoError else {
            return CLIFailure(status: .software, message: "\(error)")
        }
        switch crypto {
        case .authenticationFailed:
            return CLIFailure(
                status: .authenticationFailed,
                message: "\(crypto). Check that --kek / COFFER_KEK names the key the data was sealed with.")
        case .wrongPassphrase:
            return CLIFailure(status: .authenticationFailed, message: "\(crypto)")
        case .malformedHeader, .invalidContext, .messageTooLarge, .invalidBundle:
            return CLIFailure(status: .invalidInput, message: "\(crypto)")
        case .bundleAuthenticationFailed:
            return CLIFailure(status: .authenticationFailed, message: "\(crypto)")
        case .invalidKey, .kekUnavailable:
            return CLIFailure(status: .configuration, message: "\(crypto)")
        case .kekServiceUnavailable:
            return CLIFailure(status: .storeUnavailable, message: "\(crypto)")
        case .libraryFailure:
            return CLIFailure(status: .software, message: "\(crypto)")
        @unknown default:
            return CLIFailure(status: .software, message: "\(crypto)")
        }
    }
}

extension CLIFailure {
    static func from(_ error: VaultError) -> CLIFailure {
        let status: ExitStatus
        switch error {
        case .invalidName: status = .usage
        case .workspaceNotFound, .secretNotFound, .versionNotFound, .versionDeleted: status = .notFound
        case .workspaceDeleted, .workspaceShredded, .retentionExpired: status = .notFound
        case .invalidImport: status = .invalidInput
        case .checkAndSetConflict, .dataKeyExhausted: status = .conflict
        case .dataKeyInUse: status = .invalidInput
        case .dataKeyNotFound: status = .notFound
        case .workspaceExists, .emptyValue, .valueTooLarge, .invalidValue: status = .invalidInput
        case .authenticationFailed, .wrongKEK, .bundleAuthenticationFailed: status = .authenticationFailed
        case .keyUnavailable: status = .configuration
        case .storeUnavailable, .storeCorrupted, .kekServiceUnavailable: status = .storeUnavailable
        @unknown default: status = .software
        }
        return CLIFailure(status: status, message: error.description)
    }
}

extension ParsableCommand {
    /// Runs `body`, turning any failure into one line on stderr and a documented exit code.
    static func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
            await OpenStores.closeAll()
        } catch let error as ExitCode {
            await OpenStores.closeAll()
            throw error
        } catch {
            await OpenStores.closeAll()
            let failure = CLIFailure.from(error)
            Terminal.printError("coffer: \(failure.message)")
            throw ExitCode(failure.status.rawValue)
        }
    }
}
