#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPKCS11
import CofferCrypto

/// A PKCS#11 module loaded with `dlopen` and initialised (`C_Initialize` with
/// `CKF_OS_LOCKING_OK`) once per process: ``shared(path:)`` hands every caller naming the same
/// path the same instance, which is never unloaded (other threads may be inside it).
final class PKCS11Module: @unchecked Sendable {
    // @unchecked Sendable, proof: `functions` and `path` are set once in init and never
    // written again; the function list they point at is owned by the module, constant after
    // C_Initialize, and the module was initialised with CKF_OS_LOCKING_OK, so its functions
    // may be called from any thread at once (PKCS#11 v2.40 §6.7.6). Sessions, the only
    // per-caller state, are owned by PKCS11SessionPool, which hands each to one task at a time.
    let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    let path: String

    private static let loaded = PosixMutex<[String: PKCS11Module]>([:])

    /// The module at `path`, loaded and initialised on first use.
    /// - Throws: ``CofferCrypto/CofferCryptoError/kekUnavailable(_:)`` when it cannot be loaded
    ///   or does not initialise.
    static func shared(path: String) throws -> PKCS11Module {
        try loaded.withLock { modules in
            if let module = modules[path] { return module }
            let module = try PKCS11Module(path: path)
            modules[path] = module
            return module
        }
    }

    private init(path: String) throws {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw CofferCryptoError.kekUnavailable("cannot load the PKCS#11 module \(path): \(why); check module-path (Debian SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)")
        }
        guard let symbol = dlsym(handle, "C_GetFunctionList") else {
            throw CofferCryptoError.kekUnavailable("\(path) is not a PKCS#11 module (no C_GetFunctionList)")
        }
        typealias GetFunctionList = @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<CK_FUNCTION_LIST>?>?) -> CK_RV
        let getFunctionList = unsafeBitCast(symbol, to: GetFunctionList.self)
        var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
        let rv = getFunctionList(&list)
        guard rv == CKR_OK, let list, list.pointee.version.major == 2 else {
            throw CofferCryptoError.kekUnavailable("the PKCS#11 module \(path) gave no usable function list (\(Self.name(of: rv)))")
        }
        var args = CK_C_INITIALIZE_ARGS()
        args.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
        let initRV = list.pointee.C_Initialize(&args)
        // Another library in this process may have initialised the module already: fine.
        guard initRV == CKR_OK || initRV == CKR_CRYPTOKI_ALREADY_INITIALIZED else {
            throw CofferCryptoError.kekUnavailable("the PKCS#11 module \(path) did not initialise (\(Self.name(of: initRV))); check its configuration (SoftHSM2: SOFTHSM2_CONF)")
        }
        self.functions = list
        self.path = path
    }

    /// The Cryptoki name of a return value, for messages (`CKR_PIN_INCORRECT`), or its hex.
    static func name(of rv: CK_RV) -> String {
        let names: [CK_RV: String] = [
            CK_RV(CKR_OK): "CKR_OK", CK_RV(CKR_GENERAL_ERROR): "CKR_GENERAL_ERROR", CK_RV(CKR_FUNCTION_FAILED): "CKR_FUNCTION_FAILED",
            CK_RV(CKR_ARGUMENTS_BAD): "CKR_ARGUMENTS_BAD", CK_RV(CKR_DEVICE_ERROR): "CKR_DEVICE_ERROR",
            CK_RV(CKR_DEVICE_REMOVED): "CKR_DEVICE_REMOVED", CK_RV(CKR_TOKEN_NOT_PRESENT): "CKR_TOKEN_NOT_PRESENT",
            CK_RV(CKR_TOKEN_NOT_RECOGNIZED): "CKR_TOKEN_NOT_RECOGNIZED", CK_RV(CKR_SESSION_HANDLE_INVALID): "CKR_SESSION_HANDLE_INVALID",
            CK_RV(CKR_SESSION_CLOSED): "CKR_SESSION_CLOSED", CK_RV(CKR_SESSION_COUNT): "CKR_SESSION_COUNT",
            CK_RV(CKR_PIN_INCORRECT): "CKR_PIN_INCORRECT", CK_RV(CKR_PIN_LOCKED): "CKR_PIN_LOCKED",
            CK_RV(CKR_PIN_EXPIRED): "CKR_PIN_EXPIRED", CK_RV(CKR_PIN_LEN_RANGE): "CKR_PIN_LEN_RANGE",
            CK_RV(CKR_USER_NOT_LOGGED_IN): "CKR_USER_NOT_LOGGED_IN", CK_RV(CKR_USER_PIN_NOT_INITIALIZED): "CKR_USER_PIN_NOT_INITIALIZED",
            CK_RV(CKR_MECHANISM_INVALID): "CKR_MECHANISM_INVALID", CK_RV(CKR_MECHANISM_PARAM_INVALID): "CKR_MECHANISM_PARAM_INVALID",
            CK_RV(CKR_KEY_HANDLE_INVALID): "CKR_KEY_HANDLE_INVALID", CK_RV(CKR_OBJECT_HANDLE_INVALID): "CKR_OBJECT_HANDLE_INVALID",
            CK_RV(CKR_KEY_FUNCTION_NOT_PERMITTED): "CKR_KEY_FUNCTION_NOT_PERMITTED", CK_RV(CKR_KEY_TYPE_INCONSISTENT): "CKR_KEY_TYPE_INCONSISTENT",
            CK_RV(CKR_ENCRYPTED_DATA_INVALID): "CKR_ENCRYPTED_DATA_INVALID", CK_RV(CKR_ENCRYPTED_DATA_LEN_RANGE): "CKR_ENCRYPTED_DATA_LEN_RANGE",
            CK_RV(CKR_TEMPLATE_INCONSISTENT): "CKR_TEMPLATE_INCONSISTENT", CK_RV(CKR_ATTRIBUTE_VALUE_INVALID): "CKR_ATTRIBUTE_VALUE_INVALID",
            CK_RV(CKR_CRYPTOKI_NOT_INITIALIZED): "CKR_CRYPTOKI_NOT_INITIALIZED", CK_RV(CKR_BUFFER_TOO_SMALL): "CKR_BUFFER_TOO_SMALL",
            CK_RV(CKR_SLOT_ID_INVALID): "CKR_SLOT_ID_INVALID", CK_RV(CKR_TOKEN_WRITE_PROTECTED): "CKR_TOKEN_WRITE_PROTECTED",
        ]
        if let name = names[rv] { return name }
        return "CK_RV 0x" + String(rv, radix: 16)
    }

    /// Return values after which a session (or the login, or the token) is gone and a fresh
    /// session, logged in again, may succeed.
    static func isLostSession(_ rv: CK_RV) -> Bool {
        [CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT,
         CKR_USER_NOT_LOGGED_IN, CKR_KEY_HANDLE_INVALID, CKR_OBJECT_HANDLE_INVALID, CKR_TOKEN_NOT_RECOGNIZED]
            .map { CK_RV($0) }.contains(rv)
    }
}
