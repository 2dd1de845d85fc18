#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a `pthread_mutex_t`: the lock every Coffer module uses instead of
/// `Synchronization.Mutex`, with the same `withLock` shape.
///
/// Why not `Mutex`: on Linux, `Mutex` is a priority-inheritance futex. Its uncontended paths are
/// atomics that ThreadSanitizer sees, but a contended unlock is a raw `FUTEX_UNLOCK_PI` system
/// call that hands the lock to the waiter inside the kernel, and TSan (which intercepts
/// `pthread_mutex_*` but not raw futex calls) then sees no happens-before edge between the two
/// critical sections. Every contended `Mutex` is therefore a possible false "data race" report
/// in a TSan build, which makes a TSan-built `coffer` exit 66 (docs/SECURITY.md §4).
/// `pthread_mutex_lock`/`unlock` are intercepted, so TSan orders the critical sections.
///
/// The mutex and the value live in heap memory owned by this object, so their addresses never
/// change (a `pthread_mutex_t` must not move once initialised) and no Swift exclusivity check
/// runs on the hot path. Not reentrant: calling `withLock` on the same lock inside its own
/// closure deadlocks.
package final class PosixMutex<Value>: @unchecked Sendable {
    // @unchecked Sendable, proof: both pointers are `let` and set once in `init`; `mutex` is
    // only used through pthread_mutex_lock/unlock, which are thread-safe; `value` is read or
    // written only inside `withLock`, between lock and unlock of `mutex`, so at most one thread
    // touches it at a time and each critical section happens-after the previous one. Values
    // enter and leave only as `sending` (the initial value, the closure's inout and its result),
    // exactly as with `Synchronization.Mutex`, so no non-Sendable state is shared by two
    // isolation domains through this box. `deinit` runs when no other reference exists.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let value: UnsafeMutablePointer<Value>

    /// A lock guarding `initialValue`.
    package init(_ initialValue: consuming sending Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed (\(status))")
        value = .allocate(capacity: 1)
        value.initialize(to: initialValue)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` with exclusive access to the value and returns its result.
    ///
    /// Inlinable, so a caller's closure is inlined like `Mutex.withLock`'s; only the lock and
    /// unlock calls stay out of line.
    @inlinable
    package func withLock<Result, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        lock()
        defer { unlock() }
        return try body(&value.pointee)
    }

    @usableFromInline func lock() { pthread_mutex_lock(mutex) }
    @usableFromInline func unlock() { pthread_mutex_unlock(mutex) }
}
