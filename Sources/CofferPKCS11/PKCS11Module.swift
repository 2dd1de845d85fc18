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
///
/// Every Cryptoki call runs inside ``call(_:)``, which also gives the module's *generation*.
/// Some modules (SoftHSM2 among them) list only the tokens that existed when they were
/// initialised, so a token deleted and re-created (an HSM partition restored from backup, a
/// token re-initialised) stays invisible until the module is initialised again.
/// ``rescan(after:)`` does that — `C_Finalize` then `C_Initialize`, at most once a second and
/// only when this process initialised the module — and starts a new generation: sessions and
/// object handles of an older generation are dead, and ``call(_:)`` lets their owners see that
/// by comparing generations instead of passing a stale handle (which the new generation may
/// have given to someone else) to the module.
final class PKCS11Module: @unchecked Sendable {
    // @unchecked Sendable, proof: `functions`, `path` and `ownsInitialization` are set once in
    // init and never written again; the function list they point at is owned by the module and
    // constant; the module was initialised with CKF_OS_LOCKING_OK, so its functions may be
    // called from any thread at once (PKCS#11 v2.40 §6.7.6). `calls` is held for reading
    // around every call and for writing around re-initialisation, so no call is inside the
    // module while it is finalised; `state` is a PosixMutex. Sessions, the only per-caller
    // state, are owned by PKCS11SessionPool, which hands each to one task at a time.
    private let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    let path: String
    /// Whether `C_Initialize` in this process returned `CKR_OK` here (not
    /// `CKR_CRYPTOKI_ALREADY_INITIALIZED`): only then may this type finalise the module.
    private let ownsInitialization: Bool
    private let calls = PosixRWLock()
    private let state = PosixMutex(RescanState())

    private struct RescanState {
        var generation: UInt64 = 0
        var lastRescan: ContinuousClock.Instant?
    }

    /// Shortest time between two re-initialisations.
    static let rescanInterval: Duration = .seconds(1)

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
        self.ownsInitialization = initRV == CKR_OK
    }

    /// Runs `body` with the function list and the current generation; the module is not
    /// re-initialised while `body` runs. `body` must not call ``call(_:)`` or ``rescan(after:)``.
    func call<R>(_ body: (CK_FUNCTION_LIST, UInt64) throws -> R) rethrows -> R {
        try calls.withReadLock {
            try body(functions.pointee, state.withLock { $0.generation })
        }
    }

    /// Initialises the module again so that tokens created since the last initialisation are
    /// listed, unless another task already did so since generation `seen` (then returns true at
    /// once). Returns false, doing nothing, when this process did not initialise the module
    /// (another library owns it) or the last re-initialisation was under
    /// ``rescanInterval`` ago. Waits for the calls in progress to finish first.
    func rescan(after seen: UInt64) -> Bool {
        guard ownsInitialization else { return false }
        return calls.withWriteLock {
            let now = ContinuousClock.now
            let go = state.withLock { s -> Bool? in
                if s.generation != seen { return nil }
                if let last = s.lastRescan, now - last < Self.rescanInterval { return false }
                return true
            }
            guard let go else { return true }
            guard go else { return false }
            _ = functions.pointee.C_Finalize(nil)
            var args = CK_C_INITIALIZE_ARGS()
            args.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
            // A failure leaves the module uninitialised: calls then fail with
            // CKR_CRYPTOKI_NOT_INITIALIZED (key-encryption key unavailable) until a later rescan works.
            _ = functions.pointee.C_Initialize(&args)
            state.withLock {
                $0.generation &+= 1
                $0.lastRescan = now
            }
            return true
        }
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
