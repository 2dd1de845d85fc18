import CPKCS11
import CofferCrypto

/// The token and key named by a ``CofferCrypto/PKCS11URI``, reached through its module: opens
/// logged-in sessions, finds the KEK object, runs AES-GCM in the token and creates the key.
///
/// Every failure to reach the module, the token, the login or the key is
/// ``CofferCrypto/CofferCryptoError/kekUnavailable(_:)`` naming the Cryptoki return value; the
/// PIN is never part of a message.
struct PKCS11Token: Sendable {
    let uri: PKCS11URI
    let module: PKCS11Module

    /// Longest PIN file.
    static let maxPINFileBytes = 4096

    init(uri: PKCS11URI) throws {
        self.uri = uri
        self.module = try PKCS11Module.shared(path: uri.modulePath)
    }

    /// A session handle and the module generation it was opened in (``PKCS11Module/call(_:)``):
    /// a handle of an older generation is dead and never reaches the module again.
    struct Session: Sendable {
        let handle: CK_SESSION_HANDLE
        let generation: UInt64
    }

    /// The token was not in the slot list of module generation `generation`.
    private struct TokenNotFound: Error {
        let error: CofferCryptoError
        let generation: UInt64
    }

    /// Return value standing for a session of an older module generation.
    static let staleSession = CK_RV(CKR_SESSION_HANDLE_INVALID)

    // MARK: Sessions

    /// A new session on the token, logged in as the user. When no token has the URI's label
    /// the module is initialised again once (``PKCS11Module/rescan(after:)``), so a token
    /// deleted and re-created since is found without a restart.
    func openSession(readWrite: Bool = false) throws -> Session {
        var rescanned = false
        while true {
            do {
                return try module.call { f, generation in
                    Session(handle: try openSession(f, generation: generation, readWrite: readWrite), generation: generation)
                }
            } catch let missing as TokenNotFound {
                guard !rescanned, module.rescan(after: missing.generation) else { throw missing.error }
                rescanned = true
            }
        }
    }

    private func openSession(_ f: CK_FUNCTION_LIST, generation: UInt64, readWrite: Bool) throws -> CK_SESSION_HANDLE {
        let slot = try findSlot(f, generation: generation)
        var session: CK_SESSION_HANDLE = 0
        let flags = CK_FLAGS(CKF_SERIAL_SESSION) | (readWrite ? CK_FLAGS(CKF_RW_SESSION) : 0)
        let rv = f.C_OpenSession(slot, flags, nil, nil, &session)
        guard rv == CKR_OK else {
            throw CofferCryptoError.kekUnavailable("cannot open a session on PKCS#11 token \"\(uri.token)\" (\(PKCS11Module.name(of: rv)))")
        }
        do {
            try login(f, session)
        } catch {
            _ = f.C_CloseSession(session)
            throw error
        }
        return session
    }

    /// Closes `session`, unless it belongs to an older module generation (then it is gone
    /// already, and its handle may now be someone else's).
    func closeSession(_ session: Session) {
        module.call { f, generation in
            if session.generation == generation { _ = f.C_CloseSession(session.handle) }
        }
    }

    /// The slot whose token has the URI's label. Looked up on every new session, so a token
    /// re-created in another slot is found again.
    private func findSlot(_ f: CK_FUNCTION_LIST, generation: UInt64) throws -> CK_SLOT_ID {
        var count: CK_ULONG = 0
        var rv = f.C_GetSlotList(CK_BBOOL(CK_TRUE), nil, &count)
        guard rv == CKR_OK else { throw CofferCryptoError.kekUnavailable("the PKCS#11 module cannot list its slots (\(PKCS11Module.name(of: rv)))") }
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
        if count > 0 {
            rv = f.C_GetSlotList(CK_BBOOL(CK_TRUE), &slots, &count)
            guard rv == CKR_OK else { throw CofferCryptoError.kekUnavailable("the PKCS#11 module cannot list its slots (\(PKCS11Module.name(of: rv)))") }
        }
        let wanted = Array(uri.token.utf8) + [UInt8](repeating: UInt8(ascii: " "), count: 32 - uri.token.utf8.count)
        for slot in slots.prefix(Int(count)) {
            var info = CK_TOKEN_INFO()
            guard f.C_GetTokenInfo(slot, &info) == CKR_OK else { continue }
            let label = withUnsafeBytes(of: info.label) { Array($0) }
            if label == wanted { return slot }
        }
        throw TokenNotFound(error: CofferCryptoError.kekUnavailable(
            "no PKCS#11 token labelled \"\(uri.token)\" is present in \(uri.modulePath) (\(count) token(s) present); check token= and that the token is inserted (SoftHSM2: softhsm2-util --show-slots)"),
            generation: generation)
    }

    /// Logs `session` in as the user with the PIN from the URI's PIN source.
    private func login(_ f: CK_FUNCTION_LIST, _ session: CK_SESSION_HANDLE) throws {
        let pin: SecretBytes
        switch uri.pin {
        case .file(let path):
            pin = try SecretReader.readKeyFile(atPath: path, limit: Self.maxPINFileBytes, what: "PIN file", requirePrivate: true)
        case .value(let value):
            pin = SecretBytes(Array(value.utf8))
        }
        let rv: CK_RV = pin.withUnsafeBytes { bytes in
            // One line: a trailing newline (or CR LF) is not part of the PIN.
            var n = bytes.count
            while n > 0, bytes[n - 1] == 0x0a || bytes[n - 1] == 0x0d { n -= 1 }
            guard n > 0, let base = bytes.baseAddress else { return CK_RV(CKR_PIN_LEN_RANGE) }
            let p = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: CK_UTF8CHAR.self))
            return f.C_Login(session, CK_USER_TYPE(CKU_USER), p, CK_ULONG(n))
        }
        // Login state is shared by all sessions of the process: a second session finds it done.
        guard rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN else {
            let hint = rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE
                ? "the PIN is wrong: check the PIN source" : "check the token's user PIN"
            throw CofferCryptoError.kekUnavailable(
                "cannot log in to PKCS#11 token \"\(uri.token)\" (\(PKCS11Module.name(of: rv))): \(hint)")
        }
    }

    // MARK: Key objects

    /// The handles of AES secret keys labelled `object` (at most 2: enough to tell one from many).
    func findKeys(_ session: Session) throws -> [CK_OBJECT_HANDLE] {
        try module.call { f, generation in
            guard session.generation == generation else { throw PKCS11SessionPool.LostSession(rv: Self.staleSession) }
            return try findKeys(f, session.handle)
        }
    }

    private func findKeys(_ f: CK_FUNCTION_LIST, _ session: CK_SESSION_HANDLE) throws -> [CK_OBJECT_HANDLE] {
        var keyClass = CK_OBJECT_CLASS(CKO_SECRET_KEY)
        var keyType = CK_KEY_TYPE(CKK_AES)
        var label = Array(uri.object.utf8)
        let rv: CK_RV = withUnsafeMutableBytes(of: &keyClass) { cls in
            withUnsafeMutableBytes(of: &keyType) { kt in
                label.withUnsafeMutableBytes { lb in
                    var template = [
                        CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(CKA_CLASS), pValue: cls.baseAddress, ulValueLen: CK_ULONG(cls.count)),
                        CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(CKA_KEY_TYPE), pValue: kt.baseAddress, ulValueLen: CK_ULONG(kt.count)),
                        CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(CKA_LABEL), pValue: lb.baseAddress, ulValueLen: CK_ULONG(lb.count)),
                    ]
                    return f.C_FindObjectsInit(session, &template, CK_ULONG(template.count))
                }
            }
        }
        guard rv == CKR_OK else { throw PKCS11SessionPool.LostSession(rv: rv) }
        var found = [CK_OBJECT_HANDLE](repeating: 0, count: 2)
        var count: CK_ULONG = 0
        let findRV = f.C_FindObjects(session, &found, 2, &count)
        _ = f.C_FindObjectsFinal(session)
        guard findRV == CKR_OK else { throw PKCS11SessionPool.LostSession(rv: findRV) }
        return Array(found.prefix(Int(count)))
    }

    /// The one KEK object in `session`.
    func findKey(_ session: Session) throws -> CK_OBJECT_HANDLE {
        let keys: [CK_OBJECT_HANDLE]
        do {
            keys = try findKeys(session)
        } catch let lost as PKCS11SessionPool.LostSession {
            throw CofferCryptoError.kekUnavailable("cannot search PKCS#11 token \"\(uri.token)\" (\(PKCS11Module.name(of: lost.rv)))")
        }
        guard keys.count == 1 else {
            throw CofferCryptoError.kekUnavailable(
                keys.isEmpty
                    ? "PKCS#11 token \"\(uri.token)\" has no AES key labelled \"\(uri.object)\"; create it with: coffer kek generate --pkcs11 URI"
                    : "PKCS#11 token \"\(uri.token)\" has more than one AES key labelled \"\(uri.object)\"; labels must name one key")
        }
        return keys[0]
    }

    /// Creates the KEK in the token: AES-256, token object, private, sensitive, not
    /// extractable, allowed to encrypt and decrypt only.
    /// - Throws: ``CofferCrypto/CofferCryptoError/kekUnavailable(_:)`` when a key with the
    ///   label exists already or the token refuses.
    func generateKey() throws {
        let session = try openSession(readWrite: true)
        defer { closeSession(session) }
        guard try findKeysMapped(session).isEmpty else {
            throw CofferCryptoError.kekUnavailable(
                "PKCS#11 token \"\(uri.token)\" already has an AES key labelled \"\(uri.object)\"; nothing was created (choose another object= label)")
        }
        let rv: CK_RV = module.call { f, generation in
            session.generation == generation ? createKey(f, session.handle) : Self.staleSession
        }
        guard rv == CKR_OK else {
            throw CofferCryptoError.kekUnavailable(
                "PKCS#11 token \"\(uri.token)\" refused to create the key (\(PKCS11Module.name(of: rv))); it must support CKM_AES_KEY_GEN with a 32-byte value")
        }
    }

    /// `C_GenerateKey` of the KEK's template in `session`.
    private func createKey(_ f: CK_FUNCTION_LIST, _ session: CK_SESSION_HANDLE) -> CK_RV {
        var cls = CK_OBJECT_CLASS(CKO_SECRET_KEY), type = CK_KEY_TYPE(CKK_AES), length = CK_ULONG(32)
        var yes = CK_BBOOL(CK_TRUE), no = CK_BBOOL(CK_FALSE)
        var label = Array(uri.object.utf8)
        var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_AES_KEY_GEN), pParameter: nil, ulParameterLen: 0)
        var handle: CK_OBJECT_HANDLE = 0
        return withUnsafeMutablePointer(to: &cls) { cls in
            withUnsafeMutablePointer(to: &type) { type in
                withUnsafeMutablePointer(to: &length) { length in
                    withUnsafeMutablePointer(to: &yes) { yes in
                        withUnsafeMutablePointer(to: &no) { no in
                            label.withUnsafeMutableBytes { lb in
                                func attr(_ t: UInt, _ p: UnsafeMutableRawPointer?, _ n: Int) -> CK_ATTRIBUTE {
                                    CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(t), pValue: p, ulValueLen: CK_ULONG(n))
                                }
                                let b = MemoryLayout<CK_BBOOL>.size
                                var template = [
                                    attr(UInt(CKA_CLASS), cls, MemoryLayout<CK_OBJECT_CLASS>.size),
                                    attr(UInt(CKA_KEY_TYPE), type, MemoryLayout<CK_KEY_TYPE>.size),
                                    attr(UInt(CKA_VALUE_LEN), length, MemoryLayout<CK_ULONG>.size),
                                    attr(UInt(CKA_LABEL), lb.baseAddress, lb.count),
                                    attr(UInt(CKA_TOKEN), yes, b), attr(UInt(CKA_PRIVATE), yes, b),
                                    attr(UInt(CKA_SENSITIVE), yes, b), attr(UInt(CKA_EXTRACTABLE), no, b),
                                    attr(UInt(CKA_ENCRYPT), yes, b), attr(UInt(CKA_DECRYPT), yes, b),
                                    attr(UInt(CKA_WRAP), no, b), attr(UInt(CKA_UNWRAP), no, b),
                                    attr(UInt(CKA_SIGN), no, b), attr(UInt(CKA_VERIFY), no, b), attr(UInt(CKA_DERIVE), no, b),
                                ]
                                return f.C_GenerateKey(session, &mechanism, &template, CK_ULONG(template.count), &handle)
                            }
                        }
                    }
                }
            }
        }
    }

    private func findKeysMapped(_ session: Session) throws -> [CK_OBJECT_HANDLE] {
        do {
            return try findKeys(session)
        } catch let lost as PKCS11SessionPool.LostSession {
            throw CofferCryptoError.kekUnavailable("cannot search PKCS#11 token \"\(uri.token)\" (\(PKCS11Module.name(of: lost.rv)))")
        }
    }

    // MARK: AES-GCM in the token

    /// Runs `C_EncryptInit`/`C_Encrypt` (or the decrypt pair) with `CKM_AES_GCM`, `iv`, `aad`
    /// and a 128-bit tag over `input` into `output`; returns the Cryptoki return value of the
    /// step that failed (tagged `init` when it was the init) or `CKR_OK` and the output length.
    /// A session of an older module generation fails as ``staleSession`` without a call.
    func gcm(
        encrypt: Bool, session: Session, key: CK_OBJECT_HANDLE, iv: [UInt8], aad: [UInt8],
        input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer
    ) -> (rv: CK_RV, inInit: Bool, count: Int) {
        module.call { f, generation in
            guard session.generation == generation else { return (Self.staleSession, true, 0) }
            return gcm(f, encrypt: encrypt, session: session.handle, key: key, iv: iv, aad: aad, input: input, output: output)
        }
    }

    private func gcm(
        _ f: CK_FUNCTION_LIST, encrypt: Bool, session: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE, iv: [UInt8], aad: [UInt8],
        input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer
    ) -> (rv: CK_RV, inInit: Bool, count: Int) {
        var iv = iv, aad = aad
        return iv.withUnsafeMutableBufferPointer { ivp in
            aad.withUnsafeMutableBufferPointer { aadp in
                var params = CK_GCM_PARAMS()
                params.pIv = ivp.baseAddress
                params.ulIvLen = CK_ULONG(ivp.count)
                params.ulIvBits = CK_ULONG(ivp.count * 8)
                params.pAAD = aadp.baseAddress
                params.ulAADLen = CK_ULONG(aadp.count)
                params.ulTagBits = 128
                return withUnsafeMutablePointer(to: &params) { pp in
                    var mechanism = CK_MECHANISM(
                        mechanism: CK_MECHANISM_TYPE(CKM_AES_GCM), pParameter: UnsafeMutableRawPointer(pp),
                        ulParameterLen: CK_ULONG(MemoryLayout<CK_GCM_PARAMS>.size))
                    let initRV = encrypt ? f.C_EncryptInit(session, &mechanism, key) : f.C_DecryptInit(session, &mechanism, key)
                    guard initRV == CKR_OK else { return (initRV, true, 0) }
                    var outLen = CK_ULONG(output.count)
                    let inPtr = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: CK_BYTE.self))
                    let outPtr = output.baseAddress?.assumingMemoryBound(to: CK_BYTE.self)
                    let rv = encrypt
                        ? f.C_Encrypt(session, inPtr, CK_ULONG(input.count), outPtr, &outLen)
                        : f.C_Decrypt(session, inPtr, CK_ULONG(input.count), outPtr, &outLen)
                    return (rv, false, Int(outLen))
                }
            }
        }
    }
}
