/*
 * check_dns_share - lookups of the same question share one query in
 * flight
 *
 * Batches (of one thread or of several) that ask the same (name, type,
 * list zone) while a query for it is in flight join it: one query
 * reaches fakedns, every batch gets the answer, the socket is shared,
 * and the list health hears of it once. No case depends on how fast
 * anything is: answers are held by fakedns (fakedns_set_hold) until the
 * test releases them, after every batch has sent; deadlines are far
 * beyond the test except in the one case about deadlines, whose gaps
 * are SLACK_MS wide and which asserts only the order of events and a
 * lower bound.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dns_suite.h"
#include "fd_count.h"
#include "util.h"

#define FAR_MS 600000 /* a deadline no test reaches */
#define LIST_ZONE "lst.test"

/* share_make - a resolver on fakedns: timeout, one try, a cache of
 * cache entries (0: none), list health down after down_after */
static struct pcl_dns *
share_make(unsigned timeout_ms, size_t cache, unsigned down_after)
{
	struct pcl_dns_conf conf = {
	    .servers = fk->servers,
	    .timeout_ms = timeout_ms,
	    .attempts = 1,
	    .cache_max_entries = cache,
	    .list_down_after = down_after,
	    .list_window = 600,
	};
	char err[PCL_ERR_MAX] = "";
	struct pcl_dns *dns = pcl_dns_new(&conf, err, sizeof(err));

	ck_assert_msg(dns != NULL, "pcl_dns_new: got NULL (%s)", err);
	return dns;
}

/* stats - the counters of dns */
static struct pcl_dns_stats
stats(struct pcl_dns *dns)
{
	struct pcl_dns_stats st;

	pcl_dns_stats(dns, &st);
	return st;
}

/* status - the status of answer i of b, as a word */
static const char *
status(const struct pcl_dns_batch *b, int i)
{
	return pcl_dns_status_name(pcl_dns_batch_answer(b, i)->status);
}

/* ask - a batch that has sent one lookup of name (in LIST_ZONE when
 * list) */
static struct pcl_dns_batch *
ask(struct pcl_dns *dns, const char *name, int type, bool list)
{
	struct pcl_dns_batch *b = pcl_dns_batch_new(dns);

	ck_assert_ptr_nonnull(b);
	if (list)
		ck_assert_int_eq(
		    pcl_dns_batch_add_list(b, name, type, LIST_ZONE, LIST_ZONE),
		    0);
	else
		ck_assert_int_eq(pcl_dns_batch_add(b, name, type), 0);
	pcl_dns_batch_send(b);
	return b;
}

/* want_a - answer 0 of b is found, 198.51.100.7 (t7.test) */
static void
want_a(const struct pcl_dns_batch *b, const char *who)
{
	char got[64];

	answer_text(pcl_dns_batch_answer(b, 0), got, sizeof(got));
	ck_assert_msg(pcl_dns_batch_answer(b, 0)->status == PCL_DNS_FOUND &&
	                  strcmp(got, "198.51.100.7") == 0,
	              "%s: got %s \"%s\" (%s), want found 198.51.100.7", who,
	              status(b, 0), got, pcl_dns_batch_answer(b, 0)->error);
}

#define THREADS 8

struct asker {
	struct pcl_dns *dns;
	pthread_barrier_t *sent;
	struct pcl_dns_batch *b;
};

/* asker_run - send, say so, then wait for the answer */
static void *
asker_run(void *arg)
{
	struct asker *a = arg;

	a->b = pcl_dns_batch_new(a->dns);
	pcl_dns_batch_add(a->b, "t7.test", PCL_DNS_A);
	pcl_dns_batch_send(a->b);
	pthread_barrier_wait(a->sent);
	pcl_dns_batch_wait(a->b);
	return NULL;
}

/* test_threads_one_query - THREADS threads, each with its own batch,
 * ask the same name at once: one query reaches the server, every
 * batch gets the answer, it is cached once, and every descriptor
 * (sockets, eventfds) is closed at the end */
START_TEST(test_threads_one_query)
{
	struct pcl_dns *dns = share_make(FAR_MS, 100, 0);
	struct asker a[THREADS];
	pthread_t t[THREADS];
	pthread_barrier_t sent;
	struct pcl_dns_stats st;
	struct pcl_dns_answer *again;
	int base = fd_count();
	char who[32];

	fakedns_set_hold("t7.test");
	ck_assert(pthread_barrier_init(&sent, NULL, THREADS + 1) == 0);
	for (int i = 0; i < THREADS; i++) {
		a[i] = (struct asker){.dns = dns, .sent = &sent};
		ck_assert(pthread_create(&t[i], NULL, asker_run, &a[i]) == 0);
	}
	pthread_barrier_wait(&sent); /* all have sent: release */
	fakedns_release("t7.test");
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&sent);
	for (int i = 0; i < THREADS; i++) {
		pcl_format(who, sizeof(who), "thread %d", i);
		want_a(a[i].b, who);
		ck_assert_msg(!pcl_dns_batch_answer(a[i].b, 0)->from_cache,
		              "%s: got from_cache, want a fresh answer", who);
	}
	ck_assert_msg(fd_count() == base,
	              "after the answers: got %d descriptors, want 0",
	              fd_count() - base);
	for (int i = 0; i < THREADS; i++)
		pcl_dns_batch_free(a[i].b);
	st = stats(dns);
	ck_assert_msg(fakedns_queries("t7.test") == 1 && st.queries_sent == 1,
	              "got %u received, %llu sent, want 1 and 1",
	              fakedns_queries("t7.test"),
	              (unsigned long long)st.queries_sent);
	ck_assert_msg(st.shared == THREADS - 1 && st.cache_misses == THREADS,
	              "got %llu shared of %llu misses, want %d of %d",
	              (unsigned long long)st.shared,
	              (unsigned long long)st.cache_misses, THREADS - 1,
	              THREADS);
	ck_assert_msg(st.cache_entries == 1, "got %zu cached, want 1",
	              st.cache_entries);
	again = pcl_dns_lookup(dns, "t7.test", PCL_DNS_A);
	ck_assert_msg(again->from_cache && fakedns_queries("t7.test") == 1,
	              "later: got from_cache %d, %u queries, want 1 and 1",
	              again->from_cache, fakedns_queries("t7.test"));
	pcl_dns_answer_free(again);
	pcl_dns_free(dns);
}
END_TEST

#define BATCHES 5

/* test_one_socket - batches of one thread asking the same name hold
 * one socket between them; the last to join may take the answer in
 * while the first, which sent the query, never polls; the first then
 * finds it in without a query of its own */
START_TEST(test_one_socket)
{
	struct pcl_dns *dns = share_make(FAR_MS, 0, 0);
	struct pcl_dns_batch *b[BATCHES];
	struct pcl_dns_stats st;
	int base = fd_count();
	char who[32];

	fakedns_set_hold("t7.test");
	for (int i = 0; i < BATCHES; i++)
		b[i] = ask(dns, "t7.test", PCL_DNS_A, false);
	ck_assert_msg(fd_count() - base == 1,
	              "%d batches sent: got %d sockets, want 1", BATCHES,
	              fd_count() - base);
	st = stats(dns);
	ck_assert_msg(st.queries_sent == 1, "got %llu sent, want 1",
	              (unsigned long long)st.queries_sent);
	fakedns_release("t7.test");
	pcl_dns_batch_wait(b[BATCHES - 1]);
	want_a(b[BATCHES - 1], "last");
	ck_assert_msg(fd_count() == base,
	              "answer in: got %d sockets, want 0 (pending elsewhere "
	              "but over)",
	              fd_count() - base);
	pcl_dns_batch_poll(b[0]); /* never blocks: it is in */
	want_a(b[0], "first, polled");
	for (int i = 1; i < BATCHES - 1; i++) {
		pcl_format(who, sizeof(who), "batch %d", i);
		pcl_dns_batch_wait(b[i]);
		want_a(b[i], who);
	}
	for (int i = 0; i < BATCHES; i++)
		pcl_dns_batch_free(b[i]);
	st = stats(dns);
	ck_assert_msg(st.queries_sent == 1 && st.shared == BATCHES - 1 &&
	                  fakedns_queries("t7.test") == 1,
	              "got %llu sent, %llu shared, %u received, want 1, %d, "
	              "1",
	              (unsigned long long)st.queries_sent,
	              (unsigned long long)st.shared, fakedns_queries("t7.test"),
	              BATCHES - 1);
	ck_assert_int_eq(fd_count(), base);
	pcl_dns_free(dns);
}
END_TEST

struct freed_case {
	const char *label;
	bool free_first;  /* the batch that sent the query */
	bool free_others; /* every batch before the answer */
};

static const struct freed_case freed_cases[] = {
    {"sender freed", true, false},
    {"all freed", true, true},
    {"joiners freed", false, true},
};

/* test_freed - batches freed before the answer: the others still get
 * it from the one query; when all are gone, so is the socket */
START_TEST(test_freed)
{
	const struct freed_case *c = &freed_cases[_i];
	struct pcl_dns *dns = share_make(FAR_MS, 0, 0);
	struct pcl_dns_batch *first, *b[2];
	int base = fd_count();

	fakedns_set_hold("t7.test");
	first = ask(dns, "t7.test", PCL_DNS_A, false);
	b[0] = ask(dns, "t7.test", PCL_DNS_A, false);
	b[1] = ask(dns, "t7.test", PCL_DNS_A, false);
	if (c->free_first) {
		pcl_dns_batch_free(first);
		first = NULL;
	}
	if (c->free_others) {
		pcl_dns_batch_free(b[0]);
		pcl_dns_batch_free(b[1]);
		b[0] = b[1] = NULL;
	}
	ck_assert_msg(fd_count() - base == (first || b[0] ? 1 : 0),
	              "%s: got %d sockets, want %d", c->label,
	              fd_count() - base, first || b[0] ? 1 : 0);
	fakedns_release("t7.test");
	for (int i = 0; i < 2 && b[i] != NULL; i++) {
		pcl_dns_batch_wait(b[i]);
		want_a(b[i], c->label);
	}
	if (first != NULL) {
		pcl_dns_batch_wait(first);
		want_a(first, c->label);
	}
	ck_assert_msg(fd_count() == base, "%s: got %d sockets, want 0",
	              c->label, fd_count() - base);
	pcl_dns_batch_free(first);
	pcl_dns_batch_free(b[0]);
	pcl_dns_batch_free(b[1]);
	ck_assert_msg(stats(dns).queries_sent == 1, "%s: got %llu sent, want 1",
	              c->label, (unsigned long long)stats(dns).queries_sent);
	pcl_dns_free(dns);
}
END_TEST

/* test_deadlines - each lookup keeps its own deadline: the one that
 * sent the query times out at its deadline, not extended by the one
 * that joined SLACK_MS later, which still gets the answer released
 * after that; a lookup after that deadline is not joined to it; the
 * list health hears of the query once, as the timeout it was (a late
 * answer tells it nothing more) */
START_TEST(test_deadlines)
{
	const unsigned timeout = 2 * SLACK_MS;
	struct pcl_dns *dns = share_make(timeout, 0, 2);
	struct pcl_dns_batch *first, *late, *again, *other;
	const char *name = "7." LIST_ZONE;
	int64_t t0, took;

	fakedns_set_hold(name);
	t0 = mono_ms();
	first = ask(dns, name, PCL_DNS_A, true);
	usleep(SLACK_MS * 1000);
	late = ask(dns, name, PCL_DNS_A, true);
	ck_assert_msg(stats(dns).queries_sent == 1,
	              "the later lookup: got its own query, want it joined");
	pcl_dns_batch_wait(first);
	took = mono_ms() - t0;
	timings_note("first lookup's wait", took);
	ck_assert_msg(
	    pcl_dns_batch_answer(first, 0)->status == PCL_DNS_TEMPFAIL &&
	        strncmp(pcl_dns_batch_answer(first, 0)->error, "timeout", 7) ==
	            0,
	    "first: got %s \"%s\", want tempfail timeout", status(first, 0),
	    pcl_dns_batch_answer(first, 0)->error);
	ck_assert_msg(took >= (int64_t)timeout,
	              "first: timed out after %lld ms, before its deadline "
	              "(%u ms)",
	              (long long)took, timeout);
	/* the query is past its deadline (late still waits for it): a
	 * new lookup asks again rather than join it */
	again = ask(dns, name, PCL_DNS_A, true);
	ck_assert_msg(stats(dns).queries_sent == 2,
	              "after the deadline: got %llu sent, want 2 (a new "
	              "query)",
	              (unsigned long long)stats(dns).queries_sent);
	pcl_dns_batch_free(again);
	/* first's wait has ended before the answer is released: the later
	 * lookup's deadline is SLACK_MS after first's */
	fakedns_release(name);
	pcl_dns_batch_wait(late);
	ck_assert_msg(pcl_dns_batch_answer(late, 0)->status == PCL_DNS_NXDOMAIN,
	              "late: got %s \"%s\", want nxdomain", status(late, 0),
	              pcl_dns_batch_answer(late, 0)->error);
	ck_assert_msg(stats(dns).shared == 1, "got %llu shared, want 1",
	              (unsigned long long)stats(dns).shared);
	/* one failure counted, the late answer not: one more makes two */
	ck_assert_msg(!pcl_dns_list_down(dns, LIST_ZONE),
	              "after the shared query: got down, want up");
	fakedns_set_servfail("8." LIST_ZONE);
	other = ask(dns, "8." LIST_ZONE, PCL_DNS_A, true);
	pcl_dns_batch_wait(other);
	ck_assert_msg(pcl_dns_list_down(dns, LIST_ZONE),
	              "after one more failure: got up, want down (the shared "
	              "query's timeout counted once)");
	pcl_dns_batch_free(first);
	pcl_dns_batch_free(late);
	pcl_dns_batch_free(other);
	pcl_dns_free(dns);
}
END_TEST

/* test_awaited_late - batches awaited after their deadline take the
 * reply waiting in the shared socket: an answer, for them and for the
 * list health (down after one failure here), not a timeout */
START_TEST(test_awaited_late)
{
	const unsigned timeout = 500;
	struct pcl_dns *dns = share_make(timeout, 0, 1);
	const char *name = "7." LIST_ZONE;
	struct pcl_dns_batch *first = ask(dns, name, PCL_DNS_A, true);
	struct pcl_dns_batch *joiner = ask(dns, name, PCL_DNS_A, true);

	/* answered at once; awaited well after both deadlines */
	for (int64_t t0 = mono_ms();
	     fakedns_queries(name) < 1 && mono_ms() - t0 < SLACK_MS;)
		usleep(10 * 1000);
	usleep((timeout + SLACK_MS) * 1000);
	pcl_dns_batch_wait(joiner);
	pcl_dns_batch_wait(first);
	ck_assert_msg(
	    pcl_dns_batch_answer(joiner, 0)->status == PCL_DNS_NXDOMAIN &&
	        pcl_dns_batch_answer(first, 0)->status == PCL_DNS_NXDOMAIN,
	    "got %s and %s, want nxdomain twice", status(joiner, 0),
	    status(first, 0));
	ck_assert_msg(!pcl_dns_list_down(dns, LIST_ZONE),
	              "got the list down, want up: the reply was counted as "
	              "a timeout");
	pcl_dns_batch_free(first);
	pcl_dns_batch_free(joiner);
	pcl_dns_free(dns);
}
END_TEST

struct health_case {
	const char *label;
	bool servfail; /* else never answered: timeouts */
};

static const struct health_case health_cases[] = {
    {"SERVFAIL", true},
    {"timeout", false},
};

/* test_health_once - three lookups sharing a failed query count as one
 * failure: down after 2 needs one more */
START_TEST(test_health_once)
{
	const struct health_case *c = &health_cases[_i];
	struct pcl_dns *dns = share_make(c->servfail ? FAR_MS : SLACK_MS, 0, 2);
	struct pcl_dns_batch *b[3], *other;
	const char *name = "7." LIST_ZONE;

	if (c->servfail) {
		fakedns_set_servfail(name);
		fakedns_set_hold(name);
	} else {
		fakedns_set_drop(name);
	}
	for (int i = 0; i < 3; i++)
		b[i] = ask(dns, name, PCL_DNS_A, true);
	fakedns_release(name);
	for (int i = 0; i < 3; i++) {
		pcl_dns_batch_wait(b[i]);
		ck_assert_msg(pcl_dns_batch_answer(b[i], 0)->status ==
		                  PCL_DNS_TEMPFAIL,
		              "%s: lookup %d: got %s, want tempfail", c->label,
		              i, status(b[i], 0));
	}
	ck_assert_msg(stats(dns).queries_sent == 1, "%s: got %llu sent, want 1",
	              c->label, (unsigned long long)stats(dns).queries_sent);
	ck_assert_msg(!pcl_dns_list_down(dns, LIST_ZONE),
	              "%s: 3 lookups, 1 query: got down, want up", c->label);
	fakedns_set_servfail("8." LIST_ZONE);
	other = ask(dns, "8." LIST_ZONE, PCL_DNS_A, true);
	pcl_dns_batch_wait(other);
	ck_assert_msg(pcl_dns_list_down(dns, LIST_ZONE),
	              "%s: one more failed query: got up, want down", c->label);
	for (int i = 0; i < 3; i++)
		pcl_dns_batch_free(b[i]);
	pcl_dns_batch_free(other);
	pcl_dns_free(dns);
}
END_TEST

struct key_case {
	const char *label;
	const char *name1;
	int type1;
	bool list1;
	const char *name2;
	int type2;
	bool list2;
	bool want_shared;
};

static const struct key_case key_cases[] = {
    {"same", "t7.test", PCL_DNS_A, false, "t7.test", PCL_DNS_A, false, true},
    {"case and dot", "t7.test", PCL_DNS_A, false, "T7.Test.", PCL_DNS_A, false,
     true},
    {"other type", "t7.test", PCL_DNS_A, false, "t7.test", PCL_DNS_TXT, false,
     false},
    {"other name", "t7.test", PCL_DNS_A, false, "t8.test", PCL_DNS_A, false,
     false},
    {"same list", "7." LIST_ZONE, PCL_DNS_A, true, "7." LIST_ZONE, PCL_DNS_A,
     true, true},
    {"list and plain", "7." LIST_ZONE, PCL_DNS_A, true, "7." LIST_ZONE,
     PCL_DNS_A, false, false},
};

/* test_keys - what is the same question: name (any case, trailing dot
 * or not), type, and list zone (a list lookup is reported to the list
 * health, a plain one is not) */
START_TEST(test_keys)
{
	const struct key_case *c = &key_cases[_i];
	struct pcl_dns *dns = share_make(FAR_MS, 0, 3);
	struct pcl_dns_batch *b1, *b2;
	unsigned long long want = c->want_shared ? 1 : 2;

	fakedns_set_hold("*");
	b1 = ask(dns, c->name1, c->type1, c->list1);
	b2 = ask(dns, c->name2, c->type2, c->list2);
	ck_assert_msg(stats(dns).queries_sent == want,
	              "%s: got %llu sent, want %llu", c->label,
	              (unsigned long long)stats(dns).queries_sent, want);
	fakedns_release("*");
	pcl_dns_batch_wait(b1);
	pcl_dns_batch_wait(b2);
	ck_assert_msg(pcl_dns_batch_answer(b1, 0)->status != PCL_DNS_TEMPFAIL &&
	                  pcl_dns_batch_answer(b2, 0)->status !=
	                      PCL_DNS_TEMPFAIL,
	              "%s: got %s and %s, want answers", c->label,
	              status(b1, 0), status(b2, 0));
	ck_assert_msg(stats(dns).shared == (c->want_shared ? 1 : 0),
	              "%s: got %llu shared", c->label,
	              (unsigned long long)stats(dns).shared);
	pcl_dns_batch_free(b1);
	pcl_dns_batch_free(b2);
	pcl_dns_free(dns);
}
END_TEST

/* test_tcp - a truncated reply is asked again over TCP once, for all
 * the lookups waiting; the second batch takes it in, the first finds
 * it in */
START_TEST(test_tcp)
{
	struct pcl_dns *dns = share_make(FAR_MS, 0, 0);
	int base = fd_count();
	struct pcl_dns_batch *b1 = ask(dns, "big.test", PCL_DNS_TXT, false);
	struct pcl_dns_batch *b2 = ask(dns, "big.test", PCL_DNS_TXT, false);
	const struct pcl_dns_answer *a1, *a2;
	int64_t t0;

	pcl_dns_batch_wait(b2);
	pcl_dns_batch_poll(b1);
	a1 = pcl_dns_batch_answer(b1, 0);
	a2 = pcl_dns_batch_answer(b2, 0);
	ck_assert_msg(a1->status == PCL_DNS_FOUND && a1->count == 1 &&
	                  a2->status == PCL_DNS_FOUND && a2->count == 1,
	              "got %s/%zu and %s/%zu, want found/1 twice",
	              status(b1, 0), a1->count, status(b2, 0), a2->count);
	ck_assert_msg(a1->wirelen > 512 && a1->wirelen == a2->wirelen &&
	                  memcmp(a1->wire, a2->wire, a1->wirelen) == 0,
	              "got wire %zu and %zu bytes, want the same TCP reply",
	              a1->wirelen, a2->wirelen);
	ck_assert_msg(stats(dns).queries_sent == 2 && stats(dns).shared == 1,
	              "got %llu sent (UDP, TCP), %llu shared, want 2 and 1",
	              (unsigned long long)stats(dns).queries_sent,
	              (unsigned long long)stats(dns).shared);
	/* fakedns's end of the TCP connection closes on its own thread */
	t0 = mono_ms();
	while (fd_count() != base && mono_ms() - t0 < 20000)
		usleep(10 * 1000);
	ck_assert_msg(fd_count() == base, "got %d descriptors, want 0",
	              fd_count() - base);
	pcl_dns_batch_free(b1);
	pcl_dns_batch_free(b2);
	pcl_dns_free(dns);
}
END_TEST

#define STRESS_THREADS 8
#define STRESS_LOOKUPS 300

struct stresser {
	struct pcl_dns *dns;
	int id;
	int errors;
	char first[160];
};

/* stress_run - lookups of five names in batches, each waited for,
 * polled until in, or freed at once (abandoned) */
static void *
stress_run(void *arg)
{
	struct stresser *w = arg;
	char name[32], want[32], got[64];

	for (int j = 0; j < STRESS_LOOKUPS; j++) {
		int n = (j + w->id) % 5;
		struct pcl_dns_batch *b = pcl_dns_batch_new(w->dns);
		const struct pcl_dns_answer *a;

		pcl_format(name, sizeof(name), "t%d.test", n);
		pcl_dns_batch_add(b, name, PCL_DNS_A);
		pcl_dns_batch_send(b);
		switch ((j + w->id) % 7) {
		case 0:
			pcl_dns_batch_free(b); /* abandoned */
			continue;
		case 1:
			for (pcl_dns_batch_poll(b);
			     pcl_dns_batch_answer(b, 0)->status ==
			     PCL_DNS_PENDING;
			     pcl_dns_batch_poll(b))
				usleep(1000);
			break;
		default:
			pcl_dns_batch_wait(b);
			break;
		}
		a = pcl_dns_batch_answer(b, 0);
		answer_text(a, got, sizeof(got));
		pcl_format(want, sizeof(want), "198.51.100.%d", n);
		if ((a->status != PCL_DNS_FOUND || strcmp(got, want) != 0) &&
		    w->errors++ == 0)
			pcl_format(w->first, sizeof(w->first),
			           "%s: got %s \"%s\" (%s), want %s", name,
			           pcl_dns_status_name(a->status), got,
			           a->error, want);
		pcl_dns_batch_free(b);
	}
	return NULL;
}

/* test_stress - threads asking a few names over and over, without a
 * cache, waiting, polling or abandoning: every answer right, every
 * query counted once, every descriptor closed (run it under the
 * sanitizers) */
START_TEST(test_stress)
{
	struct pcl_dns *dns = share_make(FAR_MS, 0, 0);
	struct stresser w[STRESS_THREADS];
	pthread_t t[STRESS_THREADS];
	struct pcl_dns_stats st;
	int base = fd_count();
	char note[96];

	fakedns_set_delay("*", 20);
	for (int i = 0; i < STRESS_THREADS; i++) {
		w[i] = (struct stresser){.dns = dns, .id = i};
		ck_assert(pthread_create(&t[i], NULL, stress_run, &w[i]) == 0);
	}
	for (int i = 0; i < STRESS_THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < STRESS_THREADS; i++)
		ck_assert_msg(w[i].errors == 0, "thread %d: got %d errors: %s",
		              i, w[i].errors, w[i].first);
	st = stats(dns);
	pcl_format(note, sizeof(note), "stress: %llu sent, %llu shared",
	           (unsigned long long)st.queries_sent,
	           (unsigned long long)st.shared);
	timings_note(note, 0);
	/* a lookup is sent or joins; an abandoned one that joined is
	 * neither sent nor answered by sharing */
	ck_assert_msg(st.queries_sent + st.shared <=
	                  (uint64_t)STRESS_THREADS * STRESS_LOOKUPS,
	              "got %llu sent + %llu shared, want at most %d lookups",
	              (unsigned long long)st.queries_sent,
	              (unsigned long long)st.shared,
	              STRESS_THREADS * STRESS_LOOKUPS);
	ck_assert_msg(fd_count() == base, "got %d descriptors, want 0",
	              fd_count() - base);
	pcl_dns_free(dns);
	/* the last replies may still be on their way to fakedns's count */
	for (int64_t t0 = mono_ms();
	     fakedns_queries(NULL) < st.queries_sent && mono_ms() - t0 < 20000;)
		usleep(10 * 1000);
	ck_assert_msg(fakedns_queries(NULL) == st.queries_sent,
	              "got %u received, %llu sent, want equal",
	              fakedns_queries(NULL),
	              (unsigned long long)st.queries_sent);
}
END_TEST

/* dns_share_tcase - queries in flight shared between batches */
TCase *
dns_share_tcase(void)
{
	TCase *tc = tcase_create("share");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_threads_one_query);
	tcase_add_test(tc, test_one_socket);
	tcase_add_loop_test(tc, test_freed, 0, N(freed_cases));
	tcase_add_test(tc, test_deadlines);
	tcase_add_test(tc, test_awaited_late);
	tcase_add_loop_test(tc, test_health_once, 0, N(health_cases));
	tcase_add_loop_test(tc, test_keys, 0, N(key_cases));
	tcase_add_test(tc, test_tcp);
	tcase_add_test(tc, test_stress);
	return tc;
}
