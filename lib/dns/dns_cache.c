/*
 * dns_cache - the shared cache of DNS replies by (name, type)
 *
 * A hash table of reply bytes, guarded by one mutex, with a list in
 * least-recently-used order: when the table is full the entry unused
 * for longest goes.
 *
 * Two budgets bound it, because a sender chooses much of what fills it
 * (DKIM selectors, SPF include chains of their own domains): a number
 * of entries and a number of bytes (each entry's struct, name and
 * reply). A new entry evicts from the old end until both hold. A reply
 * over max_answer bytes (TCP allows 64 KiB) is used but not cached, so
 * one huge TXT cannot push out hundreds of ordinary answers; ordinary
 * DNSBL, SPF and DKIM replies are well under a kilobyte or two. Entries hold
 * the raw reply, not a decoded answer, so a hit can hand libopendkim the wire
 * form and the decoder is the same for fresh and cached answers. Names arrive
 * normalised (lower case, no trailing dot) from dns_name_normalize.
 *
 * The lock covers only table work and one memcpy; no I/O is done while
 * it is held.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dns_int.h"

#define CACHE_BUCKETS_MAX ((size_t)1 << 20)

struct cache_entry {
	struct cache_entry *hnext; /* hash chain */
	struct cache_entry *newer; /* LRU list */
	struct cache_entry *older;
	uint32_t hash;
	int type;
	time_t expires;
	unsigned char *wire;
	size_t wirelen;
	char name[];
};

struct dns_cache {
	atomic_int refs; /* resolvers sharing it (across reloads) */
	pthread_mutex_t lock;
	time_t (*now)(void); /* NULL: the monotonic clock */
	uint32_t seed;       /* so chains cannot be aimed at */
	struct cache_entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	size_t max;
	size_t bytes;      /* what the entries cost, entry_cost each */
	size_t max_bytes;  /* at most this */
	size_t max_answer; /* a longer reply is not cached */
	struct cache_entry *newest;
	struct cache_entry *oldest;
};

/* monotonic_seconds - the default cache clock */
static time_t
monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* cache_now - the cache clock; call with the lock held */
static time_t
cache_now(const struct dns_cache *c)
{
	return c->now ? c->now() : monotonic_seconds();
}

/* cache_hash - seeded FNV-1a over name and type */
static uint32_t
cache_hash(const struct dns_cache *c, const char *name, int type)
{
	uint32_t h = 2166136261u ^ c->seed;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ (uint32_t)(type & 0xff)) * 16777619u;
	h = (h ^ (uint32_t)((type >> 8) & 0xff)) * 16777619u;
	return h;
}

/* entry_cost - the bytes an entry counts against the budget */
static size_t
entry_cost(size_t namelen, size_t wirelen)
{
	return sizeof(struct cache_entry) + namelen + 1 + wirelen;
}

/* dns_cache_new - an empty cache within both budgets; NULL no mem */
struct dns_cache *
dns_cache_new(size_t max_entries, size_t max_bytes, size_t max_answer)
{
	struct dns_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	atomic_init(&c->refs, 1);
	c->max = max_entries;
	c->max_bytes = max_bytes;
	c->max_answer = max_answer;
	c->nbuckets = 16;
	while (c->nbuckets < max_entries && c->nbuckets < CACHE_BUCKETS_MAX)
		c->nbuckets <<= 1;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (c->buckets == NULL || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->buckets);
		free(c);
		return NULL;
	}
	/* A weak seed is harmless: it only spreads the chains. */
	if (getrandom(&c->seed, sizeof(c->seed), GRND_NONBLOCK) !=
	    sizeof(c->seed))
		c->seed = (uint32_t)(uintptr_t)c;
	return c;
}

/* lru_remove - take e out of the LRU list only */
static void
lru_remove(struct dns_cache *c, struct cache_entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
}

/* entry_unlink - take e out of its chain and the LRU list */
static void
entry_unlink(struct dns_cache *c, struct cache_entry *e)
{
	struct cache_entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_remove(c, e);
	c->count--;
	c->bytes -= entry_cost(strlen(e->name), e->wirelen);
}

/* entry_free - release an unlinked entry */
static void
entry_free(struct cache_entry *e)
{
	free(e->wire);
	free(e);
}

/* entry_make_newest - put a linked-out entry at the head of the list */
static void
entry_make_newest(struct dns_cache *c, struct cache_entry *e)
{
	e->newer = NULL;
	e->older = c->newest;
	if (c->newest)
		c->newest->newer = e;
	c->newest = e;
	if (c->oldest == NULL)
		c->oldest = e;
}

/* entry_find - the entry for (name, type) or NULL; lock held */
static struct cache_entry *
entry_find(struct dns_cache *c, const char *name, int type, uint32_t hash)
{
	struct cache_entry *e = c->buckets[hash & (c->nbuckets - 1)];

	for (; e != NULL; e = e->hnext)
		if (e->hash == hash && e->type == type &&
		    strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/* dns_cache_flush - drop every entry */
void
dns_cache_flush(struct dns_cache *c)
{
	struct cache_entry *e;

	pthread_mutex_lock(&c->lock);
	while ((e = c->oldest) != NULL) {
		entry_unlink(c, e);
		entry_free(e);
	}
	pthread_mutex_unlock(&c->lock);
}

/* dns_cache_free - release the cache; NULL is safe */
void
dns_cache_free(struct dns_cache *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) > 1)
		return;
	dns_cache_flush(c);
	pthread_mutex_destroy(&c->lock);
	free(c->buckets);
	free(c);
}

/* dns_cache_hold - one more resolver shares c */
struct dns_cache *
dns_cache_hold(struct dns_cache *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

/* dns_cache_same_bounds - were a and b made with the same limits */
bool
dns_cache_same_bounds(const struct dns_cache *a, const struct dns_cache *b)
{
	return a->max == b->max && a->max_bytes == b->max_bytes &&
	       a->max_answer == b->max_answer;
}

/* dns_cache_usage - entries and bytes in use */
void
dns_cache_usage(struct dns_cache *c, size_t *entries, size_t *bytes)
{
	pthread_mutex_lock(&c->lock);
	*entries = c->count;
	*bytes = c->bytes;
	pthread_mutex_unlock(&c->lock);
}

/* dns_cache_set_clock - pin the clock (tests) */
void
dns_cache_set_clock(struct dns_cache *c, time_t (*now)(void))
{
	pthread_mutex_lock(&c->lock);
	c->now = now;
	pthread_mutex_unlock(&c->lock);
}

/* dns_cache_get - a copy of a live entry's reply and its time left */
int
dns_cache_get(struct dns_cache *c, const char *name, int type,
              unsigned char **wire, size_t *wirelen, uint32_t *ttl_left)
{
	uint32_t hash = cache_hash(c, name, type);
	struct cache_entry *e;
	time_t now;
	int hit = 0;

	*wire = NULL;
	pthread_mutex_lock(&c->lock);
	now = cache_now(c);
	e = entry_find(c, name, type, hash);
	if (e != NULL && now >= e->expires) {
		entry_unlink(c, e);
		entry_free(e);
		e = NULL;
	}
	if (e != NULL && (*wire = malloc(e->wirelen)) != NULL) {
		memcpy(*wire, e->wire, e->wirelen);
		*wirelen = e->wirelen;
		*ttl_left = (uint32_t)(e->expires - now);
		lru_remove(c, e);
		entry_make_newest(c, e);
		hit = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

/* dns_cache_put - remember a reply for ttl seconds */
void
dns_cache_put(struct dns_cache *c, const char *name, int type,
              const unsigned char *wire, size_t wirelen, uint32_t ttl)
{
	size_t namelen = strlen(name);
	size_t cost = entry_cost(namelen, wirelen);
	struct cache_entry *e;
	struct cache_entry *gone = NULL; /* evicted, freed after unlock */
	struct cache_entry *old;

	if (ttl == 0 || c->max == 0 || wirelen > c->max_answer ||
	    cost > c->max_bytes)
		return;
	/* allocate before locking: the lock is held for table work only */
	e = malloc(sizeof(*e) + namelen + 1);
	if (e == NULL)
		return;
	e->wire = malloc(wirelen);
	if (e->wire == NULL) {
		free(e);
		return;
	}
	memcpy(e->wire, wire, wirelen);
	e->wirelen = wirelen;
	memcpy(e->name, name, namelen + 1);
	e->type = type;
	e->hash = cache_hash(c, name, type);

	pthread_mutex_lock(&c->lock);
	e->expires = cache_now(c) + (time_t)ttl;
	old = entry_find(c, name, type, e->hash);
	if (old != NULL) {
		entry_unlink(c, old);
		old->hnext = gone;
		gone = old;
	}
	while ((c->count >= c->max || c->bytes + cost > c->max_bytes) &&
	       (old = c->oldest) != NULL) {
		entry_unlink(c, old);
		old->hnext = gone;
		gone = old;
	}
	e->hnext = c->buckets[e->hash & (c->nbuckets - 1)];
	c->buckets[e->hash & (c->nbuckets - 1)] = e;
	entry_make_newest(c, e);
	c->count++;
	c->bytes += cost;
	pthread_mutex_unlock(&c->lock);
	while (gone != NULL) {
		old = gone->hnext;
		entry_free(gone);
		gone = old;
	}
}
