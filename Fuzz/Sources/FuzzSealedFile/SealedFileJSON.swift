import Coffer
import CofferCrypto
import Foundation
import FuzzSupport

/// Sealed-file JSON documents (`coffer seal` / `coffer open`) through `SealedFile.decode(from:)`,
/// `jsonData()` and `open(kek:)`.
///
/// Invariants: decode throws only `malformedHeader`; a document that decodes re-encodes to one
/// that decodes to an equal document; open throws only `authenticationFailed` or
/// `malformedHeader`, and an open that succeeds returns a seed's plaintext.
enum SealedFileJSON {
    static let kek = try! LocalKEK(Fuzz.testKey(2), displayName: "fuzz")

    static func run(_ input: [UInt8]) {
        let document: SealedFile
        do {
            document = try SealedFile.decode(from: Data(input))
        } catch CofferCryptoError.malformedHeader {
            return
        } catch {
            return Fuzz.require(false, "decode threw an undocumented error: \(error)")
        }
        do {
            let again = try SealedFile.decode(from: try document.jsonData())
            Fuzz.require(again == document, "a decoded document does not survive re-encoding")
        } catch {
            Fuzz.require(false, "a decoded document does not re-encode: \(error)")
        }
        let kek = self.kek
        switch Fuzz.blocking({ try await document.open(kek: kek) }) {
        case .success(let plaintext):
            Fuzz.require(Fuzz.isSeedPlaintext(plaintext), "open returned a plaintext no seed holds")
        case .failure(CofferCryptoError.authenticationFailed), .failure(CofferCryptoError.malformedHeader):
            break
        case .failure(let error):
            Fuzz.require(false, "open threw an undocumented error: \(error)")
        }
    }

    static func seeds() throws -> [[UInt8]] {
        let kek = self.kek
        let files = try [("acme", "db/password", 1), ("", "x", 0), ("w", "a.b-c_d", UInt32.max)].map { workspace, name, version in
            try Fuzz.blocking {
                try await SealedFile.seal(
                    Fuzz.seedPlaintext("\(name)"), workspace: workspace, name: name, secretVersion: UInt32(version), kek: kek)
            }.get()
        }
        return try files.map { Array(try $0.jsonData()) }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: SealedFileJSON.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    SealedFileJSON.run(Fuzz.bytes(data, size))
    return 0
}
