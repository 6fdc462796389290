/*
 * check_dns_cache - the dns cache, settings, server lists and threads
 *
 * Cache hits proven by fakedns's query counter (a hit sends nothing),
 * expiry on a pinned clock with TTLs clamped to the cache bounds,
 * negative caching, failures never cached, LRU eviction; the server
 * list and resolv.conf parsers and setting bounds; and 8 threads
 * sharing one resolver (and, when they ask the same name at once, one
 * query in flight).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns_suite.h"
#include "util.h"

/* lookup_status - look name up; its status, and whether cached */
static enum pcl_dns_status
lookup_status(struct pcl_dns *dns, const char *name, int type, bool *cached,
              uint32_t *ttl)
{
	struct pcl_dns_answer *a = pcl_dns_lookup(dns, name, type);
	enum pcl_dns_status st = a->status;

	if (cached)
		*cached = a->from_cache;
	if (ttl)
		*ttl = a->ttl;
	pcl_dns_answer_free(a);
	return st;
}

/* test_cache_hit - the second lookup sends nothing and keeps the wire */
START_TEST(test_cache_hit)
{
	struct pcl_dns *dns = dns_make(100, 0, 0, 2000, 2);
	struct pcl_dns_answer *a = pcl_dns_lookup(dns, "A.Test.", PCL_DNS_A);
	struct pcl_dns_answer *b = pcl_dns_lookup(dns, "a.test", PCL_DNS_A);
	struct pcl_dns_stats st;
	char got[64];

	answer_text(b, got, sizeof(got));
	ck_assert_msg(!a->from_cache && b->from_cache,
	              "got from_cache %d/%d, want 0/1", a->from_cache,
	              b->from_cache);
	ck_assert_msg(b->status == PCL_DNS_FOUND &&
	                  strcmp(got, "192.0.2.1") == 0,
	              "cached: got %s \"%s\", want found 192.0.2.1",
	              pcl_dns_status_name(b->status), got);
	ck_assert_msg(b->wire != NULL && b->wirelen == a->wirelen &&
	                  memcmp(a->wire, b->wire, a->wirelen) == 0,
	              "cached wire: got %zu bytes, want the %zu of the reply",
	              b->wirelen, a->wirelen);
	ck_assert_msg(fakedns_queries("a.test") == 1, "got %u queries, want 1",
	              fakedns_queries("a.test"));
	pcl_dns_stats(dns, &st);
	ck_assert_msg(st.cache_hits == 1 && st.cache_misses == 1 &&
	                  st.queries_sent == 1,
	              "got hits %llu misses %llu sent %llu, want 1 1 1",
	              (unsigned long long)st.cache_hits,
	              (unsigned long long)st.cache_misses,
	              (unsigned long long)st.queries_sent);
	pcl_dns_answer_free(a);
	pcl_dns_answer_free(b);
	pcl_dns_free(dns);
}
END_TEST

struct expiry_case {
	const char *label;
	const char *name;
	int type;
	time_t advance; /* seconds between the two lookups */
	bool want_cached;
	uint32_t want_ttl; /* of the second answer */
};

static const struct expiry_case expiry_cases[] = {
    {"ttl 300 at 0", "a.test", PCL_DNS_A, 0, true, 300},
    {"ttl 300 at 100", "a.test", PCL_DNS_A, 100, true, 200},
    {"ttl 300 at 299", "a.test", PCL_DNS_A, 299, true, 1},
    {"ttl 300 at 300", "a.test", PCL_DNS_A, 300, false, 300},
    {"ttl 5 as 60 at 59", "short.test", PCL_DNS_A, 59, true, 1},
    {"ttl 5 as 60 at 60", "short.test", PCL_DNS_A, 60, false, 60},
    {"ttl 86400 as 3600 at 3599", "long.test", PCL_DNS_A, 3599, true, 1},
    {"ttl 86400 as 3600 at 3600", "long.test", PCL_DNS_A, 3600, false, 3600},
    {"NXDOMAIN at 119", "nope.test", PCL_DNS_A, 119, true, 1},
    {"NXDOMAIN at 120", "nope.test", PCL_DNS_A, 120, false, 120},
    {"NODATA at 119", "a.test", PCL_DNS_AAAA, 119, true, 1},
    {"NODATA at 120", "a.test", PCL_DNS_AAAA, 120, false, 120},
};

/* test_cache_expiry - entries live for their clamped TTL */
/* A reload's new resolver shares the old cache: no new query, and the
 * cache outlives the resolver that made it. */
START_TEST(test_cache_shared)
{
	struct pcl_dns *old = dns_make(100, 0, 0, 2000, 2);
	struct pcl_dns *new = dns_make(100, 0, 0, 2000, 2);
	struct pcl_dns *other = dns_make(50, 0, 0, 2000, 2);
	struct pcl_dns_answer *a = pcl_dns_lookup(old, "a.test", PCL_DNS_A);
	struct pcl_dns_answer *b, *c;

	pcl_dns_share_cache(new, old);
	pcl_dns_share_cache(other, old); /* another size: not shared */
	pcl_dns_free(old);
	b = pcl_dns_lookup(new, "a.test", PCL_DNS_A);
	c = pcl_dns_lookup(other, "a.test", PCL_DNS_A);
	ck_assert_msg(b->from_cache, "shared: got a query, want the cache");
	ck_assert_msg(!c->from_cache, "other size: got cached, want a query");
	ck_assert_msg(fakedns_queries("a.test") == 2, "got %u queries, want 2",
	              fakedns_queries("a.test"));
	pcl_dns_answer_free(a);
	pcl_dns_answer_free(b);
	pcl_dns_answer_free(c);
	pcl_dns_free(new);
	pcl_dns_free(other);
}
END_TEST

START_TEST(test_cache_expiry)
{
	const struct expiry_case *c = &expiry_cases[_i];
	struct pcl_dns *dns = dns_make(100, 60, 3600, 2000, 2);
	enum pcl_dns_status first;
	enum pcl_dns_status second;
	bool cached;
	uint32_t ttl;
	unsigned want_queries = c->want_cached ? 1 : 2;

	pcl_dns_set_clock(dns, pinned_now);
	first = lookup_status(dns, c->name, c->type, NULL, NULL);
	pinned += c->advance;
	second = lookup_status(dns, c->name, c->type, &cached, &ttl);
	ck_assert_msg(first == second, "%s: got %s then %s", c->label,
	              pcl_dns_status_name(first), pcl_dns_status_name(second));
	ck_assert_msg(cached == c->want_cached, "%s: got cached %d, want %d",
	              c->label, cached, c->want_cached);
	ck_assert_msg(ttl == c->want_ttl, "%s: got ttl %u, want %u", c->label,
	              ttl, c->want_ttl);
	ck_assert_msg(fakedns_queries(c->name) == want_queries,
	              "%s: got %u queries, want %u", c->label,
	              fakedns_queries(c->name), want_queries);
	pcl_dns_free(dns);
}
END_TEST

struct nocache_case {
	const char *label;
	const char *name;
	enum pcl_dns_status want;
	size_t entries;
};

static const struct nocache_case nocache_cases[] = {
    {"SERVFAIL", "servfail.test", PCL_DNS_TEMPFAIL, 100},
    {"REFUSED", "refused.test", PCL_DNS_TEMPFAIL, 100},
    {"timeout", "drop.test", PCL_DNS_TEMPFAIL, 100},
    {"FORMERR", "formerr.test", PCL_DNS_PERMFAIL, 100},
    {"unparsable", "garbage.test", PCL_DNS_PERMFAIL, 100},
    {"cache off", "a.test", PCL_DNS_FOUND, 0},
};

/* test_not_cached - failures (and anything, with no cache) ask again */
START_TEST(test_not_cached)
{
	const struct nocache_case *c = &nocache_cases[_i];
	struct pcl_dns *dns = dns_make(c->entries, 0, 0, 300, 1);
	bool cached = true;

	for (int i = 0; i < 2; i++) {
		enum pcl_dns_status st =
		    lookup_status(dns, c->name, PCL_DNS_A, &cached, NULL);

		ck_assert_msg(st == c->want, "%s: got %s, want %s", c->label,
		              pcl_dns_status_name(st),
		              pcl_dns_status_name(c->want));
		ck_assert_msg(!cached, "%s: got from_cache, want fresh",
		              c->label);
	}
	ck_assert_msg(fakedns_queries(c->name) == 2,
	              "%s: got %u queries, want 2", c->label,
	              fakedns_queries(c->name));
	pcl_dns_free(dns);
}
END_TEST

struct evict_step {
	const char *name;
	bool want_cached;
};

/* test_cache_evict - at cache_max_entries the least recently used
 * entry goes */
START_TEST(test_cache_evict)
{
	static const struct evict_step steps[] = {
	    {"t1.test", false}, {"t2.test", false},
	    {"t3.test", false}, {"t1.test", true}, /* order now t2, t3, t1 */
	    {"t4.test", false},                    /* evicts t2 */
	    {"t3.test", true},  {"t1.test", true},
	    {"t2.test", false}, /* back, evicts t4 */
	    {"t4.test", false},
	};
	struct pcl_dns *dns = dns_make(3, 0, 0, 2000, 2);

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		bool cached;

		lookup_status(dns, steps[i].name, PCL_DNS_A, &cached, NULL);
		ck_assert_msg(cached == steps[i].want_cached,
		              "step %zu %s: got cached %d, want %d", i,
		              steps[i].name, cached, steps[i].want_cached);
	}
	pcl_dns_free(dns);
}
END_TEST

/* test_cache_flush - a flush forgets everything */
START_TEST(test_cache_flush)
{
	struct pcl_dns *dns = dns_make(100, 0, 0, 2000, 2);
	bool cached;

	lookup_status(dns, "a.test", PCL_DNS_A, NULL, NULL);
	lookup_status(dns, "a.test", PCL_DNS_TXT, NULL, NULL);
	pcl_dns_cache_flush(dns);
	lookup_status(dns, "a.test", PCL_DNS_A, &cached, NULL);
	ck_assert_msg(!cached, "after flush: got cached, want fresh");
	lookup_status(dns, "a.test", PCL_DNS_TXT, &cached, NULL);
	ck_assert_msg(!cached, "other type after flush: got cached");
	lookup_status(dns, "a.test", PCL_DNS_TXT, &cached, NULL);
	ck_assert_msg(cached, "again: got fresh, want cached");
	ck_assert_msg(fakedns_queries("a.test") == 4, "got %u queries, want 4",
	              fakedns_queries("a.test"));
	pcl_dns_free(dns);
}
END_TEST

/* test_cache_batch - a batch answers cached queries at send */
START_TEST(test_cache_batch)
{
	struct pcl_dns *dns = dns_make(100, 0, 0, 2000, 2);
	struct pcl_dns_batch *b = pcl_dns_batch_new(dns);

	lookup_status(dns, "a.test", PCL_DNS_A, NULL, NULL);
	pcl_dns_batch_add(b, "a.test", PCL_DNS_A);
	pcl_dns_batch_add(b, "slow1.test", PCL_DNS_A);
	pcl_dns_batch_send(b);
	ck_assert_msg(pcl_dns_batch_answer(b, 0)->status == PCL_DNS_FOUND &&
	                  pcl_dns_batch_answer(b, 0)->from_cache,
	              "cached after send: got %s, want found from cache",
	              pcl_dns_status_name(pcl_dns_batch_answer(b, 0)->status));
	ck_assert_msg(pcl_dns_batch_answer(b, 1)->status == PCL_DNS_PENDING,
	              "uncached after send: got %s, want pending",
	              pcl_dns_status_name(pcl_dns_batch_answer(b, 1)->status));
	pcl_dns_batch_wait(b);
	ck_assert_msg(pcl_dns_batch_answer(b, 1)->status == PCL_DNS_FOUND,
	              "after wait: got %s, want found",
	              pcl_dns_status_name(pcl_dns_batch_answer(b, 1)->status));
	pcl_dns_batch_free(b);
	pcl_dns_free(dns);
}
END_TEST

/* dns_cache_tcase - the cache tests */
TCase *
dns_cache_tcase(void)
{
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_cache_hit);
	tcase_add_test(tc, test_cache_shared);
	tcase_add_loop_test(tc, test_cache_expiry, 0, N(expiry_cases));
	tcase_add_loop_test(tc, test_not_cached, 0, N(nocache_cases));
	tcase_add_test(tc, test_cache_evict);
	tcase_add_test(tc, test_cache_flush);
	tcase_add_test(tc, test_cache_batch);
	return tc;
}

struct servers_case {
	const char *label;
	const char *servers;
	const char *want;     /* pcl_dns_servers_format, or NULL: error */
	const char *want_err; /* part of the error */
};

static const struct servers_case servers_cases[] = {
    {"IPv4", "127.0.0.1", "127.0.0.1:53", NULL},
    {"IPv4 and port", "192.0.2.1:5353", "192.0.2.1:5353", NULL},
    {"IPv6 bracketed, port", "[2001:db8::1]:54", "[2001:db8::1]:54", NULL},
    {"IPv6 bracketed", "[::1]", "[::1]:53", NULL},
    {"IPv6 bare", "::1", "[::1]:53", NULL},
    {"IPv6 bare, no port taken", "2001:db8::1:53", "[2001:db8::1:53]:53", NULL},
    {"commas", "192.0.2.1,192.0.2.2", "192.0.2.1:53,192.0.2.2:53", NULL},
    {"mixed separators", " 192.0.2.1 ,  [::1]:54\t192.0.2.3 ,",
     "192.0.2.1:53,[::1]:54,192.0.2.3:53", NULL},
    {"eight",
     "1.0.0.1 1.0.0.2 1.0.0.3 1.0.0.4 1.0.0.5 1.0.0.6 1.0.0.7 "
     "1.0.0.8",
     "1.0.0.1:53,1.0.0.2:53,1.0.0.3:53,1.0.0.4:53,1.0.0.5:53,1.0.0.6:53,"
     "1.0.0.7:53,1.0.0.8:53",
     NULL},
    {"nine",
     "1.0.0.1 1.0.0.2 1.0.0.3 1.0.0.4 1.0.0.5 1.0.0.6 1.0.0.7 "
     "1.0.0.8 1.0.0.9",
     NULL, "dns_servers: more than 8 servers"},
    {"host name", "localhost", NULL, "dns_servers: bad address \"localhost\""},
    {"empty port", "192.0.2.1:", NULL, "bad address \"192.0.2.1:\""},
    {"no host", ":53", NULL, "bad address \":53\""},
    {"port 0", "192.0.2.1:0", NULL, "bad address"},
    {"port 65536", "192.0.2.1:65536", NULL, "bad address"},
    {"port with letters", "192.0.2.1:53x", NULL, "bad address"},
    {"octet 256", "256.0.0.1", NULL, "bad address \"256.0.0.1\""},
    {"short IPv4", "127.1", NULL, "bad address \"127.1\""},
    {"hex IPv4", "0x7f.0.0.1", NULL, "bad address"},
    {"IPv6 scope", "[fe80::1%lo]:53", "[fe80::1%lo]:53", NULL},
    {"second bad", "192.0.2.1, 192.0.2", NULL, "bad address \"192.0.2\""},
    {"open bracket", "[::1", NULL, "bad address \"[::1\""},
    {"junk after bracket", "[::1]x", NULL, "bad address"},
    {"bracketed IPv4", "[192.0.2.1]:53", NULL, "bad address"},
    {"two ports", "192.0.2.1:53:53", NULL, "bad address"},
    {"overlong",
     "1111111111111111111111111111111111111111111111111111111"
     "1111111111111111111111111111111111",
     NULL, "bad address"},
};

/* test_servers - the dns_servers syntax */
START_TEST(test_servers)
{
	const struct servers_case *c = &servers_cases[_i];
	struct pcl_dns_conf conf = {.servers = c->servers,
	                            .resolv_conf = "/nonexistent"};
	char err[PCL_ERR_MAX] = "";
	char got[512];
	struct pcl_dns *dns = pcl_dns_new(&conf, err, sizeof(err));

	if (c->want == NULL) {
		ck_assert_msg(dns == NULL, "%s: got a resolver, want error",
		              c->label);
		ck_assert_msg(strstr(err, c->want_err) != NULL,
		              "%s: got error \"%s\", want \"%s\"", c->label,
		              err, c->want_err);
		return;
	}
	ck_assert_msg(dns != NULL, "%s: got error \"%s\"", c->label, err);
	pcl_dns_servers_format(dns, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->want) == 0, "%s: got \"%s\", want \"%s\"",
	              c->label, got, c->want);
	pcl_dns_free(dns);
}
END_TEST

struct resolv_case {
	const char *label;
	const char *servers;
	const char *content; /* NULL: no file */
	const char *want;    /* NULL: error */
	const char *want_err;
	bool long_first; /* a 600-byte comment line first */
};

static const struct resolv_case resolv_cases[] = {
    {"two nameservers", NULL,
     "# comment\nnameserver 192.0.2.1\nsearch example.org\n"
     "nameserver ::1\n",
     "192.0.2.1:53,[::1]:53", NULL, false},
    {"bad lines skipped", "",
     "options timeout:1\nnameserver bogus\nnameserver\n"
     "nameserver [::1]\nnameserver 192.0.2.9 # x\n",
     "192.0.2.9:53", NULL, false},
    {"blank servers", " , ", "nameserver 192.0.2.1\n", "192.0.2.1:53", NULL,
     false},
    {"overlong line", NULL, "nameserver 192.0.2.4\n", "192.0.2.4:53", NULL,
     true},
    /* as the libc resolver: the name server on this machine */
    {"no nameserver", NULL, "search example.org\n", "127.0.0.1:53", NULL,
     false},
    {"no file", NULL, NULL, "127.0.0.1:53", NULL, false},
    {"servers win", "192.0.2.8", NULL, "192.0.2.8:53", NULL, false},
};

/* test_resolv_conf - nameserver lines when dns_servers is empty */
START_TEST(test_resolv_conf)
{
	const struct resolv_case *c = &resolv_cases[_i];
	char path[] = "/tmp/check_dns_resolvXXXXXX";
	struct pcl_dns_conf conf = {.servers = c->servers};
	char err[PCL_ERR_MAX] = "";
	char got[512];
	struct pcl_dns *dns;
	int fd = mkstemp(path);
	FILE *fp;

	ck_assert(fd >= 0);
	fp = fdopen(fd, "w");
	ck_assert(fp != NULL);
	if (c->long_first)
		fprintf(fp, "# %0600d nameserver 192.0.2.5\n", 0);
	if (c->content != NULL)
		fputs(c->content, fp);
	fclose(fp);
	if (c->content == NULL)
		unlink(path);
	conf.resolv_conf = path;
	dns = pcl_dns_new(&conf, err, sizeof(err));
	if (c->content != NULL)
		unlink(path);
	if (c->want == NULL) {
		ck_assert_msg(dns == NULL && strstr(err, c->want_err) != NULL,
		              "%s: got error \"%s\", want \"%s\"", c->label,
		              err, c->want_err);
		return;
	}
	ck_assert_msg(dns != NULL, "%s: got error \"%s\"", c->label, err);
	pcl_dns_servers_format(dns, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->want) == 0, "%s: got \"%s\", want \"%s\"",
	              c->label, got, c->want);
	pcl_dns_free(dns);
}
END_TEST

struct settings_case {
	const char *label;
	struct pcl_dns_conf conf;
	const char *want_err; /* NULL: accepted */
};

static const struct settings_case settings_cases[] = {
    {"all defaults", {.servers = "::1"}, NULL},
    {"timeout at max", {.servers = "::1", .timeout_ms = 600000}, NULL},
    {"timeout over max", {.servers = "::1", .timeout_ms = 600001}, "timeout"},
    {"attempts at max", {.servers = "::1", .attempts = 16}, NULL},
    {"attempts over max", {.servers = "::1", .attempts = 17}, "attempts"},
    {"min equal max",
     {.servers = "::1", .cache_min_ttl = 90, .cache_max_ttl = 90},
     NULL},
    {"min over max",
     {.servers = "::1", .cache_min_ttl = 100, .cache_max_ttl = 50},
     "cache_min_ttl 100 above cache_max_ttl 50"},
    {"min over default max",
     {.servers = "::1", .cache_min_ttl = 4000},
     "cache_min_ttl"},
};

/* test_settings - bounds of the numeric settings */
START_TEST(test_settings)
{
	const struct settings_case *c = &settings_cases[_i];
	char err[PCL_ERR_MAX] = "";
	struct pcl_dns *dns = pcl_dns_new(&c->conf, err, sizeof(err));

	if (c->want_err == NULL) {
		ck_assert_msg(dns != NULL, "%s: got error \"%s\"", c->label,
		              err);
		pcl_dns_free(dns);
		return;
	}
	ck_assert_msg(dns == NULL && strstr(err, c->want_err) != NULL,
	              "%s: got error \"%s\", want \"%s\"", c->label, err,
	              c->want_err);
}
END_TEST

struct status_case {
	enum pcl_dns_status status;
	const char *want;
};

static const struct status_case status_cases[] = {
    {PCL_DNS_PENDING, "pending"},         {PCL_DNS_FOUND, "found"},
    {PCL_DNS_NXDOMAIN, "nxdomain"},       {PCL_DNS_NODATA, "nodata"},
    {PCL_DNS_TEMPFAIL, "tempfail"},       {PCL_DNS_PERMFAIL, "permfail"},
    {(enum pcl_dns_status)99, "unknown"},
};

/* test_status_name - the status words of log lines */
START_TEST(test_status_name)
{
	const struct status_case *c = &status_cases[_i];
	const char *got = pcl_dns_status_name(c->status);

	ck_assert_msg(strcmp(got, c->want) == 0, "%d: got %s, want %s",
	              (int)c->status, got, c->want);
}
END_TEST

/* dns_conf_tcase - settings and server lists (no server needed) */
TCase *
dns_conf_tcase(void)
{
	TCase *tc = tcase_create("conf");

	tcase_add_loop_test(tc, test_servers, 0, N(servers_cases));
	tcase_add_loop_test(tc, test_resolv_conf, 0, N(resolv_cases));
	tcase_add_loop_test(tc, test_settings, 0, N(settings_cases));
	tcase_add_loop_test(tc, test_status_name, 0, N(status_cases));
	return tc;
}

#define THREADS 8
#define LOOKUPS 200

struct worker {
	struct pcl_dns *dns;
	int id;
	int errors;
	char first[256]; /* the first error */
};

/* worker_check - is a the A record of t<n>.test */
static void
worker_check(struct worker *w, const struct pcl_dns_answer *a, int n)
{
	char got[64];
	char want[64];

	if (a == NULL) {
		if (w->errors++ == 0)
			pcl_format(w->first, sizeof(w->first), "t%d: NULL", n);
		return;
	}
	answer_text(a, got, sizeof(got));
	pcl_format(want, sizeof(want), "198.51.100.%d", n);
	if (a->status != PCL_DNS_FOUND || strcmp(got, want) != 0) {
		if (w->errors++ == 0)
			pcl_format(w->first, sizeof(w->first),
			           "t%d: got %s \"%s\" (%s), want %s", n,
			           pcl_dns_status_name(a->status), got,
			           a->error, want);
	}
}

/* worker_run - LOOKUPS lookups, every tenth a batch of three */
static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	char name[32];

	for (int j = 0; j < LOOKUPS; j++) {
		int n = (j * 7 + w->id * 3) % 50;

		if (j % 10 == 0) {
			struct pcl_dns_batch *b = pcl_dns_batch_new(w->dns);

			for (int k = 0; k < 3; k++) {
				pcl_format(name, sizeof(name), "t%d.test",
				           (n + k) % 50);
				pcl_dns_batch_add(b, name, PCL_DNS_A);
			}
			pcl_dns_batch_wait(b);
			for (int k = 0; k < 3; k++)
				worker_check(w, pcl_dns_batch_answer(b, k),
				             (n + k) % 50);
			pcl_dns_batch_free(b);
		} else {
			struct pcl_dns_answer *a;

			pcl_format(name, sizeof(name), "T%d.test.", n);
			a = pcl_dns_lookup(w->dns, name, PCL_DNS_A);
			worker_check(w, a, n);
			pcl_dns_answer_free(a);
		}
		if (w->id == 0 && j % 50 == 49)
			pcl_dns_cache_flush(w->dns);
	}
	return NULL;
}

/* test_threads - 8 threads share one resolver and a small cache */
START_TEST(test_threads)
{
	struct pcl_dns *dns = dns_make(16, 0, 0, 5000, 2);
	struct worker w[THREADS];
	pthread_t t[THREADS];
	struct pcl_dns_stats st;
	int64_t t0 = mono_ms();

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.dns = dns, .id = i};
		ck_assert(pthread_create(&t[i], NULL, worker_run, &w[i]) == 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	timings_note("8 threads x 200 lookups", mono_ms() - t0);
	for (int i = 0; i < THREADS; i++)
		ck_assert_msg(w[i].errors == 0, "thread %d: got %d errors: %s",
		              i, w[i].errors, w[i].first);
	pcl_dns_stats(dns, &st);
	ck_assert_msg(st.cache_hits + st.cache_misses ==
	                  (uint64_t)THREADS * (LOOKUPS + LOOKUPS / 10 * 2),
	              "got %llu hits + %llu misses, want %d lookups",
	              (unsigned long long)st.cache_hits,
	              (unsigned long long)st.cache_misses,
	              THREADS * (LOOKUPS + LOOKUPS / 10 * 2));
	/* a miss is sent, or joins the same query in flight */
	ck_assert_msg(
	    st.queries_sent + st.shared == st.cache_misses &&
	        fakedns_queries(NULL) == st.queries_sent,
	    "got %llu sent + %llu shared, %llu misses, %u received, want "
	    "sent + shared = misses, received = sent",
	    (unsigned long long)st.queries_sent, (unsigned long long)st.shared,
	    (unsigned long long)st.cache_misses, fakedns_queries(NULL));
	pcl_dns_free(dns);
}
END_TEST

/* dns_threads_tcase - concurrency */
TCase *
dns_threads_tcase(void)
{
	TCase *tc = tcase_create("threads");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_threads);
	return tc;
}
