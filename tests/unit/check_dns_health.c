/*
 * check_dns_health - DNS list health: down after failures in a row,
 * back-off, probes, up again; and the cache's byte budget
 *
 * Failures are SERVFAILs from fakedns ("*.dead.test"), which come at
 * once, so no case waits for a deadline but the one that is about
 * timeouts (300 ms each, with no assertion on time). The clock of the
 * back-off is pinned (pcl_dns_set_clock) and moved by hand. Log lines
 * go to a file (stderr reopened in the forked test) and are read back.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns_suite.h"
#include "log.h"
#include "util.h"

/* a zone with a key-like label: log lines must show only the name */
#define DEAD_ZONE "s3cr3tk3y.dead.test"
#define DEAD_SHOWN "dead.example"
#define OK_ZONE "ok.test"

static char logpath[64];

/* health_make - a resolver on fakedns with list health on: down after
 * 3 failures, window 60 s, back-off 30 s doubling up to max_backoff */
static struct pcl_dns *
health_make(unsigned down_after, unsigned max_backoff, unsigned timeout_ms)
{
	struct pcl_dns_conf conf = {
	    .servers = fk->servers,
	    .timeout_ms = timeout_ms,
	    .attempts = 1,
	    .cache_max_entries = 100,
	    .list_down_after = down_after,
	    .list_window = 60,
	    .list_backoff = 30,
	    .list_backoff_max = max_backoff,
	};
	char err[PCL_ERR_MAX] = "";
	struct pcl_dns *dns = pcl_dns_new(&conf, err, sizeof(err));

	ck_assert_msg(dns != NULL, "pcl_dns_new: got NULL (%s)", err);
	pcl_dns_set_clock(dns, pinned_now);
	return dns;
}

/* log_to_file - log lines of this test to a file of its own */
static void
log_to_file(void)
{
	pcl_format(logpath, sizeof(logpath), "/tmp/check_dns_health.%d",
	           (int)getpid());
	ck_assert_ptr_nonnull(freopen(logpath, "w", stderr));
	pcl_log_open("check", LOG_MAIL, true, false);
}

/* log_count - how many log lines so far contain needle */
static int
log_count(const char *needle)
{
	char line[1024];
	FILE *fp;
	int n = 0;

	fflush(stderr);
	fp = fopen(logpath, "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(fp);
	return n;
}

/* log_done - remove the log file */
static void
log_done(void)
{
	ck_assert_msg(log_count("s3cr3tk3y") == 0,
	              "a log line holds the zone's key label");
	unlink(logpath);
}

struct outcome {
	enum pcl_dns_status status;
	bool list_down;
	bool cached;
	char error[128];
};

/* ask - one lookup of client n in zone, awaited */
static struct outcome
ask(struct pcl_dns *dns, int n, const char *zone, const char *shown)
{
	struct pcl_dns_batch *b = pcl_dns_batch_new(dns);
	const struct pcl_dns_answer *a;
	struct outcome o;
	char name[PCL_DOMAIN_MAX + 1];
	int i;

	pcl_format(name, sizeof(name), "%d.%s", n, zone);
	i = pcl_dns_batch_add_list(b, name, PCL_DNS_A, zone, shown);
	ck_assert_int_ge(i, 0);
	pcl_dns_batch_wait(b);
	a = pcl_dns_batch_answer(b, i);
	o.status = a->status;
	o.list_down = a->list_down;
	o.cached = a->from_cache;
	pcl_copy(o.error, sizeof(o.error), a->error);
	pcl_dns_batch_free(b);
	return o;
}

/* fail_n - n failed lookups of fresh clients of the dead zone */
static void
fail_n(struct pcl_dns *dns, int n, int *client)
{
	for (int i = 0; i < n; i++) {
		struct outcome o = ask(dns, (*client)++, DEAD_ZONE, DEAD_SHOWN);

		ck_assert_msg(o.status == PCL_DNS_TEMPFAIL && !o.list_down,
		              "failure %d: got %s%s, want a sent tempfail", i,
		              pcl_dns_status_name(o.status),
		              o.list_down ? " (list down)" : "");
	}
}

/* skipped - is the next lookup of the dead zone skipped, unsent */
static bool
skipped(struct pcl_dns *dns, int *client, struct outcome *out)
{
	char name[PCL_DOMAIN_MAX + 1];
	struct outcome o;
	bool unsent;

	pcl_format(name, sizeof(name), "%d.%s", *client, DEAD_ZONE);
	o = ask(dns, (*client)++, DEAD_ZONE, DEAD_SHOWN);
	unsent = fakedns_queries(name) == 0;

	if (out)
		*out = o;
	ck_assert_msg(o.list_down == unsent, "list_down %d but %s sent",
	              o.list_down, unsent ? "nothing" : "a query");
	return o.list_down;
}

/* After 3 SERVFAILs in a row the list is down: the 4th lookup is
 * answered at once, TEMPFAIL and list_down, without a query; another
 * list is still asked; one WARNING line names the public name. */
START_TEST(test_health_down)
{
	struct pcl_dns *dns = health_make(3, 600, 2000);
	struct pcl_dns_stats st;
	struct outcome o;
	int client = 1;

	log_to_file();
	fakedns_set_servfail("*." DEAD_ZONE);
	fail_n(dns, 2, &client);
	ck_assert_msg(!pcl_dns_list_down(dns, DEAD_ZONE),
	              "2 failures: got down, want up");
	fail_n(dns, 1, &client);
	ck_assert_msg(pcl_dns_list_down(dns, DEAD_ZONE),
	              "3 failures: got up, want down");
	ck_assert_msg(skipped(dns, &client, &o), "got a query, want none");
	ck_assert_msg(o.status == PCL_DNS_TEMPFAIL &&
	                  strstr(o.error, "list down, not asked") != NULL,
	              "got %s \"%s\", want tempfail \"list down, not asked\"",
	              pcl_dns_status_name(o.status), o.error);
	o = ask(dns, 1, OK_ZONE, OK_ZONE);
	ck_assert_msg(o.status == PCL_DNS_NXDOMAIN && !o.list_down,
	              "other list: got %s, want nxdomain",
	              pcl_dns_status_name(o.status));
	pcl_dns_stats(dns, &st);
	ck_assert_msg(st.lists_skipped == 1, "got %llu skipped, want 1",
	              (unsigned long long)st.lists_skipped);
	ck_assert_int_eq(log_count("list=" DEAD_SHOWN " down: 3 failures in a "
	                           "row (last: SERVFAIL)"),
	                 1);
	ck_assert_int_eq(log_count("list="), 1);
	pcl_dns_free(dns);
	log_done();
}
END_TEST

/* An answer between failures starts the count again; so does a pause
 * longer than the window. */
START_TEST(test_health_run_resets)
{
	struct pcl_dns *dns = health_make(3, 600, 2000);
	int client = 1;

	fakedns_set_servfail("*." DEAD_ZONE);
	fail_n(dns, 2, &client);
	fakedns_reset(); /* the list answers (NXDOMAIN) */
	ck_assert(!ask(dns, client++, DEAD_ZONE, DEAD_SHOWN).list_down);
	fakedns_set_servfail("*." DEAD_ZONE);
	fail_n(dns, 2, &client);
	ck_assert_msg(!pcl_dns_list_down(dns, DEAD_ZONE),
	              "F F answer F F: got down, want up");
	pinned += 61; /* the window is 60 s */
	fail_n(dns, 2, &client);
	ck_assert_msg(!pcl_dns_list_down(dns, DEAD_ZONE),
	              "F F, 61 s, F F: got down, want up");
	fail_n(dns, 1, &client);
	ck_assert_msg(pcl_dns_list_down(dns, DEAD_ZONE),
	              "3 in a row within the window: got up, want down");
	pcl_dns_free(dns);
}
END_TEST

/* Down: skipped until the back-off ends, then one probe (a second
 * lookup while it is out is skipped); a failed probe doubles the
 * back-off; an answered one brings the list up, logged once. */
START_TEST(test_health_probe)
{
	struct pcl_dns *dns = health_make(3, 600, 2000);
	struct pcl_dns_batch *probe, *other;
	struct pcl_dns_stats st;
	struct outcome o;
	int client = 1, pi, oi;

	log_to_file();
	fakedns_set_servfail("*." DEAD_ZONE);
	fail_n(dns, 3, &client);
	pinned += 29;
	ck_assert_msg(skipped(dns, &client, &o), "at 29 s: got a query");
	ck_assert_msg(strstr(o.error, "next probe in 1s") != NULL,
	              "got \"%s\", want next probe in 1s", o.error);
	pinned += 1;
	/* the probe is sent and not yet read; another lookup meanwhile */
	probe = pcl_dns_batch_new(dns);
	other = pcl_dns_batch_new(dns);
	pi = pcl_dns_batch_add_list(probe, "100." DEAD_ZONE, PCL_DNS_A,
	                            DEAD_ZONE, DEAD_SHOWN);
	pcl_dns_batch_send(probe);
	oi = pcl_dns_batch_add_list(other, "101." DEAD_ZONE, PCL_DNS_A,
	                            DEAD_ZONE, DEAD_SHOWN);
	pcl_dns_batch_wait(other);
	ck_assert_msg(pcl_dns_batch_answer(other, oi)->list_down,
	              "while a probe is out: got a query, want none");
	pcl_dns_batch_wait(probe);
	ck_assert_msg(
	    !pcl_dns_batch_answer(probe, pi)->list_down &&
	        pcl_dns_batch_answer(probe, pi)->status == PCL_DNS_TEMPFAIL,
	    "the probe: got %s, want a sent tempfail",
	    pcl_dns_status_name(pcl_dns_batch_answer(probe, pi)->status));
	pcl_dns_batch_free(probe);
	pcl_dns_batch_free(other);
	ck_assert_int_eq(log_count("list=" DEAD_SHOWN " still down"), 1);
	/* the back-off is now 60 s */
	pinned += 59;
	ck_assert_msg(skipped(dns, &client, NULL), "at 59 s: got a query");
	pinned += 1;
	fakedns_reset();
	o = ask(dns, client++, DEAD_ZONE, DEAD_SHOWN);
	ck_assert_msg(!o.list_down && o.status == PCL_DNS_NXDOMAIN,
	              "second probe: got %s, want nxdomain",
	              pcl_dns_status_name(o.status));
	ck_assert_msg(!pcl_dns_list_down(dns, DEAD_ZONE),
	              "answered probe: got down, want up");
	ck_assert_msg(!skipped(dns, &client, NULL), "up: got skipped");
	ck_assert_int_eq(log_count("list=" DEAD_SHOWN " up"), 1);
	ck_assert_int_eq(log_count("list="), 3); /* down, still down, up */
	pcl_dns_stats(dns, &st);
	ck_assert_msg(st.probes_sent == 2, "got %llu probes, want 2",
	              (unsigned long long)st.probes_sent);
	pcl_dns_free(dns);
	log_done();
}
END_TEST

struct backoff_case {
	const char *label;
	unsigned max;
	unsigned want[5]; /* seconds to the next probe after each failure */
};

static const struct backoff_case backoff_cases[] = {
    {"doubling", 600, {30, 60, 120, 240, 480}},
    {"capped at 100", 100, {30, 60, 100, 100, 100}},
    {"capped at the first", 30, {30, 30, 30, 30, 30}},
};

/* The back-off doubles with each failed probe, up to its maximum. */
START_TEST(test_health_backoff)
{
	const struct backoff_case *tc = &backoff_cases[_i];
	struct pcl_dns *dns = health_make(3, tc->max, 2000);
	int client = 1;

	fakedns_set_servfail("*." DEAD_ZONE);
	fail_n(dns, 3, &client);
	for (int k = 0; k < 5; k++) {
		struct outcome o;
		char want[64];

		ck_assert(skipped(dns, &client, &o));
		pcl_format(want, sizeof(want), "next probe in %us",
		           tc->want[k]);
		ck_assert_msg(strstr(o.error, want) != NULL,
		              "%s, step %d: got \"%s\", want \"%s\"", tc->label,
		              k, o.error, want);
		pinned += tc->want[k];
		fail_n(dns, 1, &client); /* the probe */
	}
	pcl_dns_free(dns);
}
END_TEST

/* A probe whose batch is freed unanswered gives its turn back at once;
 * one never reported holds it for its lease (timeout + 1 s) only. */
START_TEST(test_health_probe_lost)
{
	struct pcl_dns *dns = health_make(3, 600, 2000);
	struct pcl_dns_batch *b;
	struct pcl_dns_stats st;
	int client = 1;

	fakedns_set_servfail("*." DEAD_ZONE);
	fail_n(dns, 3, &client);
	pinned += 30;
	b = pcl_dns_batch_new(dns);
	pcl_dns_batch_add_list(b, "200." DEAD_ZONE, PCL_DNS_A, DEAD_ZONE,
	                       DEAD_SHOWN);
	pcl_dns_batch_send(b);
	ck_assert_msg(skipped(dns, &client, NULL), "probe out: got a query");
	pcl_dns_batch_free(b); /* the session went away */
	b = pcl_dns_batch_new(dns);
	pcl_dns_batch_add_list(b, "201." DEAD_ZONE, PCL_DNS_A, DEAD_ZONE,
	                       DEAD_SHOWN);
	pcl_dns_batch_send(b);
	pcl_dns_stats(dns, &st);
	ck_assert_msg(st.probes_sent == 2,
	              "abandoned probe: got %llu probes, want 2",
	              (unsigned long long)st.probes_sent);
	/* this one is never waited for: after 2 s it still holds the turn,
	 * after 3 s (the lease) another probe may go */
	pinned += 2;
	ck_assert_msg(skipped(dns, &client, NULL), "within the lease");
	pinned += 1;
	ck_assert_msg(!skipped(dns, &client, NULL), "after the lease");
	pcl_dns_batch_free(b);
	pcl_dns_free(dns);
}
END_TEST

/* A reload's resolver shares the health: the list stays down; cached
 * answers are served while it is down and count for nothing. */
START_TEST(test_health_shared)
{
	struct pcl_dns *old = health_make(3, 600, 2000);
	struct pcl_dns *new = health_make(3, 600, 2000);
	struct outcome o;
	int client = 1;

	o = ask(old, 999, DEAD_ZONE, DEAD_SHOWN); /* NXDOMAIN, cached */
	ck_assert(o.status == PCL_DNS_NXDOMAIN);
	fakedns_set_servfail("*." DEAD_ZONE);
	fail_n(old, 3, &client);
	o = ask(old, 999, DEAD_ZONE, DEAD_SHOWN);
	ck_assert_msg(o.cached && !o.list_down && o.status == PCL_DNS_NXDOMAIN,
	              "cached while down: got %s%s%s",
	              pcl_dns_status_name(o.status), o.cached ? " cached" : "",
	              o.list_down ? " list down" : "");
	pcl_dns_share_health(new, old);
	pcl_dns_free(old);
	ck_assert_msg(pcl_dns_list_down(new, DEAD_ZONE),
	              "after reload: got up, want down");
	ck_assert(skipped(new, &client, NULL));
	pcl_dns_free(new);
}
END_TEST

/* dns_list_down_after = 0: never down. Lookups without a list (plain
 * pcl_dns_batch_add) count for nothing. */
START_TEST(test_health_off)
{
	struct pcl_dns *off = health_make(0, 600, 2000);
	struct pcl_dns *on = health_make(3, 600, 2000);
	int client = 1;

	fakedns_set_servfail("*." DEAD_ZONE);
	fail_n(off, 5, &client);
	ck_assert(!pcl_dns_list_down(off, DEAD_ZONE));
	for (int i = 0; i < 5; i++) {
		struct pcl_dns_answer *a =
		    pcl_dns_lookup(on, "300." DEAD_ZONE, PCL_DNS_A);

		ck_assert(a->status == PCL_DNS_TEMPFAIL);
		pcl_dns_answer_free(a);
	}
	ck_assert(!pcl_dns_list_down(on, DEAD_ZONE));
	pcl_dns_free(off);
	pcl_dns_free(on);
}
END_TEST

/* Timeouts count like SERVFAILs (300 ms each; nothing about time is
 * asserted). */
START_TEST(test_health_timeouts)
{
	struct pcl_dns *dns = health_make(2, 600, 300);
	struct outcome o;
	int client = 1;

	log_to_file();
	fakedns_set_drop("*." DEAD_ZONE);
	fail_n(dns, 2, &client);
	ck_assert(skipped(dns, &client, &o));
	ck_assert_int_eq(log_count("list=" DEAD_SHOWN " down: 2 failures in a "
	                           "row (last: timeout)"),
	                 1);
	pcl_dns_free(dns);
	log_done();
}
END_TEST

/* bytes_make - a resolver whose cache holds 100 entries within bytes,
 * replies of at most answer bytes */
static struct pcl_dns *
bytes_make(size_t bytes, size_t answer)
{
	struct pcl_dns_conf conf = {
	    .servers = fk->servers,
	    .timeout_ms = 2000,
	    .attempts = 1,
	    .cache_max_entries = 100,
	    .cache_max_bytes = bytes,
	    .cache_max_answer = answer,
	};
	char err[PCL_ERR_MAX] = "";
	struct pcl_dns *dns = pcl_dns_new(&conf, err, sizeof(err));

	ck_assert_msg(dns != NULL, "pcl_dns_new: got NULL (%s)", err);
	return dns;
}

/* look - a lookup whose answer is not kept */
static void
look(struct pcl_dns *dns, const char *name, int type)
{
	pcl_dns_answer_free(pcl_dns_lookup(dns, name, type));
}

/* The byte budget evicts the least recently used answers: room for two
 * answers of t1..t3, so t1 goes and is asked again. */
START_TEST(test_cache_bytes)
{
	struct pcl_dns *probe = bytes_make(0, 0);
	struct pcl_dns *dns;
	struct pcl_dns_stats st;
	size_t one;

	look(probe, "t1.test", PCL_DNS_A);
	pcl_dns_stats(probe, &st);
	one = st.cache_bytes;
	ck_assert_msg(st.cache_entries == 1 && one > 0,
	              "got %zu entries, %zu bytes; want 1, > 0",
	              st.cache_entries, one);
	pcl_dns_free(probe);
	fakedns_reset();
	dns = bytes_make(one * 2 + one / 2, 0);
	look(dns, "t1.test", PCL_DNS_A);
	look(dns, "t2.test", PCL_DNS_A);
	look(dns, "t3.test", PCL_DNS_A);
	pcl_dns_stats(dns, &st);
	ck_assert_msg(st.cache_entries == 2 &&
	                  st.cache_bytes <= one * 2 + one / 2,
	              "got %zu entries, %zu bytes; want 2, <= %zu",
	              st.cache_entries, st.cache_bytes, one * 2 + one / 2);
	look(dns, "t3.test", PCL_DNS_A);
	look(dns, "t2.test", PCL_DNS_A);
	look(dns, "t1.test", PCL_DNS_A);
	ck_assert_msg(fakedns_queries("t1.test") == 2 &&
	                  fakedns_queries("t2.test") == 1 &&
	                  fakedns_queries("t3.test") == 1,
	              "got queries t1 %u t2 %u t3 %u, want 2 1 1",
	              fakedns_queries("t1.test"), fakedns_queries("t2.test"),
	              fakedns_queries("t3.test"));
	pcl_dns_free(dns);
}
END_TEST

/* A reply over the per-answer bound is used but not cached. */
START_TEST(test_cache_answer_max)
{
	struct pcl_dns *dns = bytes_make(0, 600);
	struct pcl_dns_answer *a;

	for (int i = 0; i < 2; i++) {
		a = pcl_dns_lookup(dns, "big.test", PCL_DNS_TXT);
		ck_assert_msg(a->status == PCL_DNS_FOUND && a->wirelen > 600,
		              "got %s, %zu bytes; want found, > 600",
		              pcl_dns_status_name(a->status), a->wirelen);
		pcl_dns_answer_free(a);
		look(dns, "a.test", PCL_DNS_A);
	}
	/* big: twice over UDP (truncated) and TCP; a.test once */
	ck_assert_msg(fakedns_queries("big.test") == 4 &&
	                  fakedns_queries("a.test") == 1,
	              "got big %u a %u queries, want 4 1",
	              fakedns_queries("big.test"), fakedns_queries("a.test"));
	pcl_dns_free(dns);
}
END_TEST

/* dns_health_tcase - the list health and the cache's byte budget */
TCase *
dns_health_tcase(void)
{
	TCase *tc = tcase_create("health");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_health_down);
	tcase_add_test(tc, test_health_run_resets);
	tcase_add_test(tc, test_health_probe);
	tcase_add_loop_test(tc, test_health_backoff, 0, N(backoff_cases));
	tcase_add_test(tc, test_health_probe_lost);
	tcase_add_test(tc, test_health_shared);
	tcase_add_test(tc, test_health_off);
	tcase_add_test(tc, test_health_timeouts);
	tcase_add_test(tc, test_cache_bytes);
	tcase_add_test(tc, test_cache_answer_max);
	return tc;
}
