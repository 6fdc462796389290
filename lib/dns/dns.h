/*
 * dns - the one DNS client of portcullis (the only ldns user)
 *
 * Every lookup of the daemon goes through here: DNSBL and DBL queries,
 * SPF records, DKIM keys. One setting (dns_servers) points them all at
 * the admin's resolver, or at a test server on 127.0.0.1:PORT.
 *
 * Queries are sent over UDP on connect()ed sockets (the kernel drops
 * datagrams from other sources), each with a random ID, and a reply is
 * taken only when its ID, question name, type and class match. A
 * truncated reply is retried over TCP. Independent queries go out
 * together in a batch and are awaited together against one deadline, so
 * N lists cost one round trip, not N. A batch may be sent early (at
 * connect) and awaited later (at RCPT): the answers wait in the socket
 * buffers meanwhile, and a caller that polls between stages takes them
 * in early.
 *
 * Lookups share the queries in flight: one that misses the cache while
 * a query for the same name and type (and, for pcl_dns_batch_add_list,
 * zone) is in flight for another lookup, of this batch or another,
 * joins it instead of sending its own and gets the same answer, taken
 * in by whichever batch waiting for it polls first: the session that
 * sent it may be busy, idle or gone. A query is joined only before its
 * deadline; a lookup that joined it waits for it until its own deadline
 * and then becomes TEMPFAIL "timeout" (nothing extends another's
 * deadline). The cache and the list health hear of a shared query
 * once; a probe of a down list is never shared (dns_inflight.c).
 *
 * Descriptors: a query holds a UDP socket for each server it has tried
 * (and a TCP one while it asks over TCP) from its first try until its
 * answer or its final failure is taken in by any batch waiting for it
 * (poll or wait), or until no batch waits for it any more (free); then
 * it closes them all. Lookups sharing a query share its sockets: a
 * lookup has none of its own, and one answered from the cache or for a
 * down list never needs one. A retry to a server already tried reuses
 * its socket, and a retry to the next server keeps the first one open,
 * so a late answer to an earlier try still counts. A batch blocked in
 * pcl_dns_batch_wait on a query that another lookup waits for too holds
 * one eventfd for the length of that call. A batch whose answers are
 * all in holds none.
 *
 * Answers are cached by (name, type) in one shared, mutex-guarded,
 * size-bounded cache, for their TTL clamped to cache_min_ttl ..
 * cache_max_ttl (postscreen's 60 s .. 1 h by default); NXDOMAIN and
 * NODATA are cached too (RFC 2308: the SOA minimum, clamped the same
 * way). Temporary failures are never cached. The cache is bounded by
 * entries and by bytes, and a reply over cache_max_answer bytes is used
 * but not kept (dns_cache.c).
 *
 * DNS list health: a lookup added with pcl_dns_batch_add_list names the
 * list zone it belongs to. Fresh timeouts and SERVFAILs are remembered
 * per zone; after list_down_after of them in a row (none more than
 * list_window apart) the list is down: its lookups are answered at once
 * with TEMPFAIL and list_down set, without a query, and the caller
 * applies its on_error; one probe goes out after list_backoff seconds,
 * doubling (up to list_backoff_max) while probes fail; an answer brings
 * the list up. A WARNING log line marks each change, with the list's
 * public name only (dns_health.c). pcl_dns_share_health carries this
 * over a reload.
 *
 * Thread safety: a struct pcl_dns is shared by all threads; a batch
 * belongs to one session at a time.
 */
#ifndef PCL_DNS_H
#define PCL_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"

/* RR types used by portcullis (values of RFC 1035 and successors). */
#define PCL_DNS_A 1
#define PCL_DNS_PTR 12
#define PCL_DNS_MX 15
#define PCL_DNS_TXT 16
#define PCL_DNS_AAAA 28

enum pcl_dns_status {
	PCL_DNS_PENDING = 0, /* not answered yet */
	PCL_DNS_FOUND,       /* one or more records of the type */
	PCL_DNS_NXDOMAIN,    /* the name does not exist */
	PCL_DNS_NODATA,      /* the name exists, no records of the type */
	PCL_DNS_TEMPFAIL,    /* timeout, SERVFAIL, REFUSED, network error */
	PCL_DNS_PERMFAIL,    /* malformed name or reply, FORMERR, NOTIMP */
};

/* "[2001:db8::1]:53": a server as text */
#define PCL_DNS_SERVER_TEXT_MAX (PCL_ADDR_TEXT_MAX + 24)

/* One record of an answer, by type. */
struct pcl_dns_rr {
	uint32_t ttl;
	union {
		struct pcl_addr addr; /* A, AAAA */
		struct {
			uint16_t preference;
			char *host; /* no trailing dot */
		} mx;
		char *name; /* PTR target, no trailing dot */
		struct {
			char *text; /* the strings of one TXT RR joined */
			size_t len; /* bytes (TXT may hold NUL bytes) */
		} txt;
	} u;
};

/* An answer: immutable once complete. */
struct pcl_dns_answer {
	enum pcl_dns_status status;
	int rcode;    /* the DNS RCODE, -1 when no reply */
	uint32_t ttl; /* the (clamped) time it is cached for */
	bool from_cache;
	bool list_down; /* not asked: its list is down (add_list) */
	int type;
	size_t count;
	struct pcl_dns_rr *rrs; /* count records of type, in reply order */
	/* The whole reply as received (for libopendkim's DNS hook, which
	 * parses wire format itself), error replies included; cached
	 * answers have it too (the cache keeps replies). NULL when no
	 * reply came: timeout, network error, bad name. */
	unsigned char *wire;
	size_t wirelen;
	/* Why, for TEMPFAIL and PERMFAIL: what failed ("timeout",
	 * "SERVFAIL", "recv: Connection refused"), never which server, so
	 * that it may be shown to others (an SPF problem= in a header, a
	 * reply); the server is in server, for log lines. */
	char error[128];
	char server[PCL_DNS_SERVER_TEXT_MAX]; /* the server error came
	                                         from, or "" */
};

struct pcl_dns_conf {
	const char *servers;       /* "host", "host:port", "[v6]:port", list;
	                              "" or NULL: nameserver lines of
	                              resolv_conf, else 127.0.0.1 (libc) */
	const char *resolv_conf;   /* default "/etc/resolv.conf" */
	unsigned timeout_ms;       /* whole lookup deadline, default 5000 */
	unsigned attempts;         /* sends per query over the servers, ≥ 1,
	                              default 2 */
	unsigned cache_min_ttl;    /* seconds, default 60 */
	unsigned cache_max_ttl;    /* seconds, default 3600 */
	size_t cache_max_entries;  /* 0 = no cache; default 10000 */
	size_t cache_max_bytes;    /* default 32 MiB */
	size_t cache_max_answer;   /* bytes of a reply kept, default 16384 */
	unsigned list_down_after;  /* failures in a row; 0: never down */
	unsigned list_window;      /* seconds between them, default 60 */
	unsigned list_backoff;     /* first back-off, seconds, default 30 */
	unsigned list_backoff_max; /* longest back-off, default 600 */
};
/* In timeout_ms, attempts, cache_min_ttl, cache_max_ttl,
 * cache_max_bytes, cache_max_answer and the list_window and backoffs, 0
 * means the default; in cache_max_entries it turns the cache off, in
 * list_down_after the list health. Limits: timeout_ms ≤ 600000,
 * attempts ≤ 16, cache_min_ttl ≤ cache_max_ttl, cache_max_answer ≤
 * 65535, list_backoff ≤ list_backoff_max, at most 8 servers. */

struct pcl_dns;

/* pcl_dns_new - a resolver; NULL with err (e.g. "dns_servers: bad
 * address \"x\"", "no nameserver in /etc/resolv.conf") */
struct pcl_dns *pcl_dns_new(const struct pcl_dns_conf *conf, char *err,
                            size_t errlen);
void pcl_dns_free(struct pcl_dns *dns);

/* pcl_dns_servers_format - the servers in use as text, comma separated
 * ("192.0.2.1:53,[2001:db8::1]:53"), for the startup log line and
 * tests; returns how many there are */
size_t pcl_dns_servers_format(const struct pcl_dns *dns, char *buf, size_t len);

/* pcl_dns_set_clock - tests pin the clock the cache and the list
 * health use (NULL: the real monotonic clock, in seconds) */
void pcl_dns_set_clock(struct pcl_dns *dns, time_t (*now)(void));

/* pcl_dns_share_cache - make to (a new resolver, not yet in use) share
 * from's cache, when both cache the same number of entries: a reload
 * keeps what the daemon learned. The cache lives while either does. */
void pcl_dns_share_cache(struct pcl_dns *to, struct pcl_dns *from);

/* pcl_dns_share_health - make to (a new resolver, not yet in use)
 * share from's list health: a reload keeps the lists known down */
void pcl_dns_share_health(struct pcl_dns *to, struct pcl_dns *from);

/* pcl_dns_list_down - is the list of this zone marked down */
bool pcl_dns_list_down(struct pcl_dns *dns, const char *zone);

/* pcl_dns_cache_flush - forget every cached answer */
void pcl_dns_cache_flush(struct pcl_dns *dns);

/* Counters since pcl_dns_new, for tests and benchmarks. */
struct pcl_dns_stats {
	uint64_t queries_sent; /* datagrams and TCP queries sent */
	uint64_t cache_hits;
	uint64_t cache_misses;
	uint64_t mismatched;    /* replies dropped: ID/question mismatch */
	uint64_t lists_skipped; /* lookups not sent: their list down */
	uint64_t probes_sent;   /* lookups sent to a down list */
	uint64_t shared; /* lookups answered by joining a query in flight */
	size_t cache_entries; /* in the cache now */
	size_t cache_bytes;
};
void pcl_dns_stats(struct pcl_dns *dns, struct pcl_dns_stats *out);

/* A batch of independent queries awaited together. */
struct pcl_dns_batch;

struct pcl_dns_batch *pcl_dns_batch_new(struct pcl_dns *dns);

/* pcl_dns_batch_add - queue a query; returns its index, or -1 (out of
 * memory: the batch answers it TEMPFAIL). A name that is not a valid
 * domain name (empty label, label over 63, name over 253, bad bytes)
 * is answered PERMFAIL at once without a query. */
int pcl_dns_batch_add(struct pcl_dns_batch *b, const char *name, int type);

/* pcl_dns_batch_add_list - pcl_dns_batch_add for a lookup in the DNS
 * list zone (DQS key and all) that public_name names in log lines; its
 * answers count for the list's health, and while the list is down the
 * lookup is answered at once (TEMPFAIL, list_down) unless it is the
 * probe. Both strings must outlive the batch. */
int pcl_dns_batch_add_list(struct pcl_dns_batch *b, const char *name, int type,
                           const char *zone, const char *public_name);

/* pcl_dns_batch_send - answer what the cache knows, send the rest now;
 * the deadline starts here. Queries added later are sent by the next
 * send or by wait. */
void pcl_dns_batch_send(struct pcl_dns_batch *b);

/* pcl_dns_batch_wait - wait until every query is answered or the
 * deadline (send time + timeout_ms) passes; unanswered queries become
 * TEMPFAIL "timeout". Returns at once when all are answered. */
void pcl_dns_batch_wait(struct pcl_dns_batch *b);

/* pcl_dns_batch_poll - like wait, but only takes in the replies that
 * have already arrived (and resends what is due); never blocks. Lets a
 * caller act on early answers (e.g. ask a follow-up query) between
 * SMTP stages, and closes the sockets of the queries it answers. NULL
 * is safe. */
void pcl_dns_batch_poll(struct pcl_dns_batch *b);

/* pcl_dns_batch_answer - the answer of query i (PENDING before wait);
 * NULL when there is no query i. Valid until pcl_dns_batch_free. */
const struct pcl_dns_answer *pcl_dns_batch_answer(const struct pcl_dns_batch *b,
                                                  int i);

/* pcl_dns_batch_free - stop waiting for its queries (closing the
 * sockets of those no other batch waits for), free answers; NULL is
 * safe */
void pcl_dns_batch_free(struct pcl_dns_batch *b);

/* pcl_dns_lookup - one query, synchronously; the answer is the
 * caller's (free with pcl_dns_answer_free); never NULL except out of
 * memory */
struct pcl_dns_answer *pcl_dns_lookup(struct pcl_dns *dns, const char *name,
                                      int type);
void pcl_dns_answer_free(struct pcl_dns_answer *a);

/* pcl_dns_status_name - "found", "nxdomain", ... */
const char *pcl_dns_status_name(enum pcl_dns_status s);

/* pcl_dns_error_log - why a failed answer failed, with the server it
 * came from ("timeout (server 192.0.2.53:53)"), for log lines and
 * traces only; buf */
const char *pcl_dns_error_log(const struct pcl_dns_answer *a, char *buf,
                              size_t len);

#endif
