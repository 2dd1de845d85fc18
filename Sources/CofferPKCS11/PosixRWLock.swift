#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `pthread_rwlock_t` in heap memory: many readers or one writer. ``PKCS11Module`` holds it
/// for reading around every Cryptoki call and for writing while it re-initialises the module,
/// so no call is ever inside the module during `C_Finalize`/`C_Initialize`.
///
/// Readers must not nest (a waiting writer may block the inner read: glibc prefers writers
/// when asked to, and portable code must assume it).
final class PosixRWLock: @unchecked Sendable {
    // @unchecked Sendable, proof: `lock` is a `let` pointer set once in init to heap memory
    // that never moves; it is only used through pthread_rwlock_* calls, which are thread-safe.
    // The lock guards no Swift state of its own. deinit runs when no other reference exists.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        let status = pthread_rwlock_init(lock, nil)
        precondition(status == 0, "pthread_rwlock_init failed (\(status))")
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deinitialize(count: 1)
        lock.deallocate()
    }

    /// Runs `body` holding the lock for reading (with other readers).
    func withReadLock<R>(_ body: () throws -> R) rethrows -> R {
        let status = pthread_rwlock_rdlock(lock)
        precondition(status == 0, "pthread_rwlock_rdlock failed (\(status))")
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    /// Runs `body` holding the lock for writing (alone).
    func withWriteLock<R>(_ body: () throws -> R) rethrows -> R {
        let status = pthread_rwlock_wrlock(lock)
        precondition(status == 0, "pthread_rwlock_wrlock failed (\(status))")
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
