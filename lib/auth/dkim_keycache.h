/*
 * dkim_keycache - public keys from DNS, kept parsed for their TTL
 * (dkim_keycache.c); used by the verifier only
 */
#ifndef PCL_DKIM_KEYCACHE_H
#define PCL_DKIM_KEYCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "dkim_tags.h"

#define DKIM_KEYCACHE_DIGEST 32 /* SHA-256 */

/* What the verifier needs of a key record besides the key. */
struct dkim_keyinfo {
	enum pcl_dkim_tags_keytype type;
	bool testing; /* t=y */
	bool strict;  /* t=s */
	unsigned bits;
};

struct dkim_keycache;

struct dkim_keycache *dkim_keycache_new(size_t nslots);
void dkim_keycache_free(struct dkim_keycache *c);
bool dkim_keycache_digest(const char *name, const char *text, size_t len,
                          unsigned char out[DKIM_KEYCACHE_DIGEST]);
EVP_PKEY *dkim_keycache_get(struct dkim_keycache *c,
                            const unsigned char *digest, time_t now,
                            struct dkim_keyinfo *info);
void dkim_keycache_put(struct dkim_keycache *c, const unsigned char *digest,
                       time_t expires, EVP_PKEY *pkey,
                       const struct dkim_keyinfo *info);
void dkim_keycache_stats(struct dkim_keycache *c, uint64_t *hits,
                         uint64_t *misses);

#endif
