/*
 * check_authres - Authentication-Results headers, checked by parsing
 * them back (RFC 8601 §2.2 grammar, the parts this module writes)
 * rather than by comparing strings alone
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "util.h"

/* What the parser found. */
struct parsed {
	char id[128];
	int n;
	char method[8][16], result[8][16], props[8][512];
};

/* skip - white space (LF, tab included) and comments */
static const char *
skip(const char *p)
{
	for (;;) {
		int depth = 0;

		while (isspace((unsigned char)*p))
			p++;
		if (*p != '(')
			return p;
		do {
			if (*p == '\\')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			p++;
		} while (*p && depth > 0);
		if (depth)
			return NULL;
	}
}

/* word - a token or quoted-string into out; NULL on a syntax error */
static const char *
word(const char *p, char *out, size_t len, const char *stop)
{
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0' || *p == '\n')
				return NULL;
			if (*p == '\\')
				p++;
			if (n + 1 < len)
				out[n++] = *p;
		}
		out[n] = '\0';
		return p + 1;
	}
	while (*p && !isspace((unsigned char)*p) && !strchr(stop, *p)) {
		if (strchr("()<>,;:\\\"[]?", *p) && !strchr("@", *p))
			return NULL;
		if (n + 1 < len)
			out[n++] = *p;
		p++;
	}
	out[n] = '\0';
	return n ? p : NULL;
}

/* parse - an A-R value into pr; false on any syntax error */
static bool
parse(const char *v, struct parsed *pr)
{
	const char *p = skip(v);

	memset(pr, 0, sizeof(*pr));
	if (p == NULL || (p = word(p, pr->id, sizeof(pr->id), ";")) == NULL)
		return false;
	p = skip(p);
	while (p && *p == ';') {
		char prop[256], val[256];

		p = skip(p + 1);
		if (p == NULL || pr->n == 8)
			return false;
		if (strncmp(p, "none", 4) == 0 && *skip(p + 4) == '\0')
			return pr->n == 0;
		p = word(p, pr->method[pr->n], 16, "=");
		if (p == NULL || *p++ != '=')
			return false;
		p = word(p, pr->result[pr->n], 16, ";");
		if (p == NULL)
			return false;
		p = skip(p);
		while (p && *p && *p != ';') {
			p = word(p, prop, sizeof(prop), "=");
			if (p == NULL || *p++ != '=' || strchr(prop, '.') == NULL)
				return false;
			p = word(p, val, sizeof(val), ";");
			if (p == NULL)
				return false;
			pcl_append(pr->props[pr->n], 512, "%s=%s ", prop, val);
			p = skip(p);
		}
		pr->n++;
	}
	return p != NULL && *p == '\0';
}

START_TEST(test_build_and_parse)
{
	struct pcl_authres ar;
	struct parsed pr;
	const char *v;

	pcl_authres_init(&ar, "mx.example.org");
	pcl_authres_add(&ar, "spf", "pass",
			"mx.example.org: domain of a@example.net designates "
			"192.0.2.1 as permitted sender",
			"smtp.mailfrom", "a@example.net", NULL);
	pcl_authres_add(&ar, "dkim", "pass", NULL, "header.d", "example.net",
			"header.s", "sel1", "header.a", "rsa-sha256",
			"header.b", "AbC+/12", NULL);
	pcl_authres_add(&ar, "dkim", "fail", "body hash mismatch (l=)",
			"header.d", "example.com", "header.s", "ed", NULL);
	pcl_authres_add(&ar, "spf", "none", NULL, "smtp.helo",
			"mail.example.net", NULL);
	v = pcl_authres_value(&ar);
	ck_assert_msg(v[0] == ' ', "value must keep a leading space");
	ck_assert_msg(strchr(v, '\r') == NULL, "folds must be bare LF");
	ck_assert_msg(parse(v, &pr), "does not parse: %s", v);
	ck_assert_str_eq(pr.id, "mx.example.org");
	ck_assert_int_eq(pr.n, 4);
	ck_assert_str_eq(pr.method[0], "spf");
	ck_assert_str_eq(pr.result[0], "pass");
	ck_assert_str_eq(pr.props[0], "smtp.mailfrom=a@example.net ");
	ck_assert_str_eq(pr.props[1], "header.d=example.net header.s=sel1 "
				      "header.a=rsa-sha256 header.b=AbC+/12 ");
	ck_assert_str_eq(pr.result[2], "fail");
	ck_assert_str_eq(pr.props[3], "smtp.helo=mail.example.net ");
}
END_TEST

/* Values that are not tokens are quoted and still parse back whole. */
static const struct {
	const char *label, *value;
} quoting[] = {
	{"space in local part", "\"john doe\"@example.net"},
	{"semicolon", "a;b@example.net"},
	{"quote and backslash", "x\"y\\z"},
	{"equals", "a=b"},
	{"parenthesis", "a(b)c"},
};

START_TEST(test_quoting)
{
	struct pcl_authres ar;
	struct parsed pr;
	char want[300];
	const char *v;

	pcl_authres_init(&ar, "mx.example.org");
	pcl_authres_add(&ar, "spf", "fail", "a (nested) comment \\ here",
			"smtp.mailfrom", quoting[_i].value, NULL);
	v = pcl_authres_value(&ar);
	ck_assert_msg(parse(v, &pr), "%s: does not parse: %s",
		      quoting[_i].label, v);
	pcl_format(want, sizeof(want), "smtp.mailfrom=%s ", quoting[_i].value);
	ck_assert_msg(strcmp(pr.props[0], want) == 0, "%s: got %s, want %s",
		      quoting[_i].label, pr.props[0], want);
}
END_TEST

START_TEST(test_none)
{
	struct pcl_authres ar;
	struct parsed pr;

	pcl_authres_init(&ar, "mx.example.org");
	ck_assert_str_eq(pcl_authres_value(&ar), " mx.example.org; none");
	ck_assert_str_eq(pcl_authres_value(&ar), " mx.example.org; none");
	ck_assert(parse(pcl_authres_value(&ar), &pr));
	ck_assert_int_eq(pr.n, 0);
}
END_TEST

/* A result that does not fit is left out whole. */
START_TEST(test_full)
{
	struct pcl_authres ar;
	struct parsed pr;
	char big[900];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	pcl_authres_init(&ar, "mx.example.org");
	for (int i = 0; i < 10; i++)
		pcl_authres_add(&ar, "dkim", "pass", NULL, "header.d", big,
				NULL);
	ck_assert(ar.cut);
	ck_assert(parse(pcl_authres_value(&ar), &pr));
	ck_assert_uint_lt(strlen(ar.value), PCL_AUTHRES_MAX);
}
END_TEST

static const struct {
	const char *label, *value;
	bool want;
} ours[] = {
	{"plain", " mx.example.org; spf=pass", true},
	{"case", " MX.Example.ORG; spf=pass", true},
	{"comment first", " (forged) mx.example.org; none", true},
	{"version", " mx.example.org 1; spf=pass", true},
	{"quoted", " \"mx.example.org\"; none", true},
	{"other host", " mx.example.org.evil; spf=pass", false},
	{"prefix", " mx.example.orgx; none", false},
	{"subdomain", " a.mx.example.org; none", false},
	{"empty", "", false},
};

START_TEST(test_is_ours)
{
	ck_assert_msg(pcl_authres_is_ours(ours[_i].value, "mx.example.org") ==
			      ours[_i].want,
		      "%s: got %d, want %d", ours[_i].label, !ours[_i].want,
		      ours[_i].want);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("authres");
	TCase *tc = tcase_create("authres");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_build_and_parse);
	tcase_add_loop_test(tc, test_quoting, 0,
			    sizeof(quoting) / sizeof(quoting[0]));
	tcase_add_test(tc, test_none);
	tcase_add_test(tc, test_full);
	tcase_add_loop_test(tc, test_is_ours, 0, sizeof(ours) / sizeof(ours[0]));
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
