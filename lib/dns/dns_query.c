/*
 * dns_query - one lookup: the cache, the list health, joining a query
 * in flight; and one query on the wire (a flight): UDP tries, TCP
 * after a truncated reply
 *
 * Why not ldns_resolver: one timeout disables a nameserver for good,
 * the resolver is not thread-safe, and it takes the first datagram
 * that arrives without checking it. So each flight has its own UDP
 * sockets, connect()ed to a server so the kernel drops datagrams from
 * anyone else, and a random ID; replies are matched on ID and question
 * (dns_reply_match) and anything else is counted and ignored.
 *
 * A lookup that misses the cache joins the flight already asking the
 * same question (name, type, and list zone) for another lookup, of any
 * batch, if there is one within its deadline (dns_inflight.c), and
 * sends one of its own otherwise. The flight keeps the raw reply; each
 * lookup decodes it into its own answer, as from the cache. The lookup
 * whose thread takes the reply in caches it and reports it to the list
 * health, once for the flight.
 *
 * Timing: a flight's deadline is its first lookup's, send time +
 * timeout_ms. Its tries go out every timeout_ms / attempts, each to the
 * next server in turn, and none after that deadline; an error from a
 * server (ICMP refusal, SERVFAIL, REFUSED when there is another server)
 * moves on to the next try at once. A truncated reply is asked again
 * over TCP from the same server. A lookup that joined later waits on
 * for a late reply until its own deadline. The deadlines and the poll()
 * that waits for all the sockets of a batch are dns_batch.c's: it calls
 * dns_query_start, then dns_flight_turn between polls and
 * dns_flight_readable or dns_flight_tcp_ready for a socket found ready,
 * with the table lock held.
 *
 * A lookup of a DNS list (pcl_dns_batch_add_list) also asks the list
 * health (dns_health.c) before it goes out, after the cache: a cached
 * answer is served even while the list is down. The fresh outcome of
 * its flight is reported once: an answer, a temporary failure (all
 * tries failed, or the flight's deadline passed), or nothing (every
 * lookup waiting for it went away first), in which case a probe gives
 * its turn back. A probe never joins a flight and none joins it: its
 * outcome is the list's.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
note_error(struct dns_flight *f, const struct dns_server *srv, const char *what,
           int err)
{
	char ebuf[64];

	pcl_format(f->lasterr, sizeof(f->lasterr), "%s: %s", what,
	           strerror_r(err, ebuf, sizeof(ebuf)));
	pcl_copy(f->lastserver, sizeof(f->lastserver), srv->text);
}

/* tcp_close - drop the TCP connection of f, if any */
static void
tcp_close(struct dns_flight *f)
{
	if (f->tcp.fd >= 0)
		close(f->tcp.fd);
	free(f->tcp.buf);
	f->tcp.buf = NULL;
	f->tcp.fd = -1;
	f->tcp.step = DNS_TCP_IDLE;
	f->tcp.done = 0;
	f->stirred = true;
}

/* udp_close - drop f's socket to server s */
static void
udp_close(struct dns_flight *f, size_t s)
{
	close(f->udp[s]);
	f->udp[s] = -1;
	f->stirred = true;
}

/* dns_flight_close - close all of f's sockets */
void
dns_flight_close(struct dns_flight *f)
{
	for (size_t s = 0; s < DNS_SERVERS_MAX; s++)
		if (f->udp[s] >= 0)
			udp_close(f, s);
	tcp_close(f);
}

/* flight_finish - f is over: with the reply of server s (a copy is
 * kept for the lookups), or, when reply is NULL, because every try
 * failed; nobody may join it now */
static void
flight_finish(struct pcl_dns *dns, struct dns_flight *f,
              const unsigned char *reply, size_t len, size_t s)
{
	if (reply != NULL) {
		f->reply = malloc(len);
		if (f->reply == NULL) {
			/* no copy for anyone: as if lost, try again */
			pcl_copy(f->lasterr, sizeof(f->lasterr),
			         "out of memory");
			f->next_us = 0;
			return;
		}
		memcpy(f->reply, reply, len);
		f->replylen = len;
		f->replyserver = s;
	}
	f->done = true;
	f->stirred = true;
	dns_flight_close(f);
	dns_flight_unlist(dns->inflight, f);
}

/* dns_query_fail - answer q (not waiting for a flight) with a failure */
void
dns_query_fail(struct dns_query *q, enum pcl_dns_status status, int rcode,
               const char *why, const char *server)
{
	q->ans.rcode = rcode;
	dns_answer_fail(&q->ans, status, "%s", why);
	pcl_copy(q->ans.server, sizeof(q->ans.server), server ? server : "");
	q->state = DNS_Q_DONE;
}

/* dns_query_untrack - q is answered without a query of its own */
void
dns_query_untrack(struct pcl_dns *dns, struct dns_query *q)
{
	if (!q->list.tracked)
		return;
	q->list.tracked = false;
	if (q->list.probe)
		dns_health_abandon(dns->health, q->list.zone);
}

/* dns_list_take - f's list outcome, to report once */
void
dns_list_take(struct dns_flight *f, struct dns_list_report *r)
{
	r->due = f->list.tracked;
	if (!r->due)
		return;
	f->list.tracked = false;
	r->probe = f->list.probe;
	pcl_copy(r->zone, sizeof(r->zone), f->zone);
	pcl_copy(r->shown, sizeof(r->shown), f->list.shown);
}

/* dns_list_send - report r, if due, to the list health */
void
dns_list_send(struct pcl_dns *dns, const struct dns_list_report *r,
              enum dns_list_outcome what, const char *why)
{
	if (!r->due)
		return;
	if (what == DNS_LIST_NOTHING) {
		if (r->probe)
			dns_health_abandon(dns->health, r->zone);
		return;
	}
	dns_health_report(dns->health, dns, r->zone, r->shown,
	                  what == DNS_LIST_ANSWER, why, r->probe);
}

/* query_try - send the next try of f to the next server */
static void
query_try(struct pcl_dns *dns, struct dns_flight *f, int64_t now)
{
	size_t s = f->tries % dns->nservers;
	const struct dns_server *srv = &dns->servers[s];
	int fd = f->udp[s];

	f->tries++;
	f->next_us = now + (int64_t)dns->timeout_ms * 1000 / dns->attempts;
	f->stirred = true;
	if (fd < 0) {
		fd = socket(srv->sa.ss_family,
		            SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			note_error(f, srv, "socket", errno);
			f->next_us = 0;
			return;
		}
		if (connect(fd, (const struct sockaddr *)&srv->sa, srv->salen) <
		    0) {
			note_error(f, srv, "connect", errno);
			close(fd);
			f->next_us = 0;
			return;
		}
		f->udp[s] = fd;
	}
	if (send(fd, f->query + 2, f->querylen - 2, 0) < 0) {
		note_error(f, srv, "send", errno);
		udp_close(f, s);
		f->next_us = 0; /* on to the next server at once */
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
		dns_query_fail(q, PCL_DNS_TEMPFAIL, -1, why, NULL);
		return false;
	}
	return true;
}

/* cache_answer - answer q from the cache; false on a miss */
static bool
cache_answer(struct pcl_dns *dns, struct dns_query *q)
{
	unsigned char *wire = NULL;
	size_t wirelen = 0;
	uint32_t left = 0;

	if (dns->cache == NULL)
		return false;
	if (!dns_cache_get(dns->cache, q->name, q->type, &wire, &wirelen,
	                   &left)) {
		dns_count(&dns->cache_misses);
		return false;
	}
	dns_count(&dns->cache_hits);
	dns_reply_decode(wire, wirelen, q->name, q->type, dns->min_ttl,
	                 dns->max_ttl, &q->ans);
	q->ans.wire = wire;
	q->ans.wirelen = wirelen;
	q->ans.from_cache = true;
	if (q->ans.status != PCL_DNS_TEMPFAIL)
		q->ans.ttl = left;
	dns_query_untrack(dns, q);
	q->state = DNS_Q_DONE;
	return true;
}

/* join - let q join a flight asking its question; a probe never does */
static bool
join(struct pcl_dns *dns, struct dns_query *q, int64_t now)
{
	bool joined;

	if (q->list.probe)
		return false;
	dns_inflight_lock(dns->inflight);
	joined = dns_flight_join(dns->inflight, q, now);
	dns_inflight_unlock(dns->inflight);
	if (joined) {
		q->list.tracked = false; /* the flight reports, once */
		q->state = DNS_Q_ACTIVE;
	}
	return joined;
}

/* dns_query_start - answer q from the cache, or let it join the flight
 * asking its question, or send one */
void
dns_query_start(struct pcl_dns *dns, struct dns_query *q, int64_t now)
{
	struct dns_flight *f;
	char err[sizeof(q->ans.error)];

	if (cache_answer(dns, q))
		return;
	if (q->list.tracked && !list_gate(dns, q))
		return;
	q->deadline_us = now + (int64_t)dns->timeout_ms * 1000;
	if (join(dns, q, now))
		return;
	/* built without the lock, so the lock covers table work and
	 * one send */
	f = dns_flight_new(q, q->list.tracked, err, sizeof(err));
	if (f == NULL) {
		dns_query_untrack(dns, q);
		dns_query_fail(q, PCL_DNS_TEMPFAIL, -1, err, NULL);
		return;
	}
	dns_inflight_lock(dns->inflight);
	if (!q->list.probe && dns_flight_join(dns->inflight, q, now)) {
		/* another lookup sent it meanwhile */
		dns_inflight_unlock(dns->inflight);
		dns_flight_free(f);
		q->list.tracked = false;
		q->state = DNS_Q_ACTIVE;
		return;
	}
	f->deadline_us = q->deadline_us;
	f->next_us = now;
	f->list.tracked = q->list.tracked;
	f->list.probe = q->list.probe;
	dns_flight_add(dns->inflight, f, q, q->list.probe);
	query_try(dns, f, now);
	f->stirred = false; /* nobody else waits for it yet */
	dns_inflight_unlock(dns->inflight);
	q->list.tracked = false;
	q->state = DNS_Q_ACTIVE;
}

/* dns_query_take - q's flight is over: q leaves it with a copy of the
 * reply to decode (dns_query_settle), or answered with its failure;
 * completer when q's thread ended it (it then reports it) */
void
dns_query_take(struct pcl_dns *dns, struct dns_query *q, bool completer,
               struct dns_taken *tk)
{
	struct dns_flight *f = q->flight;
	struct dns_list_report none;

	memset(tk, 0, sizeof(*tk));
	tk->completer = completer;
	if (completer)
		dns_list_take(f, &tk->report);
	if (f->reply != NULL) {
		q->ans.wire = malloc(f->replylen);
		if (q->ans.wire != NULL) {
			memcpy(q->ans.wire, f->reply, f->replylen);
			q->ans.wirelen = f->replylen;
			tk->reply = true;
			tk->server = f->replyserver;
		} else {
			dns_query_fail(q, PCL_DNS_TEMPFAIL, -1, "out of memory",
			               NULL);
		}
	} else {
		dns_query_fail(q, PCL_DNS_TEMPFAIL, f->lastrcode,
		               f->lasterr[0] ? f->lasterr
		                             : "no server answered",
		               f->lastserver);
	}
	tk->failed = f->reply == NULL;
	if (q->joined)
		dns_count(&dns->shared);
	dns_flight_leave(dns->inflight, q, &none); /* done: nothing due */
	q->state = DNS_Q_DONE;
}

/* dns_query_settle - after dns_query_take, without the lock: decode the
 * reply; the completer caches it and reports it to the list health */
void
dns_query_settle(struct pcl_dns *dns, struct dns_query *q, struct dns_taken *tk)
{
	struct pcl_dns_answer *a = &q->ans;
	unsigned char *wire = a->wire;
	size_t len = a->wirelen;
	char rbuf[16];

	if (!tk->reply) {
		if (tk->failed)
			dns_list_send(
			    dns, &tk->report, DNS_LIST_FAILURE,
			    a->rcode >= 0
			        ? dns_rcode_name(a->rcode, rbuf, sizeof(rbuf))
			        : "no answer");
		else
			dns_list_send(dns, &tk->report, DNS_LIST_NOTHING, NULL);
		return;
	}
	/* the decoder starts from an empty answer; the wire goes back in */
	a->wire = NULL;
	a->wirelen = 0;
	dns_reply_decode(wire, len, q->name, q->type, dns->min_ttl,
	                 dns->max_ttl, a);
	a->wire = wire;
	a->wirelen = len;
	if (a->status == PCL_DNS_TEMPFAIL || a->status == PCL_DNS_PERMFAIL)
		pcl_copy(a->server, sizeof(a->server),
		         dns->servers[tk->server].text);
	if (!tk->completer)
		return;
	if (dns->cache != NULL &&
	    (a->status == PCL_DNS_FOUND || a->status == PCL_DNS_NXDOMAIN ||
	     a->status == PCL_DNS_NODATA))
		dns_cache_put(dns->cache, q->name, q->type, wire, len, a->ttl);
	if (a->status == PCL_DNS_TEMPFAIL && a->rcode != DNS_NOERROR)
		dns_list_send(dns, &tk->report, DNS_LIST_FAILURE,
		              dns_rcode_name(a->rcode, rbuf, sizeof(rbuf)));
	else if (a->status == PCL_DNS_FOUND || a->status == PCL_DNS_NXDOMAIN ||
	         a->status == PCL_DNS_NODATA)
		dns_list_send(dns, &tk->report, DNS_LIST_ANSWER, NULL);
	else
		dns_list_send(dns, &tk->report, DNS_LIST_NOTHING, NULL);
}

/* reply_received - a datagram or TCP message for f from server s */
static void
reply_received(struct pcl_dns *dns, struct dns_flight *f, size_t s,
               const unsigned char *buf, size_t len, bool via_tcp)
{
	int rcode;
	char rbuf[16];

	if (dns_reply_match(buf, len, f->query + 2, f->querylen - 2) !=
	    DNS_MATCH_OK) {
		dns_count(&dns->mismatched);
		if (via_tcp) {
			note_error(f, &dns->servers[s], "tcp", EPROTO);
			tcp_close(f);
			f->next_us = 0;
		}
		return;
	}
	if (!via_tcp && dns_reply_truncated(buf)) {
		/* this server has answered over UDP: nothing more to wait
		 * for on its socket (a later try reopens it) */
		udp_close(f, s);
		if (f->tcp.step == DNS_TCP_IDLE) {
			f->tcp.step = DNS_TCP_WANTED;
			f->tcp.server = s;
		}
		return;
	}
	rcode = dns_reply_rcode(buf);
	if ((rcode == DNS_SERVFAIL || rcode == DNS_REFUSED) &&
	    dns->nservers > 1 && f->tries < dns->attempts) {
		/* another server may do better: move on at once */
		pcl_copy(f->lasterr, sizeof(f->lasterr),
		         dns_rcode_name(rcode, rbuf, sizeof(rbuf)));
		pcl_copy(f->lastserver, sizeof(f->lastserver),
		         dns->servers[s].text);
		f->lastrcode = rcode;
		if (via_tcp)
			tcp_close(f);
		else if (f->udp[s] >= 0)
			udp_close(f, s);
		f->next_us = 0;
		return;
	}
	flight_finish(dns, f, buf, len, s);
}

/* dns_flight_readable - read every datagram waiting on f's socket to
 * s, through rbuf (DNS_MSG_MAX bytes) */
void
dns_flight_readable(struct pcl_dns *dns, struct dns_flight *f, size_t s,
                    unsigned char *rbuf)
{
	while (!f->done && f->udp[s] >= 0) {
		ssize_t n = recv(f->udp[s], rbuf, DNS_MSG_MAX, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			/* e.g. ECONNREFUSED: ICMP port unreachable */
			note_error(f, &dns->servers[s], "recv", errno);
			udp_close(f, s);
			f->next_us = 0;
			return;
		}
		reply_received(dns, f, s, rbuf, (size_t)n, false);
	}
}

/* tcp_open - connect to the server whose reply was truncated */
static void
tcp_open(struct dns_flight *f, const struct dns_server *srv)
{
	f->stirred = true;
	f->tcp.fd = socket(srv->sa.ss_family,
	                   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	f->tcp.done = 0;
	if (f->tcp.fd < 0) {
		note_error(f, srv, "tcp socket", errno);
		tcp_close(f);
		f->next_us = 0;
		return;
	}
	if (connect(f->tcp.fd, (const struct sockaddr *)&srv->sa, srv->salen) ==
	    0)
		f->tcp.step = DNS_TCP_WRITE;
	else if (errno == EINPROGRESS)
		f->tcp.step = DNS_TCP_CONNECT;
	else {
		note_error(f, srv, "tcp connect", errno);
		tcp_close(f);
		f->next_us = 0;
	}
}

/* tcp_read - the 2-byte length, then the message: -1 complete, 0 more
 * to come, or an errno */
static int
tcp_read(struct dns_flight *f)
{
	for (;;) {
		size_t msglen = (size_t)f->tcp.len[0] << 8 | f->tcp.len[1];
		unsigned char *at;
		size_t want;
		ssize_t n;

		/* the pointer into len only while len is being read: past
		 * it, len + done would point outside the array (UBSan) */
		if (f->tcp.done < 2) {
			at = f->tcp.len + f->tcp.done;
			want = 2 - f->tcp.done;
		} else {
			if (f->tcp.done - 2 == msglen)
				return -1;
			at = f->tcp.buf + (f->tcp.done - 2);
			want = msglen - (f->tcp.done - 2);
		}
		n = recv(f->tcp.fd, at, want, 0);
		if (n == 0)
			return ECONNRESET;
		if (n < 0)
			return transient(errno) ? 0 : errno;
		f->tcp.done += (size_t)n;
		if (f->tcp.done == 2) {
			msglen = (size_t)f->tcp.len[0] << 8 | f->tcp.len[1];
			if (msglen < DNS_HEADER)
				return EPROTO;
			f->tcp.buf = malloc(msglen);
			if (f->tcp.buf == NULL)
				return ENOMEM;
		}
	}
}

/* tcp_step - move f's TCP exchange on: -1 reply complete, 0 more to
 * come, or an errno */
static int
tcp_step(struct pcl_dns *dns, struct dns_flight *f)
{
	int err = 0;
	socklen_t errlen = sizeof(err);
	ssize_t n;

	switch (f->tcp.step) {
	case DNS_TCP_CONNECT:
		if (getsockopt(f->tcp.fd, SOL_SOCKET, SO_ERROR, &err, &errlen) <
		    0)
			return errno;
		if (err != 0)
			return err;
		f->tcp.step = DNS_TCP_WRITE;
		/* fall through */
	case DNS_TCP_WRITE:
		n = send(f->tcp.fd, f->query + f->tcp.done,
		         f->querylen - f->tcp.done, MSG_NOSIGNAL);
		if (n < 0)
			return transient(errno) ? 0 : errno;
		f->tcp.done += (size_t)n;
		if (f->tcp.done == f->querylen) {
			dns_count(&dns->queries_sent);
			f->tcp.step = DNS_TCP_READ;
			f->tcp.done = 0;
			f->stirred = true; /* polled for reading now */
		}
		return 0;
	case DNS_TCP_READ:
		return tcp_read(f);
	default:
		return 0;
	}
}

/* dns_flight_tcp_ready - the TCP socket of f polled ready */
void
dns_flight_tcp_ready(struct pcl_dns *dns, struct dns_flight *f)
{
	const struct dns_server *srv = &dns->servers[f->tcp.server];
	int rc = tcp_step(dns, f);

	if (rc > 0) {
		note_error(f, srv, "tcp", rc);
		tcp_close(f);
		f->next_us = 0; /* UDP tries resume */
	} else if (rc < 0) {
		reply_received(dns, f, f->tcp.server, f->tcp.buf,
		               f->tcp.done - 2, true);
	}
}

/* dns_flight_turn - due tries, a wanted TCP connection, or the end of
 * f when every try has failed; between polls only */
void
dns_flight_turn(struct pcl_dns *dns, struct dns_flight *f, int64_t now)
{
	bool open = false;

	if (f->done)
		return;
	if (f->tcp.step == DNS_TCP_WANTED)
		tcp_open(f, &dns->servers[f->tcp.server]);
	while (f->tcp.step == DNS_TCP_IDLE && f->tries < dns->attempts &&
	       f->next_us <= now && now < f->deadline_us)
		query_try(dns, f, now);
	for (size_t s = 0; s < dns->nservers; s++)
		open = open || f->udp[s] >= 0;
	if (!open && f->tcp.step == DNS_TCP_IDLE && f->tries >= dns->attempts)
		flight_finish(dns, f, NULL, 0, 0);
}
