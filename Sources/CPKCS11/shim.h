// The Cryptoki (PKCS#11 v2.40) header of the system, from p11-kit (Debian libp11-kit-dev,
// pkg-config p11-kit-1). Nothing is linked: CofferPKCS11 loads the token's module with dlopen.
#include <p11-kit/pkcs11.h>
