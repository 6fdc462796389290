/*
 * dkim_int - internals shared by the DKIM files (dkim.c holds the
 * library handle, dkim_verify*.c verify, dkim_sign*.c and
 * dkim_signer.c sign with the same handle); no other module includes
 * this
 */
#ifndef PCL_DKIM_INT_H
#define PCL_DKIM_INT_H

#include <openssl/evp.h>

#include "dkim.h"

#define DKIM_DEFAULT_MIN_KEY_BITS 1024
#define DKIM_DEFAULT_MAX_SIGNATURES 5
#define DKIM_KEYCACHE_SLOTS 1024

/* The library handle: immutable after pcl_dkim_lib_new (the key cache
 * has its own lock), so threads share it without one. */
struct pcl_dkim_lib {
	struct pcl_dns *dns; /* borrowed: the caller frees it, after us */
	struct dkim_keycache *keys; /* public keys, parsed */
	unsigned min_key_bits;
	unsigned max_signatures;
	bool sign_ready; /* pcl_dkim_sign_prepare ran (calloc: false) */
	long fixed_time; /* tests: t= pinned (pcl_dkim_lib_conf); 0: real */
	unsigned long sign_expire; /* x= = t= + this; 0: no x= */
};

enum dkim_key_type {
	DKIM_KEY_RSA = 1,
	DKIM_KEY_ED25519,
};

/* A private key (dkim_sign_key.c), parsed once at load: never
 * modified afterwards, so every thread signs with it at once, each
 * with its own EVP_MD_CTX (openssl-threads(7)). */
struct pcl_dkim_key {
	char *path; /* the file it was read from */
	EVP_PKEY *pkey;
	enum dkim_key_type type;
	unsigned bits;
};

#define DKIM_SHA256_LEN 32
#define DKIM_SIG_MAX 1024 /* an RSA-8192 signature */

/* pcl_dkim_sign_digest - sign the SHA-256 hash of a signing input:
 * RSASSA-PKCS1-v1_5 with SHA-256 (RFC 6376 3.3.1), or PureEdDSA over
 * the 32 hash bytes (RFC 8463 3); the signature's length, 0 on error
 * (dkim_signer.c; the RFC 8463 test vectors call it too) */
size_t pcl_dkim_sign_digest(const struct pcl_dkim_key *key,
                            const unsigned char hash[DKIM_SHA256_LEN],
                            unsigned char sig[DKIM_SIG_MAX]);

#endif
