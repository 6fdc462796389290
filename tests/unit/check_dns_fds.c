/*
 * check_dns_fds - the descriptors a batch holds
 *
 * A query holds one UDP socket per server it has tried, from its first
 * try until its answer or its final failure is read, by poll as well as
 * by wait; a batch whose answers are all in holds none. The counts are
 * the process's own (/proc/self/fd): fakedns's sockets are open before
 * the count starts and it opens none for UDP. No case depends on how
 * fast an answer comes: the fast ones are polled for until they are in
 * (with a generous bound), the slow ones are delayed far beyond the
 * test or dropped, and the count is compared with what is still
 * pending after every poll. Over TCP, fakedns's end of the connection
 * is counted too, so that case waits for the count to come back.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns_suite.h"
#include "fd_count.h"
#include "util.h"

#define GIVE_UP_MS 20000 /* bound of a loop waiting for fast answers */
#define FAR_MS 600000    /* a delay no test outlives */

/* pending - how many answers of b are not in yet */
static int
pending(const struct pcl_dns_batch *b, int n)
{
	int left = 0;

	for (int i = 0; i < n; i++)
		left += pcl_dns_batch_answer(b, i)->status == PCL_DNS_PENDING;
	return left;
}

struct poll_case {
	const char *label;
	const char *names[4];
	const char *delayed; /* answered after FAR_MS, or NULL */
	const char *dropped; /* never answered, or NULL */
	int want_left;       /* answers never in within the test */
};

static const struct poll_case poll_cases[] = {
    {"all answered",
     {"a.test", "multi.test", "host.test", "nope.test"},
     NULL,
     NULL,
     0},
    {"one delayed",
     {"a.test", "multi.test", "late.test", NULL},
     "late.test",
     NULL,
     1},
    {"one dropped",
     {"a.test", "drop.test", "host.test", NULL},
     NULL,
     "drop.test",
     1},
    {"two delayed, one answered",
     {"late.test", "a.test", "late2.test", NULL},
     "late*",
     NULL,
     2},
    {"final failure (SERVFAIL) is in",
     {"servfail.test", "a.test", NULL, NULL},
     NULL,
     NULL,
     0},
};

/* test_poll - after every poll the batch holds exactly one socket per
 * answer still pending; freeing it releases the rest */
START_TEST(test_poll)
{
	const struct poll_case *c = &poll_cases[_i];
	struct pcl_dns *dns = dns_make(0, 0, 0, 60000, 2);
	struct pcl_dns_batch *b;
	int base, n = 0, left;
	int64_t t0;

	if (c->delayed && strcmp(c->delayed, "late*") == 0) {
		fakedns_set_delay("late.test", FAR_MS);
		fakedns_set_delay("late2.test", FAR_MS);
	} else if (c->delayed) {
		fakedns_set_delay(c->delayed, FAR_MS);
	}
	if (c->dropped)
		fakedns_set_drop(c->dropped);
	base = fd_count();
	b = pcl_dns_batch_new(dns);
	for (; n < N(c->names) && c->names[n] != NULL; n++)
		ck_assert_int_eq(pcl_dns_batch_add(b, c->names[n], PCL_DNS_A),
		                 n);
	pcl_dns_batch_send(b);
	ck_assert_msg(fd_count() - base == pending(b, n),
	              "%s: after send: got %d sockets, want %d (pending)",
	              c->label, fd_count() - base, pending(b, n));
	t0 = mono_ms();
	do {
		usleep(10 * 1000);
		pcl_dns_batch_poll(b);
		left = pending(b, n);
		ck_assert_msg(fd_count() - base == left,
		              "%s: after poll: got %d sockets, want %d "
		              "(pending)",
		              c->label, fd_count() - base, left);
	} while (left > c->want_left && mono_ms() - t0 < GIVE_UP_MS);
	ck_assert_msg(left == c->want_left, "%s: got %d pending, want %d",
	              c->label, left, c->want_left);
	pcl_dns_batch_free(b);
	ck_assert_msg(fd_count() == base,
	              "%s: after free: got %d sockets, want 0", c->label,
	              fd_count() - base);
	pcl_dns_free(dns);
}
END_TEST

/* test_wait - wait ends every query, answered or timed out, and with
 * them every socket; a cached answer never opens one */
START_TEST(test_wait)
{
	struct pcl_dns *dns = dns_make(100, 0, 0, 1500, 1);
	struct pcl_dns_batch *b = pcl_dns_batch_new(dns);
	int base = fd_count();

	pcl_dns_batch_add(b, "a.test", PCL_DNS_A);
	pcl_dns_batch_add(b, "slow1.test", PCL_DNS_A);
	pcl_dns_batch_add(b, "drop.test", PCL_DNS_A);
	pcl_dns_batch_send(b);
	ck_assert_int_eq(fd_count() - base, 3);
	pcl_dns_batch_wait(b);
	ck_assert_msg(pending(b, 3) == 0, "got %d pending, want 0",
	              pending(b, 3));
	ck_assert_msg(pcl_dns_batch_answer(b, 2)->status == PCL_DNS_TEMPFAIL,
	              "drop.test: got %s, want tempfail",
	              pcl_dns_status_name(pcl_dns_batch_answer(b, 2)->status));
	ck_assert_msg(fd_count() == base, "after wait: got %d sockets, want 0",
	              fd_count() - base);
	pcl_dns_batch_free(b);

	/* a.test is cached now: answered at send, without a socket */
	b = pcl_dns_batch_new(dns);
	pcl_dns_batch_add(b, "a.test", PCL_DNS_A);
	pcl_dns_batch_send(b);
	ck_assert(pcl_dns_batch_answer(b, 0)->from_cache);
	ck_assert_msg(fd_count() == base, "cached: got %d sockets, want 0",
	              fd_count() - base);
	pcl_dns_batch_free(b);
	pcl_dns_free(dns);
}
END_TEST

/* test_tcp - a truncated reply closes the UDP socket and the answer
 * over TCP closes the TCP one. fakedns's end of the connection is in
 * this process too and closes when it sees ours close, on its own
 * thread: the count is awaited, not sampled. */
START_TEST(test_tcp)
{
	struct pcl_dns *dns = dns_make(0, 0, 0, 10000, 2);
	struct pcl_dns_batch *b = pcl_dns_batch_new(dns);
	int base = fd_count();
	int64_t t0;

	pcl_dns_batch_add(b, "big.test", PCL_DNS_TXT);
	pcl_dns_batch_wait(b);
	ck_assert_msg(pcl_dns_batch_answer(b, 0)->status == PCL_DNS_FOUND,
	              "big.test: got %s, want found",
	              pcl_dns_status_name(pcl_dns_batch_answer(b, 0)->status));
	t0 = mono_ms();
	while (fd_count() != base && mono_ms() - t0 < GIVE_UP_MS)
		usleep(10 * 1000);
	ck_assert_msg(fd_count() == base, "after wait: got %d sockets, want 0",
	              fd_count() - base);
	pcl_dns_batch_free(b);
	pcl_dns_free(dns);
}
END_TEST

/* silent_server - a UDP socket on 127.0.0.1 that answers nothing;
 * returns its port */
static int
silent_server(int *fd)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert(*fd >= 0);
	ck_assert(bind(*fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	ck_assert(getsockname(*fd, (struct sockaddr *)&sin, &len) == 0);
	return ntohs(sin.sin_port);
}

/* poll_until_asked - poll b until fakedns has seen want queries for
 * name; false when it has not within GIVE_UP_MS */
static bool
poll_until_asked(struct pcl_dns_batch *b, const char *name, unsigned want)
{
	int64_t t0 = mono_ms();

	while (fakedns_queries(name) < want) {
		if (mono_ms() - t0 > GIVE_UP_MS)
			return false;
		usleep(10 * 1000);
		pcl_dns_batch_poll(b);
	}
	return true;
}

/* test_retry_same_server - a query waiting for its answer over several
 * tries to one server keeps one socket, not one per try */
START_TEST(test_retry_same_server)
{
	/* a try every 500 ms, a deadline far beyond the test */
	struct pcl_dns *dns = dns_make(0, 0, 0, 8000, 16);
	struct pcl_dns_batch *b = pcl_dns_batch_new(dns);
	int base = fd_count();

	fakedns_set_delay("a.test", FAR_MS);
	pcl_dns_batch_add(b, "a.test", PCL_DNS_A);
	pcl_dns_batch_send(b);
	ck_assert_msg(poll_until_asked(b, "a.test", 2),
	              "got %u tries, want 2 (no retry sent)",
	              fakedns_queries("a.test"));
	pcl_dns_batch_poll(b);
	ck_assert_msg(pending(b, 1) == 1, "got an answer, want none yet");
	ck_assert_msg(fd_count() - base == 1,
	              "after 2 tries: got %d sockets, want 1",
	              fd_count() - base);
	pcl_dns_batch_free(b);
	ck_assert_int_eq(fd_count(), base);
	pcl_dns_free(dns);
}
END_TEST

/* test_retry_other_server - a retry to the next server keeps the
 * socket to the first (its late answer is still taken) until the
 * query ends; an answer from either closes both */
START_TEST(test_retry_other_server)
{
	struct pcl_dns_conf conf = {.timeout_ms = 10000, .attempts = 10};
	char servers[80], err[PCL_ERR_MAX], dgram[512];
	int silent, base;
	struct pcl_dns *dns;
	struct pcl_dns_batch *b;

	pcl_format(servers, sizeof(servers), "127.0.0.1:%d, %s",
	           silent_server(&silent), fk->servers);
	conf.servers = servers;
	dns = pcl_dns_new(&conf, err, sizeof(err));
	ck_assert_msg(dns != NULL, "pcl_dns_new: %s", err);
	fakedns_set_delay("slow1.test", FAR_MS);
	base = fd_count();
	b = pcl_dns_batch_new(dns);
	pcl_dns_batch_add(b, "slow1.test", PCL_DNS_A); /* held at fakedns */
	pcl_dns_batch_add(b, "a.test", PCL_DNS_A);     /* answered there */
	pcl_dns_batch_send(b);
	ck_assert_int_eq(fd_count() - base, 2); /* both to the silent one */
	ck_assert_msg(poll_until_asked(b, "slow1.test", 1) &&
	                  poll_until_asked(b, "a.test", 1),
	              "no retry reached the second server");
	/* a.test's answer may still be on its way: poll until it is in */
	for (int64_t t0 = mono_ms();
	     pending(b, 2) > 1 && mono_ms() - t0 < GIVE_UP_MS;)
		pcl_dns_batch_poll(b);
	ck_assert_msg(pcl_dns_batch_answer(b, 1)->status == PCL_DNS_FOUND,
	              "a.test: got %s, want found",
	              pcl_dns_status_name(pcl_dns_batch_answer(b, 1)->status));
	ck_assert_msg(fd_count() - base == 2,
	              "slow1.test waiting on both servers, a.test answered: "
	              "got %d sockets, want 2",
	              fd_count() - base);
	ck_assert_msg(recv(silent, dgram, sizeof(dgram), MSG_DONTWAIT) > 0,
	              "the silent server got no query");
	pcl_dns_batch_free(b);
	ck_assert_int_eq(fd_count(), base);
	pcl_dns_free(dns);
	close(silent);
}
END_TEST

/* dns_fds_tcase - the descriptors of batches */
TCase *
dns_fds_tcase(void)
{
	TCase *tc = tcase_create("fds");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_poll, 0, N(poll_cases));
	tcase_add_test(tc, test_wait);
	tcase_add_test(tc, test_tcp);
	tcase_add_test(tc, test_retry_same_server);
	tcase_add_test(tc, test_retry_other_server);
	return tc;
}
