/*
 * dns_inflight - the queries in flight, shared by the lookups waiting
 * for the same answer
 *
 * A thousand sessions from one client at once would each ask every
 * list the same question: a query and a socket each. As postscreen
 * shares a DNSBL request in progress, a lookup here joins the query
 * (a flight) already asking its (name, type, list zone), if one is
 * still within its deadline, and the flight's one reply is every
 * waiting lookup's answer. A flight past its deadline is not joined: a
 * later lookup asks again, so a stream of sessions cannot keep one
 * query alive for ever.
 *
 * One table per resolver, keyed by that question, under one mutex that
 * also guards every flight: its sockets, tries and lookups. Any thread
 * whose lookup waits for a flight may move it on (read its sockets,
 * send its next try), so a reply is taken in as soon as any of them
 * polls: the session that sent the query may be waiting for its SMTP
 * client, or gone.
 *
 * Wake-ups. A batch blocked in poll() must learn when another thread
 * has taken in the reply it waits for (the datagram is gone from the
 * socket it polls) or has changed the flight's sockets. So a batch that
 * blocks on a flight another lookup waits for too registers an eventfd
 * with its lookups, and whoever changes a flight writes to the eventfds
 * of its other lookups (dns_flight_tell), with the lock held: a batch
 * registers before it looks at the flight and looks again after every
 * wake-up, so no wake-up is lost. A batch blocking on a flight that no
 * other lookup waits for needs no eventfd: it is the flight's bare
 * poller for the length of its poll(); a lookup that joins meanwhile
 * leaves the flight alone (its eventfd is written to when the bare
 * poller's poll() returns). The eventfd lives for one
 * pcl_dns_batch_wait: a batch that is not blocked cannot miss a wake-up.
 *
 * Rejected: one eventfd for the whole table (every batch would wake for
 * every reply, and a batch that drains it takes the others' wake-ups);
 * the sender alone reading the reply (a session that sent its queries
 * at connect and then waits for its client would hold the others'
 * answers in its socket buffer); handing a flight to a joiner to send
 * again after its deadline (a late joiner would extend the query, and
 * each hand-over would be another query).
 *
 * Lock order: none. Nothing else is locked while this lock is held
 * (the cache and the list health are called after it is released), and
 * nothing is done under it but table work, non-blocking socket calls,
 * eventfd writes and small copies.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "dns_int.h"

#define BUCKETS_MIN 64
#define BUCKETS_MAX ((size_t)1 << 16)

struct dns_inflight {
	pthread_mutex_t lock;
	uint32_t seed; /* so chains cannot be aimed at */
	struct dns_flight **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;    /* flights listed */
};

/* key_hash - seeded FNV-1a over name, zone and type */
static uint32_t
key_hash(const struct dns_inflight *t, const char *name, int type,
         const char *zone)
{
	uint32_t h = 2166136261u ^ t->seed;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ 0) * 16777619u;
	for (const unsigned char *p = (const unsigned char *)zone; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ (uint32_t)(type & 0xff)) * 16777619u;
	h = (h ^ (uint32_t)((type >> 8) & 0xff)) * 16777619u;
	return h;
}

/* dns_inflight_new - an empty table; NULL out of memory */
struct dns_inflight *
dns_inflight_new(void)
{
	struct dns_inflight *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->nbuckets = BUCKETS_MIN;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (t->buckets == NULL || pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t->buckets);
		free(t);
		return NULL;
	}
	/* A weak seed is harmless: it only spreads the chains. */
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) !=
	    sizeof(t->seed))
		t->seed = (uint32_t)(uintptr_t)t;
	return t;
}

/* dns_inflight_free - release the table; its flights went with the
 * batches, which the resolver outlives; NULL is safe */
void
dns_inflight_free(struct dns_inflight *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->buckets);
	free(t);
}

/* dns_inflight_lock, dns_inflight_unlock - the table lock */
void
dns_inflight_lock(struct dns_inflight *t)
{
	pthread_mutex_lock(&t->lock);
}

void
dns_inflight_unlock(struct dns_inflight *t)
{
	pthread_mutex_unlock(&t->lock);
}

/* grow - twice the buckets when chains grow long; kept as they are
 * when out of memory (longer chains, still correct) */
static void
grow(struct dns_inflight *t)
{
	size_t n = t->nbuckets * 2;
	struct dns_flight **b;

	if (t->count <= t->nbuckets * 2 || n > BUCKETS_MAX)
		return;
	b = calloc(n, sizeof(*b));
	if (b == NULL)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct dns_flight *f = t->buckets[i];

		while (f != NULL) {
			struct dns_flight *next = f->hnext;

			f->hnext = b[f->hash & (n - 1)];
			b[f->hash & (n - 1)] = f;
			f = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

/* subscribe - q waits for f from now on */
static void
subscribe(struct dns_flight *f, struct dns_query *q)
{
	q->next_sub = f->subs;
	f->subs = q;
	f->nsubs++;
	q->flight = f;
	q->wake = -1;
}

/* key_zone - the zone part of q's key: its list's, if tracked */
static const char *
key_zone(const struct dns_query *q)
{
	return q->list.tracked ? q->list.zone : "";
}

/* dns_flight_join - q joins the listed flight of its key */
bool
dns_flight_join(struct dns_inflight *t, struct dns_query *q, int64_t now)
{
	const char *zone = key_zone(q);
	uint32_t h = key_hash(t, q->name, q->type, zone);

	for (struct dns_flight *f = t->buckets[h & (t->nbuckets - 1)];
	     f != NULL; f = f->hnext) {
		if (f->hash != h || f->type != q->type || f->done ||
		    now >= f->deadline_us || strcmp(f->name, q->name) != 0 ||
		    strcmp(f->zone, zone) != 0)
			continue;
		subscribe(f, q);
		q->joined = true;
		return true;
	}
	return false;
}

/* dns_flight_new - a flight for q's question, its query built */
struct dns_flight *
dns_flight_new(const struct dns_query *q, bool tracked, char *err,
               size_t errlen)
{
	const char *zone = tracked ? q->list.zone : "";
	const char *shown = tracked && q->list.shown ? q->list.shown : "";
	size_t nlen = strlen(q->name) + 1;
	size_t zlen = strlen(zone) + 1;
	size_t slen = strlen(shown) + 1;
	struct dns_flight *f = calloc(1, sizeof(*f) + nlen + zlen + slen);
	char ebuf[64];
	uint16_t id;

	if (f == NULL) {
		pcl_copy(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(f->text, q->name, nlen);
	memcpy(f->text + nlen, zone, zlen);
	memcpy(f->text + nlen + zlen, shown, slen);
	f->name = f->text;
	f->zone = f->text + nlen;
	f->list.shown = f->text + nlen + zlen;
	f->type = q->type;
	for (size_t s = 0; s < DNS_SERVERS_MAX; s++)
		f->udp[s] = -1;
	f->tcp.fd = -1;
	f->lastrcode = -1;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id)) {
		pcl_format(err, errlen, "getrandom: %s",
		           strerror_r(errno, ebuf, sizeof(ebuf)));
		free(f);
		return NULL;
	}
	if (dns_query_build(f->name, f->type, id, &f->query, &f->querylen) <
	    0) {
		pcl_copy(err, errlen, "out of memory");
		free(f);
		return NULL;
	}
	return f;
}

/* dns_flight_free - release f, closing what it holds */
void
dns_flight_free(struct dns_flight *f)
{
	if (f == NULL)
		return;
	dns_flight_close(f);
	free(f->query);
	free(f->reply);
	free(f);
}

/* dns_flight_add - list f (unless private) with q as its first lookup */
void
dns_flight_add(struct dns_inflight *t, struct dns_flight *f,
               struct dns_query *q, bool private)
{
	q->joined = false;
	subscribe(f, q);
	if (private)
		return;
	f->hash = key_hash(t, f->name, f->type, f->zone);
	f->hnext = t->buckets[f->hash & (t->nbuckets - 1)];
	t->buckets[f->hash & (t->nbuckets - 1)] = f;
	f->listed = true;
	t->count++;
	grow(t);
}

/* dns_flight_unlist - no new lookup may join f */
void
dns_flight_unlist(struct dns_inflight *t, struct dns_flight *f)
{
	struct dns_flight **pp;

	if (!f->listed)
		return;
	pp = &t->buckets[f->hash & (t->nbuckets - 1)];
	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	f->hnext = NULL;
	f->listed = false;
	t->count--;
}

/* dns_flight_leave - q stops waiting; the flight ends with its last */
void
dns_flight_leave(struct dns_inflight *t, struct dns_query *q,
                 struct dns_list_report *r)
{
	struct dns_flight *f = q->flight;
	struct dns_query **pp = &f->subs;

	r->due = false;
	while (*pp != q)
		pp = &(*pp)->next_sub;
	*pp = q->next_sub;
	f->nsubs--;
	if (f->bare == q)
		f->bare = NULL;
	q->next_sub = NULL;
	q->flight = NULL;
	q->wake = -1;
	if (f->nsubs > 0)
		return;
	dns_flight_unlist(t, f);
	dns_list_take(f, r);
	dns_flight_free(f);
}

/* dns_flight_tell - wake the other lookups blocked waiting for f */
void
dns_flight_tell(struct dns_flight *f, const struct dns_query *q)
{
	static const uint64_t one = 1;

	if (!f->stirred)
		return;
	f->stirred = false;
	for (struct dns_query *s = f->subs; s != NULL; s = s->next_sub)
		if (s != q && s->wake >= 0)
			(void)!write(s->wake, &one, sizeof(one));
}
