/*
 * check_session_budget - what one message may cost: header fields,
 * header bytes, forged Authentication-Results deletions; and addresses
 * too long to be one
 *
 * Each case drives one message with a given header through the session
 * and checks the verdict, its reply, and how many deletions the MTA is
 * asked for. The message after it on the same connection must be judged
 * afresh.
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

static char dir[] = "/tmp/check_session_budget.XXXXXX";

#define BASE                                                                   \
	"internal_networks = 127.0.0.0/8\nspf_verify = no\ndmarc_verify = "    \
	"no\n"                                                                 \
	"dns_servers = 127.0.0.1:9\nauthserv_id = mx.example.org\n"

struct budget_case {
	const char *label;
	const char *conf; /* added to BASE */
	const char *addr;
	int port;
	const char *sender;
	size_t forged;    /* Authentication-Results claiming our id */
	size_t others;    /* other parties' A-R, counted but kept */
	size_t plain;     /* other fields */
	size_t value_len; /* bytes of each plain field's value */
	enum pcl_action want;
	const char *want_reply; /* start of it, or NULL */
	size_t want_deletes;
	const char *want_trace; /* "check result" somewhere, or NULL */
};

static const struct budget_case cases[] = {
    {"20 forged A-R: all deleted", "", "192.0.2.1", 25, "a@example.net", 20, 3,
     5, 10, PCL_ACT_ACCEPT, NULL, 20, NULL},
    {"21 forged A-R: refused, none deleted", "", "192.0.2.1", 25,
     "a@example.net", 21, 3, 5, 10, PCL_ACT_REJECT,
     "550 5.7.1 Message refused: too many forged", 0, "authres_limit enacted"},
    {"20,000 forged A-R: refused at the 21st", "", "192.0.2.1", 25,
     "a@example.net", 20000, 0, 5, 10, PCL_ACT_REJECT, "550 5.7.1", 0,
     "authres_limit enacted"},
    {"20,000 forged A-R, authres_limit in dry run: the field budget refuses",
     "dry_run = authres_limit\n", "192.0.2.1", 25, "a@example.net", 20000, 0, 5,
     10, PCL_ACT_REJECT, "552 5.3.4", 0, "header_limit enacted"},
    {"dry run of both: delivered, the fields past the budget unread, none "
     "deleted",
     "dry_run = authres_limit header_limit\n", "192.0.2.1", 25, "a@example.net",
     20000, 0, 5, 10, PCL_ACT_ACCEPT, NULL, 0, "authres kept"},
    {"forged A-R, dry run: delivered, none deleted",
     "dry_run = authres_limit\n", "192.0.2.1", 25, "a@example.net", 50, 0, 5,
     10, PCL_ACT_ACCEPT, NULL, 0, "authres_limit dry-run"},
    {"authres_delete_limit = 2: the third forgery refuses",
     "authres_delete_limit = 2\n", "192.0.2.1", 25, "a@example.net", 3, 0, 5,
     10, PCL_ACT_REJECT, "550 5.7.1", 0, NULL},
    {"1,000 fields (From: and 999): accepted", "", "192.0.2.1", 25,
     "a@example.net", 0, 0, 999, 10, PCL_ACT_ACCEPT, NULL, 0, NULL},
    {"1,001 fields: 552 5.3.4", "", "192.0.2.1", 25, "a@example.net", 0, 0,
     1000, 10, PCL_ACT_REJECT, "552 5.3.4", 0, "header_limit hit"},
    {"header bytes over 1 MiB: 552 5.3.4", "", "192.0.2.1", 25, "a@example.net",
     0, 0, 3, 400000, PCL_ACT_REJECT, "552 5.3.4", 0, "header_limit hit"},
    {"tempfail as the admin's choice",
     "header_count_limit = 100\nheader_limit_action = tempfail\n"
     "header_limit_reply = 452 4.3.4 Too many header fields\n",
     "192.0.2.1", 25, "a@example.net", 0, 0, 101, 10, PCL_ACT_TEMPFAIL,
     "452 4.3.4 Too many header fields", 0, NULL},
    {"header budget, dry run: delivered", "dry_run = header_limit\n",
     "192.0.2.1", 25, "a@example.net", 0, 0, 1500, 10, PCL_ACT_ACCEPT, NULL, 0,
     "header_limit dry-run"},
    {"header budget, action tag", "header_limit_action = tag\n", "192.0.2.1",
     25, "a@example.net", 0, 0, 1500, 10, PCL_ACT_TAG, NULL, 0, NULL},
    {"internal client: budgets apply too", "", "127.0.0.1", 25, "a@example.net",
     0, 0, 1001, 10, PCL_ACT_REJECT, "552 5.3.4", 0, NULL},
    {"internal client, forged A-R: refused", "", "127.0.0.1", 25,
     "a@example.net", 21, 0, 1, 10, PCL_ACT_REJECT, "550 5.7.1", 0, NULL},
    {"sendmail path bounce: never refused", "", "127.0.0.1", 0, "", 0, 0, 1001,
     10, PCL_ACT_ACCEPT, NULL, 0, "sendmail_path pass"},
};

/* header - give one field; true once the session refuses the message
 * before its end (d filled), as the milter then stops */
static bool
header(struct pcl_session *s, const char *name, const char *value,
       struct pcl_decision *d)
{
	pcl_session_header(s, name, value);
	return pcl_session_refused_early(s, d);
}

/* run_message - MAIL, RCPT, the case's header, a body, end of message;
 * true when the message was refused before its end (like Postfix, then
 * no end of message) */
static bool
run_message(struct pcl_session *s, const struct budget_case *c,
            struct pcl_decision *d)
{
	char *value = malloc(c->value_len + 2);
	char ar[128];

	ck_assert_ptr_nonnull(value);
	value[0] = ' ';
	memset(value + 1, 'x', c->value_len);
	value[c->value_len + 1] = '\0';
	pcl_session_mail(s, c->sender, NULL, d);
	pcl_session_rcpt(s, "b@example.org", d);
	pcl_session_set_queue_id(s, "4XyZ1");
	if (header(s, "From", " <a@example.net>", d))
		goto early;
	for (size_t i = 0; i < c->forged; i++) {
		pcl_format(
		    ar, sizeof(ar),
		    " mx.example.org; spf=pass smtp.mailfrom=f%zu.example", i);
		if (header(s, "Authentication-Results", ar, d))
			goto early;
		if (i < c->others && header(s, "Authentication-Results",
		                            " other.example; dkim=pass", d))
			goto early;
	}
	for (size_t i = 0; i < c->plain; i++)
		if (header(s, "X-Filler", value, d))
			goto early;
	pcl_session_eoh(s);
	pcl_session_body(s, (const unsigned char *)"hello\r\n", 7);
	pcl_session_eom(s, d);
	free(value);
	return false;
early:
	free(value);
	return true;
}

/* has_trace - is "check result" a line of the trace */
static bool
has_trace(const struct pcl_session *s, const char *want)
{
	char line[128];

	for (size_t i = 0; i < pcl_session_trace_count(s); i++) {
		const struct pcl_trace_entry *e = pcl_session_trace_get(s, i);

		pcl_format(line, sizeof(line), "%s %s", e->check, e->result);
		if (strcmp(line, want) == 0)
			return true;
	}
	return false;
}

START_TEST(test_budget)
{
	const struct budget_case *c = &cases[_i];
	char text[1024], reply[PCL_REPLY_TEXT_MAX + 32];
	struct pcl_conf *conf;
	struct pcl_session *s;
	struct pcl_decision d;
	bool early;
	const struct budget_case next = {.sender = "c@example.net",
	                                 .forged = 1,
	                                 .plain = 5,
	                                 .value_len = 10};

	pcl_format(text, sizeof(text), "%s%s", BASE, c->conf);
	conf = conf_fixture_load(dir, text);
	s = pcl_session_new(conf);
	ck_assert_ptr_nonnull(s);
	pcl_session_connect(s, c->addr, NULL, c->port, NULL, &d);
	pcl_session_helo(s, "client.example.net", &d);
	early = run_message(s, c, &d);
	/* a refusal by a budget comes as soon as the budget is spent */
	ck_assert_msg(
	    early == (c->want == PCL_ACT_REJECT || c->want == PCL_ACT_TEMPFAIL),
	    "%s: refused before the end: got %d", c->label, early);
	ck_assert_msg(d.action == c->want, "%s: got %s, want %s", c->label,
	              pcl_action_name(d.action), pcl_action_name(c->want));
	if (c->want_reply) {
		pcl_reply_format(&d.reply, reply, sizeof(reply));
		ck_assert_msg(
		    strncmp(reply, c->want_reply, strlen(c->want_reply)) == 0,
		    "%s: got reply \"%s\", want \"%s...\"", c->label, reply,
		    c->want_reply);
	}
	ck_assert_msg(pcl_session_delete_count(s) == c->want_deletes,
	              "%s: got %zu deletions, want %zu", c->label,
	              pcl_session_delete_count(s), c->want_deletes);
	if (c->want_trace)
		ck_assert_msg(has_trace(s, c->want_trace),
		              "%s: no trace line \"%s\"", c->label,
		              c->want_trace);
	/* the next message starts with a full budget */
	pcl_session_reset(s);
	ck_assert(!run_message(s, &next, &d));
	ck_assert_msg(d.action == PCL_ACT_ACCEPT,
	              "%s: next message got %s, want accept", c->label,
	              pcl_action_name(d.action));
	ck_assert_msg(pcl_session_delete_count(s) == 1,
	              "%s: next message got %zu deletions, want 1", c->label,
	              pcl_session_delete_count(s));
	pcl_session_free(s);
	pcl_conf_release(conf);
}
END_TEST

/* the deletions come highest occurrence first, counting every
 * Authentication-Results field, ours and others' */
START_TEST(test_delete_order)
{
	struct pcl_conf *conf = conf_fixture_load(dir, BASE);
	struct pcl_session *s = pcl_session_new(conf);
	const struct budget_case c = {.sender = "a@example.net",
	                              .forged = 3,
	                              .others = 3,
	                              .plain = 1,
	                              .value_len = 1};
	struct pcl_decision d;
	const int want[] = {5, 3, 1};

	pcl_session_connect(s, "192.0.2.1", NULL, 25, NULL, &d);
	ck_assert(!run_message(s, &c, &d));
	ck_assert_uint_eq(pcl_session_delete_count(s), 3);
	for (size_t i = 0; i < 3; i++) {
		const struct pcl_del_header *del = pcl_session_delete_get(s, i);

		ck_assert_str_eq(del->name, "Authentication-Results");
		ck_assert_msg(del->occurrence == want[i],
		              "deletion %zu: got occurrence %d, want %d", i,
		              del->occurrence, want[i]);
	}
	pcl_session_free(s);
	pcl_conf_release(conf);
}
END_TEST

/* an address too long to be one: refused as Postfix would, by the
 * session, for the milter and the test mode alike; the transaction
 * goes on for the recipients that fit */
START_TEST(test_address_too_long)
{
	struct pcl_conf *conf = conf_fixture_load(dir, BASE);
	struct pcl_session *s = pcl_session_new(conf);
	char lng[PCL_ADDRESS_MAX + 16], bracketed[PCL_ADDRESS_MAX + 32];
	char reply[PCL_REPLY_TEXT_MAX + 32];
	struct pcl_decision d;

	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	lng[10] = '@';
	pcl_format(bracketed, sizeof(bracketed), "<%s>", lng);
	pcl_session_connect(s, "192.0.2.1", NULL, 25, NULL, &d);
	pcl_session_helo(s, "client.example.net", &d);
	pcl_session_mail(s, bracketed, NULL, &d);
	pcl_reply_format(&d.reply, reply, sizeof(reply));
	ck_assert_msg(
	    d.action == PCL_ACT_REJECT &&
	        strcmp(reply, "501 5.1.7 Bad sender address syntax") == 0,
	    "long sender: got %s \"%s\"", pcl_action_name(d.action), reply);
	pcl_session_mail(s, "<a@example.net>", NULL, &d);
	ck_assert_int_eq(d.action, PCL_ACT_ACCEPT);
	pcl_session_rcpt(s, bracketed, &d);
	pcl_reply_format(&d.reply, reply, sizeof(reply));
	ck_assert_msg(
	    d.action == PCL_ACT_REJECT &&
	        strcmp(reply, "501 5.1.3 Bad recipient address syntax") == 0,
	    "long recipient: got %s \"%s\"", pcl_action_name(d.action), reply);
	pcl_session_rcpt(s, "<b@example.org>", &d);
	ck_assert_int_eq(d.action, PCL_ACT_ACCEPT);
	pcl_session_free(s);
	pcl_conf_release(conf);
}
END_TEST

static Suite *
budget_suite(void)
{
	Suite *su = suite_create("session_budget");
	TCase *tc = tcase_create("budget");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_budget, 0,
	                    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_delete_order);
	tcase_add_test(tc, test_address_too_long);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return conf_fixture_run(budget_suite(), dir);
}
