/*
 * dns_query - one query on the wire: the cache, the list health, UDP
 * tries, TCP after a truncated reply
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
 * deadline. The deadline itself, and the poll() that waits for all
 * the sockets of a batch, are dns_batch.c's: it calls dns_query_start,
 * then dns_query_turn between polls and dns_udp_readable or
 * dns_tcp_ready for a socket found ready.
 *
 * A lookup of a DNS list (pcl_dns_batch_add_list) also asks the list
 * health (dns_health.c) before it goes out, after the cache: a cached
 * answer is served even while the list is down. Its fresh outcome is
 * reported once, through dns_list_note: an answer, a temporary failure
 * (all tries failed, or the deadline passed), or nothing (a local
 * failure, a batch freed before the end), in which case a probe gives
 * its turn back.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "dns_int.h"
/* transient - an errno that only means "not now" on a nonblocking fd */
static bool
transient(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
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
	q->tcp.step = DNS_TCP_IDLE;
	q->tcp.done = 0;
}

/* dns_query_done - q is answered: release its sockets and query */
void
dns_query_done(struct dns_query *q)
{
	for (size_t s = 0; s < DNS_SERVERS_MAX; s++) {
		if (q->udp[s] >= 0)
			close(q->udp[s]);
		q->udp[s] = -1;
	}
	tcp_close(q);
	free(q->query);
	q->query = NULL;
	q->state = DNS_Q_DONE;
}

/* dns_query_fail - answer q with a failure */
void
dns_query_fail(struct dns_query *q, enum pcl_dns_status status, int rcode,
               const char *why)
{
	q->ans.rcode = rcode;
	dns_answer_fail(&q->ans, status, "%s", why);
	pcl_copy(q->ans.server, sizeof(q->ans.server), q->lastserver);
	dns_query_done(q);
}

/* dns_list_note - report the fresh outcome of a list lookup, once; why is
 * a short reason of ours ("timeout", an RCODE name), never a server's
 * text */
void
dns_list_note(struct pcl_dns *dns, struct dns_query *q,
              enum dns_list_outcome what, const char *why)
{
	if (!q->list.tracked)
		return;
	q->list.tracked = false;
	if (what == DNS_LIST_NOTHING) {
		if (q->list.probe)
			dns_health_abandon(dns->health, q->list.zone);
		return;
	}
	dns_health_report(dns->health, dns, q->list.zone, q->list.shown,
	                  what == DNS_LIST_ANSWER, why, q->list.probe);
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
		dns_query_fail(q, PCL_DNS_TEMPFAIL, -1, why);
		return false;
	}
	return true;
}

/* dns_query_start - answer q from the cache, or build it and send it */
void
dns_query_start(struct pcl_dns *dns, struct dns_query *q, int64_t now)
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
			dns_list_note(dns, q, DNS_LIST_NOTHING, NULL);
			dns_query_done(q);
			return;
		}
		dns_count(&dns->cache_misses);
	}
	if (q->list.tracked && !list_gate(dns, q))
		return;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id)) {
		pcl_format(q->lasterr, sizeof(q->lasterr), "getrandom: %s",
		           strerror_r(errno, ebuf, sizeof(ebuf)));
		dns_list_note(dns, q, DNS_LIST_NOTHING, NULL);
		dns_query_fail(q, PCL_DNS_TEMPFAIL, -1, q->lasterr);
		return;
	}
	if (dns_query_build(q->name, q->type, id, &q->query, &q->querylen) <
	    0) {
		dns_list_note(dns, q, DNS_LIST_NOTHING, NULL);
		dns_query_fail(q, PCL_DNS_TEMPFAIL, -1, "out of memory");
		return;
	}
	q->state = DNS_Q_ACTIVE;
	q->deadline_us = now + (int64_t)dns->timeout_ms * 1000;
	q->next_us = now;
	query_try(dns, q, now);
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
		if (q->tcp.step == DNS_TCP_IDLE) {
			q->tcp.step = DNS_TCP_WANTED;
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
		dns_list_note(dns, q, DNS_LIST_FAILURE,
		              dns_rcode_name(rcode, rbuf, sizeof(rbuf)));
	else if (q->ans.status == PCL_DNS_FOUND ||
	         q->ans.status == PCL_DNS_NXDOMAIN ||
	         q->ans.status == PCL_DNS_NODATA)
		dns_list_note(dns, q, DNS_LIST_ANSWER, NULL);
	else
		dns_list_note(dns, q, DNS_LIST_NOTHING, NULL);
	dns_query_done(q);
}

/* dns_udp_readable - read every datagram waiting on q's socket to s,
 * through rbuf (DNS_MSG_MAX bytes) */
void
dns_udp_readable(struct pcl_dns *dns, struct dns_query *q, size_t s,
                 unsigned char *rbuf)
{
	for (;;) {
		ssize_t n = recv(q->udp[s], rbuf, DNS_MSG_MAX, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			/* e.g. ECONNREFUSED: ICMP port unreachable */
			note_error(q, &dns->servers[s], "recv", errno);
			close(q->udp[s]);
			q->udp[s] = -1;
			q->next_us = 0;
			return;
		}
		reply_received(dns, q, s, rbuf, (size_t)n, false);
		if (q->state != DNS_Q_ACTIVE || q->udp[s] < 0)
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
		q->tcp.step = DNS_TCP_WRITE;
	else if (errno == EINPROGRESS)
		q->tcp.step = DNS_TCP_CONNECT;
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
		unsigned char *at;
		size_t want;
		ssize_t n;

		/* the pointer into len only while len is being read: past
		 * it, len + done would point outside the array (UBSan) */
		if (q->tcp.done < 2) {
			at = q->tcp.len + q->tcp.done;
			want = 2 - q->tcp.done;
		} else {
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
	case DNS_TCP_CONNECT:
		if (getsockopt(q->tcp.fd, SOL_SOCKET, SO_ERROR, &err, &errlen) <
		    0)
			return errno;
		if (err != 0)
			return err;
		q->tcp.step = DNS_TCP_WRITE;
		/* fall through */
	case DNS_TCP_WRITE:
		n = send(q->tcp.fd, q->query + q->tcp.done,
		         q->querylen - q->tcp.done, MSG_NOSIGNAL);
		if (n < 0)
			return transient(errno) ? 0 : errno;
		q->tcp.done += (size_t)n;
		if (q->tcp.done == q->querylen) {
			dns_count(&dns->queries_sent);
			q->tcp.step = DNS_TCP_READ;
			q->tcp.done = 0;
		}
		return 0;
	case DNS_TCP_READ:
		return tcp_read(q);
	default:
		return 0;
	}
}

/* dns_tcp_ready - the TCP socket of q polled ready */
void
dns_tcp_ready(struct pcl_dns *dns, struct dns_query *q)
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

/* dns_query_turn - due tries, a wanted TCP connection, or the end of q
 * when every try has failed; between polls only */
void
dns_query_turn(struct pcl_dns *dns, struct dns_query *q, int64_t now)
{
	bool open = false;

	if (q->tcp.step == DNS_TCP_WANTED)
		tcp_open(q, &dns->servers[q->tcp.server]);
	while (q->tcp.step == DNS_TCP_IDLE && q->tries < dns->attempts &&
	       q->next_us <= now && now < q->deadline_us)
		query_try(dns, q, now);
	for (size_t s = 0; s < dns->nservers; s++)
		open = open || q->udp[s] >= 0;
	if (!open && q->tcp.step == DNS_TCP_IDLE && q->tries >= dns->attempts) {
		char rbuf[16];

		dns_list_note(
		    dns, q, DNS_LIST_FAILURE,
		    q->lastrcode >= 0
		        ? dns_rcode_name(q->lastrcode, rbuf, sizeof(rbuf))
		        : "no answer");
		dns_query_fail(q, PCL_DNS_TEMPFAIL, q->lastrcode,
		               q->lasterr[0] ? q->lasterr
		                             : "no server answered");
	}
}
