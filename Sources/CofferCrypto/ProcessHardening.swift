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
/// dump holds everything else. Call ``disableCoreDumps(keepingCrashBacktraces:)`` once at startup in any process
/// that loads a KEK or reads secrets (the `coffer` CLI does so before parsing its arguments):
///
/// ```swift
/// try ProcessHardening.disableCoreDumps()   // first thing in main; see its options
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
    /// - Unless `keepingCrashBacktraces`, the Swift runtime's crash backtracer is turned off
    ///   by restoring the default action of the signals it catches (`SIGQUIT`, `SIGILL`,
    ///   `SIGTRAP`, `SIGABRT`, `SIGBUS`, `SIGFPE`, `SIGSEGV`): that backtracer is another
    ///   process that reads this one's memory and prints registers to stderr, and it can hang
    ///   the dying process (for example while its stdout pipe is full). A crash then ends the
    ///   process at once, with no core file.
    ///
    /// Idempotent; there is no way back for the hard limit.
    /// - Throws: ``CofferCryptoError/libraryFailure(operation:)`` naming the call that failed.
    public static func disableCoreDumps(keepingCrashBacktraces: Bool = false) throws {
        if !keepingCrashBacktraces {
            for signal in [SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV] {
                guard Self.restoreDefaultAction(signal) else {
                    throw CofferCryptoError.libraryFailure(operation: "sigaction(\(signal), SIG_DFL) (errno \(errno))")
                }
            }
        }
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

    private static func restoreDefaultAction(_ signal: Int32) -> Bool {
        var action = sigaction()
        #if canImport(Darwin)
        action.__sigaction_u.__sa_handler = SIG_DFL
        #else
        action.__sigaction_handler.sa_handler = SIG_DFL
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        return sigaction(signal, &action, nil) == 0
    }

    /// Whether the kernel would write a core file for this process now: false after
    /// ``disableCoreDumps(keepingCrashBacktraces:)``.
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
