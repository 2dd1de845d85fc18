import Coffer
import CofferCrypto
import CofferInput
@testable import CofferPKCS11
import CofferSQLite
import CofferTestSupport
import Foundation
import Testing

extension PKCS11TokenTests {
/// The provider against a real SoftHSM2 token (scripts/hsm.sh): AES-GCM in the token, the
/// binding of wrapped keys, the errors of a missing key or PIN file, the key's attributes as
/// OpenSC's pkcs11-tool reports them, the session pool under 64 cold workspaces, and recovery
/// of sessions closed behind the pool's back.
@Suite(.enabled(if: LocalHSM.available, LocalHSM.skipReason), .serialized)
struct PKCS11ProviderTests {
    static func dataKey() -> SymmetricKey { SymmetricKey.generate() }

    @Test func roundTripWithFreshIVs() async throws {
        let provider = try LocalHSM.provider(try LocalHSM.createKey())
        let key = Self.dataKey()
        let a = try await provider.wrap(key, workspace: "ws/acme", dataKeyVersion: 1)
        let b = try await provider.wrap(key, workspace: "ws/acme", dataKeyVersion: 1)
        #expect(a.kekID == (try await provider.keyID()))
        let la = try #require(PKCS11WrappedKey(parsing: a.ciphertext))
        let lb = try #require(PKCS11WrappedKey(parsing: b.ciphertext))
        #expect(la.iv != lb.iv && la.sealed != lb.sealed, "every wrap draws a fresh IV")
        #expect(la.tokenLabel == provider.uri.token && la.objectLabel == provider.uri.object)
        #expect(try await provider.unwrap(a, workspace: "ws/acme", dataKeyVersion: 1) == key)
        #expect(try await provider.unwrap(b, workspace: "ws/acme", dataKeyVersion: 1) == key)
        // Audit keys (empty binding) too.
        let audit = try await provider.wrap(key, workspace: "", dataKeyVersion: 3)
        #expect(try await provider.unwrap(audit, workspace: "", dataKeyVersion: 3) == key)
        // A second provider (new pool, same process) opens it as well.
        #expect(try await LocalHSM.provider(provider.uri).unwrap(a, workspace: "ws/acme", dataKeyVersion: 1) == key)
    }

    /// Another workspace, version or purpose, a flipped byte anywhere in the IV or sealed key,
    /// or another key of the token: authentication failed, every time.
    @Test func bindingAndTamperingFailAuthentication() async throws {
        let provider = try LocalHSM.provider(try LocalHSM.createKey())
        let wrapped = try await provider.wrap(Self.dataKey(), workspace: "ws/acme", dataKeyVersion: 2)
        for (ws, v) in [("ws/globex", UInt32(2)), ("ws/acme", 1), ("ws/acme", 3), ("", 2)] {
            await #expect(throws: CofferCryptoError.authenticationFailed) { _ = try await provider.unwrap(wrapped, workspace: ws, dataKeyVersion: v) }
        }
        for i in 5..<(5 + 12 + 48) {
            var bad = wrapped
            bad.ciphertext[i] ^= 0x01
            await #expect(throws: CofferCryptoError.authenticationFailed) { _ = try await provider.unwrap(bad, workspace: "ws/acme", dataKeyVersion: 2) }
        }
        var truncated = wrapped
        truncated.ciphertext.removeLast()
        await #expect(throws: CofferCryptoError.authenticationFailed) { _ = try await provider.unwrap(truncated, workspace: "ws/acme", dataKeyVersion: 2) }
        // Same layout but another key of the token: refused before the token is asked, and
        // with the KEK id forged to match, the token's tag check refuses it.
        let other = try LocalHSM.provider(try LocalHSM.createKey())
        await #expect(throws: CofferCryptoError.authenticationFailed) { _ = try await other.unwrap(wrapped, workspace: "ws/acme", dataKeyVersion: 2) }
        var relabelled = try #require(PKCS11WrappedKey(parsing: wrapped.ciphertext))
        relabelled = try PKCS11WrappedKey(iv: relabelled.iv, sealed: relabelled.sealed, tokenLabel: other.uri.token, objectLabel: other.uri.object)
        let forged = WrappedDataKey(kekID: try await other.keyID(), ciphertext: relabelled.bytes)
        await #expect(throws: CofferCryptoError.authenticationFailed) { _ = try await other.unwrap(forged, workspace: "ws/acme", dataKeyVersion: 2) }
    }

    /// A key label the token does not have, a token label no slot has, a module that is not
    /// there, a PIN file others may read: key-encryption key unavailable (78), naming the cause.
    @Test func unusableConfigurationsAreKEKUnavailable() async throws {
        func reason(_ uri: PKCS11URI) async -> String {
            do {
                _ = try await LocalHSM.provider(uri).keyID()
                Issue.record("\(uri) worked")
                return ""
            } catch let CofferCryptoError.kekUnavailable(why) {
                return why
            } catch {
                Issue.record("\(error)")
                return ""
            }
        }
        #expect(await reason(try LocalHSM.uri(object: "none-such")).contains("no AES key labelled \"none-such\""))
        let noToken = try PKCS11URI(token: "no-such-token", object: "k", modulePath: LocalHSM.module!, pin: .file(path: LocalHSM.pinFile!))
        #expect(await reason(noToken).contains("no PKCS#11 token labelled"))
        let noModule = try PKCS11URI(token: "coffer", object: "k", modulePath: "/nonexistent/libnone.so", pin: .file(path: LocalHSM.pinFile!))
        #expect(await reason(noModule).contains("cannot load the PKCS#11 module"))
        let pin = try LocalHSM.pin()
        let open = try LocalHSM.pinFile(pin, mode: 0o644)
        let why = await reason(try LocalHSM.uri(object: "none-such", pinFile: open))
        #expect(why.contains("chmod 600") && !why.contains(pin))
        let missing = await reason(try LocalHSM.uri(object: "k", pinFile: "/nonexistent/pin"))
        #expect(missing.contains("does not exist"))
    }

    /// `generateKey` makes an AES-256 token key that pkcs11-tool reports sensitive, never
    /// extractable, for encrypt and decrypt only; a second key with the label is refused.
    @Test func generatedKeyAttributesSeenByPKCS11Tool() async throws {
        let uri = try LocalHSM.createKey("attrs")
        #expect(throws: CofferCryptoError.self) { _ = try PKCS11KEKProvider.generateKey(uri: uri) }
        let tool = try #require(["/usr/bin/pkcs11-tool", "/usr/local/bin/pkcs11-tool"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                "pkcs11-tool (OpenSC) is not installed: run scripts/install-deps.sh")
        let r = try ChildProcess.run(
            URL(fileURLWithPath: tool),
            ["--module", uri.modulePath, "--token-label", uri.token, "--login", "--pin", try LocalHSM.pin(), "--list-objects", "--type", "secrkey"],
            environment: ["SOFTHSM2_CONF": LocalHSM.environment["SOFTHSM2_CONF"] ?? ""])
        #expect(r.status == 0, "\(r.stderr)")
        let block = try #require(r.stdout.components(separatedBy: "Secret Key Object").first { $0.contains("label:      \(uri.object)\n") }, "\(r.stdout)")
        #expect(block.contains("AES length 32"), "\(block)")
        let lines = block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let usage = try #require(lines.first { $0.hasPrefix("Usage:") })
        #expect(usage.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) == "encrypt, decrypt", "\(block)")
        let access = try #require(lines.first { $0.hasPrefix("Access:") })
        #expect(access.contains("sensitive") && access.contains("never extractable"), "\(block)")
        #expect(!access.contains(" extractable,") || access.contains("never extractable"))
    }

    /// 64 workspaces opened cold at once through a vault: every value comes back, and the pool
    /// never opens more than its 4 sessions.
    @Test func sixtyFourConcurrentColdWorkspaces() async throws {
        let uri = try LocalHSM.createKey("pool")
        let dir = try LocalHSM.tempDirectory()
        let path = dir.appendingPathComponent("vault.db").path
        let seeding = Vault(store: try SQLiteStore(path: path, logger: LocalHSM.logger), kek: try LocalHSM.provider(uri), logger: LocalHSM.logger)
        for i in 0..<64 {
            try await seeding.createWorkspace("ws\(i)")
            _ = try await seeding.workspace("ws\(i)").put("token", value: SecretBytes(Array("value-\(i)".utf8)))
        }
        let kek = try LocalHSM.provider(uri, sessions: 4)
        let vault = Vault(store: try SQLiteStore(path: path, logger: LocalHSM.logger), kek: kek, logger: LocalHSM.logger)
        try await withThrowingTaskGroup(of: (Int, SecretBytes).self) { group in
            for i in 0..<64 {
                group.addTask { (i, try await vault.workspace("ws\(i)").get("token").value) }
            }
            for try await (i, value) in group {
                #expect(value == SecretBytes(Array("value-\(i)".utf8)), "ws\(i)")
            }
        }
        #expect(kek.openSessionCount >= 1 && kek.openSessionCount <= 4, "\(kek.openSessionCount) sessions open")
    }

    /// Sessions closed behind the pool's back, as a removed and re-inserted token or a
    /// restarted HSM does: the next calls reopen them (and log in again if needed).
    @Test func lostSessionsAreReopened() async throws {
        let provider = try LocalHSM.provider(try LocalHSM.createKey("lost"))
        let key = Self.dataKey()
        let wrapped = try await provider.wrap(key, workspace: "ws/acme", dataKeyVersion: 1)
        #expect(provider.openSessionCount == 1)
        try provider.closeSessionsBehindThePool()
        #expect(try await provider.unwrap(wrapped, workspace: "ws/acme", dataKeyVersion: 1) == key)
        try provider.closeSessionsBehindThePool()
        let again = try await provider.wrap(key, workspace: "ws/acme", dataKeyVersion: 2)
        #expect(try await provider.unwrap(again, workspace: "ws/acme", dataKeyVersion: 2) == key)
        #expect(provider.openSessionCount == 1)
    }

    /// `body`'s result once it stops failing with "key-encryption key unavailable", polled
    /// every 200 ms for up to 10 s (a module re-reads its token list at most once a second).
    static func eventually<T>(_ body: () async throws -> T) async throws -> T {
        for _ in 0..<50 {
            do {
                return try await body()
            } catch VaultError.keyUnavailable, CofferCryptoError.kekUnavailable {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        return try await body()
    }

    /// A token deleted while a vault runs, then re-created with its key restored (an HSM
    /// partition restored from backup; here `softhsm2-util` in another process, importing the
    /// same AES key): while it is gone, a cold workspace is "key-encryption key unavailable",
    /// never an authentication failure, and a warm one keeps serving from the data-key cache;
    /// once it is back the cold workspace opens, in the same process, without a restart.
    @Test func tokenDeletedAndRecreatedMidRun() async throws {
        let dir = try LocalHSM.tempDirectory()
        let keyFile = dir.appendingPathComponent("kek-backup.bin").path
        // softhsm2-util --import --aes reads the file as text: a NUL or newline byte would cut
        // the key short. 32 hex digits are a 32-byte key without either (test key only).
        let hex = SecureBytes.random(count: 16).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
        try Data(hex.utf8).write(to: URL(fileURLWithPath: keyFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)
        let tokenLabel = LocalHSM.newLabel("re"), pin = try LocalHSM.pin()
        let soPIN = SecureBytes.random(count: 8).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
        func createToken() throws {
            try LocalHSM.softhsmUtil(["--init-token", "--free", "--label", tokenLabel, "--pin", pin, "--so-pin", soPIN])
            try LocalHSM.softhsmUtil(["--import", keyFile, "--aes", "--token", tokenLabel, "--label", "kek", "--id", "01", "--pin", pin])
        }
        try createToken()
        let uri = try PKCS11URI(token: tokenLabel, object: "kek", modulePath: LocalHSM.module!, pin: .file(path: LocalHSM.pinFile!))
        let path = dir.appendingPathComponent("vault.db").path
        let seedingKEK = try LocalHSM.provider(uri)
        // This process initialised the module before the token existed: it is found after a
        // re-scan, which the module does at most once a second (another test may just have).
        _ = try await Self.eventually { try await seedingKEK.keyID() }
        let seeding = Vault(store: try SQLiteStore(path: path, logger: LocalHSM.logger), kek: seedingKEK, logger: LocalHSM.logger)
        for ws in ["warm", "cold"] {
            try await seeding.createWorkspace(ws)
            _ = try await seeding.workspace(ws).put("token", value: SecretBytes(Array("value-\(ws)".utf8)))
        }
        let vault = Vault(store: try SQLiteStore(path: path, logger: LocalHSM.logger), kek: try LocalHSM.provider(uri), logger: LocalHSM.logger)
        #expect(try await vault.workspace("warm").get("token").value == SecretBytes(Array("value-warm".utf8)))

        try LocalHSM.softhsmUtil(["--delete-token", "--token", tokenLabel])
        #expect(try await vault.workspace("warm").get("token").value == SecretBytes(Array("value-warm".utf8)))
        do {
            _ = try await vault.workspace("cold").get("token")
            Issue.record("a cold workspace opened with its token deleted")
        } catch VaultError.keyUnavailable(let why) {
            #expect(why.contains("no PKCS#11 token labelled \"\(tokenLabel)\""), "\(why)")
            #expect(!why.contains(pin))
        }

        try createToken()
        #expect(try await Self.eventually { try await vault.workspace("cold").get("token").value } == SecretBytes(Array("value-cold".utf8)))
        // And it wraps again: a new workspace's data key goes through the re-created token.
        try await vault.createWorkspace("after")
        _ = try await vault.workspace("after").put("token", value: SecretBytes(Array("value-after".utf8)))
        let fresh = Vault(store: try SQLiteStore(path: path, logger: LocalHSM.logger), kek: try LocalHSM.provider(uri), logger: LocalHSM.logger)
        #expect(try await fresh.workspace("after").get("token").value == SecretBytes(Array("value-after".utf8)))
        try LocalHSM.softhsmUtil(["--delete-token", "--token", tokenLabel])
    }
}
}
