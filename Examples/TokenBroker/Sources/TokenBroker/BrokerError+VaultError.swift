import Coffer
import CofferCrypto

extension BrokerError {
    /// The HTTP answer to a vault error about connection `connection` of workspace `workspace`:
    /// 400 bad input, 404 not there, 409 conflict, 503 KEK service or store unavailable, 500
    /// for everything that means damage or misconfiguration (the detail goes to the log only).
    static func from(_ error: VaultError, workspace: String, connection: String?) -> BrokerError {
        let what = connection.map { "connection '\($0)' in workspace '\(workspace)'" } ?? "workspace '\(workspace)'"
        switch error {
        case .invalidName(let why): return .badRequest("invalid name: \(why)")
        case .invalidValue(let why): return .badRequest("invalid value: \(why)")
        case .emptyValue: return .badRequest("the token set is empty")
        case .valueTooLarge(let limit): return .badRequest("the token set is larger than \(limit) bytes")
        case .workspaceNotFound, .workspaceDeleted, .workspaceShredded: return .notFound("workspace '\(workspace)' does not exist")
        case .secretNotFound, .versionNotFound, .versionDeleted, .retentionExpired: return .notFound("\(what) does not exist")
        case .checkAndSetConflict(_, _, let expected, let actual):
            return .conflict("\(what) changed concurrently (expected version \(expected), found \(actual)); read it again and retry")
        case .workspaceExists: return .conflict("workspace '\(workspace)' already exists")
        case .kekServiceUnavailable: return .unavailable("the key-encryption key service is unavailable; retry later", retryAfterSeconds: 5)
        case .keyUnavailable: return .unavailable("the key-encryption key is unavailable", retryAfterSeconds: 5)
        case .storeUnavailable: return .unavailable("the store is unavailable; retry later", retryAfterSeconds: 5)
        case .authenticationFailed, .bundleAuthenticationFailed, .wrongKEK, .storeCorrupted, .invalidImport,
             .dataKeyExhausted, .dataKeyInUse, .dataKeyNotFound:
            return BrokerError(.internalServerError, "the vault could not serve \(what); see the broker's log")
        }
    }

    /// ``from(_:workspace:connection:)`` for any error: vault and broker errors as they are,
    /// crypto errors through the vault's mapping, anything else 500.
    static func from(_ error: any Error, workspace: String, connection: String?) -> BrokerError {
        switch error {
        case let error as BrokerError: return error
        case let error as VaultError: return from(error, workspace: workspace, connection: connection)
        case let error as CofferCryptoError: return from(VaultError(error), workspace: workspace, connection: connection)
        default: return BrokerError(.internalServerError, "internal error; see the broker's log")
        }
    }
}
