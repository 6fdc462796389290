/*
 * check_session - the decision engine, stage by stage
 *
 * Each case writes a config (and map files) to a temp dir, drives one
 * SMTP session through the same calls the milter makes, and checks the
 * decision at every stage and the verdict at the end.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_fixture.h"
#include "session.h"
#include "snapshot.h"
#include "util.h"

static char dir[] = "/tmp/check_session.XXXXXX";

/* write_file - put text into dir/name; returns the path */
static const char *
write_file(const char *name, const char *text)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];
	FILE *fp;

	pcl_format(p, 256, "%s/%s", dir, name);
	fp = fopen(p, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	return p;
}

/* load - a conf from text, with maps substituted for @DIR@ */
static struct pcl_conf *
load(const char *text)
{
	char expanded[8192] = "";
	const char *p = text, *at;
	char *errors = NULL;
	struct pcl_conf *c;

	/* No lookup leaves loopback: SPF and DMARC are the subjects of
	 * other suites, and nothing listens on port 9. A case may
	 * override them. */
	pcl_append(expanded, sizeof(expanded),
	           "spf_verify = no\ndmarc_verify = no\n"
	           "dns_servers = 127.0.0.1:9\n");
	while ((at = strstr(p, "@DIR@")) != NULL) {
		pcl_append(expanded, sizeof(expanded), "%.*s%s", (int)(at - p),
		           p, dir);
		p = at + 5;
	}
	pcl_append(expanded, sizeof(expanded), "%s", p);
	c = pcl_conf_load(write_file("portcullis.conf", expanded), NULL, 0,
	                  &errors);
	ck_assert_msg(c != NULL, "config failed: %s", errors ? errors : "");
	return c;
}

/* One scripted session and what each stage should decide. */
struct session_case {
	const char *label;
	const char *conf; /* config text */
	const char *addr, *name;
	int port;
	const char *helo; /* NULL: no HELO */
	const char *auth;
	const char *from;
	const char *rcpts[3];
	enum pcl_action want_helo;
	enum pcl_action want_rcpt[3];
	const char *want_reply; /* of the first refused rcpt, or NULL */
	enum pcl_action want_eom;
	const char *want_header; /* "Name:value" of the first header */
};

#define BASE                                                                   \
	"internal_networks = 127.0.0.0/8\nhelo_own_names = mx.example.org\n"   \
	"helo_own_addresses = 198.51.100.1\n"

static const struct session_case cases[] = {
    {"clean external client",
     BASE,
     "192.0.2.10",
     "mail.example.net",
     25,
     "mail.example.net",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_ACCEPT},
     NULL,
     PCL_ACT_ACCEPT,
     NULL},
    {"invalid HELO refused at RCPT",
     BASE,
     "192.0.2.10",
     NULL,
     25,
     "bad_name!",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_REJECT},
     "501 5.5.2 <bad_name!>: Helo command rejected: Invalid name",
     PCL_ACT_ACCEPT,
     NULL},
    /* five labels of 60: each valid, the name of 312 too long to be
     * one, and longer than the 255 characters the session keeps */
    {"HELO over 255 characters judged whole",
     BASE,
     "192.0.2.10",
     NULL,
     25,
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_REJECT},
     NULL,
     PCL_ACT_ACCEPT,
     NULL},
    {"postmaster excepted",
     BASE,
     "192.0.2.10",
     NULL,
     25,
     "bad_name!",
     NULL,
     "a@example.net",
     {"b@example.org", "Postmaster@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_REJECT, PCL_ACT_ACCEPT},
     "501 5.5.2 <bad_name!>: Helo command rejected: Invalid name",
     PCL_ACT_ACCEPT,
     NULL},
    {"internal client skips checks",
     BASE,
     "127.0.0.1",
     "localhost",
     40000,
     "bad_name!",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_ACCEPT},
     NULL,
     PCL_ACT_ACCEPT,
     NULL},
    {"non-FQDN HELO tagged",
     BASE,
     "192.0.2.10",
     NULL,
     25,
     "workstation",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_ACCEPT},
     NULL,
     PCL_ACT_TAG,
     "X-Portcullis-Tag: helo_non_fqdn"},
    {"immediate enforcement at HELO",
     BASE "enforce_stage = immediate\n",
     "192.0.2.10",
     NULL,
     25,
     "bad_name!",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_REJECT,
     {PCL_ACT_REJECT},
     "501 5.5.2 <bad_name!>: Helo command rejected: Invalid name",
     PCL_ACT_ACCEPT,
     NULL},
    {"dry run lets mail through",
     BASE "dry_run = helo_invalid\n",
     "192.0.2.10",
     NULL,
     25,
     "bad_name!",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_ACCEPT},
     NULL,
     PCL_ACT_ACCEPT,
     NULL},
    {"impersonation by name",
     BASE,
     "192.0.2.10",
     NULL,
     25,
     "MX.example.org",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_REJECT},
     "550 5.7.1 <MX.example.org>: Helo command rejected: You are not me",
     PCL_ACT_ACCEPT,
     NULL},
    {"impersonation by address literal",
     BASE,
     "192.0.2.10",
     NULL,
     25,
     "[198.51.100.1]",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_REJECT},
     NULL,
     PCL_ACT_ACCEPT,
     NULL},
    {"no HELO",
     BASE,
     "192.0.2.10",
     NULL,
     25,
     NULL,
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_REJECT},
     "503 5.5.1 Error: send HELO/EHLO first",
     PCL_ACT_ACCEPT,
     NULL},
    {"authenticated client skips checks",
     BASE,
     "192.0.2.10",
     NULL,
     25,
     "bad_name!",
     "alice",
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_ACCEPT},
     NULL,
     PCL_ACT_ACCEPT,
     NULL},
    {"tempfail action gets a 4xx reply",
     BASE "helo_invalid_action = tempfail\n",
     "192.0.2.10",
     NULL,
     25,
     "bad_name!",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_TEMPFAIL},
     "451 4.5.2 <bad_name!>: Helo command rejected: Invalid name",
     PCL_ACT_ACCEPT,
     NULL},
    {"quarantine waits for end of message",
     BASE "helo_non_fqdn_action = quarantine\n",
     "192.0.2.10",
     NULL,
     25,
     "workstation",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_ACCEPT},
     NULL,
     PCL_ACT_QUARANTINE,
     NULL},
    {"sendmail path judged at end of message",
     "internal_networks =\nhelo_own_names = mx.example.org\n",
     "127.0.0.1",
     "localhost",
     0,
     "localhost",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_ACCEPT},
     NULL,
     PCL_ACT_TAG,
     "X-Portcullis-Tag: helo_non_fqdn"},
    /* Postfix's own bounce through non_smtpd_milters: refusing it
       would leave it queued for ever (a bug found end to end) */
    {"sendmail path never refuses a bounce",
     "internal_networks =\nhelo_own_names = mx.example.org\n"
     "helo_non_fqdn_action = reject\n",
     "127.0.0.1",
     "localhost",
     0,
     "localhost",
     NULL,
     "",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_ACCEPT},
     NULL,
     PCL_ACT_ACCEPT,
     NULL},
    {"sendmail path to excepted recipients only",
     "internal_networks =\nhelo_own_names = mx.example.org\n"
     "helo_non_fqdn_action = reject\n",
     "127.0.0.1",
     "localhost",
     0,
     "localhost",
     NULL,
     "a@example.net",
     {"postmaster@example.org", "abuse@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_ACCEPT, PCL_ACT_ACCEPT},
     NULL,
     PCL_ACT_ACCEPT,
     NULL},
    /* one message cannot be split: a refusal holds it instead */
    {"sendmail path with one excepted recipient of two",
     "internal_networks =\nhelo_own_names = mx.example.org\n"
     "helo_non_fqdn_action = reject\n",
     "127.0.0.1",
     "localhost",
     0,
     "localhost",
     NULL,
     "a@example.net",
     {"postmaster@example.org", "b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_ACCEPT, PCL_ACT_ACCEPT},
     NULL,
     PCL_ACT_QUARANTINE,
     NULL},
    {"sendmail path: quarantine kept for an excepted recipient",
     "internal_networks =\nhelo_own_names = mx.example.org\n"
     "helo_non_fqdn_action = quarantine\n",
     "127.0.0.1",
     "localhost",
     0,
     "localhost",
     NULL,
     "a@example.net",
     {"postmaster@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_ACCEPT},
     NULL,
     PCL_ACT_QUARANTINE,
     NULL},
    {"sendmail path refused at end of message",
     "internal_networks =\nhelo_own_names = mx.example.org\n"
     "helo_non_fqdn_action = reject\n",
     "127.0.0.1",
     "localhost",
     0,
     "localhost",
     NULL,
     "a@example.net",
     {"b@example.org"},
     PCL_ACT_ACCEPT,
     {PCL_ACT_ACCEPT},
     NULL,
     PCL_ACT_REJECT,
     NULL},
};

/* run_case - drive one session and compare every stage */
static void
run_case(const struct session_case *tc)
{
	struct pcl_conf *conf = load(tc->conf);
	struct pcl_session *s = pcl_session_new(conf);
	struct pcl_decision d;
	const char *first_reply = NULL;
	char reply[PCL_REPLY_TEXT_MAX + 32];
	bool any = false;

	pcl_conf_release(conf);
	ck_assert_ptr_nonnull(s);
	pcl_session_connect(s, tc->addr, tc->name, tc->port, NULL, &d);
	ck_assert_msg(d.action == PCL_ACT_ACCEPT, "%s: connect: got %s",
	              tc->label, pcl_action_name(d.action));
	if (tc->helo) {
		pcl_session_helo(s, tc->helo, &d);
		ck_assert_msg(d.action == tc->want_helo,
		              "%s: helo: got %s, want %s", tc->label,
		              pcl_action_name(d.action),
		              pcl_action_name(tc->want_helo));
	}
	pcl_session_mail(s, tc->from, tc->auth, &d);
	for (int i = 0; i < 3 && tc->rcpts[i]; i++) {
		pcl_session_rcpt(s, tc->rcpts[i], &d);
		ck_assert_msg(d.action == tc->want_rcpt[i],
		              "%s: rcpt %s: got %s, want %s", tc->label,
		              tc->rcpts[i], pcl_action_name(d.action),
		              pcl_action_name(tc->want_rcpt[i]));
		if (d.action == PCL_ACT_ACCEPT)
			any = true;
		else if (first_reply == NULL) {
			pcl_reply_format(&d.reply, reply, sizeof(reply));
			first_reply = reply;
		}
	}
	if (tc->want_reply)
		ck_assert_msg(
		    first_reply && strcmp(first_reply, tc->want_reply) == 0,
		    "%s: got reply \"%s\", want \"%s\"", tc->label,
		    first_reply ? first_reply : "(none)", tc->want_reply);
	if (any) {
		pcl_session_header(s, "Subject", " hello");
		pcl_session_eoh(s);
		pcl_session_body(s, (const unsigned char *)"hi\r\n", 4);
		pcl_session_eom(s, &d);
		ck_assert_msg(d.action == tc->want_eom,
		              "%s: eom: got %s, want %s", tc->label,
		              pcl_action_name(d.action),
		              pcl_action_name(tc->want_eom));
		if (tc->want_header) {
			const struct pcl_add_header *h;
			char got[512];

			ck_assert_msg(pcl_session_header_count(s) > 0,
			              "%s: no header added", tc->label);
			h = pcl_session_header_get(s, 0);
			pcl_format(got, sizeof(got), "%s:%s", h->name,
			           h->value);
			ck_assert_msg(strcmp(got, tc->want_header) == 0,
			              "%s: got header \"%s\", want \"%s\"",
			              tc->label, got, tc->want_header);
		} else {
			ck_assert_msg(pcl_session_header_count(s) == 0,
			              "%s: got %zu headers, want none",
			              tc->label, pcl_session_header_count(s));
		}
		pcl_session_reset(s);
	}
	ck_assert(!pcl_session_had_error(s));
	pcl_session_free(s);
}

START_TEST(test_cases)
{
	run_case(&cases[_i]);
}
END_TEST

/* map_case - a session whose only checks are access maps */
struct map_case {
	const char *label;
	const char *file, *map; /* map file name and contents */
	const char *key;        /* config key naming it */
	const char *addr, *name, *helo, *from, *rcpt;
	enum pcl_action want_rcpt;
	const char *want_reply;
	enum pcl_action want_eom;
};

static const struct map_case map_cases[] = {
    {"helo.regexp from a Postfix guide", "helo.regexp",
     "/^[0-9.]+$/ 550 Your software is not RFC 2821 compliant\n",
     "helo_access = regexp:", "192.0.2.7", NULL, "192.0.2.7", "a@example.net",
     "b@example.org", PCL_ACT_REJECT,
     "550 5.7.1 <192.0.2.7>: Helo command rejected: Your software is not "
     "RFC 2821 compliant",
     PCL_ACT_ACCEPT},
    {"client exceptions exempt from HELO checks", "rbl_client_exceptions",
     "192.0.2.7 OK\n", "client_access = texthash:", "192.0.2.7", NULL,
     "bad_name!", "a@example.net", "b@example.org", PCL_ACT_ACCEPT, NULL,
     PCL_ACT_ACCEPT},
    {"client REJECT", "clients.cidr", "192.0.2.0/24 REJECT\n",
     "client_access = cidr:", "192.0.2.7", NULL, "mail.example.net",
     "a@example.net", "b@example.org", PCL_ACT_REJECT,
     "554 5.7.1 <unknown[192.0.2.7]>: Client host rejected: Access denied",
     PCL_ACT_ACCEPT},
    {"sender REJECT with text", "sender_checks",
     "spammer.example REJECT no thanks\n",
     "sender_access = texthash:", "192.0.2.7", NULL, "mail.example.net",
     "x@spammer.example", "b@example.org", PCL_ACT_REJECT,
     "554 5.7.1 <x@spammer.example>: Sender address rejected: no thanks",
     PCL_ACT_ACCEPT},
    {"sender DEFER", "sender_checks", "x@slow.example DEFER\n",
     "sender_access = texthash:", "192.0.2.7", NULL, "mail.example.net",
     "x@slow.example", "b@example.org", PCL_ACT_TEMPFAIL,
     "450 4.7.1 <x@slow.example>: Sender address rejected: Access denied",
     PCL_ACT_ACCEPT},
    {"recipient 4NN", "rcpts", "b@example.org 452 4.2.2 mailbox full\n",
     "recipient_access = texthash:", "192.0.2.7", NULL, "mail.example.net",
     "a@example.net", "b@example.org", PCL_ACT_TEMPFAIL,
     "452 4.2.2 <b@example.org>: Recipient address rejected: mailbox full",
     PCL_ACT_ACCEPT},
    {"client HOLD quarantines", "clients.cidr", "192.0.2.0/24 HOLD\n",
     "client_access = cidr:", "192.0.2.7", NULL, "mail.example.net",
     "a@example.net", "b@example.org", PCL_ACT_ACCEPT, NULL,
     PCL_ACT_QUARANTINE},
    {"sender DISCARD", "sender_checks", "example.net DISCARD\n",
     "sender_access = texthash:", "192.0.2.7", NULL, "mail.example.net",
     "a@example.net", "b@example.org", PCL_ACT_ACCEPT, NULL, PCL_ACT_DISCARD},
    {"null sender as <>", "sender_checks", "<> REJECT no bounces\n",
     "sender_access = texthash:", "192.0.2.7", NULL, "mail.example.net", "",
     "b@example.org", PCL_ACT_REJECT,
     "554 5.7.1 <>: Sender address rejected: no bounces", PCL_ACT_ACCEPT},
};

START_TEST(test_maps)
{
	const struct map_case *tc = &map_cases[_i];
	char conf_text[1024];
	struct pcl_conf *conf;
	struct pcl_session *s;
	struct pcl_decision d;
	char reply[PCL_REPLY_TEXT_MAX + 32];

	write_file(tc->file, tc->map);
	pcl_format(conf_text, sizeof(conf_text),
	           "internal_networks = 127.0.0.0/8\n"
	           "helo_own_names = mx.example.org\n"
	           "helo_own_addresses = 198.51.100.1\n%s@DIR@/%s\n",
	           tc->key, tc->file);
	conf = load(conf_text);
	s = pcl_session_new(conf);
	pcl_conf_release(conf);
	pcl_session_connect(s, tc->addr, tc->name, 25, NULL, &d);
	pcl_session_helo(s, tc->helo, &d);
	pcl_session_mail(s, tc->from, NULL, &d);
	pcl_session_rcpt(s, tc->rcpt, &d);
	pcl_reply_format(&d.reply, reply, sizeof(reply));
	ck_assert_msg(d.action == tc->want_rcpt, "%s: rcpt: got %s, want %s",
	              tc->label, pcl_action_name(d.action),
	              pcl_action_name(tc->want_rcpt));
	if (tc->want_reply)
		ck_assert_msg(strcmp(reply, tc->want_reply) == 0,
		              "%s: got \"%s\", want \"%s\"", tc->label, reply,
		              tc->want_reply);
	if (d.action == PCL_ACT_ACCEPT) {
		pcl_session_eoh(s);
		pcl_session_eom(s, &d);
		ck_assert_msg(d.action == tc->want_eom,
		              "%s: eom: got %s, want %s", tc->label,
		              pcl_action_name(d.action),
		              pcl_action_name(tc->want_eom));
		if (d.action == PCL_ACT_QUARANTINE)
			ck_assert_str_eq(pcl_session_quarantine_reason(s),
			                 "portcullis: client_access");
	}
	pcl_session_free(s);
}
END_TEST

/* A thousand recipients: every one judged, nothing grows unbounded. */
START_TEST(test_many_recipients)
{
	struct pcl_conf *conf = load(BASE);
	struct pcl_session *s = pcl_session_new(conf);
	struct pcl_decision d;
	char rcpt[64];

	pcl_conf_release(conf);
	pcl_session_connect(s, "192.0.2.10", NULL, 25, NULL, &d);
	pcl_session_helo(s, "bad_name!", &d);
	pcl_session_mail(s, "a@example.net", NULL, &d);
	for (int i = 0; i < 1000; i++) {
		pcl_format(rcpt, sizeof(rcpt), "user%d@example.org", i);
		pcl_session_rcpt(s, rcpt, &d);
		ck_assert_int_eq(d.action, PCL_ACT_REJECT);
	}
	ck_assert_uint_le(pcl_session_trace_count(s), 1001);
	ck_assert(!pcl_session_had_error(s));
	pcl_session_free(s);
}
END_TEST

/* An over-long HELO is invalid, and the trace and log stay bounded. */
START_TEST(test_long_helo)
{
	struct pcl_conf *conf = load(BASE);
	struct pcl_session *s = pcl_session_new(conf);
	struct pcl_decision d;
	char helo[4000];

	pcl_conf_release(conf);
	memset(helo, 'a', sizeof(helo) - 1);
	helo[sizeof(helo) - 1] = '\0';
	helo[100] = '.';
	pcl_session_connect(s, "192.0.2.10", NULL, 25, NULL, &d);
	pcl_session_helo(s, helo, &d);
	pcl_session_mail(s, "a@example.net", NULL, &d);
	pcl_session_rcpt(s, "b@example.org", &d);
	ck_assert_int_eq(d.action, PCL_ACT_REJECT);
	ck_assert_int_eq(d.reply.code, 501);
	ck_assert_uint_lt(strlen(d.reply.text), PCL_REPLY_TEXT_MAX);
	pcl_session_free(s);
}
END_TEST

/* The trace says why: the test mode prints exactly this. */
START_TEST(test_trace_explains)
{
	struct pcl_conf *conf = load(BASE "dry_run = all\n");
	struct pcl_session *s = pcl_session_new(conf);
	struct pcl_decision d;
	bool dry = false, hit = false;

	pcl_conf_release(conf);
	pcl_session_connect(s, "192.0.2.10", NULL, 25, NULL, &d);
	pcl_session_helo(s, "bad_name!", &d);
	pcl_session_mail(s, "a@example.net", NULL, &d);
	pcl_session_rcpt(s, "b@example.org", &d);
	ck_assert_int_eq(d.action, PCL_ACT_ACCEPT);
	for (size_t i = 0; i < pcl_session_trace_count(s); i++) {
		const struct pcl_trace_entry *e = pcl_session_trace_get(s, i);

		if (strcmp(e->check, "helo_invalid") == 0 &&
		    strcmp(e->result, "hit") == 0)
			hit = true;
		if (strcmp(e->check, "helo_invalid") == 0 &&
		    strcmp(e->result, "dry-run") == 0)
			dry = true;
	}
	ck_assert_msg(hit && dry, "trace lacks the hit or the dry run");
	pcl_session_free(s);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("session");
	TCase *tc = tcase_create("stages");

	tcase_add_loop_test(tc, test_cases, 0,
	                    sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, test_maps, 0,
	                    sizeof(map_cases) / sizeof(map_cases[0]));
	tcase_add_test(tc, test_many_recipients);
	tcase_add_test(tc, test_long_helo);
	tcase_add_test(tc, test_trace_explains);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(su, tc);
	return conf_fixture_run(su, dir);
}
