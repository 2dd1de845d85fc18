#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CSodium

/// Keeps the keys and plaintexts of a running process out of core dumps and away from other
/// processes of the same user.
///
/// Keys live in guarded memory (``SecureBytes``: `sodium_malloc`, locked and excluded from
/// core dumps with `MADV_DONTDUMP`), but plaintexts pass through ordinary buffers, and a core
/// dump holds everything else. Call ``disableCoreDumps()`` once at startup in any process
/// that loads a KEK or reads secrets (the `coffer` CLI does so before parsing its arguments):
///
/// ```swift
/// try ProcessHardening.disableCoreDumps()   // first thing in main
/// ```
public enum ProcessHardening {
    /// Makes the process non-dumpable and sets its core-file limit to zero.
    ///
    /// - On Linux, `prctl(PR_SET_DUMPABLE, 0)`: the kernel writes no core file (whatever
    ///   `core_pattern` says, including a pipe to a crash collector) and other processes of the
    ///   same user can no longer `ptrace` it or read `/proc/PID/mem` or `/proc/PID/environ`
    ///   (root still can). The flag is reset by `execve`, so child programs are unaffected.
    /// - Everywhere, `setrlimit(RLIMIT_CORE, 0)` for the soft and hard limits, which is
    ///   inherited by children.
    ///
    /// Idempotent; there is no way back for the hard limit.
    /// - Throws: ``CofferCryptoError/libraryFailure(operation:)`` naming the call that failed.
    public static func disableCoreDumps() throws {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        guard setrlimit(coreResource, &none) == 0 else {
            throw CofferCryptoError.libraryFailure(operation: "setrlimit(RLIMIT_CORE, 0) (errno \(errno))")
        }
        #if os(Linux)
        guard coffer_set_dumpable(0) == 0 else {
            throw CofferCryptoError.libraryFailure(operation: "prctl(PR_SET_DUMPABLE, 0) (errno \(errno))")
        }
        #endif
    }

    /// Whether the kernel would write a core file for this process now: false after
    /// ``disableCoreDumps()``.
    public static var coreDumpsEnabled: Bool {
        var limit = rlimit()
        guard getrlimit(coreResource, &limit) == 0 else { return true }
        #if os(Linux)
        if coffer_get_dumpable() == 0 { return false }
        #endif
        return limit.rlim_cur != 0
    }
}

#if os(Linux)
private let coreResource = __rlimit_resource_t(RLIMIT_CORE.rawValue)
#else
private let coreResource = RLIMIT_CORE
#endif
