#ifndef COFFER_CSODIUM_SHIM_H
#define COFFER_CSODIUM_SHIM_H
#include <sodium.h>
#ifdef __linux__
#include <sys/random.h>  /* getrandom(2): bulk refill of the nonce pages */
#include <sys/prctl.h>
/* prctl(2) is variadic, which Swift cannot call: fixed-arity wrappers for ProcessHardening. */
static inline int coffer_set_dumpable(int dumpable) { return prctl(PR_SET_DUMPABLE, (unsigned long)dumpable, 0UL, 0UL, 0UL); }
static inline int coffer_get_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL); }
#endif
#endif
