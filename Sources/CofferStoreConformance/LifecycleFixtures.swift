import Coffer
import CofferCrypto
import Foundation
import Testing

/// Helpers shared by the lifecycle checks (on top of ``ConformanceFixtures`` and
/// ``RotationFixtures``).
enum LifecycleFixtures {
    typealias F = ConformanceFixtures

    /// A fixed, valid key generation (32 lowercase hex characters) derived from `seed`.
    static func generation(_ seed: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<32).map { digits[(Int(seed) &+ $0) & 0x0f] })
    }

    /// Creates workspace `id` with data key 1 and key generation ``generation(_:)`` of `seed`.
    @discardableResult
    static func createWorkspace(_ store: any SecretStore, _ id: String, generation seed: UInt8 = 1) async throws -> WorkspaceRecord {
        var record = F.workspaceRecord(id)
        record.keyGeneration = generation(seed)
        try await store.createWorkspace(record, firstDataKey: F.dataKey(id))
        return record
    }

    /// Everything a reader can see of a workspace: the record, its data keys (with counts and
    /// generation), every secret summary and every kept version with its sealed bytes.
    static func fullState(_ store: any RotatingSecretStore, _ workspace: String) async throws -> [String] {
        var out: [String] = []
        if let ws = try await store.workspace(workspace) {
            out.append(
                "ws \(ws.id) p\(ws.primaryDataKeyVersion) m\(ws.minimumDecryptionVersion) \(String(describing: ws.rotationPolicy)) "
                    + "g\(ws.keyGeneration ?? "-") d\(ws.deletedAt.map { "\($0.timeIntervalSince1970)" } ?? "-") "
                    + "s\(ws.shreddedAt.map { "\($0.timeIntervalSince1970)" } ?? "-")")
        } else {
            out.append("no workspace")
        }
        for key in try await store.dataKeys(workspace: workspace) {
            out.append("dek \(key.version) \(key.wrapped.ciphertext) n\(key.encryptionCount) g\(key.keyGeneration ?? "-")")
        }
        for summary in try await store.listSecrets(workspace: workspace) {
            out.append("secret \(summary.name) c\(summary.currentVersion) n\(summary.versionCount) l\(summary.liveVersionCount)")
            for info in try await store.history(workspace: workspace, name: summary.name) {
                let sealed = try await store.secretVersion(workspace: workspace, name: info.name, version: info.version)
                out.append(
                    "  \(info.version)@\(info.dataKeyVersion) d\(info.deletedAt == nil ? "-" : "x") \(sealed?.ciphertext ?? [])")
            }
        }
        out += try await RotationFixtures.all(store, workspace, Set(1...10)).map { "page \($0.info.name)#\($0.info.version)" }
        return out
    }

    // MARK: Audit

    /// The fixed audit MAC key of the checks (a test key, not a secret).
    static let auditKey: KeyedHash = {
        let bytes = (0..<32).map { UInt8($0 &* 7 &+ 3) }
        let key = try! bytes.withUnsafeBytes { try SymmetricKey(copying: $0) }
        return KeyedHash(key: key)
    }()

    /// Big-endian bytes of `value`.
    static func bytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    /// The fixture chain's MAC of the record numbered `sequence` after one whose MAC is `previous`
    /// (stores treat MACs as opaque bytes: this only has to be deterministic).
    static func mac(previous: [UInt8], sequence: UInt64, actor: String) throws -> [UInt8] {
        try auditKey.mac(previous + bytes(sequence) + Array(actor.utf8))
    }

    /// The fixture chain's seal of a head.
    static func seal(sequence: UInt64, mac: [UInt8]) throws -> [UInt8] {
        try auditKey.mac(Array("head".utf8) + bytes(sequence) + mac)
    }

    /// An event of the checks: action `put` on `workspace` at `epoch + seconds`.
    static func event(
        _ actor: String, workspace: String? = "w", seconds: Double = 0, name: String? = nil, version: UInt32? = nil,
        detail: String? = nil, action: AuditAction = .put, outcome: AuditOutcome = .success
    ) -> AuditEvent {
        AuditEvent(
            time: F.epoch.addingTimeInterval(seconds), actor: actor, action: action, outcome: outcome,
            workspace: workspace, name: name, version: version, detail: detail)
    }

    /// Chains `events` after `head` with the fixture MAC, audit-key version 1.
    static func chain(_ events: [AuditEvent], after head: AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead) {
        var previous = head.mac
        var records: [AuditRecord] = []
        for (i, event) in events.enumerated() {
            let sequence = head.sequence + UInt64(i) + 1
            let mac = try mac(previous: previous, sequence: sequence, actor: event.actor)
            records.append(AuditRecord(sequence: sequence, event: event, keyVersion: 1, mac: mac))
            previous = mac
        }
        let last = records.last?.sequence ?? head.sequence
        let newHead = AuditChainHead(sequence: last, mac: previous, keyVersion: 1, seal: try seal(sequence: last, mac: previous))
        return (records, newHead)
    }

    /// Appends `events` with the fixture chain.
    @discardableResult
    static func append(_ store: any LifecycleSecretStore, _ events: [AuditEvent]) async throws -> AuditChainHead {
        try await store.appendAudit(count: events.count) { head in try chain(events, after: head) }
    }

    /// Every stored record, read page by page.
    static func allRecords(_ store: any LifecycleSecretStore, pageSize: Int = 1_000) async throws -> [AuditRecord] {
        var out: [AuditRecord] = []
        var after: UInt64 = 0
        while true {
            let page = try await store.auditRecords(AuditQuery(afterSequence: after, limit: pageSize))
            out += page
            guard page.count == pageSize, let last = page.last else { return out }
            after = last.sequence
        }
    }

    /// Whether two records are the same up to timestamp rounding.
    static func sameRecord(_ a: AuditRecord, _ b: AuditRecord) -> Bool {
        a.sequence == b.sequence && a.keyVersion == b.keyVersion && a.mac == b.mac && sameEvent(a.event, b.event)
    }

    static func sameEvent(_ a: AuditEvent, _ b: AuditEvent) -> Bool {
        F.sameInstant(a.time, b.time) && a.actor == b.actor && a.action == b.action && a.outcome == b.outcome
            && a.workspace == b.workspace && a.name == b.name && a.version == b.version && a.detail == b.detail
    }

    /// Whether every record links to the one before it (starting from `previous`) under the
    /// fixture chain, with gapless sequences from `first`.
    static func linked(_ records: [AuditRecord], first: UInt64, previous: [UInt8]) throws -> Bool {
        var previous = previous
        for (i, record) in records.enumerated() {
            guard record.sequence == first + UInt64(i) else { return false }
            guard record.mac == (try mac(previous: previous, sequence: record.sequence, actor: record.event.actor)) else { return false }
            previous = record.mac
        }
        return true
    }

    /// A wrapped audit key of the checks.
    static func auditKeyRecord(version: UInt32, seed: UInt8 = 1) -> AuditKeyRecord {
        AuditKeyRecord(
            version: version,
            wrapped: WrappedDataKey(kekID: F.kekID(seed), ciphertext: Array("audit-key-\(version)-\(seed)".utf8)),
            createdAt: F.epoch.addingTimeInterval(Double(version)))
    }
}
