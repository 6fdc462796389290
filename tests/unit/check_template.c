/*
 * check_template - unit tests for lib/core/template.c
 *
 * Two tables: templates checked against a variable list (known and
 * unknown names, "$$", bad syntax, the name length limit), and
 * templates expanded with a fixed set of values (missing values,
 * control characters, truncation at exact boundaries).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "util.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Names at the length limit (PCL_TEMPLATE_NAME_MAX is 32) and past it. */
#define N10 "abcdefghij"
#define NAME32 N10 N10 N10 "ab"
#define NAME33 N10 N10 N10 "abc"

/* A list with a name of the longest allowed length. */
static const char *const long_vars[] = {"helo_name", NAME32, NAME33, NULL};

#define SESSION pcl_template_vars_session
#define LONG long_vars

struct check_case {
	const char *label;
	const char *tpl;
	const char *const *vars;
	int want_rc;
	const char *want_err; /* substring of err; NULL when rc is 0 */
};

static const struct check_case check_cases[] = {
    /* fine */
    {"empty", "", SESSION, 0, NULL},
    {"no variables", "550 5.7.1 plain text", SESSION, 0, NULL},
    {"$name", "<$helo_name>", SESSION, 0, NULL},
    {"${name}", "${client_address}x", SESSION, 0, NULL},
    {"name then dot", "$helo_name.", SESSION, 0, NULL},
    {"adjacent", "$client_address$helo_name", SESSION, 0, NULL},
    {"every session variable",
     "$client_address $client_name $helo_name $sender $recipient "
     "$myhostname $check",
     SESSION, 0, NULL},
    {"$$", "costs $$5", SESSION, 0, NULL},
    {"$$ at end", "costs $$", SESSION, 0, NULL},
    {"$$ before a name is literal", "$$nosuch", SESSION, 0, NULL},
    {"$$$name", "$$$helo_name", SESSION, 0, NULL},
    {"name of 32", "$" NAME32, LONG, 0, NULL},
    {"conditional ?", "x${sender?; from $sender}", SESSION, 0, NULL},
    {"conditional :", "x${sender:no sender}", SESSION, 0, NULL},
    {"conditional nests braces", "${sender?{${helo_name}}}", SESSION, 0, NULL},
    {"unknown inside conditional", "${sender?$nosuch}", SESSION, -1,
     "unknown variable $nosuch"},
    {"unknown condition", "${nosuch?x}", SESSION, -1,
     "unknown variable $nosuch"},
    {"unclosed conditional", "${sender?x", SESSION, -1,
     "bad $variable syntax"},
    {"braced name of 32", "${" NAME32 "}", LONG, 0, NULL},

    /* unknown */
    {"unknown", "$nosuch", SESSION, -1, "unknown variable $nosuch"},
    {"unknown braced", "${nosuch}", SESSION, -1, "unknown variable $nosuch"},
    {"unknown after known", "$helo_name $nosuch", SESSION, -1,
     "unknown variable $nosuch"},
    {"case matters", "$HELO_NAME", SESSION, -1, "unknown variable $HELO_NAME"},
    {"digit name", "$1", SESSION, -1, "unknown variable $1"},
    {"longer than a known name", "$helo_namex", SESSION, -1,
     "unknown variable $helo_namex"},
    {"not in this list", "$sender", LONG, -1, "unknown variable $sender"},

    /* syntax */
    {"lone $", "$", SESSION, -1, "bad $variable syntax"},
    {"$ at end", "text $", SESSION, -1, "bad $variable syntax"},
    {"$ space", "$ x", SESSION, -1, "bad $variable syntax"},
    {"$ punctuation", "$-x", SESSION, -1, "bad $variable syntax"},
    {"odd $ count", "$$$", SESSION, -1, "bad $variable syntax"},
    {"unclosed brace", "${helo_name", SESSION, -1, "bad $variable syntax"},
    {"unclosed brace at end", "${", SESSION, -1, "bad $variable syntax"},
    {"empty braces", "${}", SESSION, -1, "bad $variable syntax"},
    {"bad char in braces", "${helo-name}", SESSION, -1, "bad $variable syntax"},
    {"space in braces", "${ helo_name }", SESSION, -1, "bad $variable syntax"},
    {"name of 33", "$" NAME33, LONG, -1, "bad $variable syntax"},
    {"braced name of 33", "${" NAME33 "}", LONG, -1, "bad $variable syntax"},
};

/* test_check - one row of check_cases */
START_TEST(test_check)
{
	const struct check_case *c = &check_cases[_i];
	char err[PCL_ERR_MAX] = "";
	int rc = pcl_template_check(c->tpl, c->vars, err, sizeof(err));

	ck_assert_msg(rc == c->want_rc, "%s: got %d (%s), want %d", c->label,
	              rc, err, c->want_rc);
	if (c->want_err)
		ck_assert_msg(strstr(err, c->want_err) != NULL,
		              "%s: got error \"%s\", want one with \"%s\"",
		              c->label, err, c->want_err);
}
END_TEST

/* test_check_session_vars - each session variable, both forms */
START_TEST(test_check_session_vars)
{
	for (size_t i = 0; pcl_template_vars_session[i]; i++) {
		const char *v = pcl_template_vars_session[i];
		char tpl[PCL_TEMPLATE_NAME_MAX + 8];
		char err[PCL_ERR_MAX] = "";
		int rc;

		ck_assert_msg(strlen(v) <= PCL_TEMPLATE_NAME_MAX,
		              "%s: got length %zu, want <= %d", v, strlen(v),
		              PCL_TEMPLATE_NAME_MAX);
		ck_assert(pcl_format(tpl, sizeof(tpl), "$%s", v));
		rc = pcl_template_check(tpl, SESSION, err, sizeof(err));
		ck_assert_msg(rc == 0, "%s: got %d (%s), want 0", tpl, rc, err);
		ck_assert(pcl_format(tpl, sizeof(tpl), "${%s}", v));
		rc = pcl_template_check(tpl, SESSION, err, sizeof(err));
		ck_assert_msg(rc == 0, "%s: got %d (%s), want 0", tpl, rc, err);
	}
}
END_TEST

/* The values expansion sees; a name not listed has no value (NULL). */
static const struct {
	const char *name;
	const char *value;
} values[] = {
    {"helo_name", "mx.example.org"},
    {"client_address", "192.0.2.1"},
    {"sender", ""},
    {"client_name", "bad\r\nname\x01\x7f"},
    {"check", "gr\xc3\xbc\xc3\x9f"},
    {"dollar", "$x"},
    {NAME32, "long"},
};

/* lookup - a pcl_template_lookup_fn over values[]; counts its calls */
static const char *
lookup(const char *name, void *ctx)
{
	int *calls = ctx;

	(*calls)++;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (strcmp(values[i].name, name) == 0)
			return values[i].value;
	return NULL;
}

#define BUF 64

struct expand_case {
	const char *label;
	const char *tpl;
	size_t len;
	bool want_ok;
	const char *want; /* NULL: buf untouched */
};

static const struct expand_case expand_cases[] = {
    {"plain", "hello", BUF, true, "hello"},
    {"empty", "", BUF, true, ""},
    {"$name", "<$helo_name>", BUF, true, "<mx.example.org>"},
    {"${name}", "${helo_name}x", BUF, true, "mx.example.orgx"},
    {"adjacent", "$client_address$helo_name", BUF, true,
     "192.0.2.1mx.example.org"},
    {"twice", "$helo_name/$helo_name", BUF, true,
     "mx.example.org/mx.example.org"},
    {"$$", "costs $$5", BUF, true, "costs $5"},
    {"$$$name", "$$$helo_name", BUF, true, "$mx.example.org"},
    {"$$ before a name", "$$helo_name", BUF, true, "$helo_name"},
    {"name of 32", "$" NAME32 "!", BUF, true, "long!"},
    {"value not expanded again", "[$dollar]", BUF, true, "[$x]"},
    {"missing value", "[$recipient]", BUF, true, "[]"},
    {"? with value", "a${helo_name?; $helo_name}", BUF, true,
     "a; mx.example.org"},
    {"? without value", "a${recipient?; $recipient}", BUF, true, "a"},
    {": with value", "a${helo_name:none}", BUF, true, "a"},
    {": without value", "a${recipient:none}", BUF, true, "anone"},
    {": with empty value", "a${sender:none}", BUF, true, "anone"},
    {"nested conditionals", "${helo_name?[${recipient:-}]}", BUF, true,
     "[-]"},
    {"empty value", "[${sender}]", BUF, true, "[]"},
    {"control characters in value", "<$client_name>", BUF, true,
     "<bad?"
     "?name?"
     "?>"},
    {"control characters in template", "a\tb\x1b", BUF, true, "a?b?"},
    {"8-bit value kept", "$check", BUF, true, "gr\xc3\xbc\xc3\x9f"},
    /* checked at load, so only for robustness: copied as is */
    {"lone $", "costs $ 5", BUF, true, "costs $ 5"},
    {"unclosed brace", "${helo_name", BUF, true, "${helo_name"},

    /* truncation */
    {"exact fit", "abc", 4, true, "abc"},
    {"one byte short", "abc", 3, false, "ab"},
    {"value exact fit", "<$helo_name>", 17, true, "<mx.example.org>"},
    {"value one byte short", "<$helo_name>", 16, false, "<mx.example.org"},
    {"cut inside a value", "<$helo_name>", 6, false, "<mx.e"},
    {"cut before a value", "abc$helo_name", 4, false, "abc"},
    {"$$ exact fit", "ab$$", 4, true, "ab$"},
    {"$$ one byte short", "ab$$", 3, false, "ab"},
    {"len 1", "x", 1, false, ""},
    {"len 1, empty", "", 1, true, ""},
    {"len 1, empty value", "$sender", 1, true, ""},
    {"len 0", "x", 0, false, NULL},
};

/* test_expand - one row of expand_cases */
START_TEST(test_expand)
{
	const struct expand_case *c = &expand_cases[_i];
	char buf[BUF + 8];
	int calls = 0;
	bool ok;

	memset(buf, 'X', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	ok = pcl_template_expand(c->tpl, lookup, &calls, buf, c->len);
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

/* test_expand_no_lookup_for_dollar - "$$" asks for no value */
START_TEST(test_expand_no_lookup_for_dollar)
{
	char buf[BUF];
	int calls = 0;

	ck_assert(
	    pcl_template_expand("$$ and $$", lookup, &calls, buf, sizeof(buf)));
	ck_assert_msg(calls == 0, "$$: got %d lookups, want 0", calls);
	ck_assert(pcl_template_expand("$helo_name ${sender}", lookup, &calls,
	                              buf, sizeof(buf)));
	ck_assert_msg(calls == 2, "two names: got %d lookups, want 2", calls);
}
END_TEST

/* template_suite - every test of the template module */
static Suite *
template_suite(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("check");
	TCase *te = tcase_create("expand");

	tcase_add_loop_test(tc, test_check, 0, COUNT(check_cases));
	tcase_add_test(tc, test_check_session_vars);
	tcase_add_loop_test(te, test_expand, 0, COUNT(expand_cases));
	tcase_add_test(te, test_expand_no_lookup_for_dollar);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, te);
	return s;
}

/* main - run the suite; exit status is the verdict */
int
main(void)
{
	SRunner *sr = srunner_create(template_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
