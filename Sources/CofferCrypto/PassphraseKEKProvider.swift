#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CSodium
public import Logging

/// A KEK derived from a passphrase (`passphrase:PARAMS_PATH`) with Argon2id.
///
/// KEK = Argon2id v1.3 (libsodium `crypto_pwhash`, `ALG_ARGON2ID13`, one lane, 32-byte
/// output) of the passphrase and a random 16-byte salt. The salt, the cost parameters and
/// the fingerprint of the resulting KEK are stored in a JSON parameters file, created with
/// mode 0600 on first use (written to a temporary file, then linked into place so a
/// concurrent first use cannot be overwritten). Later uses read it, derive the KEK again and
/// compare fingerprints, so a wrong passphrase is reported as
/// ``CofferCryptoError/wrongPassphrase(paramsFile:)`` straight away rather than as a failure
/// to unwrap a data key later.
///
/// The cost of a new parameters file is ``Cost/moderate`` unless another is given: libsodium's
/// MODERATE limits, 3 passes over 256 MiB, which takes roughly 0.5–1 s and needs 256 MiB of
/// RAM on a current server CPU, once per process (the derived KEK is then cached). Existing
/// files keep the cost they were created with.
public struct PassphraseKEKProvider: LoadedKEKProvider {
    /// Argon2id cost parameters: `opsLimit` passes over `memLimitBytes` of memory.
    public struct Cost: Sendable, Hashable, Codable {
        /// Number of passes (Argon2 t), at least 1.
        public var opsLimit: UInt64
        /// Memory in bytes (Argon2 m = memLimitBytes / 1024 KiB), at least 8 KiB.
        public var memLimitBytes: Int

        /// A cost of `opsLimit` passes over `memLimitBytes` bytes.
        public init(opsLimit: UInt64, memLimitBytes: Int) {
            self.opsLimit = opsLimit
            self.memLimitBytes = memLimitBytes
        }

        /// libsodium INTERACTIVE: 2 passes, 64 MiB.
        public static let interactive = Cost(
            opsLimit: UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE), memLimitBytes: Int(crypto_pwhash_MEMLIMIT_INTERACTIVE))
        /// libsodium MODERATE (the default): 3 passes, 256 MiB.
        public static let moderate = Cost(
            opsLimit: UInt64(crypto_pwhash_OPSLIMIT_MODERATE), memLimitBytes: Int(crypto_pwhash_MEMLIMIT_MODERATE))
        /// libsodium SENSITIVE: 4 passes, 1 GiB.
        public static let sensitive = Cost(
            opsLimit: UInt64(crypto_pwhash_OPSLIMIT_SENSITIVE), memLimitBytes: Int(crypto_pwhash_MEMLIMIT_SENSITIVE))
    }

    /// Largest parameters file read.
    static let maxParamsFileBytes = 64 * 1024

    /// Path of the JSON parameters file.
    public let paramsPath: String
    /// Where the passphrase comes from.
    public let source: PassphraseSource
    /// Cost used when the parameters file has to be created.
    public let cost: Cost
    private let logger: Logger?
    private let cache = KEKCache()

    /// A provider whose parameters live at `paramsPath`. Nothing is read, prompted for or
    /// derived until first use.
    /// - Parameters:
    ///   - paramsPath: the JSON parameters file (salt, cost, KEK fingerprint); created with
    ///     mode 0600 on first use when missing, otherwise read and checked.
    ///   - source: where the passphrase comes from; by default `COFFER_PASSPHRASE`, else a
    ///     prompt on `/dev/tty`.
    ///   - cost: Argon2id cost for a new parameters file (tests pass a small one).
    ///   - logger: receives non-secret facts (path, cost, fingerprint) only.
    public init(paramsPath: String, source: PassphraseSource = .standard(), cost: Cost = .moderate, logger: Logger? = nil) {
        self.paramsPath = paramsPath
        self.source = source
        self.cost = cost
        self.logger = logger
    }

    /// `passphrase:` followed by the parameters path.
    public var displayName: String { "passphrase:\(Redaction.shown(paramsPath))" }

    /// Gets the passphrase and derives the KEK now (if not done yet), creating the parameters
    /// file if there is none.
    /// - Throws: ``CofferCryptoError/wrongPassphrase(paramsFile:)`` when the passphrase is not
    ///   the one the parameters file was created with; ``CofferCryptoError/kekUnavailable(_:)``
    ///   when there is no passphrase or the parameters file is unusable.
    @discardableResult
    public func load() throws -> LocalKEK {
        try cache.get { try derive() }
    }


    // MARK: Derivation

    private func derive() throws -> LocalKEK {
        var existing = try readParams()
        if existing == nil, Redaction.mayBeKeyMaterial(paramsPath) {
            // Never create a file named after what looks like a key pasted by mistake.
            throw CofferCryptoError.kekUnavailable(
                "there is no passphrase parameters file at the path given after passphrase: (\(Redaction.shown(paramsPath))), "
                    + "and it looks like a key rather than a path, so none is created; passphrase: takes the path of a parameters file")
        }
        let passphrase = try source.read(prompt: "Coffer passphrase: ", confirm: existing == nil)
        if existing == nil {
            if let why = Argon2id.parameterProblem(opsLimit: cost.opsLimit, memLimit: cost.memLimitBytes) {
                throw CofferCryptoError.kekUnavailable("unusable Argon2id cost: \(why)")
            }
            var salt = [UInt8](repeating: 0, count: Argon2id.saltByteCount)
            try salt.withUnsafeMutableBytes { try Sodium.randomBytes($0) }
            let key = try passphrase.withUnsafeBytes { p in
                try Argon2id.deriveKey(passphrase: p, salt: salt, opsLimit: cost.opsLimit, memLimit: cost.memLimitBytes)
            }
            let kek = try LocalKEK(key, displayName: displayName)
            let params = PassphraseParams(salt: salt, opsLimit: cost.opsLimit, memLimitBytes: cost.memLimitBytes, kekID: kek.id)
            if try writeParamsIfAbsent(params) {
                logger?.info("created passphrase KEK parameters", metadata: [
                    "path": "\(Redaction.shown(paramsPath))", "kek-id": "\(kek.id)",
                    "opslimit": "\(cost.opsLimit)", "memlimit": "\(cost.memLimitBytes)",
                ])
                return kek
            }
            // Another process created the file first: use its salt and cost.
            existing = try readParams()
        }
        guard let params = existing else {
            throw CofferCryptoError.kekUnavailable("passphrase params file \(Redaction.shown(paramsPath)) disappeared while being created")
        }
        let salt = try params.validatedSalt(path: paramsPath)
        let key = try passphrase.withUnsafeBytes { p in
            try Argon2id.deriveKey(passphrase: p, salt: salt, opsLimit: params.opsLimit, memLimit: params.memLimitBytes)
        }
        let kek = try LocalKEK(key, displayName: displayName)
        guard kek.id == params.kekID else { throw CofferCryptoError.wrongPassphrase(paramsFile: paramsPath) }
        logger?.debug("derived passphrase key-encryption key", metadata: ["path": "\(Redaction.shown(paramsPath))", "kek-id": "\(kek.id)"])
        return kek
    }

    // MARK: Parameters file

    /// The parameters in the file, or `nil` if there is no file.
    private func readParams() throws -> PassphraseParams? {
        let fd: Int32
        switch POSIXFile.openForReading(paramsPath) {
        case .success(let d): fd = d
        case .failure(.missing): return nil
        case .failure(.denied): throw CofferCryptoError.kekUnavailable("cannot open passphrase params file \(Redaction.shown(paramsPath)): permission denied")
        case .failure(.other(let why)): throw CofferCryptoError.kekUnavailable("cannot open passphrase params file \(Redaction.shown(paramsPath)): \(why)")
        }
        defer { close(fd) }
        let bytes: [UInt8]
        do {
            bytes = try Self.readParamsBytes(fd, path: paramsPath)
        } catch let error as POSIXFile.OpenFailure {
            switch error {
            case .missing: return nil
            case .denied: throw CofferCryptoError.kekUnavailable("cannot read passphrase params file \(Redaction.shown(paramsPath)): permission denied")
            case .other(let why): throw CofferCryptoError.kekUnavailable("unusable passphrase params file \(Redaction.shown(paramsPath)): \(why)")
            }
        }
        return try PassphraseParams.decode(bytes, path: paramsPath)
    }

    private static func readParamsBytes(_ fd: Int32, path: String) throws -> [UInt8] {
        let mode = try POSIXFile.mode(of: fd)
        guard mode.type == POSIXFile.regularType else {
            throw POSIXFile.OpenFailure.other("not a regular file")
        }
        if mode.permissions & 0o022 != 0 {
            throw POSIXFile.OpenFailure.other(
                "it has mode \(POSIXFile.octal(mode.permissions)), so other users can modify it; run: chmod 600 \(path)")
        }
        var bytes = [UInt8](repeating: 0, count: maxParamsFileBytes)
        let (count, truncated) = try bytes.withUnsafeMutableBytes { b in try POSIXFile.readAll(fd, into: b) }
        if truncated { throw POSIXFile.OpenFailure.other("larger than \(maxParamsFileBytes) bytes") }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// Writes `params` to a 0600 temporary file next to ``paramsPath``, syncs it, and links it
    /// into place (falling back to `rename` where hard links are not supported). Returns false,
    /// leaving the existing file alone, when ``paramsPath`` already exists.
    private func writeParamsIfAbsent(_ params: PassphraseParams) throws -> Bool {
        let bytes = try params.encoded()
        var suffix = [UInt8](repeating: 0, count: 6)
        try suffix.withUnsafeMutableBytes { try Sodium.randomBytes($0) }
        let tmp = paramsPath + ".tmp-" + suffix.map { String($0, radix: 16) }.joined()
        let failed = { (why: String) in CofferCryptoError.kekUnavailable("cannot create passphrase params file \(Redaction.shown(paramsPath)): \(why)") }
        let fd: Int32
        do throws(POSIXFile.OpenFailure) {
            guard let d = try POSIXFile.createExclusive(tmp) else { throw .other("its temporary file exists") }
            fd = d
        } catch {
            switch error {
            case .missing: throw failed("directory \(Redaction.shown(POSIXFile.directory(of: paramsPath))) does not exist")
            case .denied: throw failed("permission denied")
            case .other(let why): throw failed(why)
            }
        }
        do {
            try bytes.withUnsafeBytes { b in try POSIXFile.writeAll(fd, b) }
            try POSIXFile.sync(fd)
            close(fd)
        } catch {
            close(fd)
            unlink(tmp)
            throw failed("\(error)")
        }
        defer { unlink(tmp) }
        if link(tmp, paramsPath) == 0 {
            POSIXFile.syncDirectory(of: paramsPath)
            return true
        }
        let linkErrno = errno
        if linkErrno == EEXIST { return false }
        // Hard links unsupported here (some network and FUSE file systems): rename instead,
        // after checking once more that no file has appeared.
        if POSIXFile.exists(paramsPath) { return false }
        guard rename(tmp, paramsPath) == 0 else { throw failed(POSIXFile.errorText()) }
        POSIXFile.syncDirectory(of: paramsPath)
        return true
    }
}
