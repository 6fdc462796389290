/*
 * check_session_spf - SPF through the session engine (lib/checks/
 * spf_verify.c), against zone data served by fakedns
 *
 * What the session makes of the evaluator's results: which identities
 * are evaluated (the HELO's with spf_helo, always for the null sender,
 * whose MAIL FROM identity is postmaster@HELO: RFC 7208 2.4), and the
 * Received-SPF and Authentication-Results headers that say so. Each
 * case gives both header values unfolded ("" when the header must not
 * be there).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_fixture.h"
#include "fakedns.h"
#include "session_dns.h"
#include "session.h"
#include "snapshot.h"
#include "util.h"

static const char zone[] = "$ORIGIN test.\n"
                           "$TTL 300\n"
                           "@ IN SOA ns.test. admin.test. 1 3600 600 86400 "
                           "120\n"
                           "mail.spf.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 "
                           "-all\"\n"
                           "pass.spf.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 "
                           "-all\"\n";

static char dir[] = "/tmp/check_session_spf.XXXXXX";

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

/* load - a conf pointed at fakedns; every SPF result accepted, so that
 * the message reaches its end with its headers */
static struct pcl_conf *
load(const char *extra)
{
	return session_dns_load(dir,
	                        "myhostname = mx.example.org\n"
	                        "internal_networks = 127.0.0.0/8\n"
	                        "dkim_verify = no\n"
	                        "dmarc_verify = no\n"
	                        "helo_required_action = accept\n"
	                        "helo_non_fqdn_action = accept\n"
	                        "helo_literal_mismatch_action = accept\n"
	                        "spf_mailfrom_fail_action = accept\n"
	                        "spf_helo_fail_action = accept\n",
	                        extra);
}

/* header - the unfolded value of the first header name to add, or "" */
static void
header(const struct pcl_session *s, const char *name, char *buf, size_t len)
{
	const struct pcl_add_header *h;
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < pcl_session_header_count(s); i++) {
		h = pcl_session_header_get(s, i);
		if (strcmp(h->name, name) != 0)
			continue;
		for (const char *p = h->value; *p && n + 1 < len; p++) {
			if (*p == '\n' && p[1] == '\t')
				p++; /* a fold: LF TAB reads as one space */
			buf[n++] = *p == '\t' ? ' ' : *p;
		}
		buf[n] = '\0';
		return;
	}
}

struct spf_case {
	const char *label;
	const char *conf;
	const char *helo; /* NULL: no HELO */
	const char *from; /* "": the null sender */
	const char *want_rspf;
	const char *want_ar;
	bool want_no_query; /* nothing to look up */
};

#define RSPF_NONE(h, hkey)                                                     \
	" none (mx.example.org: domain of postmaster@" h                       \
	" does not designate "                                                 \
	"permitted sender hosts) client-ip=192.0.2.10; "                       \
	"envelope-from=\"postmaster@" h "\"; helo=" hkey "; "                  \
	"receiver=mx.example.org; identity=helo;"

static const struct spf_case cases[] = {
    {"null sender, HELO of one label: none (RFC 7208 4.3)", "", "A2345678", "",
     RSPF_NONE("A2345678", "A2345678"),
     " mx.example.org; spf=none smtp.helo=A2345678", true},
    {"null sender, HELO an address literal: none", "", "[192.0.2.10]", "",
     RSPF_NONE("[192.0.2.10]", "\"[192.0.2.10]\""),
     " mx.example.org; spf=none smtp.helo=\"[192.0.2.10]\"", true},
    {"null sender, HELO not a domain, spf_helo = no: still none",
     "spf_helo = no", "A2345678", "", RSPF_NONE("A2345678", "A2345678"),
     " mx.example.org; spf=none smtp.helo=A2345678", true},
    {"null sender, HELO a domain: its result", "", "mail.spf.test", "",
     " pass (mx.example.org: domain of postmaster@mail.spf.test designates "
     "192.0.2.10 as permitted sender) client-ip=192.0.2.10; "
     "envelope-from=\"postmaster@mail.spf.test\"; helo=mail.spf.test; "
     "receiver=mx.example.org; identity=helo; mechanism=\"ip4:192.0.2.0/24\";",
     " mx.example.org; spf=pass smtp.helo=mail.spf.test", false},
    {"null sender without HELO: no identity, no headers", "", NULL, "", "", "",
     true},
    {"a sender, HELO not a domain: the HELO is not checked", "", "A2345678",
     "a@pass.spf.test",
     " pass (mx.example.org: domain of a@pass.spf.test designates "
     "192.0.2.10 as permitted sender) client-ip=192.0.2.10; "
     "envelope-from=\"a@pass.spf.test\"; helo=A2345678; "
     "receiver=mx.example.org; identity=mailfrom; "
     "mechanism=\"ip4:192.0.2.0/24\";",
     " mx.example.org; spf=pass smtp.mailfrom=a@pass.spf.test", false},
    {"a sender, HELO a literal: the HELO is not checked", "", "[192.0.2.10]",
     "a@pass.spf.test", NULL,
     " mx.example.org; spf=pass smtp.mailfrom=a@pass.spf.test", false},
};

START_TEST(test_cases)
{
	const struct spf_case *tc = &cases[_i];
	struct pcl_conf *c = load(tc->conf);
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;
	char got[2048];

	pcl_conf_release(c);
	pcl_session_connect(s, "192.0.2.10", NULL, 25, NULL, &d);
	if (tc->helo != NULL)
		pcl_session_helo(s, tc->helo, &d);
	pcl_session_mail(s, tc->from, NULL, &d);
	pcl_session_rcpt(s, "b@example.org", &d);
	ck_assert_msg(d.action == PCL_ACT_ACCEPT, "%s: rcpt: got %s", tc->label,
	              pcl_action_name(d.action));
	pcl_session_header(s, "Subject", " test");
	pcl_session_eoh(s);
	pcl_session_eom(s, &d);
	ck_assert_msg(d.action == PCL_ACT_ACCEPT, "%s: eom: got %s", tc->label,
	              pcl_action_name(d.action));
	header(s, "Received-SPF", got, sizeof(got));
	if (tc->want_rspf != NULL)
		ck_assert_msg(strcmp(got, tc->want_rspf) == 0,
		              "%s: Received-SPF: got \"%s\", want \"%s\"",
		              tc->label, got, tc->want_rspf);
	header(s, "Authentication-Results", got, sizeof(got));
	ck_assert_msg(strcmp(got, tc->want_ar) == 0,
	              "%s: Authentication-Results: got \"%s\", want \"%s\"",
	              tc->label, got, tc->want_ar);
	if (tc->want_no_query)
		ck_assert_msg(fakedns_queries(NULL) == 0,
		              "%s: got %u DNS queries, want none", tc->label,
		              fakedns_queries(NULL));
	ck_assert(!pcl_session_had_error(s));
	pcl_session_free(s);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("session_spf");
	TCase *tc = tcase_create("spf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cases, 0,
	                    sizeof(cases) / sizeof(cases[0]));
	tcase_set_timeout(tc, 20);
	suite_add_tcase(su, tc);
	return conf_fixture_run(su, dir);
}
