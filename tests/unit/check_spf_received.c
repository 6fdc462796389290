/*
 * check_spf_received - the Received-SPF header (check_spf): built, then
 * parsed back into its parts, folded; and the result names
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf_suite.h"
#include "util.h"

/*
 * Received-SPF: built, then parsed back (RFC 7208 9.1: result, a
 * comment, key=value pairs with dot-atom or quoted-string values).
 */

struct pair {
	char key[32];
	char value[PCL_SPF_TEXT_MAX];
};

struct parsed {
	char result[16];
	char comment[1024];
	struct pair pairs[16];
	int npairs;
};

/* unfold - LF before white space removed (RFC 5322 2.2.3) */
static void
unfold(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in && n + 1 < len; in++) {
		if (in[0] == '\n' && (in[1] == '\t' || in[1] == ' '))
			continue;
		out[n++] = *in;
	}
	out[n] = '\0';
}

/* parse_received - a Received-SPF value into its parts; false when it
 * is not well formed */
static bool
parse_received(const char *value, struct parsed *p)
{
	char text[4096];
	const char *s = text;
	size_t n = 0;
	int depth = 0;

	memset(p, 0, sizeof(*p));
	unfold(value, text, sizeof(text));
	if (*s != ' ')
		return false; /* a milter header value starts with a space */
	while (*s == ' ' || *s == '\t')
		s++;
	while (*s >= 'a' && *s <= 'z' && n + 1 < sizeof(p->result))
		p->result[n++] = *s++;
	if (*s != ' ' && *s != '\t')
		return false;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '(')
		return false;
	n = 0;
	for (s++; *s && !(*s == ')' && depth == 0); s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')')
			depth--;
		if (n + 1 < sizeof(p->comment))
			p->comment[n++] = *s == '\t' ? ' ' : *s;
	}
	if (*s++ != ')')
		return false;
	for (;;) {
		struct pair *kv = &p->pairs[p->npairs];

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return true;
		if (p->npairs == N(p->pairs))
			return false;
		for (n = 0; *s && *s != '=' && n + 1 < sizeof(kv->key); n++)
			kv->key[n] = *s++;
		if (*s++ != '=')
			return false;
		n = 0;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\')
					s++;
				if (n + 1 < sizeof(kv->value))
					kv->value[n++] = *s;
			}
			if (*s++ != '"')
				return false;
		} else {
			while (*s && *s != ';' && *s != ' ' &&
			       n + 1 < sizeof(kv->value))
				kv->value[n++] = *s++;
		}
		if (*s++ != ';')
			return false;
		p->npairs++;
	}
}

/* pair_value - the value of key, or NULL */
static const char *
pair_value(const struct parsed *p, const char *key)
{
	for (int i = 0; i < p->npairs; i++)
		if (strcmp(p->pairs[i].key, key) == 0)
			return p->pairs[i].value;
	return NULL;
}

struct received_case {
	const char *label;
	const char *ip;
	const char *sender;
	const char *helo;
	const char *receiver;
	const char *identity;
	enum pcl_spf_result result;
	const char *mechanism;
	const char *problem;
	const char *want_comment;
	const char *want_pairs; /* "key=value|key=value", values unquoted */
};

static const struct received_case received_cases[] = {
    {"pass, RFC 7208 9.1", "192.0.2.1", "a@example.net", "mail.example.net",
     "mx.example.org", "mailfrom", PCL_SPF_PASS, "ip4:192.0.2.0/24", "",
     "mx.example.org: domain of a@example.net designates 192.0.2.1 as "
     "permitted sender",
     "client-ip=192.0.2.1|envelope-from=a@example.net|helo=mail.example."
     "net|receiver=mx.example.org|identity=mailfrom|mechanism=ip4:192.0.2."
     "0/24"},
    {"fail without receiver", "192.0.2.1", "a@example.net", "h.example.net",
     NULL, "mailfrom", PCL_SPF_FAIL, "-all", "",
     "domain of a@example.net does not designate 192.0.2.1 as permitted "
     "sender",
     "client-ip=192.0.2.1|envelope-from=a@example.net|helo=h.example.net|"
     "identity=mailfrom|mechanism=-all"},
    {"softfail", "192.0.2.1", "a@example.net", "h.example.net", "r.test",
     "mailfrom", PCL_SPF_SOFTFAIL, "~all", "",
     "r.test: domain of transitioning a@example.net does not designate "
     "192.0.2.1 as permitted sender",
     NULL},
    {"neutral", "192.0.2.1", "a@example.net", "h.example.net", "r.test",
     "mailfrom", PCL_SPF_NEUTRAL, "default", "",
     "r.test: 192.0.2.1 is neither permitted nor denied by domain of "
     "a@example.net",
     NULL},
    {"none, HELO identity, no mechanism", "192.0.2.1",
     "postmaster@h.example.net", "h.example.net", "r.test", "helo",
     PCL_SPF_NONE, "", "",
     "r.test: domain of postmaster@h.example.net does not designate "
     "permitted sender hosts",
     "client-ip=192.0.2.1|envelope-from=postmaster@h.example.net|helo=h."
     "example.net|receiver=r.test|identity=helo"},
    {"permerror with a quoted problem", "2001:db8::1", "a@example.net",
     "h.example.net", "r.test", "mailfrom", PCL_SPF_PERMERROR, "moo",
     "unknown mechanism: \"moo\" \\ (sic)",
     "r.test: permanent error in processing domain of a@example.net",
     "client-ip=2001:db8::1|envelope-from=a@example.net|helo=h.example.net|"
     "problem=unknown mechanism: \"moo\" \\ (sic)|receiver=r.test|identity="
     "mailfrom|mechanism=moo"},
    {"temperror", "192.0.2.1", "a@example.net", "h.example.net", "r.test",
     "mailfrom", PCL_SPF_TEMPERROR, "", "TXT lookup of example.net: timeout",
     "r.test: temporary error in processing during lookup of a@example.net",
     NULL},
    {"hostile HELO stays on its line", "192.0.2.1", "a@example.net",
     "evil\r\nX-Injected: yes", "r.test", "mailfrom", PCL_SPF_PASS, "a", "",
     NULL, "helo=evil??X-Injected: yes"},
    {"parentheses in the sender are quoted", "192.0.2.1", "a(b)@example.net",
     "h.example.net", NULL, "mailfrom", PCL_SPF_FAIL, "-all", "",
     "domain of a(b)@example.net does not designate 192.0.2.1 as "
     "permitted sender",
     "envelope-from=a(b)@example.net"},
};

/* test_received - build, check the folding, parse back, compare */
START_TEST(test_received)
{
	const struct received_case *tc = &received_cases[_i];
	struct pcl_spf_request req;
	struct pcl_spf_response resp;
	struct parsed p;
	char buf[2048];
	char want[1024];
	char *save = NULL;
	const char *line;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.ip = client(tc->ip, false);
	req.sender = tc->sender;
	req.domain = strrchr(tc->sender, '@') + 1;
	req.helo = tc->helo;
	req.receiver = tc->receiver;
	resp.result = tc->result;
	pcl_copy(resp.mechanism, sizeof(resp.mechanism), tc->mechanism);
	pcl_copy(resp.problem, sizeof(resp.problem), tc->problem);
	ck_assert_msg(
	    pcl_spf_received(&req, &resp, tc->identity, buf, sizeof(buf)),
	    "%s: does not fit", tc->label);
	ck_assert_msg(strchr(buf, '\r') == NULL, "%s: CR in \"%s\"", tc->label,
	              buf);
	for (const char *nl = strchr(buf, '\n'); nl; nl = strchr(nl + 1, '\n'))
		ck_assert_msg(nl[1] == '\t', "%s: LF not folding in \"%s\"",
		              tc->label, buf);
	ck_assert_msg(parse_received(buf, &p), "%s: cannot parse \"%s\"",
	              tc->label, buf);
	ck_assert_msg(strcmp(p.result, pcl_spf_result_name(tc->result)) == 0,
	              "%s: result: got \"%s\", want \"%s\"", tc->label,
	              p.result, pcl_spf_result_name(tc->result));
	if (tc->want_comment)
		ck_assert_msg(strcmp(p.comment, tc->want_comment) == 0,
		              "%s: comment: got \"%s\", want \"%s\"", tc->label,
		              p.comment, tc->want_comment);
	if (tc->want_pairs == NULL)
		return;
	pcl_copy(want, sizeof(want), tc->want_pairs);
	for (line = strtok_r(want, "|", &save); line;
	     line = strtok_r(NULL, "|", &save)) {
		const char *eq = strchr(line, '=');
		char key[32];
		const char *got;

		pcl_format(key, sizeof(key), "%.*s", (int)(eq - line), line);
		got = pair_value(&p, key);
		ck_assert_msg(got != NULL && strcmp(got, eq + 1) == 0,
		              "%s: %s: got \"%s\", want \"%s\" in \"%s\"",
		              tc->label, key, got ? got : "(none)", eq + 1,
		              buf);
	}
	/* exactly the pairs asked for when the list is complete */
	if (strchr(tc->want_pairs, '|') != NULL) {
		int count = 1;

		for (const char *q = tc->want_pairs; *q; q++)
			count += *q == '|';
		ck_assert_msg(p.npairs == count, "%s: got %d pairs, want %d",
		              tc->label, p.npairs, count);
	}
}
END_TEST

/* test_received_folding - lines stay within 78 columns where the words
 * allow, and a buffer too small is refused */
START_TEST(test_received_folding)
{
	struct pcl_spf_request req;
	struct pcl_spf_response resp;
	char buf[2048];
	size_t col = 13; /* "Received-SPF:" */

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.ip = client("2001:db8:1234:5678:9abc:def0:1234:5678", false);
	req.sender = "someone.with.a.long.name@mail.sub.example.com";
	req.domain = "mail.sub.example.com";
	req.helo = "outbound-relay-17.mail.sub.example.com";
	req.receiver = "mx1.receiving.example.org";
	resp.result = PCL_SPF_PERMERROR;
	pcl_copy(resp.mechanism, sizeof(resp.mechanism), "include:x.test");
	pcl_copy(resp.problem, sizeof(resp.problem),
	         "more than 10 DNS-querying terms");
	ck_assert(pcl_spf_received(&req, &resp, "mailfrom", buf, sizeof(buf)));
	for (const char *s = buf; *s; s++) {
		col = *s == '\n' ? 0 : col + 1;
		ck_assert_msg(col <= 78, "line over 78 columns in \"%s\"", buf);
	}
	ck_assert(!pcl_spf_received(&req, &resp, "mailfrom", buf, 40));
	ck_assert(!pcl_spf_received(&req, &resp, "mailfrom", buf, 0));
}
END_TEST

/* test_result_names - RFC 7208 2.6 */
START_TEST(test_result_names)
{
	static const struct {
		enum pcl_spf_result r;
		const char *want;
	} names[] = {
	    {PCL_SPF_NONE, "none"},
	    {PCL_SPF_NEUTRAL, "neutral"},
	    {PCL_SPF_PASS, "pass"},
	    {PCL_SPF_FAIL, "fail"},
	    {PCL_SPF_SOFTFAIL, "softfail"},
	    {PCL_SPF_TEMPERROR, "temperror"},
	    {PCL_SPF_PERMERROR, "permerror"},
	    {(enum pcl_spf_result)99, "unknown"},
	};

	for (int i = 0; i < N(names); i++)
		ck_assert_msg(
		    strcmp(pcl_spf_result_name(names[i].r), names[i].want) == 0,
		    "result %d: got \"%s\", want \"%s\"", (int)names[i].r,
		    pcl_spf_result_name(names[i].r), names[i].want);
}
END_TEST

/* spf_received_tcase - the "received" test case */
TCase *
spf_received_tcase(void)
{
	TCase *header = tcase_create("received");

	tcase_add_loop_test(header, test_received, 0, N(received_cases));
	tcase_add_test(header, test_received_folding);
	tcase_add_test(header, test_result_names);
	return header;
}
