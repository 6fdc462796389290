/*
 * dns_batch - batches of queries: the API, one poll loop, deadlines
 *
 * A batch holds queries added one by one (pcl_dns_batch_add, or
 * pcl_dns_batch_add_list for a DNS list); pcl_dns_batch_send answers
 * what the cache has and sends the rest; pcl_dns_batch_poll takes in
 * what has arrived and pcl_dns_batch_wait waits for all of them, within
 * each query's deadline. All sockets of a batch are awaited in one
 * poll(); what a query does on the wire (tries, TCP fallback, replies,
 * the list health) is in dns_query.c.
 *
 * Sockets are only ever opened between two polls, never while the
 * results of one are handled, so an fd number seen in a poll result
 * still means the socket it meant when the poll began. They are closed
 * as soon as a query ends (query_done), in poll as in wait; a query
 * still waiting keeps the sockets of the servers it tried (see dns.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns_int.h"

struct pcl_dns_batch {
	struct pcl_dns *dns;
	struct dns_query **q; /* pointers: answers must not move */
	size_t n;
	size_t cap;
	unsigned char *rbuf; /* DNS_MSG_MAX bytes for UDP reads */
};

/* which query and which socket a pollfd stands for */
struct poll_who {
	struct dns_query *q;
	int server; /* -1: the TCP connection */
};

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
	if (b != NULL)
		b->dns = dns;
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
	for (size_t s = 0; s < DNS_SERVERS_MAX; s++)
		q->udp[s] = -1;
	q->tcp.fd = -1;
	q->lastrcode = -1;
	q->type = type;
	dns_answer_clear(&q->ans);
	q->ans.type = type;
	q->state = DNS_Q_NEW;
	if (type < 1 || type > 65535) {
		pcl_format(err, sizeof(err), "bad type %d", type);
		dns_query_fail(q, PCL_DNS_PERMFAIL, -1, err);
	} else if (name == NULL) {
		dns_query_fail(q, PCL_DNS_PERMFAIL, -1, "bad name: NULL");
	} else if (dns_name_normalize(name, q->name, err, sizeof(err)) < 0) {
		dns_query_fail(q, PCL_DNS_PERMFAIL, -1, err);
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

/* batch_fail - end every active query of b with the same reason */
static void
batch_fail(struct pcl_dns_batch *b, const char *why)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->q[i]->state != DNS_Q_ACTIVE)
			continue;
		dns_list_note(b->dns, b->q[i], DNS_LIST_NOTHING, NULL);
		dns_query_fail(b->q[i], PCL_DNS_TEMPFAIL, -1, why);
	}
}

/* batch_poll_set - the pollfds of the active queries and the time to
 * wake up; returns how many pollfds */
static size_t
batch_poll_set(struct pcl_dns_batch *b, struct pollfd *pfd,
               struct poll_who *who, int64_t *wake)
{
	struct pcl_dns *dns = b->dns;
	size_t n = 0;

	*wake = INT64_MAX;
	for (size_t i = 0; i < b->n; i++) {
		struct dns_query *q = b->q[i];

		if (q->state != DNS_Q_ACTIVE)
			continue;
		if (q->deadline_us < *wake)
			*wake = q->deadline_us;
		if (q->tcp.step == DNS_TCP_IDLE && q->tries < dns->attempts &&
		    q->next_us < *wake)
			*wake = q->next_us;
		for (size_t s = 0; s < dns->nservers; s++) {
			if (q->udp[s] < 0)
				continue;
			pfd[n] = (struct pollfd){q->udp[s], POLLIN, 0};
			who[n++] = (struct poll_who){q, (int)s};
		}
		if (q->tcp.fd >= 0) {
			short ev =
			    q->tcp.step == DNS_TCP_READ ? POLLIN : POLLOUT;

			pfd[n] = (struct pollfd){q->tcp.fd, ev, 0};
			who[n++] = (struct poll_who){q, -1};
		}
	}
	return n;
}

/* batch_ready - handle the sockets that poll found ready */
static void
batch_ready(struct pcl_dns_batch *b, const struct pollfd *pfd,
            const struct poll_who *who, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct dns_query *q = who[i].q;
		int s = who[i].server;

		if (pfd[i].revents == 0 || q->state != DNS_Q_ACTIVE)
			continue;
		/* the fd check skips sockets closed earlier in this round */
		if (s >= 0 && q->udp[s] == pfd[i].fd)
			dns_udp_readable(b->dns, q, (size_t)s, b->rbuf);
		else if (s < 0 && q->tcp.fd == pfd[i].fd)
			dns_tcp_ready(b->dns, q);
	}
}

/* batch_expire - end the queries whose deadline has passed */
static void
batch_expire(struct pcl_dns_batch *b, int64_t now)
{
	for (size_t i = 0; i < b->n; i++) {
		struct dns_query *q = b->q[i];
		char why[sizeof(q->lasterr) + 16];

		if (q->state != DNS_Q_ACTIVE || now < q->deadline_us)
			continue;
		if (q->lasterr[0])
			pcl_format(why, sizeof(why), "timeout (%s)",
			           q->lasterr);
		else
			pcl_copy(why, sizeof(why), "timeout");
		dns_list_note(b->dns, q, DNS_LIST_FAILURE, "timeout");
		dns_query_fail(q, PCL_DNS_TEMPFAIL, q->lastrcode, why);
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
	max = b->n * (b->dns->nservers + 1);
	pfd = calloc(max ? max : 1, sizeof(*pfd));
	who = calloc(max ? max : 1, sizeof(*who));
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
		size_t n;
		int timeout;
		bool active = false;

		for (size_t i = 0; !first && i < b->n; i++)
			if (b->q[i]->state == DNS_Q_ACTIVE)
				dns_query_turn(b->dns, b->q[i], now);
		n = batch_poll_set(b, pfd, who, &wake);
		for (size_t i = 0; i < b->n; i++)
			active = active || b->q[i]->state == DNS_Q_ACTIVE;
		if (!active)
			break;
		timeout = block && !first ? poll_timeout(wake, now) : 0;
		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
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

/* pcl_dns_batch_free - close sockets, free answers; NULL is safe */
void
pcl_dns_batch_free(struct pcl_dns_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++) {
		dns_list_note(b->dns, b->q[i], DNS_LIST_NOTHING, NULL);
		dns_query_done(b->q[i]);
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
