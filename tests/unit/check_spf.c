/*
 * check_spf - unit tests for lib/auth/spf*.c against fakedns, beyond the
 * RFC 7208 conformance suite (tests/spf/); this file holds the shared
 * helpers, macro expansion and record syntax, and main()
 *
 * Tables of {label, inputs, want}: macro expansion (the examples of
 * RFC 7208 7.4, then escaping, delimiters, %{p}, c, r, h, and macro
 * strings that are syntax errors), records and limits (CIDR and IPv6
 * matching, IPv4-mapped clients, include chains at and over 10 terms,
 * void lookups, MX and PTR limits, PTR validation, DNS errors, exp= and
 * redirect=), the Received-SPF header parsed back into its parts, and
 * the result names (records in check_spf_records.c, the header in
 * check_spf_received.c). The explanation of a fail is the expansion of the
 * exp= TXT record, so the macro table reads its answers there.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf_suite.h"
#include "util.h"

struct fakedns *fk;

/* client - parse an address, or an IPv4-mapped IPv6 one kept as IPv6
 * (as a caller that skipped pcl_addr_parse would hand it over) */
struct pcl_addr
client(const char *text, bool mapped)
{
	struct pcl_addr a;

	ck_assert_msg(pcl_addr_parse(text, &a) == 0, "bad address %s", text);
	if (mapped) {
		ck_assert_int_eq(a.family, AF_INET);
		memmove(a.bytes + 12, a.bytes, 4);
		memset(a.bytes, 0, 10);
		a.bytes[10] = a.bytes[11] = 0xff;
		a.family = AF_INET6;
	}
	return a;
}

/* resolver - a resolver on the running fakedns, no cache */
static struct pcl_dns *
resolver(int timeout_ms, int attempts)
{
	struct pcl_dns_conf conf;
	struct pcl_dns *dns;
	char err[256];

	memset(&conf, 0, sizeof(conf));
	conf.servers = fk->servers;
	conf.timeout_ms = timeout_ms;
	conf.attempts = attempts;
	dns = pcl_dns_new(&conf, err, sizeof(err));
	ck_assert_msg(dns != NULL, "dns: %s", err);
	return dns;
}

/* dns_on_fakedns - a resolver for cases where every query is answered:
 * a deadline no loaded machine reaches (a dropped UDP packet is asked
 * again), so that no result depends on timing. test_threads once got
 * wrong results at load average 11 with 300 ms and one attempt. */
struct pcl_dns *
dns_on_fakedns(void)
{
	return resolver(20000, 4);
}

/* dns_on_fakedns_hasty - a short deadline, for the cases where fakedns
 * drops a query and the timeout is the point */
struct pcl_dns *
dns_on_fakedns_hasty(void)
{
	return resolver(300, 1);
}

/* check - pcl_spf_check for a MAIL FROM sender, or for the HELO
 * identity when sender is NULL */
void
check(struct pcl_dns *dns, struct pcl_addr ip, const char *sender,
      const char *helo, const char *receiver, struct pcl_spf_response *out)
{
	struct pcl_spf_request req;
	char postmaster[HOST_MAX];
	const char *at;

	memset(&req, 0, sizeof(req));
	req.ip = ip;
	req.helo = helo;
	req.receiver = receiver;
	if (sender == NULL) {
		pcl_format(postmaster, sizeof(postmaster), "postmaster@%s",
		           helo);
		req.sender = postmaster;
		req.domain = helo;
	} else {
		at = strrchr(sender, '@');
		req.sender = sender;
		req.domain = at ? at + 1 : sender;
	}
	pcl_spf_check(dns, &req, out);
}

/* zone_string - s as a quoted zone-file string into z */
void
zone_string(char *z, size_t len, const char *s)
{
	pcl_append(z, len, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			pcl_append(z, len, "\\%03u", *p);
		else
			pcl_append(z, len, "%c", *p);
	}
	pcl_append(z, len, "\"");
}

/* fixture_teardown - stop whatever server runs */
void
fixture_teardown(void)
{
	fakedns_stop();
}

/*
 * Macros. The record of email.example.com fails everyone and explains
 * with exp=%{h}: case N says HELO mN.macro.test, whose TXT record is
 * the macro string of the case, so the explanation is its expansion.
 */

struct macro_case {
	const char *label;
	const char *ip;
	const char *sender;
	const char *macro;
	const char *want; /* "" when the string is no valid macro-string */
	const char *receiver;
};

#define RFC_SENDER "strong-bad@email.example.com"

static const struct macro_case macro_cases[] = {
    /* RFC 7208 7.4: sender strong-bad@email.example.com, IPv4 client
     * 192.0.2.3, IPv6 client 2001:db8::cb01, validated name
     * mx.example.org */
    {"7.4 s", "192.0.2.3", RFC_SENDER, "%{s}", RFC_SENDER, NULL},
    {"7.4 o", "192.0.2.3", RFC_SENDER, "%{o}", "email.example.com", NULL},
    {"7.4 d", "192.0.2.3", RFC_SENDER, "%{d}", "email.example.com", NULL},
    {"7.4 d4", "192.0.2.3", RFC_SENDER, "%{d4}", "email.example.com", NULL},
    {"7.4 d3", "192.0.2.3", RFC_SENDER, "%{d3}", "email.example.com", NULL},
    {"7.4 d2", "192.0.2.3", RFC_SENDER, "%{d2}", "example.com", NULL},
    {"7.4 d1", "192.0.2.3", RFC_SENDER, "%{d1}", "com", NULL},
    {"7.4 dr", "192.0.2.3", RFC_SENDER, "%{dr}", "com.example.email", NULL},
    {"7.4 d2r", "192.0.2.3", RFC_SENDER, "%{d2r}", "example.email", NULL},
    {"7.4 l", "192.0.2.3", RFC_SENDER, "%{l}", "strong-bad", NULL},
    {"7.4 l-", "192.0.2.3", RFC_SENDER, "%{l-}", "strong.bad", NULL},
    {"7.4 lr", "192.0.2.3", RFC_SENDER, "%{lr}", "strong-bad", NULL},
    {"7.4 lr-", "192.0.2.3", RFC_SENDER, "%{lr-}", "bad.strong", NULL},
    {"7.4 l1r-", "192.0.2.3", RFC_SENDER, "%{l1r-}", "strong", NULL},
    {"7.4 ir.v._spf.d2", "192.0.2.3", RFC_SENDER, "%{ir}.%{v}._spf.%{d2}",
     "3.2.0.192.in-addr._spf.example.com", NULL},
    {"7.4 lr-.lp._spf.d2", "192.0.2.3", RFC_SENDER, "%{lr-}.lp._spf.%{d2}",
     "bad.strong.lp._spf.example.com", NULL},
    {"7.4 lr-.lp.ir.v._spf.d2", "192.0.2.3", RFC_SENDER,
     "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
     "bad.strong.lp.3.2.0.192.in-addr._spf.example.com", NULL},
    {"7.4 ir.v.l1r-.lp._spf.d2", "192.0.2.3", RFC_SENDER,
     "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
     "3.2.0.192.in-addr.strong.lp._spf.example.com", NULL},
    {"7.4 d2.trusted-domains", "192.0.2.3", RFC_SENDER,
     "%{d2}.trusted-domains.example.net",
     "example.com.trusted-domains.example.net", NULL},
    {"7.4 IPv6 ir.v._spf.d2", "2001:db8::cb01", RFC_SENDER,
     "%{ir}.%{v}._spf.%{d2}", V6_NIBBLES ".ip6._spf.example.com", NULL},
    /* the other letters */
    {"i IPv4", "192.0.2.3", RFC_SENDER, "%{i}", "192.0.2.3", NULL},
    {"i IPv6, lower case", "2001:db8::cb01", RFC_SENDER, "%{i}",
     "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1", NULL},
    {"c IPv4", "192.0.2.3", RFC_SENDER, "%{c}", "192.0.2.3", NULL},
    {"c IPv6 compressed", "2001:db8::cb01", RFC_SENDER, "%{c}",
     "2001:db8::cb01", NULL},
    {"v IPv6", "2001:db8::cb01", RFC_SENDER, "%{v}", "ip6", NULL},
    {"p validated", "192.0.2.3", RFC_SENDER, "%{p}", "mx.example.org", NULL},
    {"p2", "192.0.2.3", RFC_SENDER, "%{p2}", "example.org", NULL},
    {"p IPv6 validated", "2001:db8::cb01", RFC_SENDER, "%{p}", "mx.example.org",
     NULL},
    {"p without PTR", "192.0.2.4", RFC_SENDER, "%{p}", "unknown", NULL},
    {"p of a PTR that does not validate", "192.0.2.5", RFC_SENDER, "%{p}",
     "unknown", NULL},
    {"r", "192.0.2.3", RFC_SENDER, "%{r}", "mx.receiver.test",
     "mx.receiver.test"},
    {"r unknown", "192.0.2.3", RFC_SENDER, "%{r}", "unknown", NULL},
    {"h", "192.0.2.3", RFC_SENDER, "%{h}", "(the HELO)", NULL},
    {"missing local-part", "192.0.2.3", "@email.example.com", "%{l} %{s}",
     "postmaster postmaster@email.example.com", NULL},
    /* escapes, transformers, delimiters */
    {"%% %_ %-", "192.0.2.3", RFC_SENDER, "a%%b%_c%-d", "a%b c%20d", NULL},
    {"explanation keeps spaces", "192.0.2.3", RFC_SENDER, "two  spaces.",
     "two  spaces.", NULL},
    {"S escaped", "192.0.2.3", RFC_SENDER, "%{S}",
     "strong-bad%40email.example.com", NULL},
    {"L escapes all but unreserved", "192.0.2.3",
     "~a&b=c+d/e@email.example.com", "%{L}", "~a%26b%3Dc%2Bd%2Fe", NULL},
    {"upper-case IPv6 c escapes the colons", "2001:db8::cb01", RFC_SENDER,
     "%{C}", "2001%3Adb8%3A%3Acb01", NULL},
    {"several delimiters", "192.0.2.3", "a-b+c_d@email.example.com", "%{l-+_}",
     "a.b.c.d", NULL},
    {"reverse on = and /", "192.0.2.3", "a=b/c@email.example.com", "%{lr=/}",
     "c.b.a", NULL},
    {"keep more parts than there are", "192.0.2.3", RFC_SENDER, "%{d99}",
     "email.example.com", NULL},
    {"upper-case R reverses", "192.0.2.3", RFC_SENDER, "%{d2R}",
     "example.email", NULL},
    {"empty parts stay", "192.0.2.3", "a..b@email.example.com", "%{lr}", "b..a",
     NULL},
    /* macro strings that are errors: no explanation at all (6.2) */
    {"unknown letter", "192.0.2.3", RFC_SENDER, "%{x}", "", NULL},
    {"zero transformer", "192.0.2.3", RFC_SENDER, "%{d0}", "", NULL},
    {"lone percent", "192.0.2.3", RFC_SENDER, "100%", "", NULL},
    {"percent and a letter", "192.0.2.3", RFC_SENDER, "%a", "", NULL},
    {"unclosed", "192.0.2.3", RFC_SENDER, "%{d", "", NULL},
    {"parentheses", "192.0.2.3", RFC_SENDER, "%(d)", "", NULL},
    {"bad delimiter", "192.0.2.3", RFC_SENDER, "%{d:}", "", NULL},
    {"control byte", "192.0.2.3", RFC_SENDER, "a\tb", "", NULL},
    {"8-bit byte", "192.0.2.3", RFC_SENDER, "caf\xc3\xa9", "", NULL},
};

static char macro_zone[16384];

/* macro_setup - the macro zone, one TXT per case */
static void
macro_setup(void)
{
	char *z = macro_zone;
	size_t len = sizeof(macro_zone);

	pcl_copy(z, len,
	         ZONE_HEAD
	         "email.example.com. TXT \"v=spf1 -all exp=%{h}\"\n"
	         "3.2.0.192.in-addr.arpa. PTR mx.example.org.\n" V6_NIBBLES
	         ".ip6.arpa. PTR mx.example.org.\n"
	         "5.2.0.192.in-addr.arpa. PTR liar.example.org.\n"
	         "liar.example.org. A 192.0.2.55\n"
	         "mx.example.org. A 192.0.2.3\n"
	         "mx.example.org. AAAA 2001:db8::cb01\n");
	for (int i = 0; i < N(macro_cases); i++) {
		pcl_append(z, len, "m%d.macro.test. TXT ", i);
		zone_string(z, len, macro_cases[i].macro);
		ck_assert(pcl_append(z, len, "\n"));
	}
	fk = fakedns_start(macro_zone);
	ck_assert_ptr_nonnull(fk);
}

/* test_macro - the explanation is the expansion of the case's macro */
START_TEST(test_macro)
{
	const struct macro_case *tc = &macro_cases[_i];
	struct pcl_dns *dns = dns_on_fakedns();
	struct pcl_spf_response r;
	char helo[64];
	const char *want = tc->want;

	pcl_format(helo, sizeof(helo), "m%d.macro.test", _i);
	if (strcmp(tc->want, "(the HELO)") == 0)
		want = helo;
	check(dns, client(tc->ip, false), tc->sender, helo, tc->receiver, &r);
	ck_assert_msg(r.result == PCL_SPF_FAIL, "%s: got %s, want fail (%s)",
	              tc->label, pcl_spf_result_name(r.result), r.problem);
	ck_assert_msg(strcmp(r.explanation, want) == 0,
	              "%s: %s: got \"%s\", want \"%s\"", tc->label, tc->macro,
	              r.explanation, want);
	pcl_dns_free(dns);
}
END_TEST

/* test_macro_t - %{t} is the time of the check, in seconds */
START_TEST(test_macro_t)
{
	static const char zone[] =
	    ZONE_HEAD "t.test. TXT \"v=spf1 -all exp=exp.t.test\"\n"
	              "exp.t.test. TXT \"at %{t}.\"\n";
	struct pcl_dns *dns;
	struct pcl_spf_response r;
	long long before = (long long)time(NULL);
	long long after;
	long long got = 0;
	char dot = 0;

	fakedns_stop();
	fk = fakedns_start(zone);
	ck_assert_ptr_nonnull(fk);
	dns = dns_on_fakedns();
	check(dns, client("192.0.2.1", false), "a@t.test", "h.test", NULL, &r);
	after = (long long)time(NULL);
	ck_assert_msg(sscanf(r.explanation, "at %lld%c", &got, &dot) == 2 &&
	                  dot == '.',
	              "t: got \"%s\", want \"at SECONDS.\"", r.explanation);
	ck_assert_msg(got >= before && got <= after,
	              "t: got %lld, want %lld..%lld", got, before, after);
	pcl_dns_free(dns);
}
END_TEST

/*
 * Record syntax beyond the suite: case N is the record of
 * sN.syntax.test, checked for client 192.0.2.3.
 */

struct syntax_case {
	const char *record;
	enum pcl_spf_result want;
};

static const struct syntax_case syntax_cases[] = {
    {"v=spf1 a:example.-com -all", PCL_SPF_PERMERROR},
    {"v=spf1 a:example.com- -all", PCL_SPF_PERMERROR},
    {"v=spf1 a:foo.123-4 -all", PCL_SPF_FAIL}, /* a dashed top label */
    {"v=spf1 a:foo.123 -all", PCL_SPF_PERMERROR},
    {"v=spf1 a:%{d} -all", PCL_SPF_FAIL}, /* ends in a macro */
    {"v=spf1 mx:%{d}. -all", PCL_SPF_PERMERROR},
    {"v=spf1 a:foo.%{d}x -all", PCL_SPF_PERMERROR},
    {"v=spf1 exists:%{c}.test -all", PCL_SPF_PERMERROR},
    {"v=spf1 foo=%{t} -all", PCL_SPF_PERMERROR},
    {"v=spf1 foo=%{d} ip4:192.0.2.3", PCL_SPF_PASS},
    {"v=spf1 ip4:192.0.2.3 -all moo=", PCL_SPF_PASS},
    {"v=spf1 ip4:01.2.3.4 -all", PCL_SPF_PERMERROR},
    {"v=spf1 ip4:192.0.2.3/0032", PCL_SPF_PERMERROR},
    {"v=spf1 ip6:2001:db8::/0129", PCL_SPF_PERMERROR},
    {"v=spf1 ip6:::ffff:1.2.3.4/129", PCL_SPF_PERMERROR},
    {"v=spf1 ip4:192.0.2.3/32 -all", PCL_SPF_PASS},
    {"v=spf1 ip6:2001:db8::1/128 ip4:192.0.2.0/24", PCL_SPF_PASS},
    {"v=spf1 ip4:192.0.2.3 ip4:", PCL_SPF_PERMERROR},
    {"v=spf1 +ip4:192.0.2.3 ~all", PCL_SPF_PASS},
    {"v=spf1 ?ip4:192.0.2.3 -all", PCL_SPF_NEUTRAL},
    {"v=spf1 ~ip4:192.0.2.3 -all", PCL_SPF_SOFTFAIL},
    {"v=spf1 -ip4:192.0.2.3 +all", PCL_SPF_FAIL},
    {"v=spf1 !ip4:192.0.2.3", PCL_SPF_PERMERROR},
    {"v=spf1 ip4:192.0.2.3 exp=", PCL_SPF_PERMERROR},
    {"v=spf1 EXP=x.test ReDiReCt=y.test ip4:192.0.2.3", PCL_SPF_PASS},
    {"v=spf1 ip4:192.0.2.3 exp=x.test EXP=y.test", PCL_SPF_PERMERROR},
    {"v=spf1  ip4:192.0.2.3   -all  ", PCL_SPF_PASS},
    {"v=spf1 -all ip4:192.0.2.3/", PCL_SPF_PERMERROR},
    {"v=spf1 a/24/64 -all", PCL_SPF_PERMERROR},
    {"v=spf1 a:x.test//129", PCL_SPF_PERMERROR},
};

static char syntax_zone[8192];

/* syntax_setup - one record per syntax case */
static void
syntax_setup(void)
{
	pcl_copy(syntax_zone, sizeof(syntax_zone), ZONE_HEAD);
	for (int i = 0; i < N(syntax_cases); i++) {
		pcl_append(syntax_zone, sizeof(syntax_zone),
		           "s%d.syntax.test. TXT ", i);
		zone_string(syntax_zone, sizeof(syntax_zone),
		            syntax_cases[i].record);
		ck_assert(pcl_append(syntax_zone, sizeof(syntax_zone), "\n"));
	}
	fk = fakedns_start(syntax_zone);
	ck_assert_ptr_nonnull(fk);
}

/* test_syntax - one record, one result */
START_TEST(test_syntax)
{
	const struct syntax_case *tc = &syntax_cases[_i];
	struct pcl_dns *dns = dns_on_fakedns();
	struct pcl_spf_response r;
	char sender[64];

	pcl_format(sender, sizeof(sender), "a@s%d.syntax.test", _i);
	check(dns, client("192.0.2.3", false), sender, "h.test", NULL, &r);
	ck_assert_msg(r.result == tc->want, "\"%s\": got %s (%s), want %s",
	              tc->record, pcl_spf_result_name(r.result), r.problem,
	              pcl_spf_result_name(tc->want));
	pcl_dns_free(dns);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("spf");
	TCase *macro = tcase_create("macro");
	TCase *syntax = tcase_create("syntax");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(macro, macro_setup, fixture_teardown);
	tcase_add_loop_test(macro, test_macro, 0, N(macro_cases));
	tcase_add_test(macro, test_macro_t);
	tcase_set_timeout(macro, 30);
	suite_add_tcase(su, macro);
	tcase_add_checked_fixture(syntax, syntax_setup, fixture_teardown);
	tcase_add_loop_test(syntax, test_syntax, 0, N(syntax_cases));
	suite_add_tcase(su, syntax);
	suite_add_tcase(su, spf_records_tcase());
	suite_add_tcase(su, spf_received_tcase());
	sr = srunner_create(su);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
