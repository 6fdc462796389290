/*
 * check_policy - unit tests for lib/core/policy.c
 *
 * Tables for the names (action, on_error, stage) both ways, for reply
 * parsing ("550 5.7.1 text" and its errors), for making a reply agree
 * with its action (class fixing, defaults, cutting on a UTF-8 boundary,
 * control characters), for the '%' doubling smfi_setreply needs, and
 * for the order of actions and findings.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "util.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Texts of known length around PCL_REPLY_TEXT_MAX (400). */
#define A10 "aaaaaaaaaa"
#define A100 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10
#define A395 A100 A100 A100 A10 A10 A10 A10 A10 A10 A10 A10 A10 "aaaaa"
#define A396 A395 "a"
#define A397 A396 "a"
#define A398 A397 "a"
#define A399 A398 "a"
#define A400 A399 "a"

/* UTF-8 characters of two, three and four bytes. */
#define U2 "\xc3\xa9"         /* e acute */
#define U3 "\xe2\x82\xac"     /* euro sign */
#define U4 "\xf0\x9f\x98\x80" /* grinning face */

/* ---- names ---- */

struct action_case {
	const char *label;
	const char *word;
	int want_rc;
	enum pcl_action want;
};

static const struct action_case action_cases[] = {
    {"accept", "accept", 0, PCL_ACT_ACCEPT},
    {"tag", "tag", 0, PCL_ACT_TAG},
    {"quarantine", "quarantine", 0, PCL_ACT_QUARANTINE},
    {"discard", "discard", 0, PCL_ACT_DISCARD},
    {"tempfail", "tempfail", 0, PCL_ACT_TEMPFAIL},
    {"reject", "reject", 0, PCL_ACT_REJECT},
    {"upper case", "REJECT", 0, PCL_ACT_REJECT},
    {"mixed case", "TempFail", 0, PCL_ACT_TEMPFAIL},
    {"empty", "", -1, 0},
    {"prefix", "rej", -1, 0},
    {"longer", "rejected", -1, 0},
    {"postfix word", "defer", -1, 0},
    {"space", " reject", -1, 0},
};

/* test_action_parse - one row of action_cases */
START_TEST(test_action_parse)
{
	const struct action_case *c = &action_cases[_i];
	enum pcl_action got = (enum pcl_action)99;
	int rc = pcl_action_parse(c->word, &got);

	ck_assert_msg(rc == c->want_rc, "%s: got %d, want %d", c->label, rc,
	              c->want_rc);
	if (rc == 0)
		ck_assert_msg(got == c->want, "%s: got %s, want %s", c->label,
		              pcl_action_name(got), pcl_action_name(c->want));
}
END_TEST

/* test_action_round_trip - name then parse gives every action back */
START_TEST(test_action_round_trip)
{
	for (int a = PCL_ACT_ACCEPT; a <= PCL_ACT_REJECT; a++) {
		const char *name = pcl_action_name((enum pcl_action)a);
		enum pcl_action got;

		ck_assert_msg(strcmp(name, "?") != 0, "action %d: got \"?\"",
		              a);
		ck_assert_msg(pcl_action_parse(name, &got) == 0 &&
		                  (int)got == a,
		              "action %d (%s): got no round trip", a, name);
	}
	ck_assert_msg(strcmp(pcl_action_name((enum pcl_action)99), "?") == 0,
	              "action 99: got \"%s\", want \"?\"",
	              pcl_action_name((enum pcl_action)99));
	ck_assert_msg(strcmp(pcl_action_name((enum pcl_action) - 1), "?") == 0,
	              "action -1: got \"%s\", want \"?\"",
	              pcl_action_name((enum pcl_action) - 1));
}
END_TEST

struct onerr_case {
	const char *label;
	const char *word;
	int want_rc;
	enum pcl_on_error want;
	enum pcl_action want_action;
};

static const struct onerr_case onerr_cases[] = {
    {"accept", "accept", 0, PCL_ONERR_ACCEPT, PCL_ACT_ACCEPT},
    {"tempfail", "tempfail", 0, PCL_ONERR_TEMPFAIL, PCL_ACT_TEMPFAIL},
    {"reject", "reject", 0, PCL_ONERR_REJECT, PCL_ACT_REJECT},
    {"upper case", "TEMPFAIL", 0, PCL_ONERR_TEMPFAIL, PCL_ACT_TEMPFAIL},
    {"tag is no on_error", "tag", -1, 0, 0},
    {"discard is no on_error", "discard", -1, 0, 0},
    {"empty", "", -1, 0, 0},
};

/* test_on_error - one row of onerr_cases, and its action */
START_TEST(test_on_error)
{
	const struct onerr_case *c = &onerr_cases[_i];
	enum pcl_on_error got = (enum pcl_on_error)99;
	int rc = pcl_on_error_parse(c->word, &got);

	ck_assert_msg(rc == c->want_rc, "%s: got %d, want %d", c->label, rc,
	              c->want_rc);
	if (rc != 0)
		return;
	ck_assert_msg(got == c->want, "%s: got %s, want %s", c->label,
	              pcl_on_error_name(got), pcl_on_error_name(c->want));
	ck_assert_msg(pcl_on_error_action(got) == c->want_action,
	              "%s: got action %s, want %s", c->label,
	              pcl_action_name(pcl_on_error_action(got)),
	              pcl_action_name(c->want_action));
}
END_TEST

/* test_on_error_round_trip - name then parse gives each value back */
START_TEST(test_on_error_round_trip)
{
	for (int e = PCL_ONERR_ACCEPT; e <= PCL_ONERR_REJECT; e++) {
		const char *name = pcl_on_error_name((enum pcl_on_error)e);
		enum pcl_on_error got;

		ck_assert_msg(strcmp(name, "?") != 0, "on_error %d: got \"?\"",
		              e);
		ck_assert_msg(pcl_on_error_parse(name, &got) == 0 &&
		                  (int)got == e,
		              "on_error %d (%s): got no round trip", e, name);
	}
	ck_assert_msg(strcmp(pcl_on_error_name((enum pcl_on_error)99), "?") ==
	                  0,
	              "on_error 99: got \"%s\", want \"?\"",
	              pcl_on_error_name((enum pcl_on_error)99));
}
END_TEST

struct stage_case {
	const char *label;
	int stage;
	const char *want;
};

static const struct stage_case stage_cases[] = {
    {"connect", PCL_STAGE_CONNECT, "connect"},
    {"helo", PCL_STAGE_HELO, "helo"},
    {"mail", PCL_STAGE_MAIL, "mail"},
    {"rcpt", PCL_STAGE_RCPT, "rcpt"},
    {"data", PCL_STAGE_DATA, "data"},
    {"out of range", 99, "?"},
    {"negative", -1, "?"},
};

/* test_stage_name - one row of stage_cases */
START_TEST(test_stage_name)
{
	const struct stage_case *c = &stage_cases[_i];
	const char *got = pcl_stage_name((enum pcl_stage)c->stage);

	ck_assert_msg(strcmp(got, c->want) == 0, "%s: got %s, want %s",
	              c->label, got, c->want);
}
END_TEST

/* ---- replies ---- */

struct parse_case {
	const char *label;
	const char *spec;
	int want_rc;
	int want_code;
	const char *want_enhanced;
	const char *want_text;
	const char *want_err; /* substring, for want_rc -1 */
};

#define NONE 0, NULL /* code and enhanced of an error row */
static const struct parse_case parse_cases[] = {
    {"full", "550 5.7.1 text here", 0, 550, "5.7.1", "text here", NULL},
    {"no enhanced code", "550 text", 0, 550, "", "text", NULL},
    {"text only", "text", 0, 0, "", "text", NULL},
    {"empty", "", 0, 0, "", "", NULL},
    {"code only", "450", 0, 450, "", "", NULL},
    {"code and enhanced only", "421 4.3.2", 0, 421, "4.3.2", "", NULL},
    {"leading white space", "  550 5.7.1 x", 0, 550, "5.7.1", "x", NULL},
    {"tabs between", "550\t5.7.1\tx", 0, 550, "5.7.1", "x", NULL},
    {"many spaces", "550   5.7.1   x y", 0, 550, "5.7.1", "x y", NULL},
    {"lowest code", "400 x", 0, 400, "", "x", NULL},
    {"highest code", "599 x", 0, 599, "", "x", NULL},
    {"three-digit parts", "554 5.123.456 x", 0, 554, "5.123.456", "x", NULL},
    {"four-digit part is text", "550 5.7.1234 x", 0, 550, "", "5.7.1234 x",
     NULL},
    {"enhanced glued to text", "550 5.7.1x", 0, 550, "", "5.7.1x", NULL},
    {"enhanced without code is text", "5.7.1 x", 0, 0, "", "5.7.1 x", NULL},
    {"four digits is text", "5501 x", 0, 0, "", "5501 x", NULL},
    {"code glued to text", "550text", 0, 0, "", "550text", NULL},
    {"8-bit text",
     "550 5.7.1 Gr" U2 "\xc3\x9f"
     "e",
     0, 550, "5.7.1",
     "Gr" U2 "\xc3\x9f"
     "e",
     NULL},
    {"$ variables kept", "550 5.7.1 <$helo_name>", 0, 550, "5.7.1",
     "<$helo_name>", NULL},
    {"longest text", "550 5.7.1 " A399, 0, 550, "5.7.1", A399, NULL},
    {"longest text alone", A399, 0, 0, "", A399, NULL},

    {"class 4 with 5xx", "550 4.7.1 x", -1, NONE, NULL, "does not match"},
    {"class 5 with 4xx", "450 5.7.1 x", -1, NONE, NULL, "does not match"},
    {"class 2 with 5xx", "550 2.0.0 x", -1, NONE, NULL, "does not match"},
    {"code 399", "399 x", -1, NONE, NULL, "not 4xx or 5xx"},
    {"code 600", "600 x", -1, NONE, NULL, "not 4xx or 5xx"},
    {"code 250", "250 ok", -1, NONE, NULL, "not 4xx or 5xx"},
    {"code 000", "000", -1, NONE, NULL, "not 4xx or 5xx"},
    {"CR", "550 5.7.1 a\rb", -1, NONE, NULL, "control character"},
    {"LF", "550 a\nb", -1, NONE, NULL, "control character"},
    {"LF in text only", "text\n", -1, NONE, NULL, "control character"},
    {"escape", "550 \x1b[31mred", -1, NONE, NULL, "control character"},
    {"SOH", "\x01", -1, NONE, NULL, "control character"},
    {"DEL", "550 a\x7f", -1, NONE, NULL, "control character"},
    {"text too long", "550 5.7.1 " A400, -1, NONE, NULL, "longer than"},
    {"text alone too long", A400, -1, NONE, NULL, "longer than"},
};

/* test_reply_parse - one row of parse_cases */
START_TEST(test_reply_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct pcl_reply r;
	char err[PCL_ERR_MAX] = "";
	int rc = pcl_reply_parse(c->spec, &r, err, sizeof(err));

	ck_assert_msg(rc == c->want_rc, "%s: got %d (%s), want %d", c->label,
	              rc, err, c->want_rc);
	if (rc < 0) {
		ck_assert_msg(strstr(err, c->want_err) != NULL,
		              "%s: got error \"%s\", want one with \"%s\"",
		              c->label, err, c->want_err);
		return;
	}
	ck_assert_msg(r.code == c->want_code, "%s: got code %d, want %d",
	              c->label, r.code, c->want_code);
	ck_assert_msg(strcmp(r.enhanced, c->want_enhanced) == 0,
	              "%s: got enhanced \"%s\", want \"%s\"", c->label,
	              r.enhanced, c->want_enhanced);
	ck_assert_msg(strcmp(r.text, c->want_text) == 0,
	              "%s: got text \"%s\", want \"%s\"", c->label, r.text,
	              c->want_text);
}
END_TEST

#define REJ PCL_ACT_REJECT
#define TMP PCL_ACT_TEMPFAIL
#define REJ_TEXT "Command rejected"
#define TMP_TEXT "Service unavailable - try again later"

struct set_case {
	const char *label;
	enum pcl_action action;
	int code;
	const char *enhanced;
	const char *text;
	int want_code;
	const char *want_enhanced;
	const char *want_text;
};

static const struct set_case set_cases[] = {
    /* defaults */
    {"reject defaults", REJ, 0, NULL, NULL, 550, "5.7.1", REJ_TEXT},
    {"tempfail defaults", TMP, 0, NULL, NULL, 451, "4.7.1", TMP_TEXT},
    {"empty strings take defaults", REJ, 0, "", "", 550, "5.7.1", REJ_TEXT},
    {"tempfail empty strings", TMP, 0, "", "", 451, "4.7.1", TMP_TEXT},
    {"only text given", REJ, 0, NULL, "go away", 550, "5.7.1", "go away"},
    {"only code given", REJ, 554, NULL, NULL, 554, "5.7.1", REJ_TEXT},
    {"code 399 is no code", REJ, 399, NULL, "x", 550, "5.7.1", "x"},
    {"code 600 is no code", TMP, 600, NULL, "x", 451, "4.7.1", "x"},
    {"code 250 is no code", REJ, 250, "5.1.1", "x", 550, "5.1.1", "x"},

    /* kept as given */
    {"reject kept", REJ, 554, "5.7.0", "go away", 554, "5.7.0", "go away"},
    {"tempfail kept", TMP, 421, "4.3.2", "later", 421, "4.3.2", "later"},

    /* class follows the action */
    {"tempfail 550 to 450", TMP, 550, "5.7.1", "x", 450, "4.7.1", "x"},
    {"tempfail 554 to 454", TMP, 554, "5.1.8", "x", 454, "4.1.8", "x"},
    {"reject 451 to 551", REJ, 451, "4.3.0", "x", 551, "5.3.0", "x"},
    {"reject 421 to 521, default enhanced", REJ, 421, NULL, "x", 521, "5.7.1",
     "x"},
    {"enhanced follows with default code", TMP, 0, "5.1.1", "x", 451, "4.1.1",
     "x"},
    {"enhanced follows a right code", REJ, 550, "4.2.2", "x", 550, "5.2.2",
     "x"},
    {"three-digit parts kept", TMP, 550, "5.123.456", "x", 450, "4.123.456",
     "x"},

    /* other actions carry no reply */
    {"accept", PCL_ACT_ACCEPT, 550, "5.7.1", "x", 0, "", ""},
    {"tag", PCL_ACT_TAG, 550, "5.7.1", "x", 0, "", ""},
    {"quarantine", PCL_ACT_QUARANTINE, 550, "5.7.1", "x", 0, "", ""},
    {"discard", PCL_ACT_DISCARD, 550, "5.7.1", "x", 0, "", ""},

    /* text cleaning */
    {"CR LF", REJ, 550, NULL, "a\r\nb", 550, "5.7.1",
     "a?"
     "?b"},
    {"tab", REJ, 550, NULL, "a\tb", 550, "5.7.1", "a?b"},
    {"SOH and DEL", REJ, 550, NULL, "\x01x\x7f", 550, "5.7.1", "?x?"},
    {"8-bit kept", REJ, 550, NULL,
     "Gr" U2 "\xc3\x9f"
     "e",
     550, "5.7.1",
     "Gr" U2 "\xc3\x9f"
     "e"},
    {"% kept", REJ, 550, NULL, "100%", 550, "5.7.1", "100%"},

    /* length: at most PCL_REPLY_TEXT_MAX - 1 bytes, whole characters */
    {"399 fits", REJ, 550, NULL, A399, 550, "5.7.1", A399},
    {"400 cut to 399", REJ, 550, NULL, A400, 550, "5.7.1", A399},
    {"2-byte char fits", REJ, 550, NULL, A397 U2 "b", 550, "5.7.1", A397 U2},
    {"2-byte char across the cut", REJ, 550, NULL, A398 U2, 550, "5.7.1", A398},
    {"3-byte char fits", REJ, 550, NULL, A396 U3 "b", 550, "5.7.1", A396 U3},
    {"3-byte char across the cut", REJ, 550, NULL, A397 U3, 550, "5.7.1", A397},
    {"3-byte char, 1 byte over", REJ, 550, NULL, A398 U3, 550, "5.7.1", A398},
    {"4-byte char across the cut", REJ, 550, NULL, A396 U4, 550, "5.7.1", A396},
    {"4-byte char fits", REJ, 550, NULL, A395 U4 "b", 550, "5.7.1", A395 U4},
};

/* test_reply_set - one row of set_cases */
START_TEST(test_reply_set)
{
	const struct set_case *c = &set_cases[_i];
	struct pcl_reply r;

	memset(&r, 'X', sizeof(r));
	pcl_reply_set(&r, c->action, c->code, c->enhanced, c->text);
	ck_assert_msg(r.code == c->want_code, "%s: got code %d, want %d",
	              c->label, r.code, c->want_code);
	ck_assert_msg(strcmp(r.enhanced, c->want_enhanced) == 0,
	              "%s: got enhanced \"%s\", want \"%s\"", c->label,
	              r.enhanced, c->want_enhanced);
	ck_assert_msg(strcmp(r.text, c->want_text) == 0,
	              "%s: got text \"%s\" (%zu bytes), want \"%s\" (%zu)",
	              c->label, r.text, strlen(r.text), c->want_text,
	              strlen(c->want_text));
}
END_TEST

struct format_case {
	const char *label;
	struct pcl_reply r;
	size_t len;
	const char *want;
};

static const struct format_case format_cases[] = {
    {"full", {550, "5.7.1", "go away"}, 64, "550 5.7.1 go away"},
    {"no enhanced", {450, "", "later"}, 64, "450 later"},
    {"no code", {0, "", "just text"}, 64, "just text"},
    {"cut", {550, "5.7.1", "go away"}, 10, "550 5.7.1"},
};

/* test_reply_format - one row of format_cases */
START_TEST(test_reply_format)
{
	const struct format_case *c = &format_cases[_i];
	char buf[64];

	pcl_reply_format(&c->r, buf, c->len);
	ck_assert_msg(strcmp(buf, c->want) == 0, "%s: got \"%s\", want \"%s\"",
	              c->label, buf, c->want);
}
END_TEST

struct milter_case {
	const char *label;
	const char *text;
	size_t len;
	bool want_ok;
	const char *want; /* NULL: buf untouched */
};

static const struct milter_case milter_cases[] = {
    {"no %", "abc", 64, true, "abc"},
    {"one %", "100% sure", 64, true, "100%% sure"},
    {"only %", "%%", 64, true, "%%%%"},
    {"empty", "", 64, true, ""},
    {"exact fit", "abc", 4, true, "abc"},
    {"one byte short", "abc", 3, false, "ab"},
    {"% exact fit", "a%", 4, true, "a%%"},
    /* never half an escape: a lone '%' would be a format directive */
    {"% one byte short", "a%", 3, false, "a"},
    {"% two bytes short", "a%", 2, false, "a"},
    {"% then text, cut", "%ab", 4, false, "%%a"},
    {"len 1", "a", 1, false, ""},
    {"len 1, empty", "", 1, true, ""},
    {"len 0", "a", 0, false, NULL},
};

/* test_milter_text - one row of milter_cases */
START_TEST(test_milter_text)
{
	const struct milter_case *c = &milter_cases[_i];
	struct pcl_reply r = {550, "5.7.1", ""};
	char buf[72];
	bool ok;

	pcl_copy(r.text, sizeof(r.text), c->text);
	memset(buf, 'X', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	ok = pcl_reply_milter_text(&r, buf, c->len);
	ck_assert_msg(ok == c->want_ok, "%s: got %s, want %s", c->label,
	              ok ? "true" : "false", c->want_ok ? "true" : "false");
	if (c->want == NULL)
		ck_assert_msg(buf[0] == 'X',
		              "%s: got \"%.8s\", want buf untouched", c->label,
		              buf);
	else
		ck_assert_msg(strcmp(buf, c->want) == 0,
		              "%s: got \"%s\", want \"%s\"", c->label, buf,
		              c->want);
	for (size_t i = c->len; i < sizeof(buf) - 1; i++)
		ck_assert_msg(buf[i] == 'X',
		              "%s: got byte %zu written, want nothing at or "
		              "past len %zu",
		              c->label, i, c->len);
}
END_TEST

/* test_milter_text_all_percent - the longest text, all '%' */
START_TEST(test_milter_text_all_percent)
{
	struct pcl_reply r = {550, "5.7.1", ""};
	char buf[2 * PCL_REPLY_TEXT_MAX];
	size_t n = PCL_REPLY_TEXT_MAX - 1;
	bool ok;

	memset(r.text, '%', n);
	r.text[n] = '\0';
	ok = pcl_reply_milter_text(&r, buf, 2 * n + 1);
	ck_assert_msg(ok && strlen(buf) == 2 * n,
	              "all %%, fits: got %s and %zu bytes, want true and %zu",
	              ok ? "true" : "false", strlen(buf), 2 * n);
	ok = pcl_reply_milter_text(&r, buf, 2 * n);
	ck_assert_msg(!ok && strlen(buf) == 2 * n - 2,
	              "all %%, 1 short: got %s and %zu bytes, want false and "
	              "%zu",
	              ok ? "true" : "false", strlen(buf), 2 * n - 2);
}
END_TEST

/* ---- order ---- */

/* test_action_rank - weakest to strongest, strictly increasing */
START_TEST(test_action_rank)
{
	static const enum pcl_action order[] = {
	    PCL_ACT_ACCEPT,  PCL_ACT_TAG,      PCL_ACT_QUARANTINE,
	    PCL_ACT_DISCARD, PCL_ACT_TEMPFAIL, PCL_ACT_REJECT,
	};

	for (int i = 0; i < COUNT(order); i++)
		for (int j = i + 1; j < COUNT(order); j++)
			ck_assert_msg(pcl_action_rank(order[i]) <
			                  pcl_action_rank(order[j]),
			              "%s < %s: got rank %d >= %d",
			              pcl_action_name(order[i]),
			              pcl_action_name(order[j]),
			              pcl_action_rank(order[i]),
			              pcl_action_rank(order[j]));
}
END_TEST

struct stronger_case {
	const char *label;
	enum pcl_action a;
	const char *a_check;
	enum pcl_action b; /* the earlier finding */
	const char *b_check;
	bool want;
};

static const struct stronger_case stronger_cases[] = {
    {"reject over tempfail", REJ, "helo_invalid", TMP, "client_access", true},
    {"tempfail under reject", TMP, "helo_invalid", REJ, "client_access", false},
    {"tempfail over discard", TMP, "x", PCL_ACT_DISCARD, "y", true},
    {"discard over quarantine", PCL_ACT_DISCARD, "x", PCL_ACT_QUARANTINE, "y",
     true},
    {"quarantine under discard", PCL_ACT_QUARANTINE, "x", PCL_ACT_DISCARD, "y",
     false},
    {"quarantine over tag", PCL_ACT_QUARANTINE, "x", PCL_ACT_TAG, "y", true},
    {"tag over accept", PCL_ACT_TAG, "x", PCL_ACT_ACCEPT, "y", true},
    {"accept under tag", PCL_ACT_ACCEPT, "x", PCL_ACT_TAG, "y", false},
    /* ties: the earlier finding (b) stays */
    {"tie reject", REJ, "helo_invalid", REJ, "client_access", false},
    {"tie same check", REJ, "helo_invalid", REJ, "helo_invalid", false},
    {"tie tempfail", TMP, "x", TMP, "y", false},
    {"tie accept", PCL_ACT_ACCEPT, "x", PCL_ACT_ACCEPT, "y", false},
    {"tie tag", PCL_ACT_TAG, "x", PCL_ACT_TAG, "y", false},
};

/* test_finding_stronger - one row of stronger_cases */
START_TEST(test_finding_stronger)
{
	const struct stronger_case *c = &stronger_cases[_i];
	struct pcl_finding a, b;
	bool got;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	pcl_copy(a.check, sizeof(a.check), c->a_check);
	pcl_copy(b.check, sizeof(b.check), c->b_check);
	a.action = c->a;
	b.action = c->b;
	pcl_reply_set(&a.reply, a.action, 0, NULL, NULL);
	pcl_reply_set(&b.reply, b.action, 0, NULL, NULL);
	got = pcl_finding_stronger(&a, &b);
	ck_assert_msg(got == c->want, "%s: got %s, want %s", c->label,
	              got ? "true" : "false", c->want ? "true" : "false");
}
END_TEST

/* policy_suite - every test of the policy module */
static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tn = tcase_create("names");
	TCase *tr = tcase_create("reply");
	TCase *to = tcase_create("order");

	tcase_add_loop_test(tn, test_action_parse, 0, COUNT(action_cases));
	tcase_add_test(tn, test_action_round_trip);
	tcase_add_loop_test(tn, test_on_error, 0, COUNT(onerr_cases));
	tcase_add_test(tn, test_on_error_round_trip);
	tcase_add_loop_test(tn, test_stage_name, 0, COUNT(stage_cases));
	tcase_add_loop_test(tr, test_reply_parse, 0, COUNT(parse_cases));
	tcase_add_loop_test(tr, test_reply_set, 0, COUNT(set_cases));
	tcase_add_loop_test(tr, test_reply_format, 0, COUNT(format_cases));
	tcase_add_loop_test(tr, test_milter_text, 0, COUNT(milter_cases));
	tcase_add_test(tr, test_milter_text_all_percent);
	tcase_add_test(to, test_action_rank);
	tcase_add_loop_test(to, test_finding_stronger, 0,
	                    COUNT(stronger_cases));
	suite_add_tcase(s, tn);
	suite_add_tcase(s, tr);
	suite_add_tcase(s, to);
	return s;
}

/* main - run the suite; exit status is the verdict */
int
main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
