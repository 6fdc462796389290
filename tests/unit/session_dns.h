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

struct pcl_session;

/* session_dns_fds_settle - the client says HELO again (for at most 10
 * s) until the session holds one socket of its own above base (the
 * query to a list that never answers), then MAIL: still one */
void session_dns_fds_settle(struct pcl_session *s, int base);

#endif
