/*
 * check_addr - unit tests for lib/core/addr.c
 *
 * Tables of {label, input, want}: address parsing and canonical text,
 * IPv4-mapped unwrapping on every entry path, classification, CIDR
 * parsing (edge prefixes, host bits, bad prefixes) and matching, and
 * CIDR lists.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "addr.h"
#include "util.h"

#define BAD NULL /* want: parse fails */

struct parse_case {
	const char *label;
	const char *text;
	const char *want; /* canonical text, or BAD */
	int family;
};

static const struct parse_case parse_cases[] = {
    {"v4", "192.0.2.1", "192.0.2.1", AF_INET},
    {"v4 zero", "0.0.0.0", "0.0.0.0", AF_INET},
    {"v4 broadcast", "255.255.255.255", "255.255.255.255", AF_INET},
    {"v4 literal", "[192.0.2.1]", "192.0.2.1", AF_INET},
    {"v6", "2001:db8::1", "2001:db8::1", AF_INET6},
    {"v6 upper case", "2001:DB8::A", "2001:db8::a", AF_INET6},
    {"v6 full form", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1",
     AF_INET6},
    {"v6 loopback", "::1", "::1", AF_INET6},
    {"v6 unspecified", "::", "::", AF_INET6},
    {"v6 literal", "[2001:db8::1]", "2001:db8::1", AF_INET6},
    {"v6 tagged literal", "[IPv6:2001:db8::1]", "2001:db8::1", AF_INET6},
    {"v6 tag lower case", "[ipv6:2001:db8::1]", "2001:db8::1", AF_INET6},
    {"v6 with v4 tail", "2001:db8::192.0.2.1", "2001:db8::c000:201", AF_INET6},
    {"mapped", "::ffff:192.0.2.1", "192.0.2.1", AF_INET},
    {"mapped hex", "::ffff:c000:0201", "192.0.2.1", AF_INET},
    {"mapped upper", "::FFFF:192.0.2.1", "192.0.2.1", AF_INET},
    {"mapped literal", "[::ffff:192.0.2.1]", "192.0.2.1", AF_INET},
    {"mapped tagged", "[IPv6:::ffff:192.0.2.1]", "192.0.2.1", AF_INET},
    {"v4-compatible stays v6", "::192.0.2.1", "::192.0.2.1", AF_INET6},
    {"empty", "", BAD, 0},
    {"name", "mail.example.com", BAD, 0},
    {"short quad", "1.2.3", BAD, 0},
    {"long quad", "1.2.3.4.5", BAD, 0},
    {"octet 256", "1.2.3.256", BAD, 0},
    {"leading zero", "01.2.3.4", BAD, 0},
    {"leading space", " 1.2.3.4", BAD, 0},
    {"trailing space", "1.2.3.4 ", BAD, 0},
    {"v6 triple colon", "2001:db8:::1", BAD, 0},
    {"v6 two gaps", "2001::db8::1", BAD, 0},
    {"v6 zone", "fe80::1%eth0", BAD, 0},
    {"v6 bad hex", "2001:db8::g", BAD, 0},
    {"unclosed", "[1.2.3.4", BAD, 0},
    {"unopened", "1.2.3.4]", BAD, 0},
    {"empty literal", "[]", BAD, 0},
    {"tag only", "[IPv6:]", BAD, 0},
    {"tag on v4", "[IPv6:192.0.2.1]", BAD, 0},
    {"double tag", "[IPv6:IPv6:2001:db8::1]", BAD, 0},
    {"nested", "[[1.2.3.4]]", BAD, 0},
    {"tag without brackets", "IPv6:2001:db8::1", BAD, 0},
    {"with prefix", "192.0.2.0/24", BAD, 0},
    {"with port", "192.0.2.1:25", BAD, 0},
    {"too long",
     "[IPv6:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]", BAD,
     0},
};

/* test_parse - pcl_addr_parse and pcl_addr_format round trip */
START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct pcl_addr a;
	char got[PCL_ADDR_TEXT_MAX];
	int rc = pcl_addr_parse(c->text, &a);

	if (c->want == BAD) {
		ck_assert_msg(rc == -1, "%s: got %d, want -1", c->label, rc);
		return;
	}
	ck_assert_msg(rc == 0, "%s: got %d, want 0", c->label, rc);
	pcl_addr_format(&a, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->want) == 0, "%s: got %s, want %s",
	              c->label, got, c->want);
	ck_assert_msg(a.family == c->family, "%s: got family %d, want %d",
	              c->label, a.family, c->family);
}
END_TEST

/* test_parse_null - NULL text or output is refused */
START_TEST(test_parse_null)
{
	struct pcl_addr a;

	ck_assert_msg(pcl_addr_parse(NULL, &a) == -1,
	              "NULL text: got 0, want -1");
	ck_assert_msg(pcl_addr_parse("1.2.3.4", NULL) == -1,
	              "NULL out: got 0, want -1");
}
END_TEST

/* test_format_small - a buffer too small gives "", never a cut address */
START_TEST(test_format_small)
{
	struct pcl_addr a;
	char buf[8] = "x";

	ck_assert(pcl_addr_parse("2001:db8::1", &a) == 0);
	pcl_addr_format(&a, buf, sizeof(buf));
	ck_assert_msg(buf[0] == '\0', "small buffer: got \"%s\", want \"\"",
	              buf);
	pcl_addr_format(&a, buf, 0); /* must not write */
	a.family = AF_UNIX;
	pcl_addr_format(&a, buf, sizeof(buf));
	ck_assert_msg(buf[0] == '\0', "bad family: got \"%s\", want \"\"", buf);
}
END_TEST

/* test_from_sockaddr - AF_INET, AF_INET6, mapped, and other families */
START_TEST(test_from_sockaddr)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	struct pcl_addr a;
	char got[PCL_ADDR_TEXT_MAX];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "198.51.100.7", &sin.sin_addr);
	ck_assert(pcl_addr_from_sockaddr((struct sockaddr *)&sin, &a) == 0);
	pcl_addr_format(&a, got, sizeof(got));
	ck_assert_msg(strcmp(got, "198.51.100.7") == 0 && a.family == AF_INET,
	              "v4: got %s, want 198.51.100.7", got);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::25", &sin6.sin6_addr);
	ck_assert(pcl_addr_from_sockaddr((struct sockaddr *)&sin6, &a) == 0);
	pcl_addr_format(&a, got, sizeof(got));
	ck_assert_msg(strcmp(got, "2001:db8::25") == 0 && a.family == AF_INET6,
	              "v6: got %s, want 2001:db8::25", got);

	inet_pton(AF_INET6, "::ffff:203.0.113.9", &sin6.sin6_addr);
	ck_assert(pcl_addr_from_sockaddr((struct sockaddr *)&sin6, &a) == 0);
	pcl_addr_format(&a, got, sizeof(got));
	ck_assert_msg(strcmp(got, "203.0.113.9") == 0 && a.family == AF_INET,
	              "mapped: got %s family %d, want 203.0.113.9 AF_INET", got,
	              a.family);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_msg(pcl_addr_from_sockaddr((struct sockaddr *)&sun, &a) == -1,
	              "AF_UNIX: got 0, want -1");
	ck_assert_msg(pcl_addr_from_sockaddr(NULL, &a) == -1,
	              "NULL: got 0, want -1");
}
END_TEST

struct equal_case {
	const char *label;
	const char *a;
	const char *b;
	bool want;
};

static const struct equal_case equal_cases[] = {
    {"same v4", "192.0.2.1", "192.0.2.1", true},
    {"other v4", "192.0.2.1", "192.0.2.2", false},
    {"v4 and literal", "192.0.2.1", "[192.0.2.1]", true},
    {"v4 and mapped", "192.0.2.1", "::ffff:192.0.2.1", true},
    {"v6 spellings", "2001:db8::1", "2001:DB8:0:0:0:0:0:1", true},
    {"v6 and tagged literal", "2001:db8::1", "[IPv6:2001:db8::1]", true},
    {"v4 and v4-compatible", "192.0.2.1", "::192.0.2.1", false},
    {"v4 zero and v6 zero", "0.0.0.0", "::", false},
};

/* test_equal - pcl_addr_equal over parsed pairs */
START_TEST(test_equal)
{
	const struct equal_case *c = &equal_cases[_i];
	struct pcl_addr a;
	struct pcl_addr b;
	bool got;

	ck_assert(pcl_addr_parse(c->a, &a) == 0);
	ck_assert(pcl_addr_parse(c->b, &b) == 0);
	got = pcl_addr_equal(&a, &b);
	ck_assert_msg(got == c->want, "%s: got %d, want %d", c->label, got,
	              c->want);
}
END_TEST

/* test_hand_built_mapped - equal/classify/match unwrap a raw mapped addr */
START_TEST(test_hand_built_mapped)
{
	struct pcl_addr raw = {.family = AF_INET6};
	struct pcl_addr v4;
	struct pcl_cidr c;
	char err[PCL_ERR_MAX];

	raw.bytes[10] = 0xff;
	raw.bytes[11] = 0xff;
	raw.bytes[12] = 10;
	raw.bytes[15] = 1;
	ck_assert(pcl_addr_parse("10.0.0.1", &v4) == 0);
	ck_assert_msg(pcl_addr_equal(&raw, &v4), "equal: got false, want true");
	ck_assert_msg(pcl_addr_classify(&raw) == PCL_ADDR_PRIVATE,
	              "classify: got %d, want %d", pcl_addr_classify(&raw),
	              PCL_ADDR_PRIVATE);
	ck_assert(pcl_cidr_parse("10.0.0.0/8", &c, err, sizeof(err)) == 0);
	ck_assert_msg(pcl_cidr_match(&c, &raw), "match: got false, want true");
	ck_assert_msg(!pcl_addr_equal(&raw, NULL),
	              "equal NULL: got true, want false");
}
END_TEST

struct class_case {
	const char *label;
	const char *text;
	enum pcl_addr_class want;
};

static const struct class_case class_cases[] = {
    {"public v4", "192.0.2.1", PCL_ADDR_PUBLIC},
    {"public v4 8.8.8.8", "8.8.8.8", PCL_ADDR_PUBLIC},
    {"loopback", "127.0.0.1", PCL_ADDR_LOOPBACK},
    {"loopback high", "127.255.255.254", PCL_ADDR_LOOPBACK},
    {"10/8", "10.1.2.3", PCL_ADDR_PRIVATE},
    {"172.16/12 low", "172.16.0.1", PCL_ADDR_PRIVATE},
    {"172.16/12 high", "172.31.255.255", PCL_ADDR_PRIVATE},
    {"172.32 is public", "172.32.0.1", PCL_ADDR_PUBLIC},
    {"172.15 is public", "172.15.255.255", PCL_ADDR_PUBLIC},
    {"192.168/16", "192.168.1.1", PCL_ADDR_PRIVATE},
    {"100.64/10 low", "100.64.0.1", PCL_ADDR_PRIVATE},
    {"100.64/10 high", "100.127.255.255", PCL_ADDR_PRIVATE},
    {"100.128 is public", "100.128.0.1", PCL_ADDR_PUBLIC},
    {"link-local v4", "169.254.1.1", PCL_ADDR_LINKLOCAL},
    {"0/8", "0.0.0.0", PCL_ADDR_UNSPECIFIED},
    {"0/8 other", "0.1.2.3", PCL_ADDR_UNSPECIFIED},
    {"mapped loopback", "::ffff:127.0.0.1", PCL_ADDR_LOOPBACK},
    {"mapped private", "::ffff:192.168.0.1", PCL_ADDR_PRIVATE},
    {"v6 loopback", "::1", PCL_ADDR_LOOPBACK},
    {"v6 unspecified", "::", PCL_ADDR_UNSPECIFIED},
    {"ULA fc00", "fc00::1", PCL_ADDR_PRIVATE},
    {"ULA fd", "fd12:3456::1", PCL_ADDR_PRIVATE},
    {"fe00 is public", "fe00::1", PCL_ADDR_PUBLIC},
    {"link-local v6", "fe80::1", PCL_ADDR_LINKLOCAL},
    {"link-local v6 high", "febf::1", PCL_ADDR_LINKLOCAL},
    {"fec0 is public", "fec0::1", PCL_ADDR_PUBLIC},
    {"public v6", "2001:db8::1", PCL_ADDR_PUBLIC},
    {"::2 is public", "::2", PCL_ADDR_PUBLIC},
};

/* test_classify - pcl_addr_classify */
START_TEST(test_classify)
{
	const struct class_case *c = &class_cases[_i];
	struct pcl_addr a;
	enum pcl_addr_class got;

	ck_assert_msg(pcl_addr_parse(c->text, &a) == 0, "%s: cannot parse",
	              c->label);
	got = pcl_addr_classify(&a);
	ck_assert_msg(got == c->want, "%s: got %d, want %d", c->label, got,
	              c->want);
}
END_TEST

struct cidr_case {
	const char *label;
	const char *text;
	const char *want; /* "net/prefix", or BAD */
	const char *err;  /* substring of the error when BAD */
};

static const struct cidr_case cidr_cases[] = {
    {"v4 /24", "192.0.2.0/24", "192.0.2.0/24", NULL},
    {"v4 /0", "0.0.0.0/0", "0.0.0.0/0", NULL},
    {"v4 /32", "192.0.2.1/32", "192.0.2.1/32", NULL},
    {"v4 bare", "192.0.2.1", "192.0.2.1/32", NULL},
    {"v4 /31", "192.0.2.2/31", "192.0.2.2/31", NULL},
    {"v4 /1", "128.0.0.0/1", "128.0.0.0/1", NULL},
    {"v4 leading zero prefix", "10.0.0.0/08", "10.0.0.0/8", NULL},
    {"v4 literal", "[192.0.2.0]/24", "192.0.2.0/24", NULL},
    {"v4 literal, prefix inside", "[192.0.2.0/24]", "192.0.2.0/24", NULL},
    {"v6 /32", "2001:db8::/32", "2001:db8::/32", NULL},
    {"v6 /0", "::/0", "::/0", NULL},
    {"v6 /128", "2001:db8::1/128", "2001:db8::1/128", NULL},
    {"v6 bare", "2001:db8::1", "2001:db8::1/128", NULL},
    {"v6 literal", "[2001:db8::]/32", "2001:db8::/32", NULL},
    {"v6 tagged literal", "[IPv6:2001:db8::]/32", "2001:db8::/32", NULL},
    {"v6 /127", "2001:db8::2/127", "2001:db8::2/127", NULL},
    {"mapped bare", "::ffff:192.0.2.1", "192.0.2.1/32", NULL},
    {"mapped /120", "::ffff:192.0.2.0/120", "192.0.2.0/24", NULL},
    {"mapped /96", "::ffff:0.0.0.0/96", "0.0.0.0/0", NULL},
    {"mapped /128", "::ffff:192.0.2.1/128", "192.0.2.1/32", NULL},
    {"below mapped stays v6", "::/80", "::/80", NULL},
    {"v4 host bits", "192.0.2.1/24", BAD,
     "non-zero host bits in \"192.0.2.1/24\" (perhaps \"192.0.2.0/24\")"},
    {"v4 host bits /0", "1.0.0.0/0", BAD, "perhaps \"0.0.0.0/0\""},
    {"v6 host bits", "2001:db8::1/64", BAD, "perhaps \"2001:db8::/64\""},
    {"v4 /33", "192.0.2.0/33", BAD, "prefix length must be 0..32"},
    {"v6 /129", "2001:db8::/129", BAD, "prefix length must be 0..128"},
    {"empty prefix", "192.0.2.0/", BAD, "prefix length"},
    {"negative prefix", "192.0.2.0/-1", BAD, "prefix length"},
    {"plus prefix", "192.0.2.0/+24", BAD, "prefix length"},
    {"hex prefix", "192.0.2.0/0x18", BAD, "prefix length"},
    {"huge prefix", "0.0.0.0/0000000000024", BAD, "prefix length"},
    {"two slashes", "192.0.2.0/24/8", BAD, "prefix length"},
    {"netmask form", "192.0.2.0/255.255.255.0", BAD, "prefix length"},
    {"short quad", "192.0.2/24", BAD, "not an address"},
    {"name", "example.com/24", BAD, "not an address"},
    {"empty", "", BAD, "empty"},
    {"only prefix", "/24", BAD, "not an address"},
    {"unclosed", "[2001:db8::/32", BAD, "not an address"},
    {"text after bracket", "[192.0.2.0]x", BAD, "not an address"},
    {"tag on v4", "[IPv6:192.0.2.0]/24", BAD, "not an address"},
    {"zone", "fe80::%eth0/64", BAD, "not an address"},
};

/* test_cidr_parse - pcl_cidr_parse results and error text */
START_TEST(test_cidr_parse)
{
	const struct cidr_case *c = &cidr_cases[_i];
	struct pcl_cidr cidr;
	char err[PCL_ERR_MAX] = "";
	char net[PCL_ADDR_TEXT_MAX];
	char got[PCL_ADDR_TEXT_MAX + 8];
	int rc = pcl_cidr_parse(c->text, &cidr, err, sizeof(err));

	if (c->want == BAD) {
		ck_assert_msg(rc == -1, "%s: got %d, want -1", c->label, rc);
		ck_assert_msg(strstr(err, c->err) != NULL,
		              "%s: got error \"%s\", want \"%s\"", c->label,
		              err, c->err);
		return;
	}
	ck_assert_msg(rc == 0, "%s: got %d (%s), want 0", c->label, rc, err);
	pcl_addr_format(&cidr.net, net, sizeof(net));
	pcl_format(got, sizeof(got), "%s/%u", net, cidr.prefix);
	ck_assert_msg(strcmp(got, c->want) == 0, "%s: got %s, want %s",
	              c->label, got, c->want);
}
END_TEST

struct match_case {
	const char *label;
	const char *cidr;
	const char *addr;
	bool want;
};

static const struct match_case match_cases[] = {
    {"inside /24", "192.0.2.0/24", "192.0.2.77", true},
    {"first of /24", "192.0.2.0/24", "192.0.2.0", true},
    {"last of /24", "192.0.2.0/24", "192.0.2.255", true},
    {"outside /24", "192.0.2.0/24", "192.0.3.0", false},
    {"below /24", "192.0.2.0/24", "192.0.1.255", false},
    {"/0 takes any v4", "0.0.0.0/0", "203.0.113.9", true},
    {"/0 v4 not v6", "0.0.0.0/0", "2001:db8::1", false},
    {"::/0 not v4", "::/0", "192.0.2.1", false},
    {"::/0 takes v6", "::/0", "2001:db8::1", true},
    {"/32 exact", "192.0.2.1/32", "192.0.2.1", true},
    {"/32 other", "192.0.2.1/32", "192.0.2.2", false},
    {"/12 odd bits in", "172.16.0.0/12", "172.31.1.1", true},
    {"/12 odd bits out", "172.16.0.0/12", "172.32.0.0", false},
    {"/128 exact", "2001:db8::1/128", "2001:db8::1", true},
    {"/128 other", "2001:db8::1/128", "2001:db8::2", false},
    {"v6 /32 in", "2001:db8::/32", "2001:db8:ffff::1", true},
    {"v6 /32 out", "2001:db8::/32", "2001:db9::1", false},
    {"v6 /33 odd bits", "2001:db8:8000::/33", "2001:db8:7fff::1", false},
    {"mapped client in v4 block", "192.0.2.0/24", "::ffff:192.0.2.5", true},
    {"mapped block, v4 client", "::ffff:192.0.2.0/120", "192.0.2.5", true},
};

/* test_cidr_match - pcl_cidr_match */
START_TEST(test_cidr_match)
{
	const struct match_case *c = &match_cases[_i];
	struct pcl_cidr cidr;
	struct pcl_addr a;
	char err[PCL_ERR_MAX];
	bool got;

	ck_assert_msg(pcl_cidr_parse(c->cidr, &cidr, err, sizeof(err)) == 0,
	              "%s: %s", c->label, err);
	ck_assert_msg(pcl_addr_parse(c->addr, &a) == 0, "%s: bad address",
	              c->label);
	got = pcl_cidr_match(&cidr, &a);
	ck_assert_msg(got == c->want, "%s: got %d, want %d", c->label, got,
	              c->want);
}
END_TEST

struct list_case {
	const char *label;
	const char *list;
	size_t want_count; /* (size_t)-1: parse fails */
	const char *probe;
	bool want_match;
	const char *err;
};

#define LIST_BAD ((size_t)-1)

static const struct list_case list_cases[] = {
    {"mynetworks style", "127.0.0.0/8 [::1]/128 192.168.0.0/16", 3,
     "192.168.4.4", true, NULL},
    {"commas", "10.0.0.0/8,172.16.0.0/12", 2, "172.20.0.1", true, NULL},
    {"commas and spaces", " 10.0.0.0/8 ,\t, 2001:db8::/32 ", 2, "2001:db8::9",
     true, NULL},
    {"no match", "10.0.0.0/8, 2001:db8::/32", 2, "192.0.2.1", false, NULL},
    {"empty list", "", 0, "192.0.2.1", false, NULL},
    {"only separators", " , ,", 0, "192.0.2.1", false, NULL},
    {"mapped probe", "192.0.2.0/24", 1, "::ffff:192.0.2.9", true, NULL},
    {"bad element named", "10.0.0.0/8, 10.1.2.3/16, ::1", LIST_BAD, NULL, false,
     "\"10.1.2.3/16\""},
    {"hostname element", "10.0.0.0/8 localhost", LIST_BAD, NULL, false,
     "\"localhost\""},
    {"lookup table element", "hash:/etc/postfix/network_table", LIST_BAD, NULL,
     false, "hash:/etc/postfix/network_table"},
    {"over-long element",
     "1111111111111111111111111111111111111111111111"
     "111111111111111111111111/8",
     LIST_BAD, NULL, false, "too long"},
};

/* test_list - pcl_cidr_list_parse, _match and _clear */
START_TEST(test_list)
{
	const struct list_case *c = &list_cases[_i];
	struct pcl_cidr_list l = {NULL, 0};
	struct pcl_addr a;
	char err[PCL_ERR_MAX] = "";
	int rc = pcl_cidr_list_parse(c->list, &l, err, sizeof(err));
	bool got;

	if (c->want_count == LIST_BAD) {
		ck_assert_msg(rc == -1, "%s: got %d, want -1", c->label, rc);
		ck_assert_msg(l.items == NULL && l.count == 0,
		              "%s: got %zu items after error, want 0", c->label,
		              l.count);
		ck_assert_msg(strstr(err, c->err) != NULL,
		              "%s: got error \"%s\", want \"%s\"", c->label,
		              err, c->err);
		return;
	}
	ck_assert_msg(rc == 0, "%s: got %d (%s), want 0", c->label, rc, err);
	ck_assert_msg(l.count == c->want_count, "%s: got %zu items, want %zu",
	              c->label, l.count, c->want_count);
	ck_assert(pcl_addr_parse(c->probe, &a) == 0);
	got = pcl_cidr_list_match(&l, &a);
	ck_assert_msg(got == c->want_match, "%s: got match %d, want %d",
	              c->label, got, c->want_match);
	pcl_cidr_list_clear(&l);
	ck_assert_msg(l.items == NULL && l.count == 0,
	              "%s: got %zu items after clear, want 0", c->label,
	              l.count);
	pcl_cidr_list_clear(&l); /* twice is safe */
	pcl_cidr_list_clear(NULL);
	ck_assert_msg(!pcl_cidr_list_match(NULL, &a), "%s: NULL list matched",
	              c->label);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* addr_suite - every addr test case */
static Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");

	tcase_add_loop_test(tc, test_parse, 0, N(parse_cases));
	tcase_add_test(tc, test_parse_null);
	tcase_add_test(tc, test_format_small);
	tcase_add_test(tc, test_from_sockaddr);
	tcase_add_loop_test(tc, test_equal, 0, N(equal_cases));
	tcase_add_test(tc, test_hand_built_mapped);
	tcase_add_loop_test(tc, test_classify, 0, N(class_cases));
	tcase_add_loop_test(tc, test_cidr_parse, 0, N(cidr_cases));
	tcase_add_loop_test(tc, test_cidr_match, 0, N(match_cases));
	tcase_add_loop_test(tc, test_list, 0, N(list_cases));
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite; fails when any check fails */
int
main(void)
{
	SRunner *sr = srunner_create(addr_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
