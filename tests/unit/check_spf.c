/*
 * check_spf - unit tests for lib/auth/spf*.c against fakedns, beyond the
 * RFC 7208 conformance suite (tests/spf/)
 *
 * Tables of {label, inputs, want}: macro expansion (the examples of
 * RFC 7208 7.4, then escaping, delimiters, %{p}, c, r, h, and macro
 * strings that are syntax errors), records and limits (CIDR and IPv6
 * matching, IPv4-mapped clients, include chains at and over 10 terms,
 * void lookups, MX and PTR limits, PTR validation, DNS errors, exp= and
 * redirect=), the Received-SPF header parsed back into its parts, and
 * the result names. The explanation of a fail is the expansion of the
 * exp= TXT record, so the macro table reads its answers there.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns.h"
#include "fakedns.h"
#include "spf.h"
#include "util.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define ZONE_HEAD                                                        \
	"$ORIGIN .\n$TTL 300\n"                                          \
	". IN SOA ns.invalid. admin.invalid. 1 3600 600 86400 120\n"
#define V6_NIBBLES                                                       \
	"1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
#define HOST_MAX 1024

static struct fakedns *fk;

/* client - parse an address, or an IPv4-mapped IPv6 one kept as IPv6
 * (as a caller that skipped pcl_addr_parse would hand it over) */
static struct pcl_addr
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

/* dns_on_fakedns - a resolver on the running fakedns, no cache */
static struct pcl_dns *
dns_on_fakedns(void)
{
	struct pcl_dns_conf conf;
	struct pcl_dns *dns;
	char err[256];

	memset(&conf, 0, sizeof(conf));
	conf.servers = fk->servers;
	conf.timeout_ms = 300;
	conf.attempts = 1;
	dns = pcl_dns_new(&conf, err, sizeof(err));
	ck_assert_msg(dns != NULL, "dns: %s", err);
	return dns;
}

/* check - pcl_spf_check for a MAIL FROM sender, or for the HELO
 * identity when sender is NULL */
static void
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
static void
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
     "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1",
     NULL},
    {"c IPv4", "192.0.2.3", RFC_SENDER, "%{c}", "192.0.2.3", NULL},
    {"c IPv6 compressed", "2001:db8::cb01", RFC_SENDER, "%{c}",
     "2001:db8::cb01", NULL},
    {"v IPv6", "2001:db8::cb01", RFC_SENDER, "%{v}", "ip6", NULL},
    {"p validated", "192.0.2.3", RFC_SENDER, "%{p}", "mx.example.org", NULL},
    {"p2", "192.0.2.3", RFC_SENDER, "%{p2}", "example.org", NULL},
    {"p IPv6 validated", "2001:db8::cb01", RFC_SENDER, "%{p}",
     "mx.example.org", NULL},
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
    {"several delimiters", "192.0.2.3", "a-b+c_d@email.example.com",
     "%{l-+_}", "a.b.c.d", NULL},
    {"reverse on = and /", "192.0.2.3", "a=b/c@email.example.com",
     "%{lr=/}", "c.b.a", NULL},
    {"keep more parts than there are", "192.0.2.3", RFC_SENDER, "%{d99}",
     "email.example.com", NULL},
    {"upper-case R reverses", "192.0.2.3", RFC_SENDER, "%{d2R}",
     "example.email", NULL},
    {"empty parts stay", "192.0.2.3", "a..b@email.example.com", "%{lr}",
     "b..a", NULL},
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

/* fixture_teardown - stop whatever server runs */
static void
fixture_teardown(void)
{
	fakedns_stop();
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

/*
 * Records, limits, IPv6 and the DNS: one zone, a case per sender
 * domain (or HELO name).
 */

static const char records_zone[] =
    ZONE_HEAD
    /* addresses */
    "ip4host.test. TXT \"v=spf1 ip4:192.0.2.77/24 -all\"\n"
    "ip6net.test. TXT \"v=spf1 ip6:2001:DB8::/32 -all\"\n"
    "upper.test. TXT \"V=SPF1 IP4:192.0.2.3 -ALL\"\n"
    "a64.test. TXT \"v=spf1 a//64 -all\"\n"
    "a64.test. AAAA 2001:db8:1::1\n"
    "dual.test. TXT \"v=spf1 a:h.dual.test/24//64 -all\"\n"
    "h.dual.test. A 192.0.2.200\n"
    "h.dual.test. AAAA 2001:db8:5::1\n"
    "mapped.test. TXT \"v=spf1 ip4:192.0.2.3 -all\"\n"
    "mapped6.test. TXT \"v=spf1 ip6:::ffff:192.0.2.3 -all\"\n"
    "a-mapped.test. TXT \"v=spf1 a -all\"\n"
    "a-mapped.test. A 192.0.2.3\n"
    "a-mapped.test. AAAA ::ffff:192.0.2.3\n"
    /* record selection and syntax */
    "cname.test. CNAME target.test.\n"
    "target.test. TXT \"v=spf1 ip4:192.0.2.3 -all\"\n"
    "tab.test. TXT \"v=spf1\\009-all\"\n"
    "nul.test. TXT \"v=spf1 ip4:192.0.2.3\\000 -all\"\n"
    "two.test. TXT \"v=spf1 -all\"\n"
    "two.test. TXT \"v=spf1 +all\"\n"
    "other.test. TXT \"v=spf1 +all\"\n"
    "other.test. TXT \"site-verification=abc\"\n"
    "slash.test. TXT \"v=spf1 ip4:192.0.2.0/24/ -all\"\n"
    "unknown-mod.test. TXT \"v=spf1 foo=bar ip4:192.0.2.3 -all\"\n"
    "nospf.test. A 192.0.2.3\n"
    "helo.test. TXT \"v=spf1 ip4:192.0.2.3 -all\"\n"
    "exists.test. TXT \"v=spf1 exists:%{ir}.list.test -all\"\n"
    "3.2.0.192.list.test. A 127.0.0.2\n"
    /* DNS errors */
    "servfail.test. TXT \"v=spf1 +all\"\n"
    "inc-servfail.test. TXT \"v=spf1 include:servfail.test -all\"\n"
    "a-timeout.test. TXT \"v=spf1 a:timeout.test -all\"\n"
    "timeout.test. A 192.0.2.3\n"
    /* mx */
    "mx10.test. TXT \"v=spf1 mx -all\"\n"
    "mx11.test. TXT \"v=spf1 mx -all\"\n"
    "mxnull.test. TXT \"v=spf1 mx -all\"\n"
    "mxnull.test. MX 0 .\n"
    "mxmix.test. TXT \"v=spf1 mx -all\"\n"
    "mxmix.test. MX 0 .\n"
    "mxmix.test. MX 10 h9.hosts.test.\n"
    "mxfail.test. TXT \"v=spf1 mx -all\"\n"
    "mxfail.test. MX 10 servfail-host.test.\n"
    "mxfail.test. MX 20 h0.hosts.test.\n"
    "servfail-host.test. A 192.0.2.3\n"
    "h9.hosts.test. A 192.0.2.3\n"
    /* include chain: cN includes c(N+1) (records_setup), c9 has the
     * address; top.test has one term more than the limit allows */
    "cm.chain.test. TXT \"v=spf1 include:c0.chain.test -all\"\n"
    "c0.chain.test. TXT \"v=spf1 include:c1.chain.test -all\"\n"
    "c9.chain.test. TXT \"v=spf1 ip4:192.0.2.3 -all\"\n"
    "top.test. TXT \"v=spf1 include:c0.chain.test a -all\"\n"
    "top.test. A 192.0.2.99\n"
    /* void lookups */
    "void2.test. TXT \"v=spf1 a:nx1.test a:nx2.test ip4:192.0.2.3 -all\"\n"
    "void3.test. TXT \"v=spf1 a:nx1.test a:nx2.test mx:nx3.test "
    "ip4:192.0.2.3 -all\"\n"
    "voidptr.test. TXT \"v=spf1 a:nx1.test a:nx2.test ptr ip4:192.0.2.3 "
    "-all\"\n"
    "exp-not-void.test. TXT \"v=spf1 a:nx1.test a:nx2.test -all "
    "exp=nx3.test\"\n"
    /* ptr: clients 192.0.2.9 .. 192.0.2.13, 2001:db8::12 */
    "ptr.test. TXT \"v=spf1 ptr:ok.test -all\"\n"
    "9.2.0.192.in-addr.arpa. PTR p1.bad.test.\n"
    "9.2.0.192.in-addr.arpa. PTR p2.bad.test.\n"
    "9.2.0.192.in-addr.arpa. PTR p3.bad.test.\n"
    "9.2.0.192.in-addr.arpa. PTR p4.bad.test.\n"
    "9.2.0.192.in-addr.arpa. PTR p5.bad.test.\n"
    "9.2.0.192.in-addr.arpa. PTR p6.bad.test.\n"
    "9.2.0.192.in-addr.arpa. PTR p7.bad.test.\n"
    "9.2.0.192.in-addr.arpa. PTR p8.bad.test.\n"
    "9.2.0.192.in-addr.arpa. PTR p9.bad.test.\n"
    "9.2.0.192.in-addr.arpa. PTR p10.bad.test.\n"
    "9.2.0.192.in-addr.arpa. PTR v9.ok.test.\n"
    "v9.ok.test. A 192.0.2.9\n"
    "10.2.0.192.in-addr.arpa. PTR p1.bad.test.\n"
    "10.2.0.192.in-addr.arpa. PTR p2.bad.test.\n"
    "10.2.0.192.in-addr.arpa. PTR p3.bad.test.\n"
    "10.2.0.192.in-addr.arpa. PTR p4.bad.test.\n"
    "10.2.0.192.in-addr.arpa. PTR p5.bad.test.\n"
    "10.2.0.192.in-addr.arpa. PTR p6.bad.test.\n"
    "10.2.0.192.in-addr.arpa. PTR p7.bad.test.\n"
    "10.2.0.192.in-addr.arpa. PTR p8.bad.test.\n"
    "10.2.0.192.in-addr.arpa. PTR p9.bad.test.\n"
    "10.2.0.192.in-addr.arpa. PTR v10.ok.test.\n"
    "v10.ok.test. A 192.0.2.10\n"
    "11.2.0.192.in-addr.arpa. PTR sf.ok.test.\n"
    "11.2.0.192.in-addr.arpa. PTR good.ok.test.\n"
    "sf.ok.test. A 192.0.2.11\n"
    "good.ok.test. A 192.0.2.11\n"
    "12.2.0.192.in-addr.arpa. PTR liar.ok.test.\n"
    "liar.ok.test. A 192.0.2.99\n"
    "13.2.0.192.in-addr.arpa. PTR x.ok.test.\n"
    "2.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
    "ip6.arpa. PTR host6.OK.test.\n"
    "host6.ok.test. AAAA 2001:db8::12\n"
    /* exp and redirect */
    "redirect-exp.test. TXT \"v=spf1 redirect=rtarget.test "
    "exp=no.exp.test\"\n"
    "rtarget.test. TXT \"v=spf1 -all exp=yes.exp.test\"\n"
    "yes.exp.test. TXT \"%{d} says no to %{i}\"\n"
    "no.exp.test. TXT \"not this one\"\n"
    "softfail-exp.test. TXT \"v=spf1 ~all exp=yes.exp.test\"\n"
    "incexp.test. TXT \"v=spf1 include:inner.test -all\"\n"
    "inner.test. TXT \"v=spf1 -ip4:192.0.2.3 exp=yes.exp.test\"\n"
    "mech-before-redirect.test. TXT \"v=spf1 redirect=rtarget.test "
    "ip4:192.0.2.3\"\n"
    "redirect-none.test. TXT \"v=spf1 redirect=nospf.test\"\n"
    "include-none.test. TXT \"v=spf1 include:nospf.test -all\"\n"
    "include-pass.test. TXT \"v=spf1 -include:target.test +all\"\n";

/* records_setup - the records zone, its chains and its knobs */
static void
records_setup(void)
{
	static char zone[sizeof(records_zone) + 4096];

	pcl_copy(zone, sizeof(zone), records_zone);
	for (int i = 1; i < 9; i++)
		pcl_append(zone, sizeof(zone),
		           "c%d.chain.test. TXT \"v=spf1 include:c%d.chain.test "
		           "-all\"\n",
		           i, i + 1);
	for (int i = 0; i < 11; i++) {
		if (i < 10)
			pcl_append(zone, sizeof(zone),
			           "mx10.test. MX %d h%d.hosts.test.\n", i, i);
		ck_assert(pcl_append(zone, sizeof(zone),
		                     "mx11.test. MX %d h%d.hosts.test.\n", i,
		                     i));
	}
	fk = fakedns_start(zone);
	ck_assert_ptr_nonnull(fk);
	fakedns_set_servfail("servfail.test");
	fakedns_set_servfail("servfail-host.test");
	fakedns_set_servfail("sf.ok.test");
	fakedns_set_servfail("13.2.0.192.in-addr.arpa");
	fakedns_set_drop("timeout.test");
}

struct record_case {
	const char *label;
	const char *ip;
	bool mapped;          /* hand the client over as ::ffff:a.b.c.d */
	const char *sender;   /* NULL: the HELO identity */
	const char *helo;
	enum pcl_spf_result want;
	const char *want_mech;    /* NULL: not checked */
	const char *want_problem; /* a part of it; NULL: not checked */
	const char *want_exp;     /* NULL: not checked */
	int want_lookups;         /* -1: not checked */
	int want_voids;
};

#define H "h.test"
#define NO NULL, NULL, NULL, -1, -1

static const struct record_case record_cases[] = {
    /* ip4, ip6, a: CIDR lengths and families */
    {"ip4 network with host bits", "192.0.2.3", false, "a@ip4host.test", H,
     PCL_SPF_PASS, "ip4:192.0.2.77/24", NULL, NULL, 0, 0},
    {"ip4 outside", "198.51.100.1", false, "a@ip4host.test", H,
     PCL_SPF_FAIL, "-all", NULL, "", 0, 0},
    {"ip6 /32 inside", "2001:db8:ffff::1", false, "a@ip6net.test", H,
     PCL_SPF_PASS, NO},
    {"ip6 /32 outside", "2001:db9::1", false, "a@ip6net.test", H,
     PCL_SPF_FAIL, NO},
    {"ip6 never matches IPv4", "192.0.2.3", false, "a@ip6net.test", H,
     PCL_SPF_FAIL, NO},
    {"names are case-insensitive", "192.0.2.3", false, "a@upper.test", H,
     PCL_SPF_PASS, "IP4:192.0.2.3", NULL, NULL, -1, -1},
    {"a//64 IPv6 same /64", "2001:db8:1::ffff", false, "a@a64.test", H,
     PCL_SPF_PASS, NO},
    {"a//64 IPv6 other /64", "2001:db8:2::1", false, "a@a64.test", H,
     PCL_SPF_FAIL, NO},
    {"a/24//64 IPv4", "192.0.2.3", false, "a@dual.test", H, PCL_SPF_PASS,
     NO},
    {"a/24//64 IPv6", "2001:db8:5::abcd", false, "a@dual.test", H,
     PCL_SPF_PASS, NO},
    {"a/24//64 outside", "198.51.100.3", false, "a@dual.test", H,
     PCL_SPF_FAIL, NO},
    {"IPv4-mapped client is IPv4", "192.0.2.3", true, "a@mapped.test", H,
     PCL_SPF_PASS, NO},
    {"IPv4-mapped client never matches ip6", "192.0.2.3", true,
     "a@mapped6.test", H, PCL_SPF_FAIL, NO},
    {"IPv4-mapped client asks A, not AAAA", "192.0.2.3", true,
     "a@a-mapped.test", H, PCL_SPF_PASS, NO},
    /* record selection and syntax */
    {"record through a CNAME", "192.0.2.3", false, "a@cname.test", H,
     PCL_SPF_PASS, NO},
    {"v=spf1 and a tab is no record", "192.0.2.3", false, "a@tab.test", H,
     PCL_SPF_NONE, NO},
    {"NUL byte in the record", "192.0.2.3", false, "a@nul.test", H,
     PCL_SPF_PERMERROR, NULL, "byte 0x00", NULL, -1, -1},
    {"two records", "192.0.2.3", false, "a@two.test", H, PCL_SPF_PERMERROR,
     NULL, "more than one SPF record", NULL, -1, -1},
    {"other TXT records are ignored", "192.0.2.3", false, "a@other.test", H,
     PCL_SPF_PASS, NO},
    {"CIDR with a trailing slash", "192.0.2.3", false, "a@slash.test", H,
     PCL_SPF_PERMERROR, NULL, "bad CIDR length", NULL, -1, -1},
    {"unknown modifier ignored", "192.0.2.3", false, "a@unknown-mod.test",
     H, PCL_SPF_PASS, NO},
    {"no record", "192.0.2.3", false, "a@nospf.test", H, PCL_SPF_NONE, "",
     "", NULL, 0, 0},
    {"no such domain", "192.0.2.3", false, "a@nx.test", H, PCL_SPF_NONE,
     NO},
    {"HELO with a final dot", "192.0.2.3", false, NULL, "helo.test.",
     PCL_SPF_PASS, NO},
    {"HELO address literal", "192.0.2.3", false, NULL, "[192.0.2.3]",
     PCL_SPF_NONE, NO},
    {"HELO of one label", "192.0.2.3", false, NULL, "localhost",
     PCL_SPF_NONE, NO},
    {"8-bit domain", "192.0.2.3", false, "a@b\xc3\xa9.test", H,
     PCL_SPF_NONE, NO},
    {"empty domain", "192.0.2.3", false, "a@", H, PCL_SPF_NONE, NO},
    {"exists with %{ir}", "192.0.2.3", false, "a@exists.test", H,
     PCL_SPF_PASS, NULL, NULL, NULL, 1, 0},
    {"exists not listed", "192.0.2.4", false, "a@exists.test", H,
     PCL_SPF_FAIL, NULL, NULL, NULL, 1, 1},
    /* DNS errors */
    {"SERVFAIL on the record", "192.0.2.3", false, "a@servfail.test", H,
     PCL_SPF_TEMPERROR, "", "servfail.test", NULL, -1, -1},
    {"SERVFAIL inside include", "192.0.2.3", false, "a@inc-servfail.test",
     H, PCL_SPF_TEMPERROR, "include:servfail.test", "SERVFAIL", NULL, 1,
     0},
    {"timeout on a", "192.0.2.3", false, "a@a-timeout.test", H,
     PCL_SPF_TEMPERROR, "a:timeout.test", "timeout.test", NULL, -1, -1},
    /* mx */
    {"mx with 10 hosts", "192.0.2.3", false, "a@mx10.test", H,
     PCL_SPF_PASS, "mx", NULL, NULL, 1, 0},
    {"mx with 11 hosts", "192.0.2.3", false, "a@mx11.test", H,
     PCL_SPF_PERMERROR, "mx", "11 MX records", NULL, 1, 0},
    {"null MX", "192.0.2.3", false, "a@mxnull.test", H, PCL_SPF_FAIL, NO},
    {"null MX beside a real one", "192.0.2.3", false, "a@mxmix.test", H,
     PCL_SPF_PASS, NO},
    {"SERVFAIL on an MX host", "192.0.2.3", false, "a@mxfail.test", H,
     PCL_SPF_TEMPERROR, "mx", "MX host", NULL, -1, -1},
    /* the limit of 10 DNS-querying terms, through include chains */
    {"8 nested includes", "192.0.2.3", false, "a@c1.chain.test", H,
     PCL_SPF_PASS, NULL, NULL, NULL, 8, 0},
    {"9 nested includes", "192.0.2.3", false, "a@c0.chain.test", H,
     PCL_SPF_PASS, "include:c1.chain.test", NULL, NULL, 9, 0},
    {"10 nested includes: at the limit", "192.0.2.3", false,
     "a@cm.chain.test", H, PCL_SPF_PASS, NULL, NULL, NULL, 10, 0},
    {"the 11th term is a permerror", "192.0.2.4", false, "a@top.test", H,
     PCL_SPF_PERMERROR, "a", "more than 10", NULL, 11, 0},
    /* void lookups */
    {"two void lookups", "192.0.2.3", false, "a@void2.test", H,
     PCL_SPF_PASS, "ip4:192.0.2.3", NULL, NULL, 2, 2},
    {"a third (mx) is too many", "192.0.2.3", false, "a@void3.test", H,
     PCL_SPF_PERMERROR, "mx:nx3.test", "void lookups", NULL, 3, 3},
    {"a third (ptr) is too many", "192.0.2.4", false, "a@voidptr.test", H,
     PCL_SPF_PERMERROR, "ptr", "void lookups", NULL, 3, 3},
    {"exp= is no void lookup", "192.0.2.3", false, "a@exp-not-void.test", H,
     PCL_SPF_FAIL, "-all", NULL, "", 2, 2},
    /* ptr: validation and the limit of 10 names */
    {"ptr: the 11th name is ignored", "192.0.2.9", false, "a@ptr.test", H,
     PCL_SPF_FAIL, NO},
    {"ptr: the 10th name counts", "192.0.2.10", false, "a@ptr.test", H,
     PCL_SPF_PASS, "ptr:ok.test", NULL, NULL, 1, 0},
    {"ptr: a failing name is skipped", "192.0.2.11", false, "a@ptr.test", H,
     PCL_SPF_PASS, NO},
    {"ptr: a name that does not validate", "192.0.2.12", false,
     "a@ptr.test", H, PCL_SPF_FAIL, NO},
    {"ptr: PTR lookup fails, no match", "192.0.2.13", false, "a@ptr.test",
     H, PCL_SPF_FAIL, NULL, NULL, NULL, 1, 0},
    {"ptr: IPv6, PTR name in mixed case", "2001:db8::12", false,
     "a@ptr.test", H, PCL_SPF_PASS, NO},
    /* exp= and redirect= */
    {"redirect: the target's exp=", "192.0.2.3", false,
     "a@redirect-exp.test", H, PCL_SPF_FAIL, "redirect", NULL,
     "rtarget.test says no to 192.0.2.3", 1, 0},
    {"no explanation for softfail", "192.0.2.3", false,
     "a@softfail-exp.test", H, PCL_SPF_SOFTFAIL, "~all", NULL, "", 0, 0},
    {"no explanation from an include", "192.0.2.3", false, "a@incexp.test",
     H, PCL_SPF_FAIL, "-all", NULL, "", 1, 0},
    {"a mechanism before redirect wins", "192.0.2.3", false,
     "a@mech-before-redirect.test", H, PCL_SPF_PASS, "ip4:192.0.2.3", NULL,
     NULL, 0, 0},
    {"redirect to no record", "192.0.2.3", false, "a@redirect-none.test", H,
     PCL_SPF_PERMERROR, "redirect", "no SPF record", NULL, 1, 0},
    {"include of no record", "192.0.2.3", false, "a@include-none.test", H,
     PCL_SPF_PERMERROR, "include:nospf.test", "no SPF record", NULL, 1, 0},
    {"-include that passes", "192.0.2.3", false, "a@include-pass.test", H,
     PCL_SPF_FAIL, "-include:target.test", NULL, "", 1, 0},
};

/* test_record - result, deciding term, problem, explanation, counters */
START_TEST(test_record)
{
	const struct record_case *tc = &record_cases[_i];
	struct pcl_dns *dns = dns_on_fakedns();
	struct pcl_spf_response r;

	check(dns, client(tc->ip, tc->mapped), tc->sender, tc->helo, NULL, &r);
	ck_assert_msg(r.result == tc->want, "%s: got %s (%s), want %s",
	              tc->label, pcl_spf_result_name(r.result), r.problem,
	              pcl_spf_result_name(tc->want));
	if (tc->want_mech)
		ck_assert_msg(strcmp(r.mechanism, tc->want_mech) == 0,
		              "%s: mechanism: got \"%s\", want \"%s\"",
		              tc->label, r.mechanism, tc->want_mech);
	if (tc->want_problem)
		ck_assert_msg(tc->want_problem[0] ? strstr(r.problem,
		                                           tc->want_problem) !=
		                                        NULL
		                                  : r.problem[0] == '\0',
		              "%s: problem: got \"%s\", want \"%s\"", tc->label,
		              r.problem, tc->want_problem);
	if (tc->want_exp)
		ck_assert_msg(strcmp(r.explanation, tc->want_exp) == 0,
		              "%s: explanation: got \"%s\", want \"%s\"",
		              tc->label, r.explanation, tc->want_exp);
	if (tc->want_lookups >= 0)
		ck_assert_msg(r.dns_lookups == (unsigned)tc->want_lookups &&
		                  r.void_lookups == (unsigned)tc->want_voids,
		              "%s: got %u lookups, %u void; want %d, %d",
		              tc->label, r.dns_lookups, r.void_lookups,
		              tc->want_lookups, tc->want_voids);
	pcl_dns_free(dns);
}
END_TEST

/* test_bad_request - no resolver, no address: a temperror, no crash */
START_TEST(test_bad_request)
{
	struct pcl_spf_request req;
	struct pcl_spf_response r;
	struct pcl_dns *dns = dns_on_fakedns();

	memset(&req, 0, sizeof(req));
	req.sender = "a@ip4host.test";
	req.domain = "ip4host.test";
	pcl_spf_check(dns, &req, &r); /* family 0 */
	ck_assert_msg(r.result == PCL_SPF_TEMPERROR,
	              "no address: got %s, want temperror",
	              pcl_spf_result_name(r.result));
	req.ip = client("192.0.2.3", false);
	pcl_spf_check(NULL, &req, &r);
	ck_assert_int_eq(r.result, PCL_SPF_TEMPERROR);
	req.domain = NULL;
	pcl_spf_check(dns, &req, &r);
	ck_assert_int_eq(r.result, PCL_SPF_NONE);
	req.domain = "ip4host.test";
	req.sender = NULL; /* postmaster@domain */
	pcl_spf_check(dns, &req, &r);
	ck_assert_int_eq(r.result, PCL_SPF_PASS);
	pcl_dns_free(dns);
}
END_TEST

struct worker {
	struct pcl_dns *dns;
	int failures;
};

/* worker_run - checks from one thread on a shared resolver */
static void *
worker_run(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 20; i++) {
		struct pcl_spf_response r;
		bool odd = i % 2;

		check(w->dns, client(odd ? "192.0.2.3" : "198.51.100.1", false),
		      odd ? "a@mx10.test" : "a@ip4host.test", H, NULL, &r);
		if (r.result != (odd ? PCL_SPF_PASS : PCL_SPF_FAIL))
			w->failures++;
	}
	return NULL;
}

/* test_threads - one resolver, four threads, no shared SPF state */
START_TEST(test_threads)
{
	struct pcl_dns *dns = dns_on_fakedns();
	struct worker w[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		w[i].dns = dns;
		w[i].failures = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_run, &w[i]),
		                 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(w[i].failures == 0,
		              "thread %d: got %d wrong results, want 0", i,
		              w[i].failures);
	}
	pcl_dns_free(dns);
}
END_TEST

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
    {"parentheses in the sender are quoted", "192.0.2.1",
     "a(b)@example.net", "h.example.net", NULL, "mailfrom", PCL_SPF_FAIL,
     "-all", "",
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
	ck_assert_msg(pcl_spf_received(&req, &resp, tc->identity, buf,
	                               sizeof(buf)),
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
		              tc->label, key, got ? got : "(none)", eq + 1, buf);
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
		ck_assert_msg(strcmp(pcl_spf_result_name(names[i].r),
		                     names[i].want) == 0,
		              "result %d: got \"%s\", want \"%s\"",
		              (int)names[i].r, pcl_spf_result_name(names[i].r),
		              names[i].want);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("spf");
	TCase *macro = tcase_create("macro");
	TCase *records = tcase_create("records");
	TCase *syntax = tcase_create("syntax");
	TCase *header = tcase_create("received");
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
	tcase_add_checked_fixture(records, records_setup, fixture_teardown);
	tcase_add_loop_test(records, test_record, 0, N(record_cases));
	tcase_add_test(records, test_bad_request);
	tcase_add_test(records, test_threads);
	tcase_set_timeout(records, 30);
	suite_add_tcase(su, records);
	tcase_add_loop_test(header, test_received, 0, N(received_cases));
	tcase_add_test(header, test_received_folding);
	tcase_add_test(header, test_result_names);
	suite_add_tcase(su, header);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
