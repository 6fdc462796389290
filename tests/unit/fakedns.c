/*
 * fakedns - a tiny authoritative DNS server for the unit tests: the
 * server loop (the zone is in fakedns_zone.c, the knobs in
 * fakedns_knobs.c)
 *
 * One thread polls a UDP socket, a TCP listener, the TCP connections
 * and a wake-up pipe. Every query is answered from the zone into a
 * queue of replies, each due at receipt + its name's delay, so delayed
 * answers overlap instead of queueing behind each other. Knobs and
 * counters are shared with the test thread under one mutex; the zone
 * is read-only once the thread runs.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "fakedns.h"
#include "fakedns_int.h"

#define FK_CONNS 16
#define FK_UDP_MAX 512 /* RFC 1035 limit without EDNS */

struct reply {
	int64_t due_us; /* INT64_MAX: held (knob names the knob) */
	char knob[FK_NAME_MAX];
	int fd; /* the UDP socket, or a TCP connection */
	bool tcp;
	struct sockaddr_storage to;
	socklen_t tolen;
	unsigned char *wire;
	size_t len;
};

struct conn {
	int fd;        /* -1: free slot */
	bool answered; /* a reply is queued: stop reading */
	size_t got;
	unsigned char buf[2 + 1024];
};

static struct {
	struct fakedns pub;
	bool running;
	pthread_t thread;
	int udp;
	int listen;
	int wake[2];
	struct reply *replies; /* server thread only */
	size_t nreplies;
	struct conn conns[FK_CONNS];
} fk;

/* fk_now_us - monotonic microseconds */
static int64_t
fk_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* fk_question_end - offset just past the question of a wire message */
static size_t
fk_question_end(const unsigned char *wire, size_t len)
{
	size_t at = 12;

	while (at < len && wire[at] != 0)
		at += 1 + wire[at];
	return at + 5 <= len ? at + 5 : len;
}

/* fk_queue - queue a copy of wire for sending at due, or when released
 * if k holds answers */
static void
fk_queue(const unsigned char *wire, size_t len, int64_t due, int fd, bool tcp,
         const struct sockaddr_storage *to, socklen_t tolen,
         const struct knob *k)
{
	struct reply *grown;
	struct reply *r;

	grown = realloc(fk.replies, (fk.nreplies + 1) * sizeof(*grown));
	if (grown == NULL)
		return;
	fk.replies = grown;
	r = &fk.replies[fk.nreplies];
	r->wire = malloc(len ? len : 1);
	if (r->wire == NULL)
		return;
	if (len > 0)
		memcpy(r->wire, wire, len);
	r->len = len;
	r->due_us = k->hold ? INT64_MAX : due;
	memcpy(r->knob, k->name, sizeof(r->knob));
	r->fd = fd;
	r->tcp = tcp;
	if (to != NULL)
		r->to = *to;
	r->tolen = tolen;
	fk.nreplies++;
}

/* fk_query - count, then answer one query */
static void
fk_query(const unsigned char *buf, size_t n, int fd, bool tcp,
         const struct sockaddr_storage *from, socklen_t fromlen)
{
	ldns_pkt *query = NULL;
	ldns_pkt *reply = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;
	char norm[FK_NAME_MAX] = "";
	struct knob k = {.rcode = -1};
	const ldns_rr *q;
	int64_t due;

	if (ldns_wire2pkt(&query, buf, n) != LDNS_STATUS_OK)
		return;
	q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	if (q != NULL) {
		char *text = ldns_rdf2str(ldns_rr_owner(q));

		if (text != NULL)
			fk_normalize(text, norm);
		LDNS_FREE(text);
	}
	fk_count(norm, &k);
	if (k.drop)
		goto out;
	if (tcp && k.tcp_close) {
		/* an empty reply: the connection is closed unanswered */
		fk_queue(NULL, 0, fk_now_us(), fd, tcp, from, fromlen, &k);
		goto out;
	}
	due = fk_now_us() + (int64_t)k.delay_ms * 1000;
	if (k.garbage) {
		/* the right ID and question, then half a record */
		static const unsigned char tail[] = {0xc0, 0x0c, 0x00};
		unsigned char bad[FK_UDP_MAX];

		len = fk_question_end(buf, n);
		if (len + sizeof(tail) > sizeof(bad))
			goto out;
		memcpy(bad, buf, len);
		bad[2] |= 0x80;
		bad[7] = 1; /* ANCOUNT */
		memcpy(bad + len, tail, sizeof(tail));
		fk_queue(bad, len + sizeof(tail), due, fd, tcp, from, fromlen,
		         &k);
		goto out;
	}
	reply = fk_answer(query, k.rcode);
	if (reply != NULL && k.drop_empty && fk_empty(reply, query))
		goto out;
	if (reply == NULL ||
	    ldns_pkt2wire(&wire, reply, &len) != LDNS_STATUS_OK)
		goto out;
	if (!tcp && (k.truncate || len > FK_UDP_MAX)) {
		/* header and question only, counts zeroed, TC set */
		len = fk_question_end(wire, len);
		memset(wire + 6, 0, 6);
		wire[2] |= 0x02;
	}
	if (!tcp && k.spoof) {
		wire[1] ^= 0x01;
		fk_queue(wire, len, due, fd, tcp, from, fromlen, &k);
		wire[1] ^= 0x01;
		if (len > 13 && wire[12] > 0) {
			unsigned char c = wire[13];

			wire[13] = tolower(c) == 'q' ? 'z' : 'q';
			fk_queue(wire, len, due, fd, tcp, from, fromlen, &k);
			wire[13] = c;
		}
	}
	fk_queue(wire, len, due, fd, tcp, from, fromlen, &k);
out:
	LDNS_FREE(wire);
	if (reply != NULL)
		ldns_pkt_free(reply);
	ldns_pkt_free(query);
}

/* fk_unhold - the held replies whose knob was released are due now */
static void
fk_unhold(void)
{
	int64_t now = fk_now_us();

	for (size_t i = 0; i < fk.nreplies; i++)
		if (fk.replies[i].due_us == INT64_MAX &&
		    !fk_holding(fk.replies[i].knob))
			fk.replies[i].due_us = now;
}

/* fk_woken - read the wake-up pipe: true to stop ('x'), else ('r') a
 * release */
static bool
fk_woken(void)
{
	char buf[64];
	ssize_t n = read(fk.wake[0], buf, sizeof(buf));

	if (n <= 0 || memchr(buf, 'x', (size_t)n) != NULL)
		return true;
	fk_unhold();
	return false;
}

/* fk_conn_close - free a TCP connection slot */
static void
fk_conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->got = 0;
	c->answered = false;
}

/* fk_send_all - all of len bytes on a TCP connection, waiting (a
 * second at most each time) while its buffer is full: a large reply
 * must not be cut short */
static void
fk_send_all(int fd, const unsigned char *p, size_t len, int flags)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | flags);
		struct pollfd pfd = {fd, POLLOUT, 0};

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return;
		} else if (poll(&pfd, 1, 1000) <= 0) {
			return;
		}
	}
}

/* fk_flush - send every reply that is due; the time of the next one */
static int64_t
fk_flush(void)
{
	int64_t now = fk_now_us();
	int64_t next = INT64_MAX;
	size_t keep = 0;

	for (size_t i = 0; i < fk.nreplies; i++) {
		struct reply *r = &fk.replies[i];

		if (r->due_us > now) {
			if (r->due_us < next)
				next = r->due_us;
			fk.replies[keep++] = *r;
			continue;
		}
		if (r->tcp) {
			unsigned char lenbuf[2] = {(unsigned char)(r->len >> 8),
			                           (unsigned char)r->len};

			if (r->len > 0) {
				fk_send_all(r->fd, lenbuf, 2, MSG_MORE);
				fk_send_all(r->fd, r->wire, r->len, 0);
			}
			for (size_t c = 0; c < FK_CONNS; c++)
				if (fk.conns[c].fd == r->fd)
					fk_conn_close(&fk.conns[c]);
		} else {
			(void)!sendto(r->fd, r->wire, r->len, 0,
			              (struct sockaddr *)&r->to, r->tolen);
		}
		free(r->wire);
	}
	fk.nreplies = keep;
	return next;
}

/* fk_udp_read - answer every datagram waiting */
static void
fk_udp_read(void)
{
	unsigned char buf[FK_UDP_MAX * 2];
	struct sockaddr_storage from;

	for (;;) {
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fk.udp, buf, sizeof(buf), MSG_DONTWAIT,
		                     (struct sockaddr *)&from, &fromlen);

		if (n < 0)
			return;
		fk_query(buf, (size_t)n, fk.udp, false, &from, fromlen);
	}
}

/* fk_tcp_accept - take a new connection, if there is room */
static void
fk_tcp_accept(void)
{
	int fd = accept4(fk.listen, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t c = 0; c < FK_CONNS; c++) {
		if (fk.conns[c].fd < 0) {
			fk.conns[c].fd = fd;
			return;
		}
	}
	close(fd);
}

/* fk_tcp_read - read a length-prefixed query from a connection */
static void
fk_tcp_read(struct conn *c)
{
	ssize_t n = recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, 0);
	size_t need;

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			fk_conn_close(c);
		return;
	}
	c->got += (size_t)n;
	if (c->got < 2)
		return;
	need = 2 + ((size_t)c->buf[0] << 8 | c->buf[1]);
	if (need > sizeof(c->buf)) {
		fk_conn_close(c);
		return;
	}
	if (c->got < need)
		return;
	c->answered = true;
	fk_query(c->buf + 2, need - 2, c->fd, true, NULL, 0);
}

/* fk_main - the server thread */
static void *
fk_main(void *unused)
{
	(void)unused;
	for (;;) {
		struct pollfd pfd[3 + FK_CONNS];
		struct conn *who[3 + FK_CONNS];
		int64_t next = fk_flush();
		int64_t now = fk_now_us();
		int timeout = next == INT64_MAX ? -1
		              : next <= now     ? 0
		                            : (int)((next - now + 999) / 1000);
		nfds_t n = 3;

		pfd[0] = (struct pollfd){fk.wake[0], POLLIN, 0};
		pfd[1] = (struct pollfd){fk.udp, POLLIN, 0};
		pfd[2] = (struct pollfd){fk.listen, POLLIN, 0};
		for (size_t c = 0; c < FK_CONNS; c++) {
			if (fk.conns[c].fd < 0 || fk.conns[c].answered)
				continue;
			pfd[n] = (struct pollfd){fk.conns[c].fd, POLLIN, 0};
			who[n++] = &fk.conns[c];
		}
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents && fk_woken())
			break;
		if (pfd[1].revents)
			fk_udp_read();
		if (pfd[2].revents)
			fk_tcp_accept();
		for (nfds_t i = 3; i < n; i++)
			if (pfd[i].revents && who[i]->fd == pfd[i].fd)
				fk_tcp_read(who[i]);
	}
	return NULL;
}

/* fk_sockets - UDP and TCP on one free port of 127.0.0.1 */
static int
fk_sockets(void)
{
	for (int tries = 0; tries < 20; tries++) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		socklen_t len = sizeof(sin);

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fk.udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		fk.listen = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fk.udp < 0 || fk.listen < 0 ||
		    bind(fk.udp, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    getsockname(fk.udp, (struct sockaddr *)&sin, &len) < 0)
			return -1;
		if (bind(fk.listen, (struct sockaddr *)&sin, sizeof(sin)) ==
		        0 &&
		    listen(fk.listen, 16) == 0) {
			fk.pub.port = ntohs(sin.sin_port);
			snprintf(fk.pub.servers, sizeof(fk.pub.servers),
			         "127.0.0.1:%d", fk.pub.port);
			return 0;
		}
		close(fk.udp); /* TCP port taken: another port */
		close(fk.listen);
	}
	return -1;
}

/* fk_sockets_at - UDP and TCP on addr:port exactly (SO_REUSEADDR on
 * TCP so that a fixed port can be taken again at once) */
static int
fk_sockets_at(const char *addr, int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int one = 1;

	if (port < 1 || port > 65535 ||
	    inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	sin.sin_port = htons((uint16_t)port);
	fk.udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	fk.listen = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fk.udp < 0 || fk.listen < 0 ||
	    setsockopt(fk.listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) <
	        0 ||
	    bind(fk.udp, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    bind(fk.listen, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fk.listen, 16) < 0)
		return -1;
	fk.pub.port = port;
	snprintf(fk.pub.servers, sizeof(fk.pub.servers), "%s:%d", addr, port);
	return 0;
}

/* fk_cleanup - release whatever start had made */
static void
fk_cleanup(void)
{
	if (fk.udp >= 0)
		close(fk.udp);
	if (fk.listen >= 0)
		close(fk.listen);
	for (int i = 0; i < 2; i++)
		if (fk.wake[i] >= 0)
			close(fk.wake[i]);
	for (size_t c = 0; c < FK_CONNS; c++)
		fk_conn_close(&fk.conns[c]);
	for (size_t i = 0; i < fk.nreplies; i++)
		free(fk.replies[i].wire);
	free(fk.replies);
	fk_knobs_free();
	fk_zone_free();
	memset(&fk, 0, sizeof(fk));
}

/* fk_txt_add - the records of txt into the loaded zone; 0 or -1 */
static int
fk_txt_add(const struct fakedns_txt *txt, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fk_zone_add_txt(txt[i].name, txt[i].text, txt[i].len) < 0)
			return -1;
	return 0;
}

/* fk_start - serve zone_text and the n records of txt on addr:port, or
 * on 127.0.0.1 and a free port when addr is NULL */
static struct fakedns *
fk_start(const char *zone_text, const struct fakedns_txt *txt, size_t n,
         const char *addr, int port)
{
	if (fk.running) {
		fprintf(stderr, "fakedns: already running\n");
		return NULL;
	}
	memset(&fk, 0, sizeof(fk));
	fk.udp = fk.listen = fk.wake[0] = fk.wake[1] = -1;
	for (size_t c = 0; c < FK_CONNS; c++)
		fk.conns[c].fd = -1;
	fk_knobs_init();
	if (fk_zone_load(zone_text) < 0 || fk_txt_add(txt, n) < 0 ||
	    (addr == NULL ? fk_sockets() : fk_sockets_at(addr, port)) < 0 ||
	    pipe2(fk.wake, O_CLOEXEC) < 0 ||
	    pthread_create(&fk.thread, NULL, fk_main, NULL) != 0) {
		fprintf(stderr, "fakedns: cannot start: %s\n", strerror(errno));
		fk_cleanup();
		return NULL;
	}
	fk.running = true;
	return &fk.pub;
}

/* fakedns_start - serve zone_text on 127.0.0.1 and a free port */
struct fakedns *
fakedns_start(const char *zone_text)
{
	return fk_start(zone_text, NULL, 0, NULL, 0);
}

/* fakedns_start_txt - serve zone_text and the records of txt */
struct fakedns *
fakedns_start_txt(const char *zone_text, const struct fakedns_txt *txt,
                  size_t n)
{
	return fk_start(zone_text, txt, n, NULL, 0);
}

/* fakedns_start_at - serve zone_text on addr:port (IPv4) */
struct fakedns *
fakedns_start_at(const char *zone_text, const char *addr, int port)
{
	if (addr == NULL) {
		fprintf(stderr, "fakedns: no address\n");
		return NULL;
	}
	return fk_start(zone_text, NULL, 0, addr, port);
}

/* fakedns_release - no more holding for name; send what was held */
void
fakedns_release(const char *name)
{
	if (!fk.running)
		return;
	fk_release(name);
	(void)!write(fk.wake[1], "r", 1);
}

/* fakedns_stop - wake the thread, join it, free everything */
void
fakedns_stop(void)
{
	if (!fk.running)
		return;
	(void)!write(fk.wake[1], "x", 1);
	pthread_join(fk.thread, NULL);
	fk_cleanup();
}
