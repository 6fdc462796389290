/*
 * dns_health - which DNS lists answer: failure memory, down, back-off,
 * probes
 *
 * A list (a DNSBL or DBL zone) that stops answering would make every
 * message wait the whole dns_timeout for it. So the resolver remembers,
 * per list zone, the temporary failures of fresh lookups (timeouts,
 * SERVFAIL, REFUSED: PCL_DNS_TEMPFAIL with or without a reply):
 *
 *   up    failures in a row are counted; a real answer (found, NXDOMAIN,
 *         NODATA) resets the count, and so does a pause of more than
 *         `window` seconds since the last failure. At `down_after`
 *         failures in a row the list goes down.
 *   down  its lookups are not sent: pcl_dns_batch_add_list answers them
 *         at once with TEMPFAIL "list down" (the check applies the
 *         list's on_error). After `backoff` seconds one lookup goes out
 *         as a probe; any other lookup meanwhile is still skipped. A
 *         probe that answers brings the list up; one that fails doubles
 *         the back-off, up to `backoff_max`. A probe whose batch is
 *         freed unanswered gives its turn back; one never reported at
 *         all (a crash of its session's logic) holds it for a lease of
 *         the dns timeout plus a second, then another probe may go.
 *
 * Answers from the cache say nothing about the list now and are not
 * counted; neither are local failures (out of memory, poll errors) nor
 * PERMFAIL (a name the list cannot have, a malformed reply). Lookups
 * that share one query in flight (dns_inflight.c) count once: the
 * query's outcome is reported, not each lookup's.
 *
 * One WARNING line per state change, naming the list by its public name
 * only ("list=zen.dq.spamhaus.net down: ...", "list=... up"): the zone
 * may hold a DQS key, which stays a lookup key here. A failed probe is
 * an INFO line. Reasons are the RCODE's name or "timeout", never a
 * server's error text, which is not ours to vouch for.
 *
 * The table is shared by every session and thread under one mutex, and
 * by the resolvers of successive configurations (pcl_dns_share_health):
 * what was learned survives a reload, as the cache does. The settings
 * are the resolver's, passed in on each call, so a reload may change
 * them. At most HEALTH_LISTS_MAX zones are tracked; when the table is
 * full, an up list without failures makes room, else the new zone goes
 * untracked (its lookups are always sent).
 *
 * Rejected alternative: tracking by server, as a stub resolver would.
 * The admin's one resolver answers for every list; it is the list
 * behind it that dies, and the others must keep working.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dns_int.h"
#include "log.h"

#define HEALTH_LISTS_MAX 256

struct health_list {
	char zone[PCL_DOMAIN_MAX + 1];  /* normalised; may hold a key */
	char shown[PCL_DOMAIN_MAX + 1]; /* the public name, for logs */
	bool down;
	unsigned failures;   /* in a row */
	time_t last_failure; /* of the run */
	time_t retry_at;     /* down: when a probe may go */
	time_t probe_until;  /* a probe is out until then; 0: none */
	unsigned backoff;    /* down: the current back-off, seconds */
};

struct dns_health {
	atomic_int refs; /* resolvers sharing it (across reloads) */
	pthread_mutex_t lock;
	time_t (*now)(void); /* NULL: the monotonic clock */
	struct health_list *lists;
	size_t count;
};

/* health_now - the clock; lock held */
static time_t
health_now(const struct dns_health *h)
{
	struct timespec ts;

	if (h->now)
		return h->now();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* dns_health_new - an empty table; NULL out of memory */
struct dns_health *
dns_health_new(void)
{
	struct dns_health *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->lists = calloc(HEALTH_LISTS_MAX, sizeof(*h->lists));
	if (h->lists == NULL || pthread_mutex_init(&h->lock, NULL) != 0) {
		free(h->lists);
		free(h);
		return NULL;
	}
	atomic_init(&h->refs, 1);
	return h;
}

/* dns_health_free - one resolver less; the table goes with the last */
void
dns_health_free(struct dns_health *h)
{
	if (h == NULL || atomic_fetch_sub(&h->refs, 1) > 1)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h->lists);
	free(h);
}

/* dns_health_hold - one more resolver shares h */
struct dns_health *
dns_health_hold(struct dns_health *h)
{
	atomic_fetch_add(&h->refs, 1);
	return h;
}

/* dns_health_set_clock - pin the clock (tests) */
void
dns_health_set_clock(struct dns_health *h, time_t (*now)(void))
{
	pthread_mutex_lock(&h->lock);
	h->now = now;
	pthread_mutex_unlock(&h->lock);
}

/* list_find - the entry of a normalised zone, or NULL; lock held. With
 * create, a new entry (reusing a healthy one when full), or NULL. */
static struct health_list *
list_find(struct dns_health *h, const char *zone, const char *shown,
          bool create)
{
	struct health_list *e = NULL;

	for (size_t i = 0; i < h->count; i++)
		if (strcmp(h->lists[i].zone, zone) == 0)
			return &h->lists[i];
	if (!create)
		return NULL;
	if (h->count < HEALTH_LISTS_MAX)
		e = &h->lists[h->count++];
	for (size_t i = 0; e == NULL && i < h->count; i++)
		if (!h->lists[i].down && h->lists[i].failures == 0)
			e = &h->lists[i];
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	pcl_copy(e->zone, sizeof(e->zone), zone);
	pcl_copy(e->shown, sizeof(e->shown), shown);
	return e;
}

/* dns_health_gate - may a lookup for zone be sent now */
enum dns_gate
dns_health_gate(struct dns_health *h, const struct pcl_dns *dns,
                const char *zone, unsigned *retry_in)
{
	enum dns_gate gate = DNS_GATE_SEND;
	struct health_list *e;
	time_t now;

	*retry_in = 0;
	if (h == NULL || dns->list_down_after == 0)
		return DNS_GATE_SEND;
	pthread_mutex_lock(&h->lock);
	e = list_find(h, zone, "", false);
	if (e != NULL && e->down) {
		now = health_now(h);
		if (now >= e->retry_at &&
		    (e->probe_until == 0 || now >= e->probe_until)) {
			/* the lease: a whole lookup, rounded up, and a second
			 */
			e->probe_until =
			    now + (time_t)(dns->timeout_ms + 999) / 1000 + 1;
			gate = DNS_GATE_PROBE;
		} else {
			gate = DNS_GATE_SKIP;
			*retry_in = now < e->retry_at
			                ? (unsigned)(e->retry_at - now)
			                : 0;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return gate;
}

/* dns_health_abandon - a probe's batch went away unanswered: the next
 * lookup may probe at once */
void
dns_health_abandon(struct dns_health *h, const char *zone)
{
	struct health_list *e;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	e = list_find(h, zone, "", false);
	if (e != NULL)
		e->probe_until = 0;
	pthread_mutex_unlock(&h->lock);
}

/* grow - the back-off after a failed probe: doubled, capped */
static unsigned
grow(unsigned backoff, unsigned max)
{
	return backoff > max / 2 ? max : backoff * 2;
}

/* dns_health_report - the fresh answer of a lookup for zone: ok (an
 * answer) or a temporary failure with a short reason */
void
dns_health_report(struct dns_health *h, const struct pcl_dns *dns,
                  const char *zone, const char *shown, bool ok, const char *why,
                  bool probe)
{
	struct health_list *e;
	enum { NOTHING, WENT_UP, WENT_DOWN, STILL_DOWN } say = NOTHING;
	char name[PCL_DOMAIN_MAX + 1];
	unsigned failures = 0, backoff = 0;
	time_t now;

	if (h == NULL || dns->list_down_after == 0)
		return;
	pthread_mutex_lock(&h->lock);
	now = health_now(h);
	e = list_find(h, zone, shown, !ok);
	if (e == NULL)
		goto out;
	if (ok) {
		if (e->down)
			say = WENT_UP;
		e->down = false;
		e->failures = 0;
		e->backoff = 0;
		e->probe_until = 0;
	} else if (e->down) {
		/* a lookup sent before the list went down tells nothing new */
		if (probe) {
			e->backoff = grow(e->backoff, dns->list_backoff_max);
			e->retry_at = now + (time_t)e->backoff;
			e->probe_until = 0;
			say = STILL_DOWN;
		}
	} else {
		if (e->failures > 0 &&
		    now - e->last_failure > (time_t)dns->list_window)
			e->failures = 0;
		e->failures++;
		e->last_failure = now;
		if (e->failures >= dns->list_down_after) {
			e->down = true;
			e->backoff = dns->list_backoff;
			e->retry_at = now + (time_t)e->backoff;
			e->probe_until = 0;
			say = WENT_DOWN;
		}
	}
	failures = e->failures;
	backoff = e->backoff;
	pcl_copy(name, sizeof(name), e->shown);
out:
	pthread_mutex_unlock(&h->lock);
	/* log outside the lock: syslog may block */
	switch (say) {
	case WENT_DOWN:
		pcl_log(LOG_WARNING,
		        "list=%s down: %u failures in a row (last: %s); "
		        "lookups not sent, next probe in %us",
		        name, failures, why, backoff);
		break;
	case WENT_UP:
		pcl_log(LOG_WARNING, "list=%s up", name);
		break;
	case STILL_DOWN:
		pcl_log(LOG_INFO,
		        "list=%s still down: probe failed (%s); "
		        "next probe in %us",
		        name, why, backoff);
		break;
	case NOTHING:
		break;
	}
}

/* dns_health_is_down - is zone marked down (tests, stats) */
bool
dns_health_is_down(struct dns_health *h, const char *zone)
{
	struct health_list *e;
	bool down = false;

	if (h == NULL)
		return false;
	pthread_mutex_lock(&h->lock);
	e = list_find(h, zone, "", false);
	down = e != NULL && e->down;
	pthread_mutex_unlock(&h->lock);
	return down;
}
