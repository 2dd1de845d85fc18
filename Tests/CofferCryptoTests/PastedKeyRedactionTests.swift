import Foundation
import Testing
@testable import CofferCrypto

/// Issue 10 §4: a key pasted where a KEK URI, a key-file path, a variable name or a
/// passphrase-parameters path belongs is never repeated by KEK URI parsing, the providers'
/// errors, their `displayName` or their logs.
@Suite struct PastedKeyRedactionTests {
    /// A random 32-byte key in every text form someone could paste.
    static func forms() -> (base64: String, all: [String]) {
        var bytes = [UInt8](repeating: 0, count: 32)
        var text = ""
        repeat {
            for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
            text = Data(bytes).base64EncodedString()
        } while !text.contains("/")  // a "path"-looking key: the hardest case
        let url = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        return (text, [text, url, text.replacingOccurrences(of: "=", with: ""), hex, hex.uppercased()])
    }

    static func leaks(_ text: String, _ forms: [String]) -> Bool {
        forms.contains { form in
            stride(from: 0, through: form.count - 16, by: 4).contains { start in
                let a = form.index(form.startIndex, offsetBy: start)
                return text.contains(form[a..<form.index(a, offsetBy: 16)])
            }
        }
    }

    @Test func kekURIErrorsAndDescriptionsNeverRepeatAKey() async throws {
        let (_, forms) = Self.forms()
        let dir = try TemporaryDirectory()
        for key in forms {
            for uri in [key, key + ":x", "file:" + key, "file:///" + key, "file:" + dir.file(key), "env:" + key,
                        "passphrase:" + key, "passphrase:" + dir.file(key)] {
                var texts = [KEKProviderURI.redacted(uri)]
                do {
                    let parsed = try KEKProviderURI(parsing: uri)
                    texts.append(parsed.description)
                    let provider = try KEKProviders.make(uri: uri, environment: ["COFFER_PASSPHRASE": "a passphrase"])
                    texts.append(provider.displayName)
                    do {
                        _ = try await provider.keyID()
                        Issue.record("\(KEKProviderURI.redacted(uri)) loaded a key")
                    } catch {
                        texts.append("\(error)")
                    }
                } catch {
                    texts.append("\(error)")
                }
                for text in texts {
                    #expect(!Self.leaks(text, forms), "\(KEKProviderURI.redacted(uri)) repeats the key")
                }
            }
        }
        // No parameters file was created under a name that is a key.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        #expect(try !FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath).contains { Self.leaks($0, forms) })
    }

    @Test func ordinaryPathsAndVariableNamesStayReadable() {
        for path in ["/etc/coffer/kek", "keys-example/demo-kek.key", "/var/lib/coffer/keys/primary",
                     "/tmp/coffer-kek.3f2504e0-4f89-11d3-9a0c-0305e82c3301/kek.key", "/home/ci/.coffer/kek-2026"] {
            #expect(!Redaction.mayBeKeyMaterial(path), "\(path)")
            #expect(KEKProviderURI.redacted("file:" + path) == "file:" + path)
        }
        for name in ["COFFER_KEK_B64", "COFFER_KEK_PREVIOUS_B64", "MY_KEK", "COFFER_TEST_UNSET_3F2504E0_4F89_11D3"] {
            #expect(!Redaction.mayBeKeyMaterial(variableName: name), "\(name)")
        }
        #expect(Redaction.mayBeKeyMaterial(String(decoding: [0x41, 0x00, 0x9f], as: UTF8.self)))
    }
}
