/*
 * dns_suite - what the two halves of the dns suite (check_dns) share:
 * the fixture that runs fakedns on the test zone, and small helpers
 * (not check_dns.h: .gitignore drops tests/unit/check_* but *.c)
 *
 * check_dns.c       lookups, failures, timing, names, batches; main()
 * check_dns_cache.c the cache, settings and server lists, threads
 * check_dns_health.c DNS list health, the cache's byte budget
 * check_dns_fds.c   the descriptors a batch holds
 * check_dns_share.c queries in flight shared between batches
 */
#ifndef DNS_SUITE_H
#define DNS_SUITE_H

#include <check.h>
#include <stdint.h>

#include "dns.h"
#include "fakedns.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The running fakedns (the fixture starts one per test). */
extern struct fakedns *fk;

/* Knobs set by the fixture, by name:
 *   drop.test       never answered
 *   servfail.test   SERVFAIL          refused.test  REFUSED
 *   formerr.test    FORMERR           notimp.test   NOTIMP
 *   garbage.test    unparsable reply  trunc.test    TC over UDP
 *   spoof.test      forged replies first
 *   slow1..slow5.test  answered after SLOW_MS
 * t0.test .. t49.test hold A 198.51.100.N for the thread test. */
#define SLOW_MS 1000

/* What a loaded machine (load average 10, sanitizers) may add to an
 * upper bound of time. A bound shows where a wait ends (at the deadline,
 * after one round trip, at once), so each test picks its deadlines far
 * enough apart that the slack does not blur them. */
#define SLACK_MS 3000

/* fixture_setup, fixture_teardown - fakedns with the test zone */
void fixture_setup(void);
void fixture_teardown(void);

/* dns_make - a resolver on fakedns: cache of entries (0 = off), the
 * given TTL bounds (0 = defaults), timeout and attempts */
struct pcl_dns *dns_make(size_t entries, unsigned min_ttl, unsigned max_ttl,
                         unsigned timeout_ms, unsigned attempts);

/* answer_text - the records of a as "r1 | r2", bytes outside the
 * printable range as \xNN */
void answer_text(const struct pcl_dns_answer *a, char *buf, size_t len);

/* mono_ms - the monotonic clock in milliseconds */
int64_t mono_ms(void);

/* timings_note - print a timing when CHECK_DNS_VERBOSE is set */
void timings_note(const char *what, int64_t ms);

/* pinned_now - the pinned clock of the cache tests */
extern time_t pinned;
time_t pinned_now(void);

TCase *dns_cache_tcase(void);
TCase *dns_conf_tcase(void);
TCase *dns_threads_tcase(void);
TCase *dns_health_tcase(void);
TCase *dns_fds_tcase(void);
TCase *dns_share_tcase(void);

#endif
