/*
 * dns_int - internals shared by the files of lib/dns; no other module
 * includes this
 *
 * dns.c        the resolver object, server lists
 * dns_batch.c  batches: the API, the poll loop, deadlines, pcl_dns_lookup
 * dns_query.c  one lookup: cache, list gate, joining; on the wire: UDP
 *              tries, TCP fallback
 * dns_inflight.c the queries in flight, shared by the lookups waiting
 * dns_wire.c   the ldns side: names, queries, reply matching, decoding
 * dns_cache.c  the shared (name, type) cache of reply bytes
 * dns_health.c which DNS lists answer: down, back-off, probes
 */
#ifndef PCL_DNS_INT_H
#define PCL_DNS_INT_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns.h"
#include "util.h"

#define DNS_SERVERS_MAX 8 /* resolv.conf has 3; room for a list */
#define DNS_ATTEMPTS_MAX 16
#define DNS_TIMEOUT_MAX 600000 /* ms */
#define DNS_DEFAULT_TIMEOUT 5000
#define DNS_DEFAULT_ATTEMPTS 2
#define DNS_DEFAULT_MIN_TTL 60
#define DNS_DEFAULT_MAX_TTL 3600
#define DNS_DEFAULT_CACHE_BYTES ((size_t)32 << 20)
#define DNS_DEFAULT_CACHE_ANSWER 16384
#define DNS_DEFAULT_LIST_WINDOW 60
#define DNS_DEFAULT_LIST_BACKOFF 30
#define DNS_DEFAULT_LIST_BACKOFF_MAX 600
#define DNS_MSG_MAX 65535 /* largest DNS message (TCP length field) */
#define DNS_HEADER 12
#define DNS_CNAME_HOPS 16 /* longest CNAME chain followed in a reply */

/* RCODEs of RFC 1035 */
#define DNS_NOERROR 0
#define DNS_FORMERR 1
#define DNS_SERVFAIL 2
#define DNS_NXDOMAIN 3
#define DNS_NOTIMP 4
#define DNS_REFUSED 5

struct dns_server {
	struct sockaddr_storage sa;
	socklen_t salen;
	char text[PCL_DNS_SERVER_TEXT_MAX]; /* "[2001:db8::1]:53", for logs */
};

struct dns_cache;
struct dns_cache *dns_cache_hold(struct dns_cache *c);

/* dns_cache_same_bounds - were a and b made with the same limits */
bool dns_cache_same_bounds(const struct dns_cache *a,
                           const struct dns_cache *b);

struct dns_health;

struct pcl_dns {
	struct dns_server servers[DNS_SERVERS_MAX];
	size_t nservers;
	unsigned timeout_ms;
	unsigned attempts;
	unsigned min_ttl;
	unsigned max_ttl;
	struct dns_cache *cache; /* NULL: caching is off */
	struct dns_health *health;
	struct dns_inflight *inflight;
	unsigned list_down_after; /* 0: lists are never marked down */
	unsigned list_window;     /* seconds */
	unsigned list_backoff;
	unsigned list_backoff_max;
	atomic_uint_fast64_t queries_sent;
	atomic_uint_fast64_t cache_hits;
	atomic_uint_fast64_t cache_misses;
	atomic_uint_fast64_t mismatched;
	atomic_uint_fast64_t lists_skipped;
	atomic_uint_fast64_t probes_sent;
	atomic_uint_fast64_t shared;
};

/* dns_count - bump one counter of dns (relaxed: only totals matter) */
static inline void
dns_count(atomic_uint_fast64_t *counter)
{
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* dns_query.c, dns_inflight.c */

enum dns_query_state { DNS_Q_NEW, DNS_Q_ACTIVE, DNS_Q_DONE };

enum dns_tcp_step {
	DNS_TCP_IDLE,
	DNS_TCP_WANTED, /* a reply was truncated: open at next turn */
	DNS_TCP_CONNECT,
	DNS_TCP_WRITE,
	DNS_TCP_READ,
};

struct dns_query;

/* A query on the wire (a flight), with the lookups (struct dns_query,
 * of any batch and thread) that wait for it. All of it is guarded by
 * the lock of the resolver's table of flights (dns_inflight.c) but
 * name, type, zone, deadline_us and list.shown, set before it is listed
 * and never changed. Its sockets are read, written and closed with the lock
 * held, so a descriptor number taken under the lock means this flight's socket
 * as long as the slot, looked at under the lock, still holds it.
 */
struct dns_flight {
	/* the key, in text[]: normalised name, type, and zone ("" unless
	 * a list lookup) */
	const char *name;
	int type;
	const char *zone;
	/* the table's */
	struct dns_flight *hnext; /* hash chain */
	uint32_t hash;
	bool listed; /* in the table: a lookup may join it */
	/* who waits for it */
	struct dns_query *subs; /* linked through next_sub */
	unsigned nsubs;
	struct dns_query *bare; /* blocked in poll() on its sockets with
	                           no eventfd to be told by, or NULL */
	bool stirred;           /* changed: the others must look again */
	/* on the wire */
	unsigned char *query;     /* 2-byte length, then the message */
	size_t querylen;          /* with the 2 bytes */
	int udp[DNS_SERVERS_MAX]; /* connected sockets, -1 if none */
	unsigned tries;
	int64_t next_us;     /* when the next try is due */
	int64_t deadline_us; /* its first lookup's: joined and tried until */
	struct {
		enum dns_tcp_step step;
		int fd;
		size_t server;
		size_t done; /* bytes sent, or received */
		unsigned char len[2];
		unsigned char *buf;
	} tcp;
	char lasterr[96]; /* why the last try failed, naming no server */
	char lastserver[PCL_DNS_SERVER_TEXT_MAX]; /* and where */
	int lastrcode;
	struct {
		bool tracked; /* a list lookup not reported yet */
		bool probe;   /* sent to a down list to see if it is back */
		const char *shown; /* the public name, in text[] */
	} list;
	/* the outcome */
	bool done;            /* a reply, or every try failed */
	unsigned char *reply; /* the reply it ended with, or NULL */
	size_t replylen;
	size_t replyserver; /* which server sent it */
	char text[];        /* name, zone, shown */
};

/* One lookup of a batch. While ACTIVE it waits for a flight: its own,
 * or one it joined; it holds no socket itself. */
struct dns_query {
	char name[PCL_DOMAIN_MAX + 1]; /* normalised */
	int type;
	enum dns_query_state state;
	int64_t deadline_us;
	struct dns_flight *flight; /* while ACTIVE */
	bool joined;               /* waits for a query another lookup sent */
	/* under the table lock: */
	struct dns_query *next_sub; /* the flight's list */
	int wake; /* its batch's eventfd while the batch waits, or -1 */
	struct {
		bool tracked; /* a list lookup not yet sent or answered */
		bool probe;   /* the gate made it the list's probe */
		char zone[PCL_DOMAIN_MAX + 1]; /* normalised */
		const char *shown;             /* the public name */
	} list;
	struct pcl_dns_answer ans;
};

enum dns_list_outcome { DNS_LIST_ANSWER, DNS_LIST_FAILURE, DNS_LIST_NOTHING };

/* A flight's list outcome, taken under the table lock and reported to
 * the list health once it is released (dns_health logs). */
struct dns_list_report {
	bool due;
	bool probe;
	char zone[PCL_DOMAIN_MAX + 1];
	char shown[PCL_DOMAIN_MAX + 1];
};

/* dns_query_fail - answer q (not waiting for a flight) with a failure */
void dns_query_fail(struct dns_query *q, enum pcl_dns_status status, int rcode,
                    const char *why, const char *server);

/* dns_query_untrack - q is answered without a query of its own: a
 * probe gives its turn back */
void dns_query_untrack(struct pcl_dns *dns, struct dns_query *q);

/* dns_query_start - answer q from the cache, or let it join the query
 * in flight for the same question, or send one */
void dns_query_start(struct pcl_dns *dns, struct dns_query *q, int64_t now);

/* What a lookup took from its flight under the lock, to settle after. */
struct dns_taken {
	bool reply;     /* a copy of the reply is in ans.wire, undecoded */
	bool failed;    /* the flight failed: every try did */
	bool completer; /* this lookup's thread ended the flight */
	size_t server;  /* which server replied */
	struct dns_list_report report; /* the completer's to send */
};

/* dns_query_take - with the lock, q's flight being over: q leaves it
 * with a copy of its reply, or answered with its failure */
void dns_query_take(struct pcl_dns *dns, struct dns_query *q, bool completer,
                    struct dns_taken *tk);

/* dns_query_settle - then, without the lock: decode the reply; the
 * completer caches it and reports it to the list health, once */
void dns_query_settle(struct pcl_dns *dns, struct dns_query *q,
                      struct dns_taken *tk);

/* With the table lock held, on a flight that no other lookup is
 * blocked on (bare): */

/* dns_flight_readable - read every datagram waiting on f's socket to s,
 * through rbuf (DNS_MSG_MAX bytes) */
void dns_flight_readable(struct pcl_dns *dns, struct dns_flight *f, size_t s,
                         unsigned char *rbuf);

/* dns_flight_tcp_ready - the TCP socket of f polled ready */
void dns_flight_tcp_ready(struct pcl_dns *dns, struct dns_flight *f);

/* dns_flight_turn - due tries, a wanted TCP connection, or the end of
 * f when every try has failed; between polls only */
void dns_flight_turn(struct pcl_dns *dns, struct dns_flight *f, int64_t now);

/* dns_list_take - with the lock: f's list outcome, to report once */
void dns_list_take(struct dns_flight *f, struct dns_list_report *r);

/* dns_list_send - without the lock: report r, if due, as what; why is
 * a short reason of ours ("timeout", an RCODE name), never a server's
 * text */
void dns_list_send(struct pcl_dns *dns, const struct dns_list_report *r,
                   enum dns_list_outcome what, const char *why);

/* dns_inflight.c: the table of queries in flight, one per resolver */

struct dns_inflight;

struct dns_inflight *dns_inflight_new(void);
void dns_inflight_free(struct dns_inflight *t);
void dns_inflight_lock(struct dns_inflight *t);
void dns_inflight_unlock(struct dns_inflight *t);

/* dns_flight_join - with the lock: let q join the listed flight of its
 * key, if one is still within its deadline at now; false if none */
bool dns_flight_join(struct dns_inflight *t, struct dns_query *q, int64_t now);

/* dns_flight_new - a flight for q's key (with q's list zone when
 * tracked) and its query built, not yet anyone's; NULL with the reason
 * in err */
struct dns_flight *dns_flight_new(const struct dns_query *q, bool tracked,
                                  char *err, size_t errlen);

/* dns_flight_free - release a flight nobody waits for, sockets closed */
void dns_flight_free(struct dns_flight *f);

/* dns_flight_add - with the lock: f goes in the table (unless private)
 * with q as its first lookup */
void dns_flight_add(struct dns_inflight *t, struct dns_flight *f,
                    struct dns_query *q, bool private);

/* dns_flight_unlist - with the lock: no new lookup may join f */
void dns_flight_unlist(struct dns_inflight *t, struct dns_flight *f);

/* dns_flight_close - with the lock: close all of f's sockets */
void dns_flight_close(struct dns_flight *f);

/* dns_flight_leave - with the lock: q stops waiting for its flight; the
 * flight ends with its last lookup (an unreported list outcome then
 * goes to r as nothing) */
void dns_flight_leave(struct dns_inflight *t, struct dns_query *q,
                      struct dns_list_report *r);

/* dns_flight_tell - with the lock: if f was stirred, wake the lookups
 * of other batches blocked waiting for it (but q's) */
void dns_flight_tell(struct dns_flight *f, const struct dns_query *q);

/* dns_wire.c */

/* dns_name_normalize - check a query name and copy it lower-cased
 * without its trailing dot into out (PCL_DOMAIN_MAX + 1 bytes);
 * 0, or -1 with the reason in err */
int dns_name_normalize(const char *name, char *out, char *err, size_t errlen);

/* dns_query_build - the query for (name, type) with id and RD set, in
 * a new buffer preceded by its 2-byte TCP length; 0 or -1 (no memory) */
int dns_query_build(const char *name, int type, uint16_t id,
                    unsigned char **out, size_t *outlen);

enum dns_match {
	DNS_MATCH_OK, /* the reply to this query */
	DNS_MATCH_NO, /* someone else's reply, or a forgery */
};

/* dns_reply_match - does reply answer query (ID, QR, question name
 * compared case-insensitively, type, class); both in wire form without
 * the TCP length */
enum dns_match dns_reply_match(const unsigned char *reply, size_t rlen,
                               const unsigned char *query, size_t qlen);

/* dns_reply_rcode, dns_reply_truncated - header fields of a reply that
 * passed dns_reply_match */
int dns_reply_rcode(const unsigned char *reply);
bool dns_reply_truncated(const unsigned char *reply);

/* dns_reply_decode - fill a (status, rcode, ttl, rrs, error) from a
 * matched reply; the TTL is clamped to min_ttl..max_ttl; 0, or -1 when
 * out of memory (a is then TEMPFAIL) */
int dns_reply_decode(const unsigned char *reply, size_t rlen, const char *qname,
                     int qtype, unsigned min_ttl, unsigned max_ttl,
                     struct pcl_dns_answer *a);

/* dns_rcode_name - "NOERROR", "SERVFAIL", ... or "RCODE 11" */
const char *dns_rcode_name(int rcode, char *buf, size_t len);

/* dns_answer_clear - free what a holds and reset it to PENDING */
void dns_answer_clear(struct pcl_dns_answer *a);

/* dns_answer_fail - set a to status with a formatted reason */
void dns_answer_fail(struct pcl_dns_answer *a, enum pcl_dns_status status,
                     const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* dns_cache.c */

/* dns_cache_new - an empty cache of at most max_entries entries and
 * max_bytes bytes (entries, names and replies); a reply over
 * max_answer bytes is not cached; NULL out of memory */
struct dns_cache *dns_cache_new(size_t max_entries, size_t max_bytes,
                                size_t max_answer);
void dns_cache_free(struct dns_cache *c);
void dns_cache_set_clock(struct dns_cache *c, time_t (*now)(void));
void dns_cache_flush(struct dns_cache *c);

/* dns_cache_get - a copy of the reply cached for (name, type) and the
 * seconds it has left: 1 hit, 0 miss or no memory */
int dns_cache_get(struct dns_cache *c, const char *name, int type,
                  unsigned char **wire, size_t *wirelen, uint32_t *ttl_left);

/* dns_cache_put - remember a reply for ttl seconds (0: not at all) */
void dns_cache_put(struct dns_cache *c, const char *name, int type,
                   const unsigned char *wire, size_t wirelen, uint32_t ttl);

/* dns_cache_usage - entries and bytes in use (tests, stats) */
void dns_cache_usage(struct dns_cache *c, size_t *entries, size_t *bytes);

/* dns_health.c */

enum dns_gate {
	DNS_GATE_SEND,  /* the list is up: send */
	DNS_GATE_PROBE, /* down, and this lookup is its probe: send */
	DNS_GATE_SKIP,  /* down: do not send */
};

struct dns_health *dns_health_new(void);
void dns_health_free(struct dns_health *h);
struct dns_health *dns_health_hold(struct dns_health *h);
void dns_health_set_clock(struct dns_health *h, time_t (*now)(void));

/* dns_health_gate - may a lookup for zone (normalised) go out now; for
 * SKIP, *retry_in is the seconds until the next probe may go */
enum dns_gate dns_health_gate(struct dns_health *h, const struct pcl_dns *dns,
                              const char *zone, unsigned *retry_in);

/* dns_health_report - a fresh answer for zone: ok, or a temporary
 * failure for the short reason why; probe when the gate said PROBE.
 * shown is the list's public name for the log lines. */
void dns_health_report(struct dns_health *h, const struct pcl_dns *dns,
                       const char *zone, const char *shown, bool ok,
                       const char *why, bool probe);

/* dns_health_abandon - a probe will never be reported */
void dns_health_abandon(struct dns_health *h, const char *zone);

/* dns_health_is_down - is zone marked down */
bool dns_health_is_down(struct dns_health *h, const char *zone);

#endif
