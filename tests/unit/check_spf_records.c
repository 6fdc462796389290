/*
 * check_spf_records - SPF records against fakedns (check_spf): CIDR and
 * IPv6 matching, IPv4-mapped clients, include chains at and over 10
 * terms, void lookups, MX and PTR limits, PTR validation, DNS errors,
 * exp= and redirect=; bad requests, and threads sharing a resolver;
 * a temperror's problem names the lookup, never the resolver
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "spf_suite.h"
#include "util.h"

/*
 * Records, limits, IPv6 and the DNS: one zone, a case per sender
 * domain (or HELO name).
 */

static const char records_zone[] = ZONE_HEAD
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
		pcl_append(
		    zone, sizeof(zone),
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
	bool mapped;        /* hand the client over as ::ffff:a.b.c.d */
	const char *sender; /* NULL: the HELO identity */
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
    {"ip4 outside", "198.51.100.1", false, "a@ip4host.test", H, PCL_SPF_FAIL,
     "-all", NULL, "", 0, 0},
    {"ip6 /32 inside", "2001:db8:ffff::1", false, "a@ip6net.test", H,
     PCL_SPF_PASS, NO},
    {"ip6 /32 outside", "2001:db9::1", false, "a@ip6net.test", H, PCL_SPF_FAIL,
     NO},
    {"ip6 never matches IPv4", "192.0.2.3", false, "a@ip6net.test", H,
     PCL_SPF_FAIL, NO},
    {"names are case-insensitive", "192.0.2.3", false, "a@upper.test", H,
     PCL_SPF_PASS, "IP4:192.0.2.3", NULL, NULL, -1, -1},
    {"a//64 IPv6 same /64", "2001:db8:1::ffff", false, "a@a64.test", H,
     PCL_SPF_PASS, NO},
    {"a//64 IPv6 other /64", "2001:db8:2::1", false, "a@a64.test", H,
     PCL_SPF_FAIL, NO},
    {"a/24//64 IPv4", "192.0.2.3", false, "a@dual.test", H, PCL_SPF_PASS, NO},
    {"a/24//64 IPv6", "2001:db8:5::abcd", false, "a@dual.test", H, PCL_SPF_PASS,
     NO},
    {"a/24//64 outside", "198.51.100.3", false, "a@dual.test", H, PCL_SPF_FAIL,
     NO},
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
    {"unknown modifier ignored", "192.0.2.3", false, "a@unknown-mod.test", H,
     PCL_SPF_PASS, NO},
    {"no record", "192.0.2.3", false, "a@nospf.test", H, PCL_SPF_NONE, "", "",
     NULL, 0, 0},
    {"no such domain", "192.0.2.3", false, "a@nx.test", H, PCL_SPF_NONE, NO},
    {"HELO with a final dot", "192.0.2.3", false, NULL, "helo.test.",
     PCL_SPF_PASS, NO},
    {"HELO address literal", "192.0.2.3", false, NULL, "[192.0.2.3]",
     PCL_SPF_NONE, NO},
    {"HELO of one label", "192.0.2.3", false, NULL, "localhost", PCL_SPF_NONE,
     NO},
    {"8-bit domain", "192.0.2.3", false, "a@b\xc3\xa9.test", H, PCL_SPF_NONE,
     NO},
    {"empty domain", "192.0.2.3", false, "a@", H, PCL_SPF_NONE, NO},
    {"exists with %{ir}", "192.0.2.3", false, "a@exists.test", H, PCL_SPF_PASS,
     NULL, NULL, NULL, 1, 0},
    {"exists not listed", "192.0.2.4", false, "a@exists.test", H, PCL_SPF_FAIL,
     NULL, NULL, NULL, 1, 1},
    /* DNS errors */
    {"SERVFAIL on the record", "192.0.2.3", false, "a@servfail.test", H,
     PCL_SPF_TEMPERROR, "", "servfail.test", NULL, -1, -1},
    {"SERVFAIL inside include", "192.0.2.3", false, "a@inc-servfail.test", H,
     PCL_SPF_TEMPERROR, "include:servfail.test", "SERVFAIL", NULL, 1, 0},
    {"timeout on a", "192.0.2.3", false, "a@a-timeout.test", H,
     PCL_SPF_TEMPERROR, "a:timeout.test", "timeout.test", NULL, -1, -1},
    /* mx */
    {"mx with 10 hosts", "192.0.2.3", false, "a@mx10.test", H, PCL_SPF_PASS,
     "mx", NULL, NULL, 1, 0},
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
    {"10 nested includes: at the limit", "192.0.2.3", false, "a@cm.chain.test",
     H, PCL_SPF_PASS, NULL, NULL, NULL, 10, 0},
    {"the 11th term is a permerror", "192.0.2.4", false, "a@top.test", H,
     PCL_SPF_PERMERROR, "a", "more than 10", NULL, 11, 0},
    /* void lookups */
    {"two void lookups", "192.0.2.3", false, "a@void2.test", H, PCL_SPF_PASS,
     "ip4:192.0.2.3", NULL, NULL, 2, 2},
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
    {"ptr: a name that does not validate", "192.0.2.12", false, "a@ptr.test", H,
     PCL_SPF_FAIL, NO},
    {"ptr: PTR lookup fails, no match", "192.0.2.13", false, "a@ptr.test", H,
     PCL_SPF_FAIL, NULL, NULL, NULL, 1, 0},
    {"ptr: IPv6, PTR name in mixed case", "2001:db8::12", false, "a@ptr.test",
     H, PCL_SPF_PASS, NO},
    /* exp= and redirect= */
    {"redirect: the target's exp=", "192.0.2.3", false, "a@redirect-exp.test",
     H, PCL_SPF_FAIL, "redirect", NULL, "rtarget.test says no to 192.0.2.3", 1,
     0},
    {"no explanation for softfail", "192.0.2.3", false, "a@softfail-exp.test",
     H, PCL_SPF_SOFTFAIL, "~all", NULL, "", 0, 0},
    {"no explanation from an include", "192.0.2.3", false, "a@incexp.test", H,
     PCL_SPF_FAIL, "-all", NULL, "", 1, 0},
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
	/* only a dropped query waits out the deadline */
	struct pcl_dns *dns = strstr(tc->label, "timeout") != NULL
	                          ? dns_on_fakedns_hasty()
	                          : dns_on_fakedns();
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
		ck_assert_msg(tc->want_problem[0]
		                  ? strstr(r.problem, tc->want_problem) != NULL
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

/* closed_port - a loopback UDP port nobody listens on (bound, then
 * closed): a query there is refused at once (ICMP) */
static int
closed_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

struct problem_case {
	const char *label;
	bool then_fakedns; /* a second server: fakedns, after the closed port */
	const char *sender;
	const char *want_problem;
};

static const struct problem_case problem_cases[] = {
    {"the only server refuses", false, "a@ip4host.test",
     "TXT lookup of ip4host.test: recv: Connection refused"},
    {"one refuses, the other is silent", true, "a@timeout.test",
     "TXT lookup of timeout.test: timeout (recv: Connection refused)"},
};

/* test_problem_no_server - a temperror's problem (shown in Received-SPF
 * problem= and in replies) says which lookup failed and how, and never
 * names our resolver's address and port */
START_TEST(test_problem_no_server)
{
	const struct problem_case *tc = &problem_cases[_i];
	struct pcl_dns_conf conf = {.timeout_ms = 300, .attempts = 2};
	struct pcl_spf_response r;
	struct pcl_dns *dns;
	char servers[64], closed[32], err[256];

	pcl_format(closed, sizeof(closed), "127.0.0.1:%d", closed_port());
	pcl_format(servers, sizeof(servers), "%s%s%s", closed,
	           tc->then_fakedns ? ", " : "",
	           tc->then_fakedns ? fk->servers : "");
	conf.servers = servers;
	dns = pcl_dns_new(&conf, err, sizeof(err));
	ck_assert_msg(dns != NULL, "%s: dns: %s", tc->label, err);
	check(dns, client("192.0.2.3", false), tc->sender, H, NULL, &r);
	ck_assert_msg(r.result == PCL_SPF_TEMPERROR,
	              "%s: got %s, want temperror", tc->label,
	              pcl_spf_result_name(r.result));
	ck_assert_msg(strcmp(r.problem, tc->want_problem) == 0,
	              "%s: problem: got \"%s\", want \"%s\"", tc->label,
	              r.problem, tc->want_problem);
	ck_assert_msg(strstr(r.problem, "127.0.0.1") == NULL,
	              "%s: problem \"%s\" names the resolver %s", tc->label,
	              r.problem, closed);
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
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
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

/* spf_records_tcase - the "records" test case */
TCase *
spf_records_tcase(void)
{
	TCase *records = tcase_create("records");

	tcase_add_checked_fixture(records, records_setup, fixture_teardown);
	tcase_add_loop_test(records, test_record, 0, N(record_cases));
	tcase_add_test(records, test_bad_request);
	tcase_add_loop_test(records, test_problem_no_server, 0,
	                    N(problem_cases));
	tcase_add_test(records, test_threads);
	tcase_set_timeout(records, 30);
	return records;
}
