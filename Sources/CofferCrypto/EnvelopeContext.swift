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
    }

    /// Largest UTF-8 length of ``workspace`` and of ``name`` that the format can encode.
    public static let maxFieldBytes = Int(UInt16.max)

    public var purpose: Purpose
    /// Workspace (tenant) identifier.
    public var workspace: String
    /// Secret name; empty for ``Purpose/wrappedDataKey``.
    public var name: String
    /// Secret version, or the data-key version for ``Purpose/wrappedDataKey``.
    public var version: UInt32

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
        if _slowPath(workspace.utf8.count > Self.maxFieldBytes) {
            throw CofferCryptoError.invalidContext("workspace id longer than \(Self.maxFieldBytes) bytes")
        }
        if _slowPath(name.utf8.count > Self.maxFieldBytes) {
            throw CofferCryptoError.invalidContext("secret name longer than \(Self.maxFieldBytes) bytes")
        }
    }

    /// Writes `purpose ‖ u16be(len ws) ‖ ws ‖ u16be(len name) ‖ name ‖ u32be(version)` at `out`
    /// and returns the number of bytes written (== ``encodedCount``).
    @inline(__always)
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

    @inline(__always)
    private static func writeField(_ s: String, at p: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        var s = s
        return s.withUTF8 { u in
            p.storeBytes(of: UInt16(truncatingIfNeeded: u.count).bigEndian, toByteOffset: 0, as: UInt16.self)
            if u.count > 0 { (p + 2).copyMemory(from: u.baseAddress!, byteCount: u.count) }
            return p + 2 + u.count
        }
    }

    public var description: String {
        "EnvelopeContext(\(purpose), workspace: \(workspace), name: \(name), version: \(version))"
    }
}
