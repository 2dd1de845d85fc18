import Coffer
import CofferCrypto
import Foundation
import Testing

/// The DEK cache: single-flight unwrap, max age (injected clock), max uses, failures not cached.
@Suite("Data-key cache")
struct DataKeyCacheTests {
    /// A workspace with one secret written by the fixture's vault; reads then go through a
    /// fresh vault whose KEK counts unwraps (a cold cache).
    static func coldVault(
        delay: Duration = .zero, failFirst: Int = 0, configure: (inout VaultConfiguration) -> Void = { _ in }
    ) async throws -> (VaultFixture, Vault, CountingKEK) {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("cold")
        try await f.vault.workspace("cold").put("s", value: bytes("cold-value"))
        let counting = CountingKEK(f.kek, delay: delay, failFirst: failFirst)
        // Audit off: these tests count data-key unwraps, and the audit MAC key is one more.
        return (f, f.freshVault(kek: counting) { $0.audit.enabled = false; configure(&$0) }, counting)
    }

    @Test("50 concurrent gets on a cold workspace unwrap its data key once")
    func singleFlight() async throws {
        let (f, vault, counting) = try await Self.coldVault(delay: .milliseconds(100))
        let scope = try vault.workspace("cold")
        let values = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 { group.addTask { text(try await scope.get("s").value) } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(values.count == 50 && values.allSatisfy { $0 == "cold-value" })
        #expect(counting.unwrapCount == 1)
        // Concurrent puts share the same warm key.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 { group.addTask { _ = try await scope.put("p\(i)", value: bytes("x")) } }
            try await group.waitForAll()
        }
        #expect(counting.unwrapCount == 1)
        withExtendedLifetime(f) {}
    }

    @Test("the cache keeps at most dataKeyCacheMaxEntries keys, evicting the least recently used")
    func boundedEntries() async throws {
        let f = try VaultFixture()
        for ws in ["a", "b", "c"] {
            try await f.vault.createWorkspace(ws)
            try await f.vault.workspace(ws).put("s", value: bytes("value-\(ws)"))
        }
        let counting = CountingKEK(f.kek)
        let vault = f.freshVault(kek: counting) { $0.dataKeyCacheMaxEntries = 2; $0.audit.enabled = false }
        func read(_ ws: String) async throws -> String { text(try await vault.workspace(ws).get("s").value) }
        #expect(try await read("a") == "value-a")
        #expect(try await read("b") == "value-b")
        #expect(counting.unwrapCount == 2)
        #expect(try await read("a") == "value-a")      // a is now more recent than b
        #expect(counting.unwrapCount == 2)
        #expect(try await read("c") == "value-c")      // over the bound: b (least recent) goes
        #expect(counting.unwrapCount == 3)
        #expect(try await read("a") == "value-a")      // still cached
        #expect(counting.unwrapCount == 3)
        #expect(try await read("b") == "value-b")      // evicted: unwrapped again
        #expect(counting.unwrapCount == 4)
        withExtendedLifetime(f) {}
    }

    @Test("entries expire after the max age, by the injected clock")
    func maxAge() async throws {
        let (f, vault, counting) = try await Self.coldVault { $0.dataKeyCacheMaxAge = .seconds(60) }
        let scope = try vault.workspace("cold")
        _ = try await scope.get("s")
        #expect(counting.unwrapCount == 1)
        f.clock.advance(by: 59)
        _ = try await scope.get("s")
        #expect(counting.unwrapCount == 1)
        f.clock.advance(by: 2)
        _ = try await scope.get("s")
        #expect(counting.unwrapCount == 2)
        _ = try await scope.get("s")
        #expect(counting.unwrapCount == 2)
        // A clock that goes backwards does not extend an entry's life.
        f.clock.advance(by: -3600)
        _ = try await scope.get("s")
        #expect(counting.unwrapCount == 3)
        withExtendedLifetime(f) {}
    }

    @Test("entries are dropped after the max number of uses")
    func maxUses() async throws {
        let (f, vault, counting) = try await Self.coldVault { $0.dataKeyCacheMaxUses = 3 }
        let scope = try vault.workspace("cold")
        for _ in 0..<3 { _ = try await scope.get("s") }
        #expect(counting.unwrapCount == 1)
        _ = try await scope.get("s")
        #expect(counting.unwrapCount == 2)
        for _ in 0..<2 { _ = try await scope.get("s") }
        #expect(counting.unwrapCount == 2)
        _ = try await scope.get("s")
        #expect(counting.unwrapCount == 3)
        withExtendedLifetime(f) {}
    }

    @Test("a failed unwrap is not cached, and its error reaches every waiter")
    func failureNotCached() async throws {
        let (f, vault, counting) = try await Self.coldVault(delay: .milliseconds(50), failFirst: 1)
        let scope = try vault.workspace("cold")
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    do {
                        _ = try await scope.get("s")
                        return true
                    } catch let error as VaultError {
                        guard case .keyUnavailable = error else { return true }
                        return false
                    } catch {
                        return true
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes == Array(repeating: false, count: 10))
        #expect(counting.unwrapCount == 1)
        #expect(text(try await scope.get("s").value) == "cold-value")
        #expect(counting.unwrapCount == 2)
        withExtendedLifetime(f) {}
    }

    @Test("the primary data-key version is cached with the same age limit")
    func primaryVersionCached() async throws {
        let (f, vault, counting) = try await Self.coldVault { $0.dataKeyCacheMaxAge = .seconds(60) }
        let scope = try vault.workspace("cold")
        try await scope.put("a", value: bytes("1"))
        try await scope.put("b", value: bytes("2"))
        #expect(counting.unwrapCount == 1)
        f.clock.advance(by: 61)
        try await scope.put("c", value: bytes("3"))
        #expect(counting.unwrapCount == 2)
        #expect(text(try await scope.get("c").value) == "3")
        withExtendedLifetime(f) {}
    }
}
