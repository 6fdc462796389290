/*
 * session_dns - the fake DNS server and a configuration pointed at it,
 * for the session suites that look things up (dnsbl, dbl, spf)
 */
#ifndef SESSION_DNS_H
#define SESSION_DNS_H

#include "conf.h"

/* session_dns_start - fakedns serving zone, for this test (call it from
 * a checked fixture: it lives in the test's fork); session_dns_stop -
 * the teardown */
void session_dns_start(const char *zone);
void session_dns_stop(void);

/* session_dns_load - a configuration of base's lines, the fakedns as
 * its resolver with a 500 ms dns_timeout, then extra's lines (a later
 * line of a key wins); a load that fails fails the test */
struct pcl_conf *session_dns_load(const char *dir, const char *base,
                                  const char *extra);

#endif
