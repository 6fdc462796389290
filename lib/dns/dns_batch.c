/*
 * dns_batch - queries on the wire: sockets, one poll loop, retries
 *
 * Why not ldns_resolver: one timeout disables a nameserver for good,
 * the resolver is not thread-safe, and it takes the first datagram
 * that arrives without checking it. So each query has its own UDP
 * sockets, connect()ed to a server so the kernel drops datagrams from
 * anyone else, and a random ID; replies are matched on ID and question
 * (dns_reply_match) and anything else is counted and ignored.
 *
 * Timing: a query's deadline is its send time + timeout_ms. Its tries
 * go out every timeout_ms / attempts, each to the next server in turn;
 * an error from a server (ICMP refusal, SERVFAIL, REFUSED when there is
 * another server) moves on to the next try at once. A truncated reply
 * is asked again over TCP from the same server within the same
 * deadline. All sockets of a batch are awaited in one poll().
 *
 * A lookup of a DNS list (pcl_dns_batch_add_list) also asks the list
 * health (dns_health.c) before it goes out, after the cache: a cached
 * answer is served even while the list is down. Its fresh outcome is
 * reported once: an answer, a temporary failure (all tries failed, or
 * the deadline passed), or nothing (a local failure, a batch freed
 * before the end), in which case a probe gives its turn back.
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
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dns_int.h"

enum query_state { Q_NEW, Q_ACTIVE, Q_DONE };

enum tcp_step {
	TCP_IDLE,
	TCP_WANTED, /* a reply was truncated: open at next turn */
	TCP_CONNECT,
	TCP_WRITE,
	TCP_READ,
};

struct dns_query {
	char name[PCL_DOMAIN_MAX + 1]; /* normalised */
	int type;
	enum query_state state;
	unsigned char *query;     /* 2-byte length, then the message */
	size_t querylen;          /* with the 2 bytes */
	int udp[DNS_SERVERS_MAX]; /* connected sockets, -1 if none */
	unsigned tries;
	int64_t next_us; /* when the next try is due */
	int64_t deadline_us;
	struct {
		enum tcp_step step;
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
		char zone[PCL_DOMAIN_MAX + 1]; /* normalised */
		const char *shown;             /* the public name */
	} list;
	struct pcl_dns_answer ans;
};

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

/* transient - an errno that only means "not now" on a nonblocking fd */
static bool
transient(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
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

/* note_error - remember why a try failed, for a timeout's message;
 * the server apart, as the answer's error never names one */
static void
note_error(struct dns_query *q, const struct dns_server *srv, const char *what,
           int err)
{
	char ebuf[64];

	pcl_format(q->lasterr, sizeof(q->lasterr), "%s: %s", what,
	           strerror_r(err, ebuf, sizeof(ebuf)));
	pcl_copy(q->lastserver, sizeof(q->lastserver), srv->text);
}

/* tcp_close - drop the TCP connection of q, if any */
static void
tcp_close(struct dns_query *q)
{
	if (q->tcp.fd >= 0)
		close(q->tcp.fd);
	free(q->tcp.buf);
	q->tcp.buf = NULL;
	q->tcp.fd = -1;
	q->tcp.step = TCP_IDLE;
	q->tcp.done = 0;
}

/* query_done - q is answered: release its sockets and query */
static void
query_done(struct dns_query *q)
{
	for (size_t s = 0; s < DNS_SERVERS_MAX; s++) {
		if (q->udp[s] >= 0)
			close(q->udp[s]);
		q->udp[s] = -1;
	}
	tcp_close(q);
	free(q->query);
	q->query = NULL;
	q->state = Q_DONE;
}

/* query_fail - answer q with a failure */
static void
query_fail(struct dns_query *q, enum pcl_dns_status status, int rcode,
           const char *why)
{
	q->ans.rcode = rcode;
	dns_answer_fail(&q->ans, status, "%s", why);
	pcl_copy(q->ans.server, sizeof(q->ans.server), q->lastserver);
	query_done(q);
}

enum list_outcome { LIST_ANSWER, LIST_FAILURE, LIST_NOTHING };

/* list_note - report the fresh outcome of a list lookup, once; why is
 * a short reason of ours ("timeout", an RCODE name), never a server's
 * text */
static void
list_note(struct pcl_dns *dns, struct dns_query *q, enum list_outcome what,
          const char *why)
{
	if (!q->list.tracked)
		return;
	q->list.tracked = false;
	if (what == LIST_NOTHING) {
		if (q->list.probe)
			dns_health_abandon(dns->health, q->list.zone);
		return;
	}
	dns_health_report(dns->health, dns, q->list.zone, q->list.shown,
	                  what == LIST_ANSWER, why, q->list.probe);
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
	q->state = Q_NEW;
	if (type < 1 || type > 65535) {
		pcl_format(err, sizeof(err), "bad type %d", type);
		query_fail(q, PCL_DNS_PERMFAIL, -1, err);
	} else if (name == NULL) {
		query_fail(q, PCL_DNS_PERMFAIL, -1, "bad name: NULL");
	} else if (dns_name_normalize(name, q->name, err, sizeof(err)) < 0) {
		query_fail(q, PCL_DNS_PERMFAIL, -1, err);
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
	if (q->state != Q_NEW ||
	    dns_name_normalize(zone, q->list.zone, err, sizeof(err)) < 0)
		return i;
	q->list.tracked = true;
	q->list.shown = public_name ? public_name : "?";
	return i;
}

/* query_try - send the next try of q to the next server */
static void
query_try(struct pcl_dns *dns, struct dns_query *q, int64_t now)
{
	size_t s = q->tries % dns->nservers;
	const struct dns_server *srv = &dns->servers[s];
	int fd = q->udp[s];

	q->tries++;
	q->next_us = now + (int64_t)dns->timeout_ms * 1000 / dns->attempts;
	if (fd < 0) {
		fd = socket(srv->sa.ss_family,
		            SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			note_error(q, srv, "socket", errno);
			q->next_us = 0;
			return;
		}
		if (connect(fd, (const struct sockaddr *)&srv->sa, srv->salen) <
		    0) {
			note_error(q, srv, "connect", errno);
			close(fd);
			q->next_us = 0;
			return;
		}
		q->udp[s] = fd;
	}
	if (send(fd, q->query + 2, q->querylen - 2, 0) < 0) {
		note_error(q, srv, "send", errno);
		close(fd);
		q->udp[s] = -1;
		q->next_us = 0; /* on to the next server at once */
		return;
	}
	dns_count(&dns->queries_sent);
}

/* list_gate - may list lookup q go out; false when its list is down
 * (q is then answered) */
static bool
list_gate(struct pcl_dns *dns, struct dns_query *q)
{
	unsigned retry_in = 0;
	char why[96];

	switch (dns_health_gate(dns->health, dns, q->list.zone, &retry_in)) {
	case DNS_GATE_SEND:
		break;
	case DNS_GATE_PROBE:
		q->list.probe = true;
		dns_count(&dns->probes_sent);
		break;
	case DNS_GATE_SKIP:
		dns_count(&dns->lists_skipped);
		q->list.tracked = false;
		q->ans.list_down = true;
		pcl_format(why, sizeof(why),
		           "list down, not asked (next probe in %us)",
		           retry_in);
		query_fail(q, PCL_DNS_TEMPFAIL, -1, why);
		return false;
	}
	return true;
}

/* query_start - answer q from the cache, or build it and send it */
static void
query_start(struct pcl_dns *dns, struct dns_query *q, int64_t now)
{
	unsigned char *wire = NULL;
	size_t wirelen = 0;
	uint32_t left = 0;
	uint16_t id;
	char ebuf[64];

	if (dns->cache != NULL) {
		if (dns_cache_get(dns->cache, q->name, q->type, &wire, &wirelen,
		                  &left)) {
			dns_count(&dns->cache_hits);
			dns_reply_decode(wire, wirelen, q->name, q->type,
			                 dns->min_ttl, dns->max_ttl, &q->ans);
			q->ans.wire = wire;
			q->ans.wirelen = wirelen;
			q->ans.from_cache = true;
			if (q->ans.status != PCL_DNS_TEMPFAIL)
				q->ans.ttl = left;
			list_note(dns, q, LIST_NOTHING, NULL);
			query_done(q);
			return;
		}
		dns_count(&dns->cache_misses);
	}
	if (q->list.tracked && !list_gate(dns, q))
		return;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id)) {
		pcl_format(q->lasterr, sizeof(q->lasterr), "getrandom: %s",
		           strerror_r(errno, ebuf, sizeof(ebuf)));
		list_note(dns, q, LIST_NOTHING, NULL);
		query_fail(q, PCL_DNS_TEMPFAIL, -1, q->lasterr);
		return;
	}
	if (dns_query_build(q->name, q->type, id, &q->query, &q->querylen) <
	    0) {
		list_note(dns, q, LIST_NOTHING, NULL);
		query_fail(q, PCL_DNS_TEMPFAIL, -1, "out of memory");
		return;
	}
	q->state = Q_ACTIVE;
	q->deadline_us = now + (int64_t)dns->timeout_ms * 1000;
	q->next_us = now;
	query_try(dns, q, now);
}

/* pcl_dns_batch_send - cache answers now, send the rest */
void
pcl_dns_batch_send(struct pcl_dns_batch *b)
{
	int64_t now = now_us();

	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		if (b->q[i]->state == Q_NEW)
			query_start(b->dns, b->q[i], now);
}

/* reply_received - a datagram or TCP message for q from server s */
static void
reply_received(struct pcl_dns *dns, struct dns_query *q, size_t s,
               const unsigned char *buf, size_t len, bool via_tcp)
{
	int rcode;
	char rbuf[16];

	if (dns_reply_match(buf, len, q->query + 2, q->querylen - 2) !=
	    DNS_MATCH_OK) {
		dns_count(&dns->mismatched);
		if (via_tcp) {
			note_error(q, &dns->servers[s], "tcp", EPROTO);
			tcp_close(q);
			q->next_us = 0;
		}
		return;
	}
	if (!via_tcp && dns_reply_truncated(buf)) {
		/* this server has answered over UDP: nothing more to wait
		 * for on its socket (a later try reopens it) */
		close(q->udp[s]);
		q->udp[s] = -1;
		if (q->tcp.step == TCP_IDLE) {
			q->tcp.step = TCP_WANTED;
			q->tcp.server = s;
		}
		return;
	}
	rcode = dns_reply_rcode(buf);
	if ((rcode == DNS_SERVFAIL || rcode == DNS_REFUSED) &&
	    dns->nservers > 1 && q->tries < dns->attempts) {
		/* another server may do better: move on at once */
		pcl_copy(q->lasterr, sizeof(q->lasterr),
		         dns_rcode_name(rcode, rbuf, sizeof(rbuf)));
		pcl_copy(q->lastserver, sizeof(q->lastserver),
		         dns->servers[s].text);
		q->lastrcode = rcode;
		if (via_tcp)
			tcp_close(q);
		else if (q->udp[s] >= 0) {
			close(q->udp[s]);
			q->udp[s] = -1;
		}
		q->next_us = 0;
		return;
	}
	dns_reply_decode(buf, len, q->name, q->type, dns->min_ttl, dns->max_ttl,
	                 &q->ans);
	if (q->ans.status == PCL_DNS_TEMPFAIL ||
	    q->ans.status == PCL_DNS_PERMFAIL)
		pcl_copy(q->ans.server, sizeof(q->ans.server),
		         dns->servers[s].text);
	q->ans.wire = malloc(len);
	if (q->ans.wire != NULL) {
		memcpy(q->ans.wire, buf, len);
		q->ans.wirelen = len;
	}
	if (dns->cache != NULL && q->ans.wire != NULL &&
	    (q->ans.status == PCL_DNS_FOUND ||
	     q->ans.status == PCL_DNS_NXDOMAIN ||
	     q->ans.status == PCL_DNS_NODATA))
		dns_cache_put(dns->cache, q->name, q->type, buf, len,
		              q->ans.ttl);
	if (q->ans.status == PCL_DNS_TEMPFAIL && rcode != DNS_NOERROR)
		list_note(dns, q, LIST_FAILURE,
		          dns_rcode_name(rcode, rbuf, sizeof(rbuf)));
	else if (q->ans.status == PCL_DNS_FOUND ||
	         q->ans.status == PCL_DNS_NXDOMAIN ||
	         q->ans.status == PCL_DNS_NODATA)
		list_note(dns, q, LIST_ANSWER, NULL);
	else
		list_note(dns, q, LIST_NOTHING, NULL);
	query_done(q);
}

/* udp_readable - read every datagram waiting on q's socket to s */
static void
udp_readable(struct pcl_dns_batch *b, struct dns_query *q, size_t s)
{
	for (;;) {
		ssize_t n = recv(q->udp[s], b->rbuf, DNS_MSG_MAX, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			/* e.g. ECONNREFUSED: ICMP port unreachable */
			note_error(q, &b->dns->servers[s], "recv", errno);
			close(q->udp[s]);
			q->udp[s] = -1;
			q->next_us = 0;
			return;
		}
		reply_received(b->dns, q, s, b->rbuf, (size_t)n, false);
		if (q->state != Q_ACTIVE || q->udp[s] < 0)
			return;
	}
}

/* tcp_open - connect to the server whose reply was truncated */
static void
tcp_open(struct dns_query *q, const struct dns_server *srv)
{
	q->tcp.fd = socket(srv->sa.ss_family,
	                   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	q->tcp.done = 0;
	if (q->tcp.fd < 0) {
		note_error(q, srv, "tcp socket", errno);
		tcp_close(q);
		q->next_us = 0;
		return;
	}
	if (connect(q->tcp.fd, (const struct sockaddr *)&srv->sa, srv->salen) ==
	    0)
		q->tcp.step = TCP_WRITE;
	else if (errno == EINPROGRESS)
		q->tcp.step = TCP_CONNECT;
	else {
		note_error(q, srv, "tcp connect", errno);
		tcp_close(q);
		q->next_us = 0;
	}
}

/* tcp_read - the 2-byte length, then the message: -1 complete, 0 more
 * to come, or an errno */
static int
tcp_read(struct dns_query *q)
{
	for (;;) {
		size_t msglen = (size_t)q->tcp.len[0] << 8 | q->tcp.len[1];
		unsigned char *at = q->tcp.len + q->tcp.done;
		size_t want = 2 - q->tcp.done;
		ssize_t n;

		if (q->tcp.done >= 2) {
			if (q->tcp.done - 2 == msglen)
				return -1;
			at = q->tcp.buf + (q->tcp.done - 2);
			want = msglen - (q->tcp.done - 2);
		}
		n = recv(q->tcp.fd, at, want, 0);
		if (n == 0)
			return ECONNRESET;
		if (n < 0)
			return transient(errno) ? 0 : errno;
		q->tcp.done += (size_t)n;
		if (q->tcp.done == 2) {
			msglen = (size_t)q->tcp.len[0] << 8 | q->tcp.len[1];
			if (msglen < DNS_HEADER)
				return EPROTO;
			q->tcp.buf = malloc(msglen);
			if (q->tcp.buf == NULL)
				return ENOMEM;
		}
	}
}

/* tcp_step - move q's TCP exchange on: -1 reply complete, 0 more
 * to come, or an errno */
static int
tcp_step(struct pcl_dns *dns, struct dns_query *q)
{
	int err = 0;
	socklen_t errlen = sizeof(err);
	ssize_t n;

	switch (q->tcp.step) {
	case TCP_CONNECT:
		if (getsockopt(q->tcp.fd, SOL_SOCKET, SO_ERROR, &err, &errlen) <
		    0)
			return errno;
		if (err != 0)
			return err;
		q->tcp.step = TCP_WRITE;
		/* fall through */
	case TCP_WRITE:
		n = send(q->tcp.fd, q->query + q->tcp.done,
		         q->querylen - q->tcp.done, MSG_NOSIGNAL);
		if (n < 0)
			return transient(errno) ? 0 : errno;
		q->tcp.done += (size_t)n;
		if (q->tcp.done == q->querylen) {
			dns_count(&dns->queries_sent);
			q->tcp.step = TCP_READ;
			q->tcp.done = 0;
		}
		return 0;
	case TCP_READ:
		return tcp_read(q);
	default:
		return 0;
	}
}

/* tcp_ready - the TCP socket of q polled ready */
static void
tcp_ready(struct pcl_dns *dns, struct dns_query *q)
{
	const struct dns_server *srv = &dns->servers[q->tcp.server];
	int rc = tcp_step(dns, q);

	if (rc > 0) {
		note_error(q, srv, "tcp", rc);
		tcp_close(q);
		q->next_us = 0; /* UDP tries resume */
	} else if (rc < 0) {
		reply_received(dns, q, q->tcp.server, q->tcp.buf,
		               q->tcp.done - 2, true);
	}
}

/* query_turn - due tries, a wanted TCP connection, or the end of q
 * when every try has failed; between polls only */
static void
query_turn(struct pcl_dns *dns, struct dns_query *q, int64_t now)
{
	bool open = false;

	if (q->tcp.step == TCP_WANTED)
		tcp_open(q, &dns->servers[q->tcp.server]);
	while (q->tcp.step == TCP_IDLE && q->tries < dns->attempts &&
	       q->next_us <= now && now < q->deadline_us)
		query_try(dns, q, now);
	for (size_t s = 0; s < dns->nservers; s++)
		open = open || q->udp[s] >= 0;
	if (!open && q->tcp.step == TCP_IDLE && q->tries >= dns->attempts) {
		char rbuf[16];

		list_note(dns, q, LIST_FAILURE,
		          q->lastrcode >= 0
		              ? dns_rcode_name(q->lastrcode, rbuf, sizeof(rbuf))
		              : "no answer");
		query_fail(q, PCL_DNS_TEMPFAIL, q->lastrcode,
		           q->lasterr[0] ? q->lasterr : "no server answered");
	}
}

/* batch_fail - end every active query of b with the same reason */
static void
batch_fail(struct pcl_dns_batch *b, const char *why)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->q[i]->state != Q_ACTIVE)
			continue;
		list_note(b->dns, b->q[i], LIST_NOTHING, NULL);
		query_fail(b->q[i], PCL_DNS_TEMPFAIL, -1, why);
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

		if (q->state != Q_ACTIVE)
			continue;
		if (q->deadline_us < *wake)
			*wake = q->deadline_us;
		if (q->tcp.step == TCP_IDLE && q->tries < dns->attempts &&
		    q->next_us < *wake)
			*wake = q->next_us;
		for (size_t s = 0; s < dns->nservers; s++) {
			if (q->udp[s] < 0)
				continue;
			pfd[n] = (struct pollfd){q->udp[s], POLLIN, 0};
			who[n++] = (struct poll_who){q, (int)s};
		}
		if (q->tcp.fd >= 0) {
			short ev = q->tcp.step == TCP_READ ? POLLIN : POLLOUT;

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

		if (pfd[i].revents == 0 || q->state != Q_ACTIVE)
			continue;
		/* the fd check skips sockets closed earlier in this round */
		if (s >= 0 && q->udp[s] == pfd[i].fd)
			udp_readable(b, q, (size_t)s);
		else if (s < 0 && q->tcp.fd == pfd[i].fd)
			tcp_ready(b->dns, q);
	}
}

/* batch_expire - end the queries whose deadline has passed */
static void
batch_expire(struct pcl_dns_batch *b, int64_t now)
{
	for (size_t i = 0; i < b->n; i++) {
		struct dns_query *q = b->q[i];
		char why[sizeof(q->lasterr) + 16];

		if (q->state != Q_ACTIVE || now < q->deadline_us)
			continue;
		if (q->lasterr[0])
			pcl_format(why, sizeof(why), "timeout (%s)",
			           q->lasterr);
		else
			pcl_copy(why, sizeof(why), "timeout");
		list_note(b->dns, q, LIST_FAILURE, "timeout");
		query_fail(q, PCL_DNS_TEMPFAIL, q->lastrcode, why);
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
			if (b->q[i]->state == Q_ACTIVE)
				query_turn(b->dns, b->q[i], now);
		n = batch_poll_set(b, pfd, who, &wake);
		for (size_t i = 0; i < b->n; i++)
			active = active || b->q[i]->state == Q_ACTIVE;
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
		list_note(b->dns, b->q[i], LIST_NOTHING, NULL);
		query_done(b->q[i]);
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
