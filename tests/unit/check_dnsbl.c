/*
 * check_dnsbl - unit tests for lib/dns/dnslist.c
 *
 * Tables of {label, inputs, want}: site syntax (the examples of the
 * header, the Spamhaus DQS guide and postscreen guides), bad sites and
 * their messages, a sweep proving that no message or public name ever
 * holds the DQS key, filter matching, answer classification, IP and
 * domain query names (every IP also checked against ldns), redaction.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dnsbl.h"
#include "util.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define A10 "aaaaaaaaaa"
#define L63 A10 A10 A10 A10 A10 A10 "aaa"
#define L64 L63 "a"
#define NAME253 L63 "." L63 "." L63 "." A10 A10 A10 A10 A10 A10 "a"
#define KEY "Xq7Zv9Kw2Lp4Rt6" /* a made-up DQS key */
#define DQS_ZONE "$dqs_key.zen.dq.spamhaus.net"
#define V6_1 "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
#define V6_2 "8.7.6.5.4.3.2.1.0.f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.8.b.d.0.1.0.0.2"

/* filter_text - a parsed filter as canonical text, "" without one */
static void
filter_text(const struct pcl_dnsbl_site *s, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!s->has_filter)
		return;
	for (int i = 0; i < 4; i++) {
		const struct pcl_dnsbl_octet *o = &s->filter[i];

		(void)pcl_append(buf, len, "%s", i > 0 ? "." : "");
		if (o->count == 1 && o->lo[0] == o->hi[0]) {
			(void)pcl_append(buf, len, "%u", o->lo[0]);
			continue;
		}
		(void)pcl_append(buf, len, "[");
		for (size_t j = 0; j < o->count; j++) {
			(void)pcl_append(buf, len, "%s%u", j > 0 ? ";" : "",
			                 o->lo[j]);
			if (o->hi[j] != o->lo[j])
				(void)pcl_append(buf, len, "..%u", o->hi[j]);
		}
		(void)pcl_append(buf, len, "]");
	}
}

/* site_summary - "zone public filter weight [secret]" of a parsed site */
static void
site_summary(const struct pcl_dnsbl_site *s, char *buf, size_t len)
{
	char filter[256];

	filter_text(s, filter, sizeof(filter));
	(void)pcl_format(buf, len, "%s %s %s %d%s", s->zone, s->public_name,
	                 filter[0] ? filter : "-", s->weight,
	                 s->secret ? " secret" : "");
}

struct site_case {
	const char *label;
	const char *text;
	const char *want; /* site_summary() */
	const char *key;
	const char *public_name;
};

#define ZS "zen.spamhaus.org"
#define ZDQ "zen.dq.spamhaus.net"
#define BL "bl.example bl.example"
#define BLF "bl.example=" /* a site with a filter */
#define NOKEY NULL, NULL  /* no key, no public name */
static const struct site_case site_cases[] = {
    /* lib/dns/dnsbl.h */
    {"header zen", ZS "=127.0.0.[2..11]*3", ZS " " ZS " 127.0.0.[2..11] 3",
     NOKEY},
    {"header dnswl", "list.dnswl.org=127.0.[0..255].[1..3]*-2",
     "list.dnswl.org list.dnswl.org 127.0.[0..255].[1..3] -2", NOKEY},
    {"header barracuda", "b.barracudacentral.org=127.0.0.2",
     "b.barracudacentral.org b.barracudacentral.org 127.0.0.2 1", NOKEY},
    {"header list", BLF "127.0.0.[2;3;4]", BL " 127.0.0.[2;3;4] 1", NOKEY},
    {"mixed list", BLF "127.0.0.[1;3..5]", BL " 127.0.0.[1;3..5] 1", NOKEY},
    /* postscreen guides (seed 003) and postconf(5) */
    {"no filter", ZS "*3", ZS " " ZS " - 3", NOKEY},
    {"plain", "bl.spamcop.net", "bl.spamcop.net bl.spamcop.net - 1", NOKEY},
    {"barracuda range", "b.barracudacentral.org=127.0.0.[2..11]*2",
     "b.barracudacentral.org b.barracudacentral.org 127.0.0.[2..11] 2", NOKEY},
    {"swl", "swl.spamhaus.org*-4", "swl.spamhaus.org swl.spamhaus.org - -4",
     NOKEY},
    {"dnswl hi", "list.dnswl.org=127.[0..255].[0..255].[2..3]*-6",
     "list.dnswl.org list.dnswl.org 127.[0..255].[0..255].[2..3] -6", NOKEY},
    /* Spamhaus DQS (seed 000) */
    {"dqs zen", DQS_ZONE "=127.0.0.[2..11]",
     KEY "." ZDQ " " ZDQ " 127.0.0.[2..11] 1 secret", KEY, NULL},
    {"dqs dbl braced", "${dqs_key}.dbl.dq.spamhaus.net=127.0.1.[2..99]",
     KEY ".dbl.dq.spamhaus.net dbl.dq.spamhaus.net 127.0.1.[2..99] 1 "
         "secret",
     KEY, NULL},
    {"dqs zrd", "$dqs_key.zrd.dq.spamhaus.net=127.0.2.[2..24]",
     KEY ".zrd.dq.spamhaus.net zrd.dq.spamhaus.net 127.0.2.[2..24] 1 secret",
     KEY, NULL},
    {"dqs public name", DQS_ZONE "*3", KEY "." ZDQ " " ZS " - 3 secret", KEY,
     ZS},
    {"dqs empty public", DQS_ZONE, KEY "." ZDQ " " ZDQ " - 1 secret", KEY, ""},
    {"dqs key in label", "x$dqs_key-y.zen.example",
     "x" KEY "-y.zen.example zen.example - 1 secret", KEY, NULL},
    {"dqs trailing dot", "$dqs_key.zen.example.",
     KEY ".zen.example zen.example - 1 secret", KEY, NULL},
    {"key unused", ZS, ZS " " ZS " - 1", KEY, NULL},
    {"key dqs", DQS_ZONE, "dqs." ZDQ " " ZDQ " - 1 secret", "dqs", NULL},
    /* names */
    {"lower case", "ZEN.Spamhaus.ORG.", ZS " " ZS " - 1", NOKEY},
    {"idn zone", "bl.xn--bcher-kva.example",
     "bl.xn--bcher-kva.example bl.xn--bcher-kva.example - 1", NOKEY},
    {"underscore", "_bl.example", "_bl.example _bl.example - 1", NOKEY},
    {"one label", "localbl", "localbl localbl - 1", NOKEY},
    {"label 63", L63 ".example", L63 ".example " L63 ".example - 1", NOKEY},
    {"name 253", NAME253, NAME253 " " NAME253 " - 1", NOKEY},
    /* filters and weights */
    {"edge zero", BLF "0.0.0.0", BL " 0.0.0.0 1", NOKEY},
    {"edge 255", BLF "255.255.255.255", BL " 255.255.255.255 1", NOKEY},
    {"edge list", BLF "[0;255].[0..255].0.[255..255]",
     BL " [0;255].[0..255].0.255 1", NOKEY},
    {"one item", BLF "127.0.0.[2]", BL " 127.0.0.2 1", NOKEY},
    {"16 items", BLF "127.0.0.[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16]",
     BL " 127.0.0.[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16] 1", NOKEY},
    {"weight zero", "bl.example*0", BL " - 0", NOKEY},
    {"weight max", "bl.example*1000", BL " - 1000", NOKEY},
    {"weight min", "bl.example*-1000", BL " - -1000", NOKEY},
};

/* test_site_parse - good sites: zone, public name, filter, weight */
START_TEST(test_site_parse)
{
	const struct site_case *c = &site_cases[_i];
	struct pcl_dnsbl_site s;
	char err[PCL_ERR_MAX] = "";
	char got[1024];
	int rc = pcl_dnsbl_site_parse(c->text, c->key, c->public_name, &s, err,
	                              sizeof(err));

	ck_assert_msg(rc == 0, "%s: got %d (%s), want 0", c->label, rc, err);
	site_summary(&s, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->want) == 0, "%s: got %s, want %s",
	              c->label, got, c->want);
	ck_assert_msg(strcmp(s.text, c->text) == 0, "%s: got text %s, want %s",
	              c->label, s.text, c->text);
	pcl_dnsbl_site_clear(&s);
	ck_assert_msg(s.zone == NULL && s.text == NULL && s.public_name == NULL,
	              "%s: clear left pointers", c->label);
	pcl_dnsbl_site_clear(&s); /* twice is safe */
}
END_TEST

struct bad_case {
	const char *label;
	const char *text;
	const char *want; /* a piece of the message */
	const char *key;
	const char *public_name;
};

static const struct bad_case bad_cases[] = {
    {"null", NULL, "empty site", NOKEY},
    {"empty", "", "empty site", NOKEY},
    {"missing zone", "=127.0.0.2",
     "bad DNSBL site \"=127.0.0.2\": missing zone", NOKEY},
    {"only weight", "*3", "missing zone", NOKEY},
    {"backwards", "zen.spamhaus.org=127.0.0.[5..2]",
     "bad DNSBL site \"zen.spamhaus.org=127.0.0.[5..2]\": range 5..2 is "
     "backwards",
     NOKEY},
    {"octet 256", BLF "127.0.0.256", "octet value 256 out of range 0..255",
     NOKEY},
    {"range 256", BLF "127.0.0.[2..256]", "octet value 256 out of range",
     NOKEY},
    {"huge octet", BLF "127.0.0.99999999999",
     "octet value 99999999999 out of range", NOKEY},
    {"3 octets", BLF "127.0.0", "filter has 3 octets, want 4", NOKEY},
    {"5 octets", BLF "127.0.0.1.2", "more than 4 octets", NOKEY},
    {"bare range", BLF "127.0.0.2..11", "range that needs brackets", NOKEY},
    {"empty filter", BLF "", "empty filter", NOKEY},
    {"empty octet", BLF "127..0.1", "\"..\" outside brackets: an empty octet",
     NOKEY},
    {"empty first", BLF ".0.0.1", "expected a number at \".0.0.1\"", NOKEY},
    {"empty last", BLF "127.0.0.", "filter ends where a number is due", NOKEY},
    {"letter octet", BLF "127.0.0.x", "expected a number at \"x\"", NOKEY},
    {"empty list", BLF "127.0.0.[]", "expected a number", NOKEY},
    {"list trailing", BLF "127.0.0.[1;]", "expected a number", NOKEY},
    {"open range", BLF "127.0.0.[1..]", "expected a number", NOKEY},
    {"unclosed", BLF "127.0.0.[1;2", "missing ']'", NOKEY},
    {"comma list", BLF "127.0.0.[1,2]", "unexpected ','", NOKEY},
    {"17 items", BLF "127.0.0.[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17]",
     "more than 16 items", NOKEY},
    {"weight garbage", "bl.example*abc", "bad weight \"abc\"", NOKEY},
    {"weight empty", "bl.example*", "bad weight \"\"", NOKEY},
    {"weight minus", "bl.example*-", "bad weight", NOKEY},
    {"weight plus", "bl.example*+3", "bad weight \"+3\"", NOKEY},
    {"weight tail", "bl.example*3x", "bad weight \"3x\"", NOKEY},
    {"weight float", "bl.example*1.5", "bad weight", NOKEY},
    {"weight high", "bl.example*1001",
     "weight \"1001\" out of range -1000..1000", NOKEY},
    {"weight low", "bl.example*-1001", "out of range", NOKEY},
    {"weight huge", "bl.example*99999999999999999999", "out of range", NOKEY},
    {"weight first", "bl.example*3=127.0.0.2", "bad weight", NOKEY},
    {"key missing", DQS_ZONE,
     "bad DNSBL site \"" DQS_ZONE "\": zone uses $dqs_key but no DQS key",
     NOKEY},
    {"key empty", DQS_ZONE, "no DQS key is configured", "", NULL},
    {"key punctuation", DQS_ZONE, "DQS key must be 1 to 64 letters and digits",
     "abc-def", NULL},
    {"key too long", DQS_ZONE, "letters and digits", L64 "b", NULL},
    {"key 64 label", DQS_ZONE, "label longer than 63", "k" L63, NULL},
    {"key only", "$dqs_key", "no labels besides $dqs_key", KEY, NULL},
    {"key literal", KEY ".zen.dq.spamhaus.net",
     "\"<redacted>.zen.dq.spamhaus.net\": contains the DQS key itself", KEY,
     NULL},
    {"key literal case", "xq7zv9kw2lp4rt6.zen.dq.spamhaus.net",
     "contains the DQS key itself", KEY, NULL},
    {"key in public", DQS_ZONE, "public name contains", KEY, KEY ".zen"},
    {"unknown variable", "$dqs.zen.example", "'$' in zone must start $dqs_key",
     KEY, NULL},
    {"longer name", "$dqs_keys.zen.example", "must start", KEY, NULL},
    {"upper variable", "$DQS_KEY.zen.example", "must start", KEY, NULL},
    {"unclosed brace", "${dqs_key.zen.example", "must start", KEY, NULL},
    {"empty label", "bl..example", "zone: empty label", NOKEY},
    {"leading dot", ".bl.example", "empty label", NOKEY},
    {"two dots", "bl.example..", "empty label", NOKEY},
    {"dot only", ".", "zone: empty name", NOKEY},
    {"space", "bl example", "invalid character", NOKEY},
    {"slash", "bl/example", "invalid character", NOKEY},
    {"hyphen start", "-bl.example", "starts or ends with '-'", NOKEY},
    {"hyphen end", "bl-.example", "starts or ends with '-'", NOKEY},
    {"numeric last", "bl.127", "all digits", NOKEY},
    {"ip zone", "192.0.2.1", "all digits", NOKEY},
    {"label 64", L64 ".example", "label longer than 63", NOKEY},
    {"name 254", NAME253 "a", "longer than 253", NOKEY},
    {"too long",
     L63 "." L63 "." L63 "." L63 "." L63 "." L63 "." L63 "." L63 "." L63 "." L63
         "." L63 "." L63 "." L63 "." L63 "." L63 "." L63,
     "longer than 1000 characters", NOKEY},
};

/* test_site_bad - bad sites fail with a message naming the problem */
START_TEST(test_site_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct pcl_dnsbl_site s;
	char err[PCL_ERR_MAX] = "";
	int rc = pcl_dnsbl_site_parse(c->text, c->key, c->public_name, &s, err,
	                              sizeof(err));

	ck_assert_msg(rc == -1, "%s: got %d, want -1", c->label, rc);
	ck_assert_msg(strstr(err, c->want) != NULL,
	              "%s: got \"%s\", want it to hold \"%s\"", c->label, err,
	              c->want);
	ck_assert_msg(s.zone == NULL && s.text == NULL && s.public_name == NULL,
	              "%s: failed parse left pointers", c->label);
	pcl_dnsbl_site_clear(&s);
}
END_TEST

/*
 * The key sweep: every site of site_cases and bad_cases, and these, with
 * keys valid, in other case, with punctuation, 66 characters (too long)
 * and 64 (valid, but a label too long), and public names that hold it.
 */
#define PK "Mw4Rb8!Yc2Tn6Hs"
static const char *const leak_keys[] = {
    KEY, "xQ7zV9kW2lP4rT6", PK,
    "u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzdocJ2isAjIhKtJ0RlgLKOmxgJTe",
    "KdNnFRIBXuDL7DxtpYlSXpfKtHF4vUCsMehGAkWvj7FAc9QeWJKY40uvSwMFLZDe"};
static const char *const leak_sites[] = {
    DQS_ZONE "=127.0.0.256*3",
    "$dqs_key..zen.example",
    "$dqs_key" L63 ".zen.example",
    "$dqs_key." L63 "." L63 "." L63 "." L63,
    "zen.example=" KEY,
    "zen.example*-" KEY "99",
    "x" KEY "x.example",
    PK ".zen.example",
    "zen.example*" PK,
    L63 "." L63 "." L63 ".aaa" KEY ".example", /* across the quote cut */
    "=" KEY,
    KEY "*" KEY};
static const char *const leak_publics[] = {
    NULL, "", "zen.spamhaus.org", KEY, "dqs-" KEY ".example", "xq7zv9kw2lp4rt6",
    PK};
static const size_t leak_errlens[] = {PCL_ERR_MAX, 64, 30, 8, 1};

/* leak_site - the i-th site of the sweep, NULL past the end */
static const char *
leak_site(int i)
{
	if (i < N(site_cases))
		return site_cases[i].text;
	i -= N(site_cases);
	if (i < N(bad_cases))
		return bad_cases[i].text ? bad_cases[i].text : "";
	i -= N(bad_cases);
	return i < N(leak_sites) ? leak_sites[i] : NULL;
}

/* holds_key - does s hold any 5-character piece of key, in any case */
static bool
holds_key(const char *s, const char *key)
{
	char piece[6];
	size_t n = strlen(key);

	for (size_t i = 0; s != NULL && i + 5 <= n; i++) {
		memcpy(piece, key + i, 5);
		piece[5] = '\0';
		if (strcasestr(s, piece) != NULL)
			return true;
	}
	return false;
}

/* leak_check - one parse; neither message nor public name holds key */
static void
leak_check(const char *text, const char *key, const char *pub, size_t errlen)
{
	struct pcl_dnsbl_site s;
	char err[PCL_ERR_MAX] = "";
	int rc = pcl_dnsbl_site_parse(text, key, pub, &s, err, errlen);

	ck_assert_msg(!holds_key(err, key),
	              "%s (len %zu): got \"%s\", want no key", text, errlen,
	              err);
	/* A public name the admin chose with another key's look-alike is
	 * theirs to keep. */
	if (rc == 0 && !holds_key(pub, key))
		ck_assert_msg(
		    !holds_key(s.public_name, key) && !holds_key(s.text, key),
		    "%s: got public \"%s\", want no key", text, s.public_name);
	pcl_dnsbl_site_clear(&s);
}

/* test_key_never_leaks - no message, public name or text shows a key */
START_TEST(test_key_never_leaks)
{
	const char *text;
	int n = 0;

	for (int i = 0; (text = leak_site(i)) != NULL; i++)
		for (int p = 0; p < N(leak_publics); p++)
			for (int e = 0; e < N(leak_errlens); e++, n++)
				leak_check(text, leak_keys[_i], leak_publics[p],
				           leak_errlens[e]);
	ck_assert_msg(n > 3000, "sweep: got %d cases, want > 3000", n);
}
END_TEST

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

/* dnsbl_suite - every dnsbl test case */
static Suite *
dnsbl_suite(void)
{
	Suite *s = suite_create("dnsbl");
	TCase *tc = tcase_create("dnsbl");

	tcase_add_loop_test(tc, test_site_parse, 0, N(site_cases));
	tcase_add_loop_test(tc, test_site_bad, 0, N(bad_cases));
	tcase_add_loop_test(tc, test_key_never_leaks, 0, N(leak_keys));
	tcase_add_loop_test(tc, test_filter_match, 0, N(match_cases));
	tcase_add_loop_test(tc, test_classify, 0, N(classify_cases));
	tcase_add_loop_test(tc, test_query, 0, N(query_cases));
	tcase_add_test(tc, test_odd_inputs);
	tcase_add_loop_test(tc, test_redact, 0, N(redact_cases));
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite; fails when any check fails */
int
main(void)
{
	SRunner *sr = srunner_create(dnsbl_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
