/*
 * check_session_dbl - domain lists on every identity, through the
 * session engine, against zone data served by fakedns
 *
 * Identities: client name (connect), HELO, sender (MAIL), From: and
 * Reply-To: (end of message), body URLs (end of message); the DKIM
 * signers are check_session_dbl_dkim's. Each case says where the
 * refusal must come: at RCPT for the envelope, at the end of the
 * message for the content. The descriptor case counts the sockets a
 * session holds between stages.
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
#include "session.h"
#include "snapshot.h"
#include "util.h"

static const char zone[] =
    "$ORIGIN test.\n"
    "$TTL 300\n"
    "@ IN SOA ns.test. admin.test. 1 3600 600 86400 120\n"
    "bad.example.dbl.test. IN A 127.0.1.2\n"
    "bad.example.dbl.test. IN TXT \"https://dbl.test/bad.example\"\n"
    "young.example.zrd.test. IN A 127.0.2.5\n"
    "oops.example.dbl.test. IN A 127.0.1.255\n"
    "x.test. IN A 192.0.2.1\n";

static char dir[] = "/tmp/check_session_dbl.XXXXXX";

/* setup - a DNS server per test, in the forked child */
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

/* load - a conf pointed at fakedns */
static struct pcl_conf *
load(const char *extra)
{
	return session_dns_load(dir,
	                        "spf_verify = no\n"
	                        "dmarc_verify = no\n"
	                        "internal_networks = 127.0.0.0/8\n"
	                        "helo_own_names = mx.example.org\n"
	                        "helo_own_addresses = 198.51.100.1\n",
	                        extra);
}

struct dbl_case {
	const char *label;
	const char *conf;
	const char *name, *helo, *from;
	const char *hdr_from, *body;
	enum pcl_action want_rcpt, want_eom;
	const char *want_reply; /* of the refusal, or NULL */
};

#define SITES "dbl_sites = dbl.test=127.0.1.[2..99] zrd.test=127.0.2.[2..24]"

static const struct dbl_case cases[] = {
    {"clean message", SITES, "mail.example.net", "mail.example.net",
     "a@example.net", " a@example.net", "hi http://good.example/\r\n",
     PCL_ACT_ACCEPT, PCL_ACT_ACCEPT, NULL},
    {"listed HELO refused at RCPT", SITES, NULL, "bad.example", "a@example.net",
     NULL, NULL, PCL_ACT_REJECT, PCL_ACT_ACCEPT,
     "554 5.7.1 Service unavailable; Helo command <bad.example> blocked "
     "using dbl.test; https://dbl.test/bad.example"},
    {"listed client name", SITES, "bad.example", "mail.example.net",
     "a@example.net", NULL, NULL, PCL_ACT_REJECT, PCL_ACT_ACCEPT, NULL},
    {"listed sender domain", SITES, NULL, "mail.example.net", "a@Bad.Example",
     NULL, NULL, PCL_ACT_REJECT, PCL_ACT_ACCEPT,
     "554 5.7.1 Service unavailable; Sender address <bad.example> blocked "
     "using dbl.test; https://dbl.test/bad.example"},
    {"ZRD young domain", SITES, NULL, "mail.example.net", "a@young.example",
     NULL, NULL, PCL_ACT_REJECT, PCL_ACT_ACCEPT, NULL},
    {"listed From: domain refused at end of message", SITES, NULL,
     "mail.example.net", "a@example.net", " \"Bad\" <ceo@bad.example>", NULL,
     PCL_ACT_ACCEPT, PCL_ACT_REJECT,
     "554 5.7.1 Service unavailable; From: header <bad.example> blocked "
     "using dbl.test; https://dbl.test/bad.example"},
    {"listed body URL refused at end of message", SITES, NULL,
     "mail.example.net", "a@example.net", " a@example.net",
     "click http://www.bad.example/win now\r\n", PCL_ACT_ACCEPT, PCL_ACT_REJECT,
     NULL},
    {"identity restriction: list only the sender",
     "dbl_sites = dbl.test=127.0.1.[2..99]:sender", NULL, "bad.example",
     "a@example.net", " x@bad.example", "http://bad.example/\r\n",
     PCL_ACT_ACCEPT, PCL_ACT_ACCEPT, NULL},
    {"HELO IP literal never sent", SITES, NULL, "[192.0.2.10]", "a@example.net",
     NULL, NULL, PCL_ACT_ACCEPT, PCL_ACT_ACCEPT, NULL},
    {"DBL error code is not a listing", SITES "\ndbl_on_error = accept", NULL,
     "oops.example", "a@example.net", NULL, NULL, PCL_ACT_ACCEPT,
     PCL_ACT_ACCEPT, NULL},
    {"DBL error code with on_error tempfail", SITES "\ndbl_on_error = tempfail",
     NULL, "oops.example", "a@example.net", NULL, NULL, PCL_ACT_TEMPFAIL,
     PCL_ACT_ACCEPT, "451 4.4.3 DNS list lookup failed"},
    {"dry run", SITES "\ndry_run = dbl", NULL, "bad.example", "a@example.net",
     " ceo@bad.example", NULL, PCL_ACT_ACCEPT, PCL_ACT_ACCEPT, NULL},
};

START_TEST(test_cases)
{
	const struct dbl_case *tc = &cases[_i];
	struct pcl_conf *c = load(tc->conf);
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;
	char reply[PCL_REPLY_TEXT_MAX + 32] = "";

	pcl_conf_release(c);
	pcl_session_connect(s, "192.0.2.10", tc->name, 25, NULL, &d);
	pcl_session_helo(s, tc->helo, &d);
	pcl_session_mail(s, tc->from, NULL, &d);
	pcl_session_rcpt(s, "b@example.org", &d);
	if (d.action != PCL_ACT_ACCEPT)
		pcl_reply_format(&d.reply, reply, sizeof(reply));
	ck_assert_msg(d.action == tc->want_rcpt,
	              "%s: rcpt: got %s (%s), "
	              "want %s",
	              tc->label, pcl_action_name(d.action), reply,
	              pcl_action_name(tc->want_rcpt));
	if (d.action == PCL_ACT_ACCEPT) {
		if (tc->hdr_from)
			pcl_session_header(s, "From", tc->hdr_from);
		pcl_session_header(s, "Subject", " test");
		pcl_session_eoh(s);
		if (tc->body)
			pcl_session_body(s, (const unsigned char *)tc->body,
			                 strlen(tc->body));
		pcl_session_eom(s, &d);
		if (d.action == PCL_ACT_REJECT || d.action == PCL_ACT_TEMPFAIL)
			pcl_reply_format(&d.reply, reply, sizeof(reply));
		ck_assert_msg(d.action == tc->want_eom,
		              "%s: eom: got %s (%s), want %s", tc->label,
		              pcl_action_name(d.action), reply,
		              pcl_action_name(tc->want_eom));
	}
	if (tc->want_reply)
		ck_assert_msg(strcmp(reply, tc->want_reply) == 0,
		              "%s: got \"%s\", want \"%s\"", tc->label, reply,
		              tc->want_reply);
	ck_assert(!pcl_session_had_error(s));
	pcl_session_free(s);
}
END_TEST

/* A spam report to abuse@ carries spam URLs: a message only to
 * recipient exceptions is not refused for its content (case 0); one to
 * abuse@ and someone else is held in the quarantine (case 1): adding
 * abuse@ must not get spam past the check, and nothing is lost. */
START_TEST(test_report_to_abuse)
{
	struct pcl_conf *c = load(SITES);
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;
	const char *body = "fwd: http://bad.example/\r\n";

	pcl_conf_release(c);
	pcl_session_connect(s, "192.0.2.10", NULL, 25, NULL, &d);
	pcl_session_helo(s, "mail.example.net", &d);
	pcl_session_mail(s, "a@example.net", NULL, &d);
	pcl_session_rcpt(s, "abuse@example.org", &d);
	ck_assert_int_eq(d.action, PCL_ACT_ACCEPT);
	if (_i == 1) /* and to someone else: the message cannot be split */
		pcl_session_rcpt(s, "b@example.org", &d);
	pcl_session_header(s, "From", " a@example.net");
	pcl_session_eoh(s);
	pcl_session_body(s, (const unsigned char *)body, strlen(body));
	pcl_session_eom(s, &d);
	ck_assert_msg(d.action == (_i ? PCL_ACT_QUARANTINE : PCL_ACT_ACCEPT),
	              "case %d: got %s, want %s", _i, pcl_action_name(d.action),
	              _i ? "quarantine (held, not lost)" : "accept");
	ck_assert_uint_gt(fakedns_queries(NULL), 0); /* still looked up */
	pcl_session_free(s);
}
END_TEST

/* An IP literal in the body or in From: sends no query at all. */
START_TEST(test_literals_never_sent)
{
	struct pcl_conf *c = load(SITES);
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;
	const char *body = "http://192.0.2.1/x and http://[2001:db8::1]/y\r\n";

	pcl_conf_release(c);
	pcl_session_connect(s, "192.0.2.10", NULL, 25, NULL, &d);
	pcl_session_helo(s, "[192.0.2.10]", &d);
	pcl_session_mail(s, "a@[192.0.2.1]", NULL, &d);
	pcl_session_rcpt(s, "b@example.org", &d);
	pcl_session_header(s, "From", " a@[192.0.2.1]");
	pcl_session_eoh(s);
	pcl_session_body(s, (const unsigned char *)body, strlen(body));
	pcl_session_eom(s, &d);
	ck_assert_int_eq(d.action, PCL_ACT_ACCEPT);
	ck_assert_uint_eq(fakedns_queries(NULL), 0);
	pcl_session_free(s);
}
END_TEST

/* Empty body chunks before anything was kept, and no header at all:
 * nothing to copy into a buffer not yet made (fuzz_session found
 * memcpy(NULL + 0, p, 0), undefined behaviour) */
START_TEST(test_empty_chunks)
{
	struct pcl_conf *c = load(SITES);
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;
	const char *body = "http://bad.example/\r\n";

	pcl_conf_release(c);
	pcl_session_connect(s, "192.0.2.10", NULL, 25, NULL, &d);
	pcl_session_helo(s, "mail.example.net", &d);
	pcl_session_mail(s, "a@example.net", NULL, &d);
	pcl_session_rcpt(s, "b@example.org", &d);
	pcl_session_eoh(s);
	pcl_session_body(s, (const unsigned char *)"", 0);
	pcl_session_body(s, (const unsigned char *)body, strlen(body));
	pcl_session_body(s, (const unsigned char *)"", 0);
	pcl_session_eom(s, &d);
	/* without a header the first line is read as one: not a URL */
	ck_assert_int_eq(d.action, PCL_ACT_ACCEPT);
	pcl_session_free(s);
}
END_TEST

/* A domain list that is down is not asked; dbl_on_error applies at
 * once, traced as such. */
START_TEST(test_list_down)
{
	struct pcl_conf *c = load("dbl_sites = deaddbl.test\n"
	                          "dns_list_down_after = 2\n"
	                          "dbl_on_error = tempfail");
	struct pcl_session *s;
	struct pcl_decision d;
	const char *helos[] = {"a.example.net", "b.example.net",
	                       "c.example.net"};
	bool traced = false;

	fakedns_set_servfail("*.deaddbl.test");
	for (int i = 0; i < 3; i++) {
		s = pcl_session_new(c);
		pcl_session_connect(s, "192.0.2.30", NULL, 25, NULL, &d);
		pcl_session_helo(s, helos[i], &d);
		pcl_session_mail(s, "a@example.net", NULL, &d);
		pcl_session_rcpt(s, "b@example.org", &d);
		ck_assert_msg(d.action == PCL_ACT_TEMPFAIL,
		              "session %d: got %s, want tempfail", i,
		              pcl_action_name(d.action));
		for (size_t k = 0; i == 2 && k < pcl_session_trace_count(s);
		     k++)
			traced = traced ||
			         strstr(pcl_session_trace_get(s, k)->detail,
			                "list down, not asked") != NULL;
		pcl_session_free(s);
	}
	ck_assert_msg(traced, "no trace line says the list is down");
	/* the first session's HELO and sender lookups fail: down; then none */
	ck_assert_uint_eq(fakedns_queries("*.deaddbl.test"), 2);
	pcl_conf_release(c);
}
END_TEST

/* Between stages the session takes in the answers that have arrived,
 * which closes their sockets: after HELO it holds one only for the
 * list that has not answered (dropped, so that no timing can answer
 * it). */
START_TEST(test_fds)
{
	struct pcl_conf *c = load("dbl_sites = dbl.test:client "
	                          "slowdbl.test:client\n"
	                          "dns_timeout = 30s");
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;
	int base = fd_count();

	pcl_conf_release(c);
	fakedns_set_drop("*.slowdbl.test");
	pcl_session_connect(s, "192.0.2.9", "mail.example.net", 25, NULL, &d);
	ck_assert_int_eq(fd_count() - base, 2);
	session_dns_fds_settle(s, base);
	pcl_session_free(s);
	ck_assert_int_eq(fd_count(), base);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("session_dbl");
	TCase *tc = tcase_create("dbl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cases, 0,
	                    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_literals_never_sent);
	tcase_add_test(tc, test_empty_chunks);
	tcase_add_test(tc, test_list_down);
	tcase_add_loop_test(tc, test_report_to_abuse, 0, 2);
	tcase_add_test(tc, test_fds);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(su, tc);
	return conf_fixture_run(su, dir);
}
