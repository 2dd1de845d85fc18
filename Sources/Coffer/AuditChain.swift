import CofferCrypto
import Foundation

/// The audit chain's MACs: how records, the head and the retention checkpoint are encoded and
/// authenticated. docs/FORMAT.md ("Audit chain") describes the same bytes.
///
/// Every MAC is keyed BLAKE2b-256 (``KeyedHash``) under an audit key, over a domain string
/// and length-prefixed fields:
/// - record: `"coffer/audit/v1" ‖ prev_mac[32] ‖ u64 sequence ‖ i64 time_µs ‖ str actor ‖
///   str action ‖ str outcome ‖ opt-str workspace ‖ opt-str name ‖ opt-u32 version ‖
///   opt-str detail ‖ u32 key_version`;
/// - head: `"coffer/audit-head/v1" ‖ u64 sequence ‖ mac[32]`;
/// - checkpoint: `"coffer/audit-checkpoint/v1" ‖ u64 sequence ‖ mac[32] ‖ i64 created_µs`;
///
/// where integers are big-endian, `str` is `u32 length ‖ UTF-8`, and `opt-x` is `0x00` when
/// absent or `0x01 ‖ x`. `prev_mac` of the first record is 32 zero bytes.
enum AuditChain {
    static let recordDomain = "coffer/audit/v1"
    static let headDomain = "coffer/audit-head/v1"
    static let checkpointDomain = "coffer/audit-checkpoint/v1"

    /// Microseconds since the epoch, rounded the way the stores round; clamped to the `Int64`
    /// range, so a damaged stored time never traps (its MAC just does not verify).
    static func micros(_ date: Date) -> Int64 {
        StoredTime.micros(date)
    }

    /// `date` at the precision the stores keep.
    static func storedPrecision(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(micros(date)) / 1_000_000)
    }

    // MARK: Encoding

    static func recordMessage(_ event: AuditEvent, sequence: UInt64, keyVersion: UInt32, previousMAC: [UInt8]) -> [UInt8] {
        var m = Array(recordDomain.utf8)
        m.reserveCapacity(128)
        m += previousMAC
        append(sequence, to: &m)
        append(UInt64(bitPattern: micros(event.time)), to: &m)
        append(event.actor, to: &m)
        append(event.action.rawValue, to: &m)
        append(event.outcome.rawValue, to: &m)
        appendOptional(event.workspace, to: &m)
        appendOptional(event.name, to: &m)
        if let v = event.version {
            m.append(1)
            append(v, to: &m)
        } else {
            m.append(0)
        }
        appendOptional(event.detail, to: &m)
        append(keyVersion, to: &m)
        return m
    }

    static func headMessage(sequence: UInt64, mac: [UInt8]) -> [UInt8] {
        var m = Array(headDomain.utf8)
        append(sequence, to: &m)
        m += mac
        return m
    }

    static func checkpointMessage(sequence: UInt64, mac: [UInt8], createdAt: Date) -> [UInt8] {
        var m = Array(checkpointDomain.utf8)
        append(sequence, to: &m)
        m += mac
        append(UInt64(bitPattern: micros(createdAt)), to: &m)
        return m
    }

    private static func append(_ v: UInt64, to m: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { m += $0 }
    }

    private static func append(_ v: UInt32, to m: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { m += $0 }
    }

    private static func append(_ s: String, to m: inout [UInt8]) {
        let bytes = Array(s.utf8)
        append(UInt32(bytes.count), to: &m)
        m += bytes
    }

    private static func appendOptional(_ s: String?, to m: inout [UInt8]) {
        if let s {
            m.append(1)
            append(s, to: &m)
        } else {
            m.append(0)
        }
    }

    // MARK: Linking

    /// Numbers and MACs `events` after `head`, and the new head.
    static func link(
        _ events: [AuditEvent], after head: AuditChainHead, key: KeyedHash, keyVersion: UInt32
    ) throws -> (records: [AuditRecord], head: AuditChainHead) {
        var previous = head.mac
        var sequence = head.sequence
        var records: [AuditRecord] = []
        records.reserveCapacity(events.count)
        for var event in events {
            event.time = storedPrecision(event.time)
            sequence += 1
            let mac = try key.mac(recordMessage(event, sequence: sequence, keyVersion: keyVersion, previousMAC: previous))
            records.append(AuditRecord(sequence: sequence, event: event, keyVersion: keyVersion, mac: mac))
            previous = mac
        }
        let seal = try key.mac(headMessage(sequence: sequence, mac: previous))
        return (records, AuditChainHead(sequence: sequence, mac: previous, keyVersion: keyVersion, seal: seal))
    }

    /// A sealed checkpoint after record `sequence` whose MAC is `mac`.
    static func checkpoint(sequence: UInt64, mac: [UInt8], createdAt: Date, key: KeyedHash, keyVersion: UInt32) throws -> AuditCheckpoint {
        let createdAt = storedPrecision(createdAt)
        let seal = try key.mac(checkpointMessage(sequence: sequence, mac: mac, createdAt: createdAt))
        return AuditCheckpoint(sequence: sequence, mac: mac, createdAt: createdAt, keyVersion: keyVersion, seal: seal)
    }
}
