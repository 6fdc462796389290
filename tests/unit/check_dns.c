/*
 * check_dns - unit tests for lib/dns/dns*.c against fakedns
 *
 * Tables of {label, inputs, want}: answers by type (A, AAAA, TXT with
 * several and binary strings, MX, PTR, CNAME chains), NXDOMAIN and
 * NODATA, RCODEs, clamped TTLs, bad names (no query sent); then the
 * network behaviour: timeouts within the deadline, TCP after TC,
 * forged replies ignored, parallel queries in one batch, a batch sent
 * early and awaited late, a dead or refusing first server. The cache,
 * settings and thread tests are in check_dns_cache.c; the rest are
 * listed in dns_suite.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns_suite.h"
#include "util.h"

#define L63 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123"
#define L61 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1"

static const char zone_base[] =
    "$ORIGIN test.\n"
    "$TTL 300\n"
    "@ IN SOA ns.test. admin.test. 1 3600 600 86400 120\n"
    "a IN A 192.0.2.1\n"
    "multi IN A 192.0.2.1\n"
    "multi IN A 192.0.2.2\n"
    "six IN AAAA 2001:db8::1\n"
    "txt IN TXT \"v=spf1 \" \"-all\"\n"
    "bin IN TXT \"a\\000b\" \"\\255\"\n"
    "mx IN MX 10 mx1.test.\n"
    "mx IN MX 20 mx2.test.\n"
    "nullmx IN MX 0 .\n"
    "1.2.0.192.in-addr.arpa. IN PTR host.test.\n"
    "host IN A 192.0.2.9\n"
    "alias IN CNAME alias2\n"
    "alias2 IN CNAME a\n"
    "dangling IN CNAME nowhere\n"
    "loop1 IN CNAME loop2\n"
    "loop2 IN CNAME loop1\n"
    "sub.deep IN A 192.0.2.10\n"
    "short 5 IN A 192.0.2.5\n"
    "long 86400 IN A 192.0.2.6\n"
    "cnttl 100 IN CNAME a\n"
    "trunc IN TXT \"small\"\n"
    "spoof IN A 192.0.2.7\n"
    "drop IN A 192.0.2.99\n"
    "servfail IN A 192.0.2.99\n"
    "slow1 IN A 192.0.2.11\n"
    "slow2 IN A 192.0.2.12\n"
    "slow3 IN A 192.0.2.13\n"
    "slow4 IN A 192.0.2.14\n"
    "slow5 IN A 192.0.2.15\n";

struct fakedns *fk;
time_t pinned = 1000000;

/* pinned_now - the pinned clock */
time_t
pinned_now(void)
{
	return pinned;
}

/* mono_ms - monotonic milliseconds */
int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* timings_note - report a timing on request */
void
timings_note(const char *what, int64_t ms)
{
	if (getenv("CHECK_DNS_VERBOSE") != NULL)
		fprintf(stderr, "check_dns: %s: %lld ms\n", what,
		        (long long)ms);
}

/* fixture_setup - start fakedns on the test zone with its knobs */
void
fixture_setup(void)
{
	static char zone[sizeof(zone_base) + 50 * 40 + 1024];
	char name[32];

	pcl_copy(zone, sizeof(zone), zone_base);
	/* over 512 bytes: truncated over UDP by fakedns itself */
	pcl_append(zone, sizeof(zone), "big IN TXT");
	for (int i = 0; i < 3; i++)
		pcl_append(zone, sizeof(zone), " \"%0250d\"", i);
	pcl_append(zone, sizeof(zone), "\n");
	for (int i = 0; i < 50; i++)
		pcl_append(zone, sizeof(zone), "t%d IN A 198.51.100.%d\n", i,
		           i);
	pinned = 1000000;
	fk = fakedns_start(zone);
	ck_assert_msg(fk != NULL, "fakedns_start: got NULL, want a server");
	fakedns_set_drop("drop.test");
	fakedns_set_servfail("servfail.test");
	fakedns_set_rcode("refused.test", 5);
	fakedns_set_rcode("formerr.test", 1);
	fakedns_set_rcode("notimp.test", 4);
	fakedns_set_garbage("garbage.test");
	fakedns_set_truncate("trunc.test");
	fakedns_set_spoof("spoof.test");
	for (int i = 1; i <= 5; i++) {
		pcl_format(name, sizeof(name), "slow%d.test", i);
		fakedns_set_delay(name, SLOW_MS);
	}
}

/* fixture_teardown - stop fakedns */
void
fixture_teardown(void)
{
	fakedns_stop();
	fk = NULL;
}

/* dns_make - a resolver pointed at fakedns */
struct pcl_dns *
dns_make(size_t entries, unsigned min_ttl, unsigned max_ttl,
         unsigned timeout_ms, unsigned attempts)
{
	struct pcl_dns_conf conf = {
	    .servers = fk->servers,
	    .timeout_ms = timeout_ms,
	    .attempts = attempts,
	    .cache_min_ttl = min_ttl,
	    .cache_max_ttl = max_ttl,
	    .cache_max_entries = entries,
	};
	char err[PCL_ERR_MAX] = "";
	struct pcl_dns *dns = pcl_dns_new(&conf, err, sizeof(err));

	ck_assert_msg(dns != NULL, "pcl_dns_new: got NULL (%s)", err);
	return dns;
}

/* answer_text - the records of an answer as one string */
void
answer_text(const struct pcl_dns_answer *a, char *buf, size_t len)
{
	char addr[PCL_ADDR_TEXT_MAX];

	buf[0] = '\0';
	for (size_t i = 0; i < a->count; i++) {
		const struct pcl_dns_rr *rr = &a->rrs[i];

		if (i > 0)
			pcl_append(buf, len, " | ");
		switch (a->type) {
		case PCL_DNS_A:
		case PCL_DNS_AAAA:
			pcl_addr_format(&rr->u.addr, addr, sizeof(addr));
			pcl_append(buf, len, "%s", addr);
			break;
		case PCL_DNS_MX:
			pcl_append(buf, len, "%u %s", rr->u.mx.preference,
			           rr->u.mx.host);
			break;
		case PCL_DNS_PTR:
			pcl_append(buf, len, "%s", rr->u.name);
			break;
		case PCL_DNS_TXT:
			for (size_t j = 0; j < rr->u.txt.len; j++) {
				unsigned char c =
				    (unsigned char)rr->u.txt.text[j];

				if (c >= 0x20 && c < 0x7f)
					pcl_append(buf, len, "%c", c);
				else
					pcl_append(buf, len, "\\x%02x", c);
			}
			break;
		default:
			pcl_append(buf, len, "ttl %u", rr->ttl);
		}
	}
}

struct lookup_case {
	const char *label;
	const char *name;
	int type;
	enum pcl_dns_status want;
	const char *want_text; /* records, see answer_text */
	int want_rcode;
};

static const struct lookup_case lookup_cases[] = {
    {"A", "a.test", PCL_DNS_A, PCL_DNS_FOUND, "192.0.2.1", 0},
    {"two A", "multi.test", PCL_DNS_A, PCL_DNS_FOUND, "192.0.2.1 | 192.0.2.2",
     0},
    {"AAAA", "six.test", PCL_DNS_AAAA, PCL_DNS_FOUND, "2001:db8::1", 0},
    {"TXT strings joined", "txt.test", PCL_DNS_TXT, PCL_DNS_FOUND,
     "v=spf1 -all", 0},
    {"TXT binary", "bin.test", PCL_DNS_TXT, PCL_DNS_FOUND, "a\\x00b\\xff", 0},
    {"MX", "mx.test", PCL_DNS_MX, PCL_DNS_FOUND, "10 mx1.test | 20 mx2.test",
     0},
    {"null MX", "nullmx.test", PCL_DNS_MX, PCL_DNS_FOUND, "0 ", 0},
    {"PTR", "1.2.0.192.in-addr.arpa", PCL_DNS_PTR, PCL_DNS_FOUND, "host.test",
     0},
    {"CNAME chain", "alias.test", PCL_DNS_A, PCL_DNS_FOUND, "192.0.2.1", 0},
    {"CNAME itself", "alias.test", 5, PCL_DNS_FOUND, "ttl 300", 0},
    {"CNAME loop", "loop1.test", PCL_DNS_A, PCL_DNS_NODATA, "", 0},
    {"CNAME to nothing", "dangling.test", PCL_DNS_A, PCL_DNS_NXDOMAIN, "", 3},
    {"upper case", "A.TEST", PCL_DNS_A, PCL_DNS_FOUND, "192.0.2.1", 0},
    {"trailing dot", "a.test.", PCL_DNS_A, PCL_DNS_FOUND, "192.0.2.1", 0},
    {"NXDOMAIN", "nope.test", PCL_DNS_A, PCL_DNS_NXDOMAIN, "", 3},
    {"NODATA", "a.test", PCL_DNS_AAAA, PCL_DNS_NODATA, "", 0},
    {"empty non-terminal", "deep.test", PCL_DNS_A, PCL_DNS_NODATA, "", 0},
    {"other type", "a.test", 99, PCL_DNS_NODATA, "", 0},
    {"underscore", "_dmarc.a.test", PCL_DNS_TXT, PCL_DNS_NXDOMAIN, "", 3},
    {"backslash is a byte", "a\\.test", PCL_DNS_A, PCL_DNS_NXDOMAIN, "", 3},
    {"label of 63", L63 ".test", PCL_DNS_A, PCL_DNS_NXDOMAIN, "", 3},
    {"name of 253", L63 "." L63 "." L63 "." L61, PCL_DNS_A, PCL_DNS_NXDOMAIN,
     "", 3},
    {"SERVFAIL", "servfail.test", PCL_DNS_A, PCL_DNS_TEMPFAIL, "", 2},
    {"REFUSED", "refused.test", PCL_DNS_A, PCL_DNS_TEMPFAIL, "", 5},
    {"FORMERR", "formerr.test", PCL_DNS_A, PCL_DNS_PERMFAIL, "", 1},
    {"NOTIMP", "notimp.test", PCL_DNS_A, PCL_DNS_PERMFAIL, "", 4},
    {"unparsable", "garbage.test", PCL_DNS_A, PCL_DNS_PERMFAIL, "", 0},
};

/* test_lookup - status, records, RCODE and wire of one lookup */
START_TEST(test_lookup)
{
	const struct lookup_case *c = &lookup_cases[_i];
	struct pcl_dns *dns = dns_make(100, 0, 0, 2000, 2);
	struct pcl_dns_answer *a = pcl_dns_lookup(dns, c->name, c->type);
	char got[512];

	ck_assert_msg(a != NULL, "%s: got NULL answer", c->label);
	ck_assert_msg(a->status == c->want, "%s: got %s (%s), want %s",
	              c->label, pcl_dns_status_name(a->status), a->error,
	              pcl_dns_status_name(c->want));
	answer_text(a, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->want_text) == 0,
	              "%s: got \"%s\", want \"%s\"", c->label, got,
	              c->want_text);
	ck_assert_msg(a->rcode == c->want_rcode, "%s: got rcode %d, want %d",
	              c->label, a->rcode, c->want_rcode);
	ck_assert_msg(a->type == c->type, "%s: got type %d, want %d", c->label,
	              a->type, c->type);
	ck_assert_msg(!a->from_cache, "%s: got from_cache, want fresh",
	              c->label);
	ck_assert_msg(a->wire != NULL && a->wirelen > 12,
	              "%s: got wire %p/%zu, want the reply", c->label,
	              (void *)a->wire, a->wirelen);
	if (c->want == PCL_DNS_TEMPFAIL || c->want == PCL_DNS_PERMFAIL)
		ck_assert_msg(a->error[0] != '\0', "%s: got no error text",
		              c->label);
	pcl_dns_answer_free(a);
	pcl_dns_free(dns);
}
END_TEST

struct ttl_case {
	const char *label;
	const char *name;
	int type;
	unsigned min_ttl;
	unsigned max_ttl;
	uint32_t want;
};

static const struct ttl_case ttl_cases[] = {
    {"as given", "a.test", PCL_DNS_A, 0, 0, 300},
    {"raised to min", "short.test", PCL_DNS_A, 0, 0, 60},
    {"cut to max", "long.test", PCL_DNS_A, 0, 0, 3600},
    {"CNAME lowers it", "cnttl.test", PCL_DNS_A, 0, 0, 100},
    {"NXDOMAIN: SOA minimum", "nope.test", PCL_DNS_A, 0, 0, 120},
    {"NODATA: SOA minimum", "a.test", PCL_DNS_AAAA, 0, 0, 120},
    {"min above answer", "a.test", PCL_DNS_A, 600, 3600, 600},
    {"max below answer", "a.test", PCL_DNS_A, 10, 100, 100},
    {"negative clamped", "nope.test", PCL_DNS_A, 10, 50, 50},
};

/* test_ttl - the answer TTL, clamped to the cache bounds */
START_TEST(test_ttl)
{
	const struct ttl_case *c = &ttl_cases[_i];
	struct pcl_dns *dns = dns_make(100, c->min_ttl, c->max_ttl, 2000, 2);
	struct pcl_dns_answer *a = pcl_dns_lookup(dns, c->name, c->type);

	ck_assert_msg(a->ttl == c->want, "%s: got ttl %u, want %u", c->label,
	              a->ttl, c->want);
	pcl_dns_answer_free(a);
	pcl_dns_free(dns);
}
END_TEST

struct bad_case {
	const char *label;
	const char *name;
	int type;
};

static const struct bad_case bad_cases[] = {
    {"empty", "", PCL_DNS_A},
    {"root", ".", PCL_DNS_A},
    {"two dots", "..", PCL_DNS_A},
    {"empty label", "a..test", PCL_DNS_A},
    {"leading dot", ".a.test", PCL_DNS_A},
    {"tab", "a\tb.test", PCL_DNS_A},
    {"tab", "a\tb.test", PCL_DNS_A},
    {"newline", "a.test\n", PCL_DNS_A},
    {"DEL", "a\x7f.test", PCL_DNS_A},
    {"label of 64", L63 "4.test", PCL_DNS_A},
    {"name of 254", L63 "." L63 "." L63 "." L61 "x", PCL_DNS_A},
    {"NULL name", NULL, PCL_DNS_A},
    {"type 0", "a.test", 0},
    {"type 65536", "a.test", 65536},
};

/* test_bad_name - PERMFAIL at once, and nothing sent */
START_TEST(test_bad_name)
{
	const struct bad_case *c = &bad_cases[_i];
	struct pcl_dns *dns = dns_make(100, 0, 0, 2000, 2);
	struct pcl_dns_batch *b = pcl_dns_batch_new(dns);
	int i = pcl_dns_batch_add(b, c->name, c->type);
	const struct pcl_dns_answer *a = pcl_dns_batch_answer(b, i);
	struct pcl_dns_stats st;

	ck_assert_msg(a->status == PCL_DNS_PERMFAIL,
	              "%s: got %s before send, want permfail", c->label,
	              pcl_dns_status_name(a->status));
	pcl_dns_batch_wait(b);
	ck_assert_msg(a->status == PCL_DNS_PERMFAIL && a->rcode == -1,
	              "%s: got %s rcode %d, want permfail -1", c->label,
	              pcl_dns_status_name(a->status), a->rcode);
	ck_assert_msg(strncmp(a->error, "bad ", 4) == 0,
	              "%s: got error \"%s\", want \"bad ...\"", c->label,
	              a->error);
	pcl_dns_stats(dns, &st);
	ck_assert_msg(st.queries_sent == 0 && fakedns_queries(NULL) == 0,
	              "%s: got %llu sent, %u received, want 0", c->label,
	              (unsigned long long)st.queries_sent,
	              fakedns_queries(NULL));
	pcl_dns_batch_free(b);
	pcl_dns_free(dns);
}
END_TEST

/* test_timeout - an unanswered query fails "timeout" on time, after
 * one send per attempt */
START_TEST(test_timeout)
{
	static const unsigned attempts[] = {1, 2, 3};
	struct pcl_dns *dns = dns_make(100, 0, 0, 1000, attempts[_i]);
	int64_t t0 = mono_ms();
	struct pcl_dns_answer *a = pcl_dns_lookup(dns, "drop.test", PCL_DNS_A);
	int64_t ms = mono_ms() - t0;

	timings_note("timeout 1000 ms", ms);
	ck_assert_msg(a->status == PCL_DNS_TEMPFAIL,
	              "attempts %u: got %s, want tempfail", attempts[_i],
	              pcl_dns_status_name(a->status));
	ck_assert_msg(strncmp(a->error, "timeout", 7) == 0,
	              "attempts %u: got error \"%s\", want \"timeout\"",
	              attempts[_i], a->error);
	ck_assert_msg(ms >= 990 && ms <= 1000 + SLACK_MS,
	              "attempts %u: got %lld ms, want 1000..%d", attempts[_i],
	              (long long)ms, 1000 + SLACK_MS);
	ck_assert_msg(fakedns_queries("drop.test") == attempts[_i],
	              "attempts %u: got %u queries, want %u", attempts[_i],
	              fakedns_queries("drop.test"), attempts[_i]);
	ck_assert_msg(a->wire == NULL && a->rcode == -1,
	              "attempts %u: got wire %p rcode %d, want none",
	              attempts[_i], (void *)a->wire, a->rcode);
	pcl_dns_answer_free(a);
	pcl_dns_free(dns);
}
END_TEST

/* test_truncated - TC over UDP, then the whole answer over TCP */
START_TEST(test_truncated)
{
	struct pcl_dns *dns = dns_make(100, 0, 0, 2000, 2);
	struct pcl_dns_answer *a =
	    pcl_dns_lookup(dns, "trunc.test", PCL_DNS_TXT);
	struct pcl_dns_answer *big =
	    pcl_dns_lookup(dns, "big.test", PCL_DNS_TXT);
	struct pcl_dns_stats st;
	char got[64];

	answer_text(a, got, sizeof(got));
	ck_assert_msg(a->status == PCL_DNS_FOUND && strcmp(got, "small") == 0,
	              "forced TC: got %s \"%s\" (%s), want found \"small\"",
	              pcl_dns_status_name(a->status), got, a->error);
	ck_assert_msg(fakedns_queries("trunc.test") == 2,
	              "forced TC: got %u queries, want 2 (UDP, TCP)",
	              fakedns_queries("trunc.test"));
	ck_assert_msg(big->status == PCL_DNS_FOUND && big->count == 1 &&
	                  big->rrs[0].u.txt.len == 750,
	              "big TXT: got %s, %zu records, want found 750 bytes",
	              pcl_dns_status_name(big->status), big->count);
	ck_assert_msg(big->wirelen > 512, "big TXT: got wire %zu, want > 512",
	              big->wirelen);
	pcl_dns_stats(dns, &st);
	ck_assert_msg(st.queries_sent == 4, "got %llu sent, want 4",
	              (unsigned long long)st.queries_sent);
	pcl_dns_answer_free(a);
	pcl_dns_answer_free(big);
	pcl_dns_free(dns);
}
END_TEST

/* test_spoof - replies with a wrong ID or question are skipped */
START_TEST(test_spoof)
{
	struct pcl_dns *dns = dns_make(100, 0, 0, 2000, 2);
	struct pcl_dns_answer *a = pcl_dns_lookup(dns, "spoof.test", PCL_DNS_A);
	struct pcl_dns_stats st;
	char got[64];

	answer_text(a, got, sizeof(got));
	ck_assert_msg(a->status == PCL_DNS_FOUND &&
	                  strcmp(got, "192.0.2.7") == 0,
	              "got %s \"%s\", want found 192.0.2.7",
	              pcl_dns_status_name(a->status), got);
	pcl_dns_stats(dns, &st);
	ck_assert_msg(st.mismatched == 2, "got %llu mismatched, want 2",
	              (unsigned long long)st.mismatched);
	pcl_dns_answer_free(a);
	pcl_dns_free(dns);
}
END_TEST

/* test_parallel - five slow names cost one round trip, not five */
START_TEST(test_parallel)
{
	struct pcl_dns *dns = dns_make(100, 0, 0, 10000, 1);
	struct pcl_dns_batch *b = pcl_dns_batch_new(dns);
	char name[32];
	char got[64];
	char want[64];
	int64_t t0;
	int64_t ms;

	for (int i = 1; i <= 5; i++) {
		pcl_format(name, sizeof(name), "slow%d.test", i);
		ck_assert(pcl_dns_batch_add(b, name, PCL_DNS_A) == i - 1);
	}
	t0 = mono_ms();
	pcl_dns_batch_send(b);
	pcl_dns_batch_wait(b);
	ms = mono_ms() - t0;
	timings_note("5 slow answers in one batch", ms);
	/* one after the other would be 5 x SLOW_MS */
	ck_assert_msg(ms >= SLOW_MS - 10 && ms < SLOW_MS + SLACK_MS,
	              "got %lld ms, want %d..%d", (long long)ms, SLOW_MS,
	              SLOW_MS + SLACK_MS);
	for (int i = 0; i < 5; i++) {
		answer_text(pcl_dns_batch_answer(b, i), got, sizeof(got));
		pcl_format(want, sizeof(want), "192.0.2.%d", 11 + i);
		ck_assert_msg(strcmp(got, want) == 0,
		              "slow%d: got \"%s\", want \"%s\"", i + 1, got,
		              want);
	}
	pcl_dns_batch_free(b);
	pcl_dns_free(dns);
}
END_TEST

/* test_send_then_wait - answers wait in the sockets until collected;
 * a query added after send goes out with wait */
START_TEST(test_send_then_wait)
{
	struct pcl_dns *dns = dns_make(100, 0, 0, 10000, 1);
	struct pcl_dns_batch *b = pcl_dns_batch_new(dns);
	int64_t t0;
	int64_t ms;
	int late;

	ck_assert(pcl_dns_batch_add(b, "slow1.test", PCL_DNS_A) == 0);
	ck_assert(pcl_dns_batch_add(b, "slow2.test", PCL_DNS_A) == 1);
	pcl_dns_batch_send(b);
	ck_assert_msg(pcl_dns_batch_answer(b, 0)->status == PCL_DNS_PENDING,
	              "after send: got %s, want pending",
	              pcl_dns_status_name(pcl_dns_batch_answer(b, 0)->status));
	usleep((SLOW_MS + SLACK_MS) * 1000); /* the answers are in */
	late = pcl_dns_batch_add(b, "a.test", PCL_DNS_A);
	t0 = mono_ms();
	pcl_dns_batch_wait(b);
	ms = mono_ms() - t0;
	timings_note("wait after the answers arrived", ms);
	/* not another slow round trip: the late a.test answers at once */
	ck_assert_msg(ms < SLOW_MS, "wait: got %lld ms, want < %d",
	              (long long)ms, SLOW_MS);
	for (int i = 0; i <= late; i++)
		ck_assert_msg(
		    pcl_dns_batch_answer(b, i)->status == PCL_DNS_FOUND,
		    "query %d: got %s, want found", i,
		    pcl_dns_status_name(pcl_dns_batch_answer(b, i)->status));
	ck_assert_msg(pcl_dns_batch_answer(b, late + 1) == NULL &&
	                  pcl_dns_batch_answer(b, -1) == NULL,
	              "out of range: got an answer, want NULL");
	pcl_dns_batch_free(b);
	pcl_dns_free(dns);
}
END_TEST

/* test_deadline_passed - a batch awaited after its deadline still
 * collects what arrived, and times out the rest at once */
START_TEST(test_deadline_passed)
{
	struct pcl_dns *dns = dns_make(100, 0, 0, 500, 1);
	struct pcl_dns_batch *b = pcl_dns_batch_new(dns);
	int64_t t0;

	pcl_dns_batch_add(b, "a.test", PCL_DNS_A);
	pcl_dns_batch_add(b, "drop.test", PCL_DNS_A);
	pcl_dns_batch_send(b);
	usleep(700 * 1000);
	t0 = mono_ms();
	pcl_dns_batch_wait(b);
	ck_assert_msg(mono_ms() - t0 < 100, "wait: got %lld ms, want < 100",
	              (long long)(mono_ms() - t0));
	ck_assert_msg(pcl_dns_batch_answer(b, 0)->status == PCL_DNS_FOUND,
	              "a.test: got %s, want found",
	              pcl_dns_status_name(pcl_dns_batch_answer(b, 0)->status));
	ck_assert_msg(pcl_dns_batch_answer(b, 1)->status == PCL_DNS_TEMPFAIL,
	              "drop.test: got %s, want tempfail",
	              pcl_dns_status_name(pcl_dns_batch_answer(b, 1)->status));
	pcl_dns_batch_free(b);
	pcl_dns_free(dns);
}
END_TEST

/* udp_port - a UDP socket on 127.0.0.1 that nobody reads (keep) or a
 * port that was just closed (!keep); returns the port, *fd the socket */
static int
udp_port(bool keep, int *fd)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert(*fd >= 0);
	ck_assert(bind(*fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	ck_assert(getsockname(*fd, (struct sockaddr *)&sin, &len) == 0);
	if (!keep) {
		close(*fd);
		*fd = -1;
	}
	return ntohs(sin.sin_port);
}

struct second_case {
	const char *label;
	bool first_silent; /* else the first refuses (ICMP) */
	unsigned attempts;
	enum pcl_dns_status want;
	int64_t min_ms;
	int64_t max_ms;
};

static const struct second_case second_cases[] = {
    /* the deadline is 8 s: a retry at half of it, at once, or at the end */
    {"silent first, retry to second", true, 2, PCL_DNS_FOUND, 3900,
     4000 + SLACK_MS},
    {"silent first, no retry", true, 1, PCL_DNS_TEMPFAIL, 7900,
     8000 + SLACK_MS},
    {"refusing first", false, 2, PCL_DNS_FOUND, 0, SLACK_MS},
    {"refusing only server", false, 1, PCL_DNS_TEMPFAIL, 0, SLACK_MS},
};

/* test_second_server - a dead or refusing first server */
START_TEST(test_second_server)
{
	const struct second_case *c = &second_cases[_i];
	struct pcl_dns_conf conf = {.timeout_ms = 8000,
	                            .attempts = c->attempts};
	char servers[64];
	char err[PCL_ERR_MAX];
	int fd;
	int port = udp_port(c->first_silent, &fd);
	struct pcl_dns *dns;
	struct pcl_dns_answer *a;
	int64_t t0;
	int64_t ms;

	pcl_format(servers, sizeof(servers), "127.0.0.1:%d, %s", port,
	           fk->servers);
	conf.servers = servers;
	dns = pcl_dns_new(&conf, err, sizeof(err));
	ck_assert_msg(dns != NULL, "%s: pcl_dns_new: %s", c->label, err);
	t0 = mono_ms();
	a = pcl_dns_lookup(dns, "a.test", PCL_DNS_A);
	ms = mono_ms() - t0;
	timings_note(c->label, ms);
	ck_assert_msg(a->status == c->want, "%s: got %s (%s), want %s",
	              c->label, pcl_dns_status_name(a->status), a->error,
	              pcl_dns_status_name(c->want));
	ck_assert_msg(ms >= c->min_ms && ms <= c->max_ms,
	              "%s: got %lld ms, want %lld..%lld", c->label,
	              (long long)ms, (long long)c->min_ms,
	              (long long)c->max_ms);
	if (!c->first_silent && c->want == PCL_DNS_TEMPFAIL) {
		char first[32];

		ck_assert_msg(strstr(a->error, "refused") != NULL,
		              "%s: got error \"%s\", want \"...refused\"",
		              c->label, a->error);
		/* the error may be shown to others, the server is for logs */
		pcl_format(first, sizeof(first), "127.0.0.1:%d", port);
		ck_assert_msg(strstr(a->error, "127.0.0.1") == NULL,
		              "%s: error \"%s\" names a server", c->label,
		              a->error);
		ck_assert_msg(strcmp(a->server, first) == 0,
		              "%s: server: got \"%s\", want \"%s\"", c->label,
		              a->server, first);
	}
	pcl_dns_answer_free(a);
	pcl_dns_free(dns);
	if (fd >= 0)
		close(fd);
}
END_TEST

struct fast_case {
	const char *label;
	const char *name;
	int type;
	bool tcp_close; /* fakedns hangs up on TCP for name */
	bool twice;     /* fakedns listed as two servers */
	unsigned attempts;
	enum pcl_dns_status want;
	int want_rcode;
	unsigned want_queries;
	const char *want_err; /* part of the error */
};

static const struct fast_case fast_cases[] = {
    {"SERVFAIL, then the next server", "servfail.test", PCL_DNS_A, false, true,
     2, PCL_DNS_TEMPFAIL, 2, 2, "SERVFAIL"},
    {"SERVFAIL, one try per server", "servfail.test", PCL_DNS_A, false, true, 1,
     PCL_DNS_TEMPFAIL, 2, 1, "SERVFAIL"},
    {"REFUSED, then the next server", "refused.test", PCL_DNS_A, false, true, 3,
     PCL_DNS_TEMPFAIL, 5, 3, "REFUSED"},
    {"TC, TCP hangs up", "trunc.test", PCL_DNS_TXT, true, false, 2,
     PCL_DNS_TEMPFAIL, -1, 4, "tcp"},
    {"TC, TCP hangs up, one try", "trunc.test", PCL_DNS_TXT, true, false, 1,
     PCL_DNS_TEMPFAIL, -1, 2, "tcp"},
};

/* test_fail_fast - a failure from every try ends the query before the
 * deadline, with the last reason */
START_TEST(test_fail_fast)
{
	const struct fast_case *c = &fast_cases[_i];
	/* a deadline far from "at once", which the slack must not reach */
	struct pcl_dns_conf conf = {.timeout_ms = 20000,
	                            .attempts = c->attempts};
	char servers[64];
	char err[PCL_ERR_MAX];
	struct pcl_dns *dns;
	struct pcl_dns_answer *a;
	int64_t t0;
	int64_t ms;

	pcl_format(servers, sizeof(servers), "%s%s%s", fk->servers,
	           c->twice ? " " : "", c->twice ? fk->servers : "");
	conf.servers = servers;
	dns = pcl_dns_new(&conf, err, sizeof(err));
	ck_assert_msg(dns != NULL, "%s: pcl_dns_new: %s", c->label, err);
	if (c->tcp_close)
		fakedns_set_tcp_close(c->name);
	t0 = mono_ms();
	a = pcl_dns_lookup(dns, c->name, c->type);
	ms = mono_ms() - t0;
	ck_assert_msg(a->status == c->want && a->rcode == c->want_rcode,
	              "%s: got %s rcode %d (%s), want %s rcode %d", c->label,
	              pcl_dns_status_name(a->status), a->rcode, a->error,
	              pcl_dns_status_name(c->want), c->want_rcode);
	ck_assert_msg(strstr(a->error, c->want_err) != NULL,
	              "%s: got error \"%s\", want \"...%s...\"", c->label,
	              a->error, c->want_err);
	ck_assert_msg(ms < SLACK_MS, "%s: got %lld ms, want < %d", c->label,
	              (long long)ms, SLACK_MS);
	ck_assert_msg(fakedns_queries(c->name) == c->want_queries,
	              "%s: got %u queries, want %u", c->label,
	              fakedns_queries(c->name), c->want_queries);
	pcl_dns_answer_free(a);
	pcl_dns_free(dns);
}
END_TEST

/* test_api_null - NULL and out-of-range arguments are harmless */
START_TEST(test_api_null)
{
	struct pcl_dns_stats st;
	char buf[8] = "x";
	char err[PCL_ERR_MAX] = "";

	pcl_dns_free(NULL);
	pcl_dns_batch_free(NULL);
	pcl_dns_answer_free(NULL);
	pcl_dns_batch_send(NULL);
	pcl_dns_batch_wait(NULL);
	pcl_dns_cache_flush(NULL);
	pcl_dns_set_clock(NULL, NULL);
	ck_assert(pcl_dns_batch_new(NULL) == NULL);
	ck_assert(pcl_dns_batch_add(NULL, "a.test", PCL_DNS_A) == -1);
	ck_assert(pcl_dns_batch_answer(NULL, 0) == NULL);
	ck_assert(pcl_dns_lookup(NULL, "a.test", PCL_DNS_A) == NULL);
	pcl_dns_stats(NULL, &st);
	ck_assert(st.queries_sent == 0);
	ck_assert(pcl_dns_servers_format(NULL, buf, sizeof(buf)) == 0);
	ck_assert(buf[0] == '\0');
	ck_assert(pcl_dns_new(NULL, err, sizeof(err)) == NULL);
	ck_assert_msg(strcmp(err, "no settings") == 0,
	              "NULL settings: got \"%s\", want \"no settings\"", err);
}
END_TEST

/* dns_suite - every dns test case */
static Suite *
dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("lookup");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_lookup, 0, N(lookup_cases));
	tcase_add_loop_test(tc, test_ttl, 0, N(ttl_cases));
	tcase_add_loop_test(tc, test_bad_name, 0, N(bad_cases));
	tcase_add_loop_test(tc, test_timeout, 0, 3);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_spoof);
	tcase_add_test(tc, test_parallel);
	tcase_add_test(tc, test_send_then_wait);
	tcase_add_test(tc, test_deadline_passed);
	tcase_add_loop_test(tc, test_second_server, 0, N(second_cases));
	tcase_add_loop_test(tc, test_fail_fast, 0, N(fast_cases));
	tcase_add_test(tc, test_api_null);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, dns_cache_tcase());
	suite_add_tcase(s, dns_conf_tcase());
	suite_add_tcase(s, dns_threads_tcase());
	suite_add_tcase(s, dns_health_tcase());
	suite_add_tcase(s, dns_fds_tcase());
	suite_add_tcase(s, dns_share_tcase());
	return s;
}

/* main - run the suite; fails when any check fails */
int
main(void)
{
	SRunner *sr = srunner_create(dns_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
