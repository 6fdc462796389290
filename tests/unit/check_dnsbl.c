/*
 * check_dnsbl - unit tests for lib/dns/dnslist.c; filters, answers, query
 * names and redaction are in check_dnsbl_answers.c
 *
 * Tables of {label, inputs, want}: site syntax (the examples of the
 * header, the Spamhaus DQS guide and postscreen guides), bad sites and
 * their messages, a sweep proving that no message or public name ever
 * holds the DQS key, filter matching, answer classification, IP and
 * domain query names (every IP also checked against ldns), redaction.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dnslist.h"
#include "dnsbl_suite.h"
#include "util.h"

#define DQS_ZONE "$dqs_key.zen.dq.spamhaus.net"

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

#define ZDQ "zen.dq.spamhaus.net"
#define BL "bl.example bl.example"
#define BLF "bl.example=" /* a site with a filter */
#define NOKEY NULL, NULL  /* no key, no public name */
static const struct site_case site_cases[] = {
    /* lib/dns/dnslist.h */
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

/* dnsbl_suite - every dnsbl test case */
static Suite *
dnsbl_suite(void)
{
	Suite *s = suite_create("dnsbl");
	TCase *tc = tcase_create("dnsbl");

	tcase_add_loop_test(tc, test_site_parse, 0, N(site_cases));
	tcase_add_loop_test(tc, test_site_bad, 0, N(bad_cases));
	tcase_add_loop_test(tc, test_key_never_leaks, 0, N(leak_keys));
	dnsbl_answers_add(tc);
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
