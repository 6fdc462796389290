/*
 * dkim_keycache - public keys from DNS, kept parsed for their TTL
 *
 * Turning a key record's p= into an EVP_PKEY is the expensive step of a
 * verification after the signature itself (OpenSSL 3's decoder lookup
 * takes locks), and a busy sender signs every message with the same
 * key. So the parsed key is kept, shared by every thread: an entry is
 * named by the SHA-256 of the lookup name and the record's text, so a
 * changed record is a new entry, never a stale key; it lives until the
 * record's TTL (the DNS module's clamped TTL) runs out.
 *
 * Bounds: a fixed number of slots chosen at creation, one entry each;
 * a new key takes the slot its hash names, pushing out what was there
 * (direct-mapped: no list to walk, no eviction order to keep). An
 * entry holds the digest, the key's parameters and one reference to
 * the EVP_PKEY: at most slots x (an RSA-8192 key, about 2 KiB).
 *
 * Thread safety: one mutex, held only to compare, copy and count
 * references; keys handed out carry their own reference
 * (EVP_PKEY_up_ref is atomic), so an entry may be replaced while a
 * verifier still uses its key.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim_keycache.h"

struct slot {
	unsigned char digest[DKIM_KEYCACHE_DIGEST];
	time_t expires; /* 0: empty */
	EVP_PKEY *pkey;
	struct dkim_keyinfo info;
};

struct dkim_keycache {
	pthread_mutex_t lock;
	size_t nslots;
	uint64_t hits, misses;
	struct slot slot[];
};

/* dkim_keycache_new - a cache of nslots entries (at least 1); NULL
 * when memory is short */
struct dkim_keycache *
dkim_keycache_new(size_t nslots)
{
	struct dkim_keycache *c;

	if (nslots == 0)
		nslots = 1;
	c = calloc(1, sizeof(*c) + nslots * sizeof(c->slot[0]));
	if (c == NULL)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->nslots = nslots;
	return c;
}

/* dkim_keycache_free - every key reference the cache holds; NULL is
 * safe */
void
dkim_keycache_free(struct dkim_keycache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nslots; i++)
		EVP_PKEY_free(c->slot[i].pkey);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* dkim_keycache_digest - what names the entry of a record: SHA-256 of
 * the name, a NUL and the text; false when OpenSSL fails */
bool
dkim_keycache_digest(const char *name, const char *text, size_t len,
                     unsigned char out[DKIM_KEYCACHE_DIGEST])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = md != NULL &&
	          EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	          EVP_DigestUpdate(md, name, strlen(name) + 1) == 1 &&
	          EVP_DigestUpdate(md, text, len) == 1 &&
	          EVP_DigestFinal_ex(md, out, NULL) == 1;

	EVP_MD_CTX_free(md);
	return ok;
}

/* slot_of - the slot a digest names */
static struct slot *
slot_of(struct dkim_keycache *c, const unsigned char *digest)
{
	uint64_t h = 0;

	memcpy(&h, digest, sizeof(h));
	return &c->slot[h % c->nslots];
}

/* dkim_keycache_get - the key of digest, a reference of the caller's
 * own (EVP_PKEY_free it), and its parameters in *info; NULL when the
 * cache has none or it has expired at now */
EVP_PKEY *
dkim_keycache_get(struct dkim_keycache *c, const unsigned char *digest,
                  time_t now, struct dkim_keyinfo *info)
{
	EVP_PKEY *pkey = NULL;
	struct slot *s;

	if (c == NULL)
		return NULL;
	pthread_mutex_lock(&c->lock);
	s = slot_of(c, digest);
	if (s->pkey != NULL && now < s->expires &&
	    memcmp(s->digest, digest, DKIM_KEYCACHE_DIGEST) == 0 &&
	    EVP_PKEY_up_ref(s->pkey) == 1) {
		pkey = s->pkey;
		*info = s->info;
		c->hits++;
	} else {
		c->misses++;
	}
	pthread_mutex_unlock(&c->lock);
	return pkey;
}

/* dkim_keycache_put - keep pkey (a reference of the cache's own is
 * taken; the caller keeps its) for digest until expires */
void
dkim_keycache_put(struct dkim_keycache *c, const unsigned char *digest,
                  time_t expires, EVP_PKEY *pkey,
                  const struct dkim_keyinfo *info)
{
	EVP_PKEY *old = NULL;
	struct slot *s;

	if (c == NULL || pkey == NULL || EVP_PKEY_up_ref(pkey) != 1)
		return;
	pthread_mutex_lock(&c->lock);
	s = slot_of(c, digest);
	old = s->pkey;
	memcpy(s->digest, digest, DKIM_KEYCACHE_DIGEST);
	s->expires = expires;
	s->pkey = pkey;
	s->info = *info;
	pthread_mutex_unlock(&c->lock);
	EVP_PKEY_free(old);
}

/* dkim_keycache_stats - hits and misses since creation */
void
dkim_keycache_stats(struct dkim_keycache *c, uint64_t *hits, uint64_t *misses)
{
	pthread_mutex_lock(&c->lock);
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->lock);
}
