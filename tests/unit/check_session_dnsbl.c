/*
 * check_session_dnsbl - DNS lists on the client address, through the
 * session engine, against zone data served by fakedns
 *
 * Each case: a config with dnsbl_sites pointed at fakedns, a session
 * from one client with a clean HELO, and the verdict at RCPT. The DQS
 * case also reads everything the session wrote (reply, trace, log
 * lines) and proves the key is in none of it. The descriptor case
 * counts the sockets a session holds between HELO and RCPT.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_fixture.h"
#include "fakedns.h"
#include "fd_count.h"
#include "session_dns.h"
#include "log.h"
#include "session.h"
#include "snapshot.h"
#include "util.h"

#define KEY "k3yS3cr3t9x"

static const char zone[] =
    "$ORIGIN test.\n"
    "$TTL 300\n"
    "@ IN SOA ns.test. admin.test. 1 3600 600 86400 120\n"
    /* 192.0.2.2 is listed on bl.test with a reason */
    "2.2.0.192.bl.test. IN A 127.0.0.2\n"
    "2.2.0.192.bl.test. IN TXT \"see http://bl.test/2\"\n"
    /* 192.0.2.3 on two weak lists */
    "3.2.0.192.w1.test. IN A 127.0.0.2\n"
    "3.2.0.192.w2.test. IN A 127.0.0.2\n"
    /* 192.0.2.4 on bl.test with a code outside the filter */
    "4.2.0.192.bl.test. IN A 127.0.0.99\n"
    /* 192.0.2.5 gets an error code (query via public resolver) */
    "5.2.0.192.bl.test. IN A 127.255.255.254\n"
    /* 192.0.2.6 is on the allow list */
    "6.2.0.192.wl.test. IN A 127.0.10.2\n"
    /* 192.0.2.7 listed on the DQS zone */
    "7.2.0.192." KEY ".zen.dq.test. IN A 127.0.0.4\n"
    "7.2.0.192." KEY ".zen.dq.test. IN TXT \"listed, key " KEY "\"\n"
    /* 2001:db8::2 listed */
    "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
    ".bl.test. IN A 127.0.0.2\n"
    "x.test. IN A 192.0.2.1\n";

/* Added to an upper bound of time: a loaded machine (load average 10,
 * sanitizers) may be seconds late, and what a bound shows is that the
 * wait ends at the deadline, not that the machine is fast. */
#define SLACK_MS 4000

static char dir[] = "/tmp/check_session_dnsbl.XXXXXX";

/* setup - a DNS server per test (checked fixture: lives in the fork) */
static void
setup(void)
{
	session_dns_start(zone);
}

/* teardown - stop the server */
static void
teardown(void)
{
	session_dns_stop();
}

/* load - a conf pointed at fakedns with extra lines */
static struct pcl_conf *
load(const char *extra)
{
	return session_dns_load(dir,
	                        "spf_verify = no\n"
	                        "dmarc_verify = no\n"
	                        "internal_networks = 127.0.0.0/8\n"
	                        "helo_own_names = mx.example.org\n"
	                        "helo_own_addresses = 198.51.100.1\n"
	                        "dqs_key = " KEY "\n",
	                        extra);
}

/* run - one session from addr; returns the RCPT decision */
static struct pcl_decision
run(struct pcl_conf *c, const char *addr, struct pcl_session **keep)
{
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;

	pcl_session_set_log(s, true);
	pcl_session_connect(s, addr, NULL, 25, NULL, &d);
	pcl_session_helo(s, "mail.example.net", &d);
	pcl_session_mail(s, "a@example.net", NULL, &d);
	pcl_session_rcpt(s, "b@example.org", &d);
	if (keep)
		*keep = s;
	else
		pcl_session_free(s);
	return d;
}

struct dnsbl_case {
	const char *label;
	const char *conf;
	const char *addr;
	enum pcl_action want;
	const char *want_reply; /* NULL: not checked */
};

static const struct dnsbl_case cases[] = {
    {"listed", "dnsbl_sites = bl.test", "192.0.2.2", PCL_ACT_REJECT,
     "554 5.7.1 Service unavailable; Client host [192.0.2.2] blocked "
     "using bl.test; see http://bl.test/2"},
    {"not listed", "dnsbl_sites = bl.test", "192.0.2.9", PCL_ACT_ACCEPT, NULL},
    {"filter excludes the code", "dnsbl_sites = bl.test=127.0.0.[2..11]",
     "192.0.2.4", PCL_ACT_ACCEPT, NULL},
    {"no filter: any 127/8 code", "dnsbl_sites = bl.test", "192.0.2.4",
     PCL_ACT_REJECT, NULL},
    {"weights below threshold",
     "dnsbl_sites = w1.test w2.test*1\ndnsbl_threshold = 3", "192.0.2.3",
     PCL_ACT_ACCEPT, NULL},
    {"weights reach threshold",
     "dnsbl_sites = w1.test*2 w2.test\ndnsbl_threshold = 3", "192.0.2.3",
     PCL_ACT_REJECT, NULL},
    {"allow list lowers the score",
     "dnsbl_sites = bl.test*2 wl.test*-5\ndnsbl_threshold = 2", "192.0.2.6",
     PCL_ACT_ACCEPT, NULL},
    {"error code is not a listing, on_error accept",
     "dnsbl_sites = bl.test\ndnsbl_on_error = accept", "192.0.2.5",
     PCL_ACT_ACCEPT, NULL},
    {"error code with on_error tempfail",
     "dnsbl_sites = bl.test\ndnsbl_on_error = tempfail", "192.0.2.5",
     PCL_ACT_TEMPFAIL, "451 4.4.3 DNS list lookup failed"},
    {"DQS key hidden in the reply",
     "dnsbl_sites = $dqs_key.zen.dq.test=127.0.0.[2..11]*3", "192.0.2.7",
     PCL_ACT_REJECT,
     "554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked "
     "using zen.dq.test; listed, key <redacted>"},
    {"DQS list shown by the admin's name",
     "dnsbl_sites = $dqs_key.zen.dq.test=127.0.0.[2..11]*3\n"
     "dns_list_names = zen.dq.test=zen.spamhaus.org",
     "192.0.2.7", PCL_ACT_REJECT,
     "554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked "
     "using zen.spamhaus.org; listed, key <redacted>"},
    {"custom reply template",
     "dnsbl_sites = bl.test\ndnsbl_reply = 550 5.7.1 $rbl_what is on "
     "$rbl_domain ($rbl_code)",
     "192.0.2.2", PCL_ACT_REJECT, "550 5.7.1 192.0.2.2 is on bl.test (550)"},
    {"IPv6 client", "dnsbl_sites = bl.test", "2001:db8::2", PCL_ACT_REJECT,
     NULL},
    {"private client skipped", "dnsbl_sites = bl.test", "10.1.2.3",
     PCL_ACT_ACCEPT, NULL},
    {"dry run", "dnsbl_sites = bl.test\ndry_run = dnsbl", "192.0.2.2",
     PCL_ACT_ACCEPT, NULL},
    {"tempfail action", "dnsbl_sites = bl.test\ndnsbl_action = tempfail",
     "192.0.2.2", PCL_ACT_TEMPFAIL, NULL},
};

START_TEST(test_cases)
{
	const struct dnsbl_case *tc = &cases[_i];
	struct pcl_conf *c = load(tc->conf);
	struct pcl_decision d = run(c, tc->addr, NULL);
	char reply[PCL_REPLY_TEXT_MAX + 32];

	pcl_conf_release(c);
	pcl_reply_format(&d.reply, reply, sizeof(reply));
	ck_assert_msg(d.action == tc->want, "%s: got %s (%s), want %s",
	              tc->label, pcl_action_name(d.action), reply,
	              pcl_action_name(tc->want));
	if (tc->want_reply)
		ck_assert_msg(strcmp(reply, tc->want_reply) == 0,
		              "%s: got \"%s\", want \"%s\"", tc->label, reply,
		              tc->want_reply);
}
END_TEST

/* A list that never answers costs the deadline, not more, and counts
 * as an error. */
START_TEST(test_timeout)
{
	struct pcl_conf *c = load("dnsbl_sites = bl.test\n"
	                          "dnsbl_on_error = accept");
	struct timespec t0, t1;
	struct pcl_decision d;
	long ms;

	fakedns_set_drop("2.2.0.192.bl.test");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	d = run(c, "192.0.2.2", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pcl_conf_release(c);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_eq(d.action, PCL_ACT_ACCEPT);
	/* bounded by the deadline (500 ms), not by the MTA's timeout; the
	 * slack is for a loaded machine */
	ck_assert_msg(ms >= 450 && ms < 500 + SLACK_MS,
	              "took %ld ms, want 450 .. %d", ms, 500 + SLACK_MS);
}
END_TEST

/* The TXT of a listing is asked between stages as soon as the A answer
 * is in, so a listed client does not wait a second round trip at RCPT;
 * an unlisted list costs no TXT query at all. */
START_TEST(test_txt_early)
{
	struct pcl_conf *c = load("dnsbl_sites = bl.test w1.test");
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;
	struct timespec t0, t1;
	long ms;

	pcl_conf_release(c);
	/* Every answer takes 500 ms; the client pauses 2 s before HELO and
	 * before MAIL, so that the A answers are in by HELO and the TXT
	 * answer by MAIL even on a loaded machine. */
	fakedns_set_delay("*", 500);
	pcl_session_connect(s, "192.0.2.2", NULL, 25, NULL, &d);
	usleep(2000 * 1000);
	pcl_session_helo(s, "mail.example.net", &d);
	usleep(2000 * 1000);
	pcl_session_mail(s, "a@example.net", NULL, &d);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pcl_session_rcpt(s, "b@example.org", &d);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_eq(d.action, PCL_ACT_REJECT);
	ck_assert_msg(strstr(d.reply.text, "see http://bl.test/2") != NULL,
	              "got reply \"%s\", want the TXT in it", d.reply.text);
	/* no second round trip: less than one answer's 500 ms */
	ck_assert_msg(ms < 500, "RCPT waited %ld ms, want < 500", ms);
	ck_assert_uint_eq(fakedns_queries(NULL), 3); /* 2 A + 1 TXT */
	pcl_session_free(s);
}
END_TEST

/* An allow-listed client is excused the other checks, but not an
 * explicit client_access refusal; and the first recipient is judged on
 * the same facts as the others (bugs found by the documentation work). */
START_TEST(test_allowlist_limits)
{
	char map[300], extra[700];
	struct pcl_conf *c;
	struct pcl_session *s;
	struct pcl_decision d1, d2, d;
	FILE *fp;

	pcl_format(map, sizeof(map), "%s/cl%d", dir, (int)getpid());
	fp = fopen(map, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(_i == 0 ? "192.0.2.6 REJECT\n" : "nobody@example.org REJECT\n",
	      fp);
	fclose(fp);
	pcl_format(extra, sizeof(extra),
	           "dnsbl_sites = bl.test*2 wl.test*-5\n"
	           "dnsbl_allowlist_threshold = -1\n%s = texthash:%s",
	           _i == 0 ? "client_access" : "recipient_access", map);
	c = load(extra);
	s = pcl_session_new(c);
	pcl_conf_release(c);
	pcl_session_connect(s, "192.0.2.6", NULL, 25, NULL, &d);
	pcl_session_helo(s, "bad_name!", &d);
	pcl_session_mail(s, "a@example.net", NULL, &d);
	pcl_session_rcpt(s, "nobody@example.org", &d1);
	pcl_session_rcpt(s, "b@example.org", &d2);
	if (_i == 0) { /* the client map's REJECT stands for everyone */
		ck_assert_int_eq(d1.action, PCL_ACT_REJECT);
		ck_assert_int_eq(d2.action, PCL_ACT_REJECT);
	} else { /* the recipient map applies from the first recipient */
		ck_assert_int_eq(d1.action, PCL_ACT_REJECT);
		ck_assert_int_eq(d2.action, PCL_ACT_ACCEPT); /* HELO excused */
	}
	pcl_session_free(s);
	unlink(map);
}
END_TEST

/* A client that comes back within the TTL costs no query. */
START_TEST(test_cache)
{
	struct pcl_conf *c = load("dnsbl_sites = bl.test w1.test");
	unsigned before;

	run(c, "192.0.2.2", NULL);
	before = fakedns_queries(NULL);
	ck_assert_uint_gt(before, 0);
	run(c, "192.0.2.2", NULL);
	ck_assert_uint_eq(fakedns_queries(NULL), before);
	pcl_conf_release(c);
}
END_TEST

/* contains - does the file at path contain needle */
static bool
file_contains(const char *path, const char *needle)
{
	char buf[65536];
	FILE *fp = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* The DQS key appears in no reply, trace line, log line or dump. */
START_TEST(test_key_never_shown)
{
	struct pcl_conf *c = load("dnsbl_sites = $dqs_key.zen.dq.test*3\n"
	                          "dnsbl_on_error = tempfail");
	struct pcl_session *s;
	char logpath[300];
	char *dump;

	pcl_format(logpath, sizeof(logpath), "%s/log%d", dir, (int)getpid());
	ck_assert_ptr_nonnull(freopen(logpath, "w", stderr));
	pcl_log_open("check", LOG_MAIL, true, false);
	run(c, "192.0.2.7", &s);
	for (size_t i = 0; i < pcl_session_trace_count(s); i++) {
		const struct pcl_trace_entry *e = pcl_session_trace_get(s, i);

		ck_assert_msg(strstr(e->detail, KEY) == NULL,
		              "trace line holds the key: %s", e->detail);
	}
	pcl_session_free(s);
	fakedns_set_servfail("8.2.0.192." KEY ".zen.dq.test");
	run(c, "192.0.2.8", NULL); /* an error path logs the list too */
	fflush(stderr);
	ck_assert(file_contains(logpath, "zen.dq.test"));
	ck_assert_msg(!file_contains(logpath, KEY), "a log line holds the key");
	dump = pcl_conf_dump(c);
	ck_assert_msg(strstr(dump, KEY) == NULL, "the dump holds the key");
	ck_assert_msg(strstr(dump, "dqs_key = <redacted>") != NULL,
	              "dump lacks dqs_key = <redacted>");
	free(dump);
	pcl_conf_release(c);
	unlink(logpath);
}
END_TEST

/* dnsbl_exceptions: an rbl_client_exceptions file skips the lists. */
START_TEST(test_exceptions)
{
	char map[300], extra[600];
	struct pcl_conf *c;
	struct pcl_decision d;
	FILE *fp;

	pcl_format(map, sizeof(map), "%s/exc%d", dir, (int)getpid());
	fp = fopen(map, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("192.0.2.2 OK\n", fp);
	fclose(fp);
	pcl_format(extra, sizeof(extra),
	           "dnsbl_sites = bl.test\ndnsbl_exceptions = texthash:%s",
	           map);
	c = load(extra);
	d = run(c, "192.0.2.2", NULL);
	ck_assert_int_eq(d.action, PCL_ACT_ACCEPT);
	ck_assert_uint_eq(fakedns_queries(NULL), 0);
	pcl_conf_release(c);
	unlink(map);
}
END_TEST

/* trace_has - does a trace line of s contain needle */
static bool
trace_has(struct pcl_session *s, const char *needle)
{
	for (size_t i = 0; i < pcl_session_trace_count(s); i++)
		if (strstr(pcl_session_trace_get(s, i)->detail, needle))
			return true;
	return false;
}

/* A list that failed dns_list_down_after times in a row is down: the
 * next client's lookup is not sent, and dnsbl_on_error applies at once
 * (accept, then tempfail), traced as such; the other list is still
 * asked and still decides. */
START_TEST(test_list_down)
{
	struct pcl_conf *c = load(_i == 0 ? "dnsbl_sites = dead.test bl.test\n"
	                                    "dns_list_down_after = 2\n"
	                                    "dnsbl_on_error = accept"
	                                  : "dnsbl_sites = dead.test bl.test\n"
	                                    "dns_list_down_after = 2\n"
	                                    "dnsbl_on_error = tempfail");
	enum pcl_action want = _i == 0 ? PCL_ACT_ACCEPT : PCL_ACT_TEMPFAIL;
	struct pcl_session *s;
	struct pcl_decision d;

	fakedns_set_servfail("*.dead.test");
	run(c, "192.0.2.20", NULL);
	run(c, "192.0.2.21", NULL);
	ck_assert_uint_eq(fakedns_queries("*.dead.test"), 2);
	d = run(c, "192.0.2.22", &s);
	ck_assert_msg(d.action == want, "down: got %s, want %s",
	              pcl_action_name(d.action), pcl_action_name(want));
	ck_assert_msg(trace_has(s, "dead.test: list down, not asked"),
	              "no trace line says the list is down");
	ck_assert_uint_eq(fakedns_queries("*.dead.test"), 2);
	ck_assert_uint_eq(fakedns_queries("22.2.0.192.bl.test"), 1);
	pcl_session_free(s);
	d = run(c, "192.0.2.2", NULL); /* listed on the list that is up */
	ck_assert_int_eq(d.action, PCL_ACT_REJECT);
	pcl_conf_release(c);
}
END_TEST

/* Between stages the session takes in the answers that have arrived,
 * which closes their sockets: from HELO to RCPT it holds one only for
 * the list that has not answered (dropped here, so that no timing can
 * answer it), whether or not the reply shows the TXT (which once made
 * the only poll between stages). */
START_TEST(test_fds)
{
	struct pcl_conf *c =
	    load(_i == 0 ? "dnsbl_sites = w1.test w2.test slow.test\n"
	                   "dns_timeout = 30s"
	                 : "dnsbl_sites = w1.test w2.test slow.test\n"
	                   "dns_timeout = 30s\n"
	                   "dnsbl_reply = 554 5.7.1 listed on $rbl_domain");
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;
	int base = fd_count();

	pcl_conf_release(c);
	fakedns_set_drop("*.slow.test");
	pcl_session_connect(s, "192.0.2.9", NULL, 25, NULL, &d);
	ck_assert_int_eq(fd_count() - base, 3);
	session_dns_fds_settle(s, base);
	pcl_session_free(s);
	ck_assert_int_eq(fd_count(), base);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("session_dnsbl");
	TCase *tc = tcase_create("dnsbl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cases, 0,
	                    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_cache);
	tcase_add_loop_test(tc, test_allowlist_limits, 0, 2);
	tcase_add_test(tc, test_txt_early);
	tcase_add_test(tc, test_key_never_shown);
	tcase_add_test(tc, test_exceptions);
	tcase_add_loop_test(tc, test_list_down, 0, 2);
	tcase_add_loop_test(tc, test_fds, 0, 2);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(su, tc);
	return conf_fixture_run(su, dir);
}
