/*
 * fakedns - a tiny authoritative DNS server for the unit tests
 *
 * Serves zone text on 127.0.0.1 over UDP and TCP, on a port the kernel
 * picks (or, with fakedns_start_at, on a fixed address and port), from
 * a thread of the test process. It answers like an
 * authoritative server: the records of the asked type, a CNAME chain
 * followed inside the zone, NODATA (NOERROR, SOA in the authority
 * section) for a name that exists without the type, NXDOMAIN (with the
 * SOA) for one that does not. UDP replies over 512 bytes are truncated
 * (TC, question only) and the client must ask again over TCP.
 *
 * Knobs, per query name (lower case, trailing dot optional; "*.zone"
 * means every name under zone without a knob of its own, the longest
 * zone winning; "*" every name without either), make it misbehave on
 * purpose; fakedns_queries("*.zone") counts the queries under zone.
 *
 * Use: start it in a checked fixture (tcase_add_checked_fixture), so
 * that in fork mode the server thread, its knobs and its counters live
 * in the process running the test:
 *
 *	static struct fakedns *fk;
 *	static void setup(void) { fk = fakedns_start(ZONE); ck_assert(fk); }
 *	static void teardown(void) { fakedns_stop(); }
 *	... conf.servers = fk->servers; ...
 *
 * Zone text is master-file format with a $ORIGIN (and usually an SOA):
 *
 *	$ORIGIN test.
 *	$TTL 300
 *	@ IN SOA ns.test. admin.test. 1 3600 600 86400 120
 *	a IN A 192.0.2.1
 *
 * One server runs at a time; all functions but start are no-ops when
 * none runs.
 */
#ifndef FAKEDNS_H
#define FAKEDNS_H

#include <stdbool.h>
#include <stddef.h>

struct fakedns {
	int port; /* UDP and TCP, on 127.0.0.1 (or fakedns_start_at's) */
	char servers[32]; /* "127.0.0.1:PORT" (or "ADDR:PORT"), for pcl_dns_conf
	                   */
};

/* fakedns_start - parse zone_text and serve it; NULL (with the reason
 * on stderr) when the zone does not parse or a socket fails */
struct fakedns *fakedns_start(const char *zone_text);

/* fakedns_start_at - fakedns_start on a fixed IPv4 address and port
 * (e.g. "127.0.0.53", 53, where a libc resolver can be pointed at it;
 * port 53 needs root); SO_REUSEADDR on the TCP listener; NULL (with the
 * reason on stderr) when the address does not parse or is taken */
struct fakedns *fakedns_start_at(const char *zone_text, const char *addr,
                                 int port);

/* A TXT record for fakedns_start_txt: text of any length, cut into
 * strings of 255 bytes. */
struct fakedns_txt {
	const char *name; /* absolute: "big._domainkey.example.test." */
	const char *text;
	size_t len;
};

/* fakedns_start_txt - fakedns_start, with n TXT records added to the
 * zone that zone text cannot hold (ldns reads at most 10230 bytes of
 * one record): up to 65535 bytes of RDATA each, TTL 300, answered over
 * TCP (TCP replies are sent whole, however large); NULL as
 * fakedns_start, or when a record does not fit */
struct fakedns *fakedns_start_txt(const char *zone_text,
                                  const struct fakedns_txt *txt, size_t n);

/* fakedns_stop - stop the thread, close everything, free the zone */
void fakedns_stop(void);

/* fakedns_set_delay - answer name only after ms milliseconds (other
 * queries are answered meanwhile) */
void fakedns_set_delay(const char *name, unsigned ms);

/* fakedns_set_drop - never answer name (UDP or TCP) */
void fakedns_set_drop(const char *name);

/* fakedns_set_drop_empty - never answer name when the answer would
 * hold no record of the asked type (NXDOMAIN, NODATA, an error RCODE);
 * answer the types it has. This is the server of the SPF conformance
 * suite's "TIMEOUT", which answers only the records listed before it. */
void fakedns_set_drop_empty(const char *name);

/* fakedns_set_servfail - answer name with SERVFAIL */
void fakedns_set_servfail(const char *name);

/* fakedns_set_rcode - answer name with this RCODE and no records */
void fakedns_set_rcode(const char *name, int rcode);

/* fakedns_set_truncate - set TC on every UDP answer for name (question
 * only); TCP gets the full answer */
void fakedns_set_truncate(const char *name);

/* fakedns_set_tcp_close - close TCP connections asking for name
 * without an answer */
void fakedns_set_tcp_close(const char *name);

/* fakedns_set_spoof - before the real UDP answer for name, send one
 * with a wrong ID and one with a wrong question name */
void fakedns_set_spoof(const char *name);

/* fakedns_set_garbage - answer name with a reply that has the right ID
 * and question but cannot be parsed */
void fakedns_set_garbage(const char *name);

/* fakedns_set_hold - answer name (or "*.zone", "*") only when
 * fakedns_release is called for it; queries are counted meanwhile */
void fakedns_set_hold(const char *name);

/* fakedns_release - send the answers held for name (as given to
 * fakedns_set_hold) now, and answer it at once from now on */
void fakedns_release(const char *name);

/* fakedns_queries - queries received for name (UDP and TCP), or for
 * all names when name is NULL */
unsigned fakedns_queries(const char *name);

/* fakedns_reset - clear every knob and counter */
void fakedns_reset(void);

#endif
