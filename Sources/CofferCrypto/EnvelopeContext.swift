/// What a ciphertext is bound to. Its fields, together with the ciphertext header, form the
/// AEAD associated data (see docs/FORMAT.md), so a ciphertext opens only under the exact
/// context it was sealed with: moving it to another workspace, secret, version or purpose
/// makes it fail authentication.
public struct EnvelopeContext: Sendable, Hashable, CustomStringConvertible {
    /// Why the data was sealed. Part of the AAD, so a sealed value can never be opened as a
    /// wrapped key or the other way round.
    public enum Purpose: UInt8, Sendable, Hashable, CaseIterable {
        /// A secret value sealed under a workspace data key (DEK).
        case secretValue = 1
        /// A workspace data key wrapped under a key-encryption key (KEK).
        case wrappedDataKey = 2
        /// A part of an export bundle (``ExportBundle``): its payload or, in a passphrase
        /// bundle, its wrapped content key. The workspace is empty and the name is the hex of
        /// the bundle header the part is bound to (docs/FORMAT.md, "Export bundle").
        case exportBundle = 3
    }

    /// Largest UTF-8 length of ``workspace`` and of ``name`` that the format can encode.
    public static let maxFieldBytes = Int(UInt16.max)

    /// What kind of data is sealed: a secret value, a wrapped data key or an export-bundle
    /// part. Opening under another purpose fails authentication.
    public var purpose: Purpose
    /// Workspace (tenant) identifier.
    public var workspace: String
    /// Secret name; empty for ``Purpose/wrappedDataKey``.
    public var name: String
    /// Secret version, or the data-key version for ``Purpose/wrappedDataKey``.
    public var version: UInt32

    /// Makes a context; prefer ``secret(workspace:name:version:)`` and
    /// ``dataKey(workspace:dataKeyVersion:)``. `workspace` and `name` may be at most
    /// ``maxFieldBytes`` bytes of UTF-8: sealing or opening under a longer one throws
    /// ``CofferCryptoError/invalidContext(_:)``.
    public init(purpose: Purpose, workspace: String, name: String, version: UInt32) {
        self.purpose = purpose
        self.workspace = workspace
        self.name = name
        self.version = version
    }

    /// Context of version `version` of secret `name` in `workspace`.
    public static func secret(workspace: String, name: String, version: UInt32) -> EnvelopeContext {
        EnvelopeContext(purpose: .secretValue, workspace: workspace, name: name, version: version)
    }

    /// Context of data-key version `dataKeyVersion` of `workspace`, wrapped under a KEK.
    public static func dataKey(workspace: String, dataKeyVersion: UInt32) -> EnvelopeContext {
        EnvelopeContext(purpose: .wrappedDataKey, workspace: workspace, name: "", version: dataKeyVersion)
    }

    /// Byte length of the encoded context (without the header).
    @inline(__always)
    var encodedCount: Int { 1 + 2 + workspace.utf8.count + 2 + name.utf8.count + 4 }

    /// Checks that the fields fit the encoding.
    @inline(__always)
    func validate() throws {
        _ = try validatedLengths()
    }

    /// UTF-8 lengths of ``workspace`` and ``name``, checked against ``maxFieldBytes`` (the
    /// hot path measures each string once and hands the lengths to ``withAAD(header:lengths:_:)``).
    @inline(__always)
    func validatedLengths() throws -> (workspace: Int, name: Int) {
        let ws = workspace.utf8.count
        if _slowPath(ws > Self.maxFieldBytes) {
            throw CofferCryptoError.invalidContext("workspace id longer than \(Self.maxFieldBytes) bytes")
        }
        let nm = name.utf8.count
        if _slowPath(nm > Self.maxFieldBytes) {
            throw CofferCryptoError.invalidContext("secret name longer than \(Self.maxFieldBytes) bytes")
        }
        return (ws, nm)
    }

    /// Builds the AEAD associated data, `header (6 bytes) ‖ encoded context`, in stack memory
    /// and calls `body` with its address and length. `lengths` must come from
    /// ``validatedLengths()`` of this context.
    ///
    /// Up to ``inlineAADBytes`` the buffer is a fixed-size local: unlike
    /// `withUnsafeTemporaryAllocation`, whose closure made the compiler copy (retain and
    /// release) both strings on every call, it lets the strings be read in place.
    @inline(__always)
    func withAAD<R>(
        header: UnsafeRawPointer, lengths: (workspace: Int, name: Int),
        _ body: (UnsafeRawPointer, Int) throws -> R
    ) throws -> R {
        let count = CiphertextHeader.byteCount + 1 + 2 + lengths.workspace + 2 + lengths.name + 4
        if _fastPath(count <= Self.inlineAADBytes) {
            var buffer: InlineAADBuffer = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            return try withUnsafeMutableBytes(of: &buffer) { b in
                let a = b.baseAddress.unsafelyUnwrapped
                writeAAD(header: header, lengths: lengths, to: a)
                return try body(UnsafeRawPointer(a), count)
            }
        }
        return try withUnsafeTemporaryAllocation(byteCount: count, alignment: 16) { b in
            let a = b.baseAddress!
            writeAAD(header: header, lengths: lengths, to: a)
            return try body(UnsafeRawPointer(a), count)
        }
    }

    /// AADs up to this many bytes (workspace and name together up to 113 UTF-8 bytes) are built
    /// in a fixed-size stack buffer.
    static let inlineAADBytes = 128
    typealias InlineAADBuffer = (
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
    )

    @inline(__always)
    private func writeAAD(header: UnsafeRawPointer, lengths: (workspace: Int, name: Int), to a: UnsafeMutableRawPointer) {
        let ws = lengths.workspace, nm = lengths.name
        a.storeBytes(of: header.loadUnaligned(as: UInt32.self), as: UInt32.self)
        a.storeBytes(of: header.loadUnaligned(fromByteOffset: 4, as: UInt16.self), toByteOffset: 4, as: UInt16.self)
        var p = a + CiphertextHeader.byteCount
        p.storeBytes(of: purpose.rawValue, as: UInt8.self)
        p.storeBytes(of: UInt16(truncatingIfNeeded: ws).bigEndian, toByteOffset: 1, as: UInt16.self)
        p += 3
        Self.copyUTF8(workspace, count: ws, to: p)
        p += ws
        p.storeBytes(of: UInt16(truncatingIfNeeded: nm).bigEndian, as: UInt16.self)
        p += 2
        Self.copyUTF8(name, count: nm, to: p)
        p += nm
        p.storeBytes(of: version.bigEndian, as: UInt32.self)
    }

    /// Copies the `count` UTF-8 bytes of `s` to `p`, without copying or retaining the string
    /// when its bytes are contiguous (native and small strings).
    @inline(__always)
    private static func copyUTF8(_ s: String, count: Int, to p: UnsafeMutableRawPointer) {
        if count == 0 { return }
        let copied: Void? = s.utf8.withContiguousStorageIfAvailable { u in
            p.copyMemory(from: u.baseAddress!, byteCount: u.count)
        }
        if _slowPath(copied == nil) {
            var q = p
            for b in s.utf8 {
                q.storeBytes(of: b, as: UInt8.self)
                q += 1
            }
        }
    }

    /// Writes `purpose ‖ u16be(len ws) ‖ ws ‖ u16be(len name) ‖ name ‖ u32be(version)` at `out`
    /// and returns the number of bytes written (== ``encodedCount``).
    func encode(into out: UnsafeMutableRawPointer) -> Int {
        var p = out
        p.storeBytes(of: purpose.rawValue, as: UInt8.self)
        p += 1
        p = Self.writeField(workspace, at: p)
        p = Self.writeField(name, at: p)
        p.storeBytes(of: version.bigEndian, toByteOffset: 0, as: UInt32.self)
        p += 4
        return out.distance(to: p)
    }

    private static func writeField(_ s: String, at p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let n = s.utf8.count
        p.storeBytes(of: UInt16(truncatingIfNeeded: n).bigEndian, toByteOffset: 0, as: UInt16.self)
        copyUTF8(s, count: n, to: p + 2)
        return p + 2 + n
    }

    public var description: String {
        "EnvelopeContext(\(purpose), workspace: \(workspace), name: \(name), version: \(version))"
    }
}
