/*
 * check_dnsbl_answers - DNS list answers and queries (check_dnsbl):
 * filter matching, answer classification (listed, not, the lists'
 * error codes), IP and domain query names (every IP also checked
 * against ldns), odd inputs, redaction of the key
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dnslist.h"
#include "dnsbl_suite.h"
#include "util.h"

#define V6_1 "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
#define V6_2 "8.7.6.5.4.3.2.1.0.f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.8.b.d.0.1.0.0.2"

/* addr - parse a test address, failing the test on bad text */
static struct pcl_addr
addr(const char *text)
{
	struct pcl_addr a;

	ck_assert_msg(pcl_addr_parse(text, &a) == 0, "bad test address %s",
	              text);
	return a;
}

/* site - parse a test site, failing the test on bad text */
static void
site(const char *text, struct pcl_dnsbl_site *s)
{
	char err[PCL_ERR_MAX];

	ck_assert_msg(
	    pcl_dnsbl_site_parse(text, KEY, NULL, s, err, sizeof(err)) == 0,
	    "bad test site %s: %s", text, err);
}

struct match_case {
	const char *label;
	const char *site;
	const char *answer;
	bool want;
};

#define ZEN "zen.spamhaus.org=127.0.0.[2..11]"
#define DNSWL "list.dnswl.org=127.0.[0..255].[1..3]"
#define LIST "bl.example=127.0.0.[2;3;4]"
#define MIX "bl.example=127.0.0.[1;3..5]"
static const struct match_case match_cases[] = {
    {"zen low", ZEN, "127.0.0.2", true},
    {"zen high", ZEN, "127.0.0.11", true},
    {"zen below", ZEN, "127.0.0.1", false},
    {"zen above", ZEN, "127.0.0.12", false},
    {"zen third", ZEN, "127.0.1.2", false},
    {"zen first", ZEN, "128.0.0.2", false},
    {"zen v6", ZEN, "2001:db8::2", false},
    {"any 127", "bl", "127.0.0.2", true},
    {"any 127 low", "bl", "127.0.0.0", true},
    {"any 127 high", "bl", "127.255.255.255", true},
    {"any 126", "bl", "126.255.255.255", false},
    {"any 128", "bl", "128.0.0.0", false},
    {"any 10", "bl", "10.0.0.2", false},
    {"any v6", "bl", "::1", false},
    {"any v6 doc", "bl", "2001:db8::7f00:2", false},
    {"dnswl 0.1", DNSWL, "127.0.0.1", true},
    {"dnswl 255.3", DNSWL, "127.0.255.3", true},
    {"dnswl .0", DNSWL, "127.0.0.0", false},
    {"dnswl .4", DNSWL, "127.0.0.4", false},
    {"dnswl second", DNSWL, "127.1.0.1", false},
    {"list 2", LIST, "127.0.0.2", true},
    {"list 4", LIST, "127.0.0.4", true},
    {"list 5", LIST, "127.0.0.5", false},
    {"mixed 1", MIX, "127.0.0.1", true},
    {"mixed 2", MIX, "127.0.0.2", false},
    {"mixed 3", MIX, "127.0.0.3", true},
    {"mixed 5", MIX, "127.0.0.5", true},
    {"mixed 6", MIX, "127.0.0.6", false},
    {"zero", "bl.example=0.0.0.0", "0.0.0.0", true},
    {"zero no", "bl.example=0.0.0.0", "0.0.0.1", false},
    {"all 255", "bl.example=255.255.255.255", "255.255.255.255", true},
    {"all 255 no", "bl.example=255.255.255.255", "255.255.255.254", false},
    {"edge 0", "bl.example=[0;255].0.0.0", "0.0.0.0", true},
    {"edge 255", "bl.example=[0;255].0.0.0", "255.0.0.0", true},
    {"edge 1", "bl.example=[0;255].0.0.0", "1.0.0.0", false},
    {"full", "bl.example=[0..255].[0..255].[0..255].[0..255]", "1.2.3.4", true},
};

/* test_filter_match - A answers against filters; AAAA never matches */
START_TEST(test_filter_match)
{
	const struct match_case *c = &match_cases[_i];
	struct pcl_dnsbl_site s;
	struct pcl_addr a = addr(c->answer);
	bool got;

	site(c->site, &s);
	got = pcl_dnsbl_filter_match(&s, &a);
	ck_assert_msg(got == c->want, "%s: got %d, want %d", c->label, got,
	              c->want);
	pcl_dnsbl_site_clear(&s);
}
END_TEST

struct classify_case {
	const char *label;
	const char *site;
	bool domain_list;
	const char *answers; /* comma separated */
	enum pcl_dnsbl_answer_kind want;
	const char *want_code;    /* "" for none */
	const char *want_meaning; /* NULL for none */
};

#define DBL "dbl.spamhaus.org=127.0.1.[2..99]"
#define PUBLIC_RES "query via public or open resolver"
#define E252 "127.255.255.252"
#define E254 "127.255.255.254"
#define E255 "127.255.255.255"
#define DBL_E "127.0.1.255"
#define ZRD_E "127.0.2.255"
#define NOT PCL_DNSBL_NOT_LISTED
#define LISTED PCL_DNSBL_LISTED
#define ERROR PCL_DNSBL_ERROR
static const struct classify_case classify_cases[] = {
    {"empty", ZEN, false, "", NOT, "", NULL},
    {"listed", ZEN, false, "127.0.0.2", LISTED, "127.0.0.2", NULL},
    {"not in filter", ZEN, false, "127.0.0.1", NOT, "", NULL},
    {"first match", ZEN, false, "127.0.0.1,127.0.0.4,127.0.0.3", LISTED,
     "127.0.0.4", NULL},
    {"aaaa only", "bl", false, "2001:db8::1", NOT, "", NULL},
    {"typing", ZEN, false, E252, ERROR, E252, "typing error in DNSBL name"},
    {"resolver", ZEN, false, E254, ERROR, E254, PUBLIC_RES},
    {"excessive", ZEN, false, E255, ERROR, E255, "excessive number of queries"},
    {"other error", ZEN, false, "127.255.255.0", ERROR, "127.255.255.0",
     "list error code"},
    {"error no filter", "bl", false, E254, ERROR, E254, PUBLIC_RES},
    {"error outside filter", "bl.example=127.0.0.2", false, "127.255.255.253",
     ERROR, "127.255.255.253", "list error"},
    {"listed then error", ZEN, false, "127.0.0.2,127.255.255.254", ERROR, E254,
     PUBLIC_RES},
    {"error then listed", ZEN, false, "127.255.255.255,127.0.0.2", ERROR, E255,
     "excessive"},
    {"first error", ZEN, false, "127.255.255.254,127.255.255.255", ERROR, E254,
     PUBLIC_RES},
    {"near error", "bl", false, "127.255.254.254", LISTED, "127.255.254.254",
     NULL},
    {"dbl code, ip list", "bl", false, DBL_E, LISTED, DBL_E, NULL},
    {"dbl code", "bl", true, DBL_E, ERROR, DBL_E, "DBL: " PUBLIC_RES},
    {"zrd code", "bl", true, ZRD_E, ERROR, ZRD_E, "ZRD: " PUBLIC_RES},
    {"dbl listed", DBL, true, "127.0.1.2", LISTED, "127.0.1.2", NULL},
    {"dbl listed + error", DBL, true, "127.0.1.2,127.0.1.255", ERROR, DBL_E,
     "DBL"},
    {"dbl 127.0.3.255", "bl", true, "127.0.3.255", LISTED, "127.0.3.255", NULL},
    {"domain generic err", DBL, true, E252, ERROR, E252, "typing error"},
    {"dbl outside filter", DBL, true, "127.0.1.100", NOT, "", NULL},
};

/* test_classify - errors first, then listings, then nothing */
START_TEST(test_classify)
{
	const struct classify_case *c = &classify_cases[_i];
	struct pcl_dnsbl_site s;
	struct pcl_addr answers[8];
	struct pcl_addr code;
	char list[256];
	char got_code[PCL_ADDR_TEXT_MAX];
	const char *meaning = "unset";
	enum pcl_dnsbl_answer_kind got;
	size_t n = 0;

	site(c->site, &s);
	ck_assert(pcl_copy(list, sizeof(list), c->answers));
	for (char *t = strtok(list, ","); t != NULL; t = strtok(NULL, ","))
		answers[n++] = addr(t);
	got =
	    pcl_dnsbl_classify(&s, answers, n, c->domain_list, &code, &meaning);
	ck_assert_msg(got == c->want, "%s: got kind %d, want %d", c->label, got,
	              c->want);
	pcl_addr_format(&code, got_code, sizeof(got_code));
	ck_assert_msg(strcmp(got_code, c->want_code) == 0,
	              "%s: got code \"%s\", want \"%s\"", c->label, got_code,
	              c->want_code);
	if (c->want_meaning == NULL)
		ck_assert_msg(meaning == NULL,
		              "%s: got meaning \"%s\", want none", c->label,
		              meaning);
	else
		ck_assert_msg(meaning != NULL &&
		                  strstr(meaning, c->want_meaning) != NULL,
		              "%s: got meaning \"%s\", want \"%s\"", c->label,
		              meaning ? meaning : "(null)", c->want_meaning);
	/* NULL outputs are allowed and change nothing. */
	ck_assert_msg(pcl_dnsbl_classify(&s, answers, n, c->domain_list, NULL,
	                                 NULL) == c->want,
	              "%s: NULL outputs changed the kind", c->label);
	pcl_dnsbl_site_clear(&s);
}
END_TEST

struct query_case {
	const char *label;
	bool ip;           /* pcl_dnsbl_ip_query, else domain_query */
	const char *input; /* an address or a domain */
	const char *zone;
	const char *want; /* NULL: false */
	size_t len;       /* 0: a full buffer */
};

#define FAIL NULL
#define IP true
#define DOM false
#define ZONE189 L63 "." L63 "." A10 A10 A10 A10 A10 A10 "a"
#define DZ "dbl.spamhaus.org"
#define NAME236 L63 "." L63 "." L63 "." A10 A10 A10 A10 "aaaa"
static const struct query_case query_cases[] = {
    /* IP lists: reversed octets, 32 nibbles least significant first */
    {"v4", IP, "192.0.2.1", ZS, "1.2.0.192." ZS, 0},
    {"v4 order", IP, "10.20.30.40", "bl", "40.30.20.10.bl", 0},
    {"v4 zero", IP, "0.0.0.0", "bl", "0.0.0.0.bl", 0},
    {"v4 ones", IP, "255.255.255.255", "bl", "255.255.255.255.bl", 0},
    {"v4 mapped", IP, "::ffff:192.0.2.1", "bl", "1.2.0.192.bl", 0},
    {"v6 short", IP, "2001:db8::1", ZS, V6_1 "." ZS, 0},
    {"v6 full", IP, "2001:db8:1234:5678:9abc:def0:1234:5678", "bl", V6_2 ".bl",
     0},
    {"v6 link-local", IP, "fe80::1:2:3:4", "x",
     "4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.x", 0},
    {"v6 loopback", IP, "::1", "x",
     "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.x", 0},
    {"v4 exact fit", IP, "192.0.2.1", "zen", "1.2.0.192.zen", 14},
    {"v4 one short", IP, "192.0.2.1", "zen", FAIL, 13},
    {"v6 exact fit", IP, "2001:db8::1", "z", V6_1 ".z", 66},
    {"v6 one short", IP, "2001:db8::1", "z", FAIL, 65},
    {"v6 name 253", IP, "2001:db8::1", ZONE189, V6_1 "." ZONE189, 0},
    {"v6 name 254", IP, "2001:db8::1", ZONE189 "a", FAIL, 0},
    {"empty zone", IP, "192.0.2.1", "", FAIL, 0},
    {"null zone", IP, "192.0.2.1", NULL, FAIL, 0},
    /* domain lists: never an IP literal */
    {"plain", DOM, "example.com", DZ, "example.com." DZ, 0},
    {"case", DOM, "Mail.Example.COM", DZ, "mail.example.com." DZ, 0},
    {"trailing dot", DOM, "example.com.", DZ, "example.com." DZ, 0},
    {"two dots", DOM, "example.com..", DZ, FAIL, 0},
    {"idn", DOM, "xn--bcher-kva.example", DZ, "xn--bcher-kva.example." DZ, 0},
    {"idn sub", DOM, "mail.xn--80ak6aa92e.com", DZ,
     "mail.xn--80ak6aa92e.com." DZ, 0},
    {"idn tld", DOM, "example.XN--P1AI", DZ, "example.xn--p1ai." DZ, 0},
    {"underscore", DOM, "_spf.example.com", DZ, "_spf.example.com." DZ, 0},
    {"one label", DOM, "localhost", DZ, "localhost." DZ, 0},
    {"digits in name", DOM, "123.example", DZ, "123.example." DZ, 0},
    {"v4 literal", DOM, "[192.0.2.1]", DZ, FAIL, 0},
    {"v4 bare", DOM, "192.0.2.1", DZ, FAIL, 0},
    {"v4 bare dot", DOM, "192.0.2.1.", DZ, FAIL, 0},
    {"v4 partial", DOM, "192.0.2", DZ, FAIL, 0},
    {"v6 bare", DOM, "2001:db8::1", DZ, FAIL, 0},
    {"v6 literal", DOM, "[2001:db8::1]", DZ, FAIL, 0},
    {"v6 tagged", DOM, "[IPv6:2001:db8::1]", DZ, FAIL, 0},
    {"v6 tag bare", DOM, "IPv6:2001:db8::1", DZ, FAIL, 0},
    {"v6 tag lower", DOM, "ipv6:2001:db8::1", DZ, FAIL, 0},
    {"v6 mapped", DOM, "::ffff:192.0.2.1", DZ, FAIL, 0},
    {"bracket name", DOM, "[example.com]", DZ, FAIL, 0},
    {"empty", DOM, "", DZ, FAIL, 0},
    {"dot", DOM, ".", DZ, FAIL, 0},
    {"empty label", DOM, "example..com", DZ, FAIL, 0},
    {"leading dot", DOM, ".example.com", DZ, FAIL, 0},
    {"space", DOM, "exa mple.com", DZ, FAIL, 0},
    {"at", DOM, "user@example.com", DZ, FAIL, 0},
    {"utf-8", DOM, "b\303\274cher.example", DZ, FAIL, 0},
    {"hyphen start", DOM, "-example.com", DZ, FAIL, 0},
    {"hyphen end", DOM, "example-.com", DZ, FAIL, 0},
    {"label 63", DOM, L63 ".com", DZ, L63 ".com." DZ, 0},
    {"label 64", DOM, L64 ".com", DZ, FAIL, 0},
    {"query 253", DOM, NAME236, DZ, NAME236 "." DZ, 0},
    {"query 254", DOM, NAME236 "a", DZ, FAIL, 0},
    {"name 253 alone", DOM, NAME253, DZ, FAIL, 0},
    {"name too long", DOM, NAME253 "aa." L63, DZ, FAIL, 0},
    {"exact fit", DOM, "a.example", "z", "a.example.z", 12},
    {"one short", DOM, "a.example", "z", FAIL, 11},
    {"empty zone", DOM, "example.com", "", FAIL, 0},
    {"null zone", DOM, "example.com", NULL, FAIL, 0},
    {"null domain", DOM, NULL, DZ, FAIL, 0},
};

/* ldns_reverse - ldns_rdf_address_reverse of a, without the final dot */
static void
ldns_reverse(const struct pcl_addr *a, char *buf, size_t len)
{
	bool v6 = a->family == AF_INET6;
	char text[PCL_ADDR_TEXT_MAX];
	ldns_rdf *rdf;
	ldns_rdf *rev;
	char *name;

	pcl_addr_format(a, text, sizeof(text));
	rdf = ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A,
	                           text);
	ck_assert_msg(rdf != NULL, "%s: ldns cannot parse it", text);
	rev = ldns_rdf_address_reverse(rdf);
	ck_assert_msg(rev != NULL, "%s: ldns cannot reverse it", text);
	name = ldns_rdf2str(rev);
	ck_assert_msg(name != NULL, "%s: ldns cannot print it", text);
	ck_assert(pcl_copy(buf, len, name) && buf[0] != '\0');
	if (buf[strlen(buf) - 1] == '.')
		buf[strlen(buf) - 1] = '\0';
	free(name); /* ldns_rdf2str allocates with malloc */
	ldns_rdf_deep_free(rev);
	ldns_rdf_deep_free(rdf);
}

/* test_query - IP and domain query names, checked by hand */
START_TEST(test_query)
{
	const struct query_case *c = &query_cases[_i];
	struct pcl_addr a;
	char out[512] = "junk";
	char want[512];
	size_t len = c->len ? c->len : sizeof(out);
	bool ok;

	if (c->ip) {
		a = addr(c->input);
		/* Every address is reversed as ldns reverses it, too. */
		ldns_reverse(&a, want, sizeof(want));
		ok = pcl_dnsbl_ip_query(
		    &a, a.family == AF_INET ? "in-addr.arpa" : "ip6.arpa", out,
		    sizeof(out));
		ck_assert_msg(ok && strcmp(out, want) == 0,
		              "%s: got %s, want %s (ldns)", c->label, out,
		              want);
		ok = pcl_dnsbl_ip_query(&a, c->zone, out, len);
	} else {
		ok = pcl_dnsbl_domain_query(c->input, c->zone, out, len);
	}
	if (c->want == NULL) {
		ck_assert_msg(!ok && out[0] == '\0',
		              "%s: got %d \"%s\", want false \"\"", c->label,
		              ok, out);
		return;
	}
	ck_assert_msg(ok, "%s: got false, want %s", c->label, c->want);
	ck_assert_msg(strcmp(out, c->want) == 0, "%s: got %s, want %s",
	              c->label, out, c->want);
}
END_TEST

/* test_odd_inputs - a hand-built mapped address, bad family, NULLs */
START_TEST(test_odd_inputs)
{
	struct pcl_dnsbl_site s;
	struct pcl_addr a = {.family = AF_INET6};
	char out[128];
	char err[PCL_ERR_MAX] = "";
	bool ok;

	a.bytes[10] = a.bytes[11] = 0xff;
	memcpy(a.bytes + 12, "\x7f\x00\x00\x02", 4); /* ::ffff:127.0.0.2 */
	site("bl.example", &s);
	ok = pcl_dnsbl_filter_match(&s, &a) ||
	     pcl_dnsbl_filter_match(NULL, &a) ||
	     pcl_dnsbl_filter_match(&s, NULL);
	ck_assert_msg(!ok, "mapped AAAA or NULL: got a match, want none");
	pcl_dnsbl_site_clear(&s);
	ok = pcl_dnsbl_ip_query(&a, "bl", out, sizeof(out));
	ck_assert_msg(ok && strcmp(out, "2.0.0.127.bl") == 0,
	              "mapped: got %s, want 2.0.0.127.bl", out);
	a.family = AF_UNIX;
	ok = pcl_dnsbl_ip_query(&a, "bl", out, sizeof(out)) ||
	     pcl_dnsbl_ip_query(NULL, "bl", out, sizeof(out)) ||
	     pcl_dnsbl_ip_query(&a, "bl", NULL, 0);
	ck_assert_msg(!ok, "AF_UNIX or NULL: got true, want false");
	ck_assert_msg(pcl_dnsbl_classify(NULL, NULL, 0, false, NULL, NULL) ==
	                  NOT,
	              "NULL answers: got a listing");
	ok = pcl_dnsbl_site_parse("bl", NULL, NULL, NULL, err, sizeof(err)) ==
	         0 ||
	     pcl_dnsbl_site_parse("bl..x", NULL, NULL, &s, NULL, 0) == 0;
	ck_assert_msg(!ok, "NULL out or err: got 0, want -1");
	pcl_dnsbl_site_clear(&s);
	pcl_dnsbl_site_clear(NULL);
	pcl_dnsbl_redact("abc", KEY, NULL, 0);
}
END_TEST

struct redact_case {
	const char *label;
	const char *text;
	const char *key;
	size_t len; /* 0: a full buffer */
	const char *want;
};

static const struct redact_case redact_cases[] = {
    {"one", "q=" KEY ".zen.dq.spamhaus.net", KEY, 0,
     "q=<redacted>.zen.dq.spamhaus.net"},
    {"two", KEY " and " KEY, KEY, 0, "<redacted> and <redacted>"},
    {"adjacent", KEY KEY, KEY, 0, "<redacted><redacted>"},
    {"none", "zen.spamhaus.org", KEY, 0, "zen.spamhaus.org"},
    /* names go lowercased on the wire; a TXT may echo the name asked */
    {"other case", "xq7zv9kw2lp4rt6.zen", KEY, 0, "<redacted>.zen"},
    {"partial", "Xq7Zv9 only", KEY, 0, "Xq7Zv9 only"},
    {"null key", "abc " KEY, NULL, 0, "abc " KEY},
    {"empty key", "abc", "", 0, "abc"},
    {"null text", NULL, KEY, 0, ""},
    {"empty text", "", KEY, 0, ""},
    {"overlap", "aaaa", "aa", 0, "<redacted><redacted>"},
    {"cut text", "abcdef", KEY, 4, "abc"},
    {"cut marker", "ab" KEY "cd", KEY, 6, "ab<re"},
    {"cut before key", "abcd" KEY, KEY, 5, "abcd"},
    {"one byte", KEY, KEY, 1, ""},
};

/* test_redact - every key replaced, even when the output is cut */
START_TEST(test_redact)
{
	const struct redact_case *c = &redact_cases[_i];
	char out[256];
	size_t len = c->len ? c->len : sizeof(out) - 1;

	memset(out, 'x', sizeof(out));
	pcl_dnsbl_redact(c->text, c->key, out, len);
	ck_assert_msg(strcmp(out, c->want) == 0, "%s: got \"%s\", want \"%s\"",
	              c->label, out, c->want);
	ck_assert_msg(out[len] == 'x', "%s: wrote past len", c->label);
}
END_TEST

/* dnsbl_answers_add - add this file's tests to the "dnsbl" test case */
void
dnsbl_answers_add(TCase *tc)
{
	tcase_add_loop_test(tc, test_filter_match, 0, N(match_cases));
	tcase_add_loop_test(tc, test_classify, 0, N(classify_cases));
	tcase_add_loop_test(tc, test_query, 0, N(query_cases));
	tcase_add_test(tc, test_odd_inputs);
	tcase_add_loop_test(tc, test_redact, 0, N(redact_cases));
}
