/*
 * dns_batch - batches of queries: the API, one poll loop, deadlines
 *
 * A batch holds lookups added one by one (pcl_dns_batch_add, or
 * pcl_dns_batch_add_list for a DNS list); pcl_dns_batch_send answers
 * what the cache has and sends the rest, or lets a lookup join the
 * query another lookup (of this batch or another) has in flight for the
 * same question; pcl_dns_batch_poll takes in what has arrived and
 * pcl_dns_batch_wait waits for all of them, within each lookup's own
 * deadline. The sockets of all the flights a batch waits for are
 * awaited in one poll(), with its eventfd when it shares a flight
 * (dns_inflight.c); what a flight does on the wire (tries, TCP
 * fallback, replies) is in dns_query.c.
 *
 * A flight's state is only looked at and changed with the table lock
 * held, and a descriptor number from a poll result is used only if the
 * flight, looked at again under the lock, still holds it in the same
 * slot: another thread may have closed it meanwhile. Sockets close as
 * soon as a flight ends, in poll as in wait; a flight still waited for
 * keeps the sockets of the servers it tried (see dns.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dns_int.h"

struct pcl_dns_batch {
	struct pcl_dns *dns;
	struct dns_query **q; /* pointers: answers must not move */
	size_t n;
	size_t cap;
	unsigned char *rbuf; /* DNS_MSG_MAX bytes for UDP reads */
	int wake;            /* eventfd while waiting for shared flights */
	bool nowake;         /* no eventfd to be had: look every few ms */
};

/* which lookup and which socket of its flight a pollfd stands for */
struct poll_who {
	struct dns_query *q; /* NULL: the batch's eventfd */
	int server;          /* -1: the TCP connection */
};

/* How long to sleep at most without an eventfd, when none could be
 * made (out of descriptors): then a shared flight is looked at every
 * NOWAKE_MS instead of being told. */
#define NOWAKE_MS 10

/* now_us - the monotonic clock in microseconds */
static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* poll_timeout - milliseconds from now to wake, rounded up (waking a
 * little early would spin), bounded for poll's int */
static int
poll_timeout(int64_t wake, int64_t now)
{
	if (wake <= now)
		return 0;
	if (wake - now > (int64_t)INT_MAX * 1000 - 999)
		return INT_MAX;
	return (int)((wake - now + 999) / 1000);
}

/* pcl_dns_batch_new - an empty batch; NULL out of memory */
struct pcl_dns_batch *
pcl_dns_batch_new(struct pcl_dns *dns)
{
	struct pcl_dns_batch *b;

	if (dns == NULL)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (b != NULL) {
		b->dns = dns;
		b->wake = -1;
	}
	return b;
}

/* pcl_dns_batch_add - queue a query; its index, or -1 out of memory */
int
pcl_dns_batch_add(struct pcl_dns_batch *b, const char *name, int type)
{
	struct dns_query *q;
	char err[sizeof(q->ans.error)];

	if (b == NULL || b->n >= INT_MAX)
		return -1;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct dns_query **grown = realloc(b->q, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		b->q = grown;
		b->cap = cap;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -1;
	q->wake = -1;
	q->type = type;
	dns_answer_clear(&q->ans);
	q->ans.type = type;
	q->state = DNS_Q_NEW;
	if (type < 1 || type > 65535) {
		pcl_format(err, sizeof(err), "bad type %d", type);
		dns_query_fail(q, PCL_DNS_PERMFAIL, -1, err, NULL);
	} else if (name == NULL) {
		dns_query_fail(q, PCL_DNS_PERMFAIL, -1, "bad name: NULL", NULL);
	} else if (dns_name_normalize(name, q->name, err, sizeof(err)) < 0) {
		dns_query_fail(q, PCL_DNS_PERMFAIL, -1, err, NULL);
	}
	b->q[b->n] = q;
	return (int)b->n++;
}

/* pcl_dns_batch_add_list - queue a lookup of a DNS list */
int
pcl_dns_batch_add_list(struct pcl_dns_batch *b, const char *name, int type,
                       const char *zone, const char *public_name)
{
	int i = pcl_dns_batch_add(b, name, type);
	struct dns_query *q;
	char err[64];

	if (i < 0 || zone == NULL)
		return i;
	q = b->q[i];
	/* a bad name was answered already; a bad zone goes untracked */
	if (q->state != DNS_Q_NEW ||
	    dns_name_normalize(zone, q->list.zone, err, sizeof(err)) < 0)
		return i;
	q->list.tracked = true;
	q->list.shown = public_name ? public_name : "?";
	return i;
}

/* pcl_dns_batch_send - cache answers now, send the rest */
void
pcl_dns_batch_send(struct pcl_dns_batch *b)
{
	int64_t now = now_us();

	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		if (b->q[i]->state == DNS_Q_NEW)
			dns_query_start(b->dns, b->q[i], now);
}

/* query_leave - q stops waiting for its flight (answered with a failure
 * by the caller); a flight nobody waits for any more goes, and its list
 * outcome with it */
static void
query_leave(struct pcl_dns *dns, struct dns_query *q)
{
	struct dns_list_report r;

	dns_inflight_lock(dns->inflight);
	dns_flight_leave(dns->inflight, q, &r);
	dns_inflight_unlock(dns->inflight);
	dns_list_send(dns, &r, DNS_LIST_NOTHING, NULL);
}

/* batch_fail - end every active query of b with the same reason */
static void
batch_fail(struct pcl_dns_batch *b, const char *why)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->q[i]->state != DNS_Q_ACTIVE)
			continue;
		query_leave(b->dns, b->q[i]);
		dns_query_fail(b->q[i], PCL_DNS_TEMPFAIL, -1, why, NULL);
	}
}

/* may_act - with the lock: may q's thread move f on (no other lookup
 * is blocked on its sockets without a way to be told) */
static bool
may_act(const struct dns_flight *f, const struct dns_query *q)
{
	return f->bare == NULL || f->bare == q;
}

/* overdue - with the lock, after a poll's reads, for lookup q: if f has
 * passed its deadline, nobody joins it now and its list outcome is a
 * timeout (to r), unless its reply is in: what waits in its sockets is
 * read first (a batch awaited late takes it), so f may end here */
static void
overdue(struct pcl_dns_batch *b, struct dns_query *q, int64_t now,
        struct dns_list_report *r)
{
	struct dns_flight *f = q->flight;

	r->due = false;
	if (now < f->deadline_us || f->done || !(f->listed || f->list.tracked))
		return;
	if (!may_act(f, q))
		return; /* its bare poller reads and judges */
	for (size_t s = 0; s < b->dns->nservers && !f->done; s++)
		if (f->udp[s] >= 0)
			dns_flight_readable(b->dns, f, s, b->rbuf);
	if (f->done)
		return;
	dns_flight_unlist(b->dns->inflight, f);
	dns_list_take(f, r);
}

/* query_turn - take q's answer if its flight is over; else (turn) its
 * flight's due tries */
static void
query_turn(struct pcl_dns *dns, struct dns_query *q, int64_t now, bool turn)
{
	struct dns_flight *f = q->flight;
	struct dns_taken tk;
	bool was_done, taken = false;

	dns_inflight_lock(dns->inflight);
	was_done = f->done;
	if (turn && may_act(f, q))
		dns_flight_turn(dns, f, now);
	dns_flight_tell(f, q);
	if (f->done) {
		dns_query_take(dns, q, !was_done, &tk);
		taken = true;
	}
	dns_inflight_unlock(dns->inflight);
	if (taken)
		dns_query_settle(dns, q, &tk);
}

/* wake_make - with the lock: the batch's eventfd, made on first need;
 * false when none can be had */
static bool
wake_make(struct pcl_dns_batch *b)
{
	if (b->wake < 0 && !b->nowake) {
		b->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		b->nowake = b->wake < 0;
	}
	return b->wake >= 0;
}

/* batch_poll_set - with the lock: the pollfds of the flights of the
 * active lookups and the time to wake up; when it will block, each
 * lookup is registered for wake-ups (or its flight polled bare);
 * returns how many pollfds */
static size_t
batch_poll_set(struct pcl_dns_batch *b, struct pollfd *pfd,
               struct poll_who *who, int64_t now, bool blocking, int64_t *wake)
{
	struct pcl_dns *dns = b->dns;
	size_t n = 0;

	*wake = INT64_MAX;
	for (size_t i = 0; i < b->n; i++) {
		struct dns_query *q = b->q[i];
		struct dns_flight *f = q->flight;

		if (q->state != DNS_Q_ACTIVE)
			continue;
		if (q->deadline_us < *wake)
			*wake = q->deadline_us;
		if (f->done) {
			*wake = now; /* over meanwhile: take it now */
			continue;
		}
		if (blocking) {
			if (f->nsubs == 1 && b->wake < 0)
				f->bare = q;
			else if (wake_make(b))
				q->wake = b->wake;
		}
		if (!may_act(f, q))
			continue; /* its bare poller tells q */
		if (f->list.tracked && f->deadline_us < *wake)
			*wake = f->deadline_us;
		if (f->tcp.step == DNS_TCP_WANTED)
			*wake = now;
		if (f->tcp.step == DNS_TCP_IDLE && f->tries < dns->attempts &&
		    f->next_us < f->deadline_us && f->next_us < *wake)
			*wake = f->next_us;
		for (size_t s = 0; s < dns->nservers; s++) {
			if (f->udp[s] < 0)
				continue;
			pfd[n] = (struct pollfd){f->udp[s], POLLIN, 0};
			who[n++] = (struct poll_who){q, (int)s};
		}
		if (f->tcp.fd >= 0) {
			short ev =
			    f->tcp.step == DNS_TCP_READ ? POLLIN : POLLOUT;

			pfd[n] = (struct pollfd){f->tcp.fd, ev, 0};
			who[n++] = (struct poll_who){q, -1};
		}
	}
	if (b->wake >= 0) {
		pfd[n] = (struct pollfd){b->wake, POLLIN, 0};
		who[n++] = (struct poll_who){NULL, 0};
	}
	return n;
}

/* batch_unbare - with the lock, after a poll: b's lookups no longer
 * poll bare, and the others waiting for their flights may act */
static void
batch_unbare(struct pcl_dns_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct dns_query *q = b->q[i];

		if (q->state != DNS_Q_ACTIVE || q->flight->bare != q)
			continue;
		q->flight->bare = NULL;
		if (q->flight->nsubs > 1) {
			q->flight->stirred = true;
			dns_flight_tell(q->flight, q);
		}
	}
}

/* batch_unwake - b stops waiting: no eventfd, nobody may write to it */
static void
batch_unwake(struct pcl_dns_batch *b)
{
	b->nowake = false; /* the next wait may have one */
	if (b->wake < 0)
		return;
	dns_inflight_lock(b->dns->inflight);
	for (size_t i = 0; i < b->n; i++)
		if (b->q[i]->state == DNS_Q_ACTIVE)
			b->q[i]->wake = -1;
	dns_inflight_unlock(b->dns->inflight);
	close(b->wake);
	b->wake = -1;
}

/* ready_one - the socket of pollfd p of lookup q's flight polled
 * ready: read it, if the flight still holds it */
static void
ready_one(struct pcl_dns_batch *b, struct dns_query *q, int s,
          const struct pollfd *p)
{
	struct pcl_dns *dns = b->dns;
	struct dns_flight *f = q->flight;
	struct dns_taken tk;
	bool taken = false;

	dns_inflight_lock(dns->inflight);
	if (!f->done && may_act(f, q)) {
		if (s >= 0 && f->udp[s] == p->fd)
			dns_flight_readable(dns, f, (size_t)s, b->rbuf);
		else if (s < 0 && f->tcp.fd == p->fd)
			dns_flight_tcp_ready(dns, f);
		dns_flight_tell(f, q);
		if (f->done) {
			dns_query_take(dns, q, true, &tk);
			taken = true;
		}
	}
	dns_inflight_unlock(dns->inflight);
	if (taken)
		dns_query_settle(dns, q, &tk);
}

/* batch_ready - handle the sockets that poll found ready */
static void
batch_ready(struct pcl_dns_batch *b, const struct pollfd *pfd,
            const struct poll_who *who, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t count;

		if (pfd[i].revents == 0)
			continue;
		if (who[i].q == NULL) {
			/* told: the next turn looks at every flight */
			(void)!read(pfd[i].fd, &count, sizeof(count));
			continue;
		}
		if (who[i].q->state == DNS_Q_ACTIVE)
			ready_one(b, who[i].q, who[i].server, &pfd[i]);
	}
}

/* query_expire - after a poll's reads: q's flight has passed its
 * deadline (late: its list outcome); q's own too (expire): TEMPFAIL
 * "timeout", unless the reply is in */
static void
query_expire(struct pcl_dns_batch *b, struct dns_query *q, int64_t now,
             bool expire)
{
	struct pcl_dns *dns = b->dns;
	struct dns_flight *f = q->flight;
	struct dns_list_report late, gone;
	struct dns_taken tk;
	char why[sizeof(f->lasterr) + 16];
	char server[sizeof(f->lastserver)];
	bool was_done;
	int rcode;

	dns_inflight_lock(dns->inflight);
	was_done = f->done;
	overdue(b, q, now, &late);
	dns_flight_tell(f, q);
	if (f->done) {
		/* the reply is in: the answer, not a timeout */
		dns_query_take(dns, q, !was_done, &tk);
		dns_inflight_unlock(dns->inflight);
		dns_query_settle(dns, q, &tk);
		return;
	}
	if (!expire) {
		dns_inflight_unlock(dns->inflight);
		dns_list_send(dns, &late, DNS_LIST_FAILURE, "timeout");
		return;
	}
	if (f->lasterr[0])
		pcl_format(why, sizeof(why), "timeout (%s)", f->lasterr);
	else
		pcl_copy(why, sizeof(why), "timeout");
	pcl_copy(server, sizeof(server), f->lastserver);
	rcode = f->lastrcode;
	dns_flight_leave(dns->inflight, q, &gone);
	dns_inflight_unlock(dns->inflight);
	dns_list_send(dns, &late, DNS_LIST_FAILURE, "timeout");
	dns_list_send(dns, &gone, DNS_LIST_NOTHING, NULL);
	dns_query_fail(q, PCL_DNS_TEMPFAIL, rcode, why, server);
}

/* batch_expire - end the lookups whose deadline has passed, and judge
 * the flights past theirs */
static void
batch_expire(struct pcl_dns_batch *b, int64_t now)
{
	for (size_t i = 0; i < b->n; i++) {
		struct dns_query *q = b->q[i];

		if (q->state == DNS_Q_ACTIVE && now >= q->flight->deadline_us)
			query_expire(b, q, now, now >= q->deadline_us);
	}
}

static void batch_run(struct pcl_dns_batch *b, bool block);

/* pcl_dns_batch_wait - poll until all are answered or out of time */
void
pcl_dns_batch_wait(struct pcl_dns_batch *b)
{
	batch_run(b, true);
}

/* pcl_dns_batch_poll - take in what has arrived, without waiting */
void
pcl_dns_batch_poll(struct pcl_dns_batch *b)
{
	batch_run(b, false);
}

/* batch_run - send what is unsent, then read replies: until every query
 * is answered or the deadline passes (block), or once without waiting */
static void
batch_run(struct pcl_dns_batch *b, bool block)
{
	struct pollfd *pfd = NULL;
	struct poll_who *who = NULL;
	size_t max;
	char ebuf[64];
	char why[80];

	if (b == NULL)
		return;
	pcl_dns_batch_send(b);
	max = b->n * (b->dns->nservers + 1) + 1;
	pfd = calloc(max, sizeof(*pfd));
	who = calloc(max, sizeof(*who));
	if (b->rbuf == NULL)
		b->rbuf = malloc(DNS_MSG_MAX);
	if (pfd == NULL || who == NULL || b->rbuf == NULL) {
		batch_fail(b, "out of memory");
		goto out;
	}
	/* The first pass only reads: answers that arrived while the caller
	 * was busy must be taken before a try is judged late and resent. */
	for (bool first = true;; first = false) {
		int64_t now = now_us();
		int64_t wake;
		bool blocking = block && !first;
		bool active = false;
		size_t n;
		int timeout;
		int rc;

		for (size_t i = 0; i < b->n; i++)
			if (b->q[i]->state == DNS_Q_ACTIVE)
				query_turn(b->dns, b->q[i], now, !first);
		for (size_t i = 0; i < b->n; i++)
			active = active || b->q[i]->state == DNS_Q_ACTIVE;
		if (!active)
			break;
		dns_inflight_lock(b->dns->inflight);
		n = batch_poll_set(b, pfd, who, now, blocking, &wake);
		dns_inflight_unlock(b->dns->inflight);
		timeout = blocking ? poll_timeout(wake, now) : 0;
		if (blocking && b->nowake && timeout > NOWAKE_MS)
			timeout = NOWAKE_MS;
		rc = poll(pfd, n, timeout);
		if (blocking) {
			dns_inflight_lock(b->dns->inflight);
			batch_unbare(b);
			dns_inflight_unlock(b->dns->inflight);
		}
		if (rc < 0 && errno != EINTR) {
			pcl_format(why, sizeof(why), "poll: %s",
			           strerror_r(errno, ebuf, sizeof(ebuf)));
			batch_fail(b, why);
			break;
		}
		batch_ready(b, pfd, who, n);
		/* expire only after reading: a late send and wait must
		 * still collect what waits in the socket buffers */
		batch_expire(b, now_us());
		if (!block && !first)
			break;
	}
out:
	batch_unwake(b);
	free(pfd);
	free(who);
}

/* pcl_dns_batch_answer - the answer of query i; NULL if no such query */
const struct pcl_dns_answer *
pcl_dns_batch_answer(const struct pcl_dns_batch *b, int i)
{
	if (b == NULL || i < 0 || (size_t)i >= b->n)
		return NULL;
	return &b->q[i]->ans;
}

/* pcl_dns_batch_free - let go of its queries, free answers; NULL safe */
void
pcl_dns_batch_free(struct pcl_dns_batch *b)
{
	if (b == NULL)
		return;
	batch_unwake(b); /* none: a batch only has one inside wait */
	for (size_t i = 0; i < b->n; i++) {
		if (b->q[i]->state == DNS_Q_ACTIVE)
			query_leave(b->dns, b->q[i]);
		else
			dns_query_untrack(b->dns, b->q[i]);
		dns_answer_clear(&b->q[i]->ans);
		free(b->q[i]);
	}
	free(b->q);
	free(b->rbuf);
	free(b);
}

/* pcl_dns_lookup - one query, synchronously; the answer is the caller's */
struct pcl_dns_answer *
pcl_dns_lookup(struct pcl_dns *dns, const char *name, int type)
{
	struct pcl_dns_batch *b = pcl_dns_batch_new(dns);
	struct pcl_dns_answer *a = NULL;
	int i;

	if (b == NULL)
		return NULL;
	i = pcl_dns_batch_add(b, name, type);
	if (i < 0)
		goto out;
	pcl_dns_batch_wait(b);
	a = malloc(sizeof(*a));
	if (a == NULL)
		goto out;
	/* take the answer over; the batch keeps an empty one */
	*a = b->q[i]->ans;
	memset(&b->q[i]->ans, 0, sizeof(b->q[i]->ans));
out:
	pcl_dns_batch_free(b);
	return a;
}
