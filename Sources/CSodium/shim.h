#ifndef COFFER_CSODIUM_SHIM_H
#define COFFER_CSODIUM_SHIM_H
#include <sodium.h>
#ifdef __linux__
#include <sys/random.h>  /* getrandom(2): bulk refill of the nonce pages */
#endif
#endif
