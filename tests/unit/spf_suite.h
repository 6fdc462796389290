/*
 * spf_suite - what the three files of the spf suite (check_spf) share:
 * the running fakedns, asking it, and zone text helpers (not
 * check_spf.h: .gitignore drops tests/unit/check_* but *.c)
 *
 * check_spf.c          helpers, macro expansion, record syntax; main()
 * check_spf_records.c  records, limits, IPv6, DNS errors, threads
 * check_spf_received.c the Received-SPF header parsed back, result names
 */
#ifndef SPF_SUITE_H
#define SPF_SUITE_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "dns.h"
#include "fakedns.h"
#include "spf.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define ZONE_HEAD                                                              \
	"$ORIGIN .\n$TTL 300\n"                                                \
	". IN SOA ns.invalid. admin.invalid. 1 3600 600 86400 120\n"
#define V6_NIBBLES                                                             \
	"1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
#define HOST_MAX 1024

/* The running fakedns (each fixture starts one per test). */
extern struct fakedns *fk;

/* client - parse an address, or an IPv4-mapped IPv6 one kept as IPv6
 * (as a caller that skipped pcl_addr_parse would hand it over) */
struct pcl_addr client(const char *text, bool mapped);

/* dns_on_fakedns - a resolver on the running fakedns, no cache, with a
 * deadline no loaded machine reaches; dns_on_fakedns_hasty - 300 ms,
 * for the cases where a dropped query is the point */
struct pcl_dns *dns_on_fakedns(void);
struct pcl_dns *dns_on_fakedns_hasty(void);

/* check - pcl_spf_check for a MAIL FROM sender, or for the HELO
 * identity when sender is NULL */
void check(struct pcl_dns *dns, struct pcl_addr ip, const char *sender,
           const char *helo, const char *receiver,
           struct pcl_spf_response *out);

/* zone_string - s as a quoted zone-file string into z */
void zone_string(char *z, size_t len, const char *s);

/* fixture_teardown - stop whatever server runs */
void fixture_teardown(void);

TCase *spf_records_tcase(void);
TCase *spf_received_tcase(void);

#endif
