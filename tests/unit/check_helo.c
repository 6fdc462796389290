/*
 * check_helo - unit tests for lib/core/helo.c
 *
 * One table of HELO names: {label, name, client, self?, want}. The self
 * used when a case asks for it is this host as a test sees it: names
 * "mail.example.com", "mx.example.net." (trailing dot on purpose) and
 * the short "gateway"; addresses 192.0.2.1 and 2001:db8::25.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "helo.h"
#include "util.h"

#define B(p) (1u << (PCL_HELO_##p))
#define FINE 0u
#define SELF true
#define NOSELF false
#define CLIENT "198.51.100.7"

/* Labels of known length, for the 63/64/255/256 limits. */
#define L10 "abcdefghij"
#define L60 L10 L10 L10 L10 L10 L10
#define L62 L60 "ab"
#define L63 L60 "abc"
#define L64 L60 "abcd"
#define N255 L63 "." L63 "." L63 "." L63
#define N256 L63 "." L63 "." L63 "." L62 ".a"

struct judge_case {
	const char *label;
	const char *name;
	const char *client; /* text for pcl_addr_parse, or NULL */
	bool self;
	unsigned want;
};

static const struct judge_case judge_cases[] = {
    /* fine */
    {"fqdn", "relay.example.org", CLIENT, SELF, FINE},
    {"fqdn trailing dot", "mail.example.org.", CLIENT, SELF, FINE},
    {"underscore label", "_dmarc.example.com", CLIENT, SELF, FINE},
    {"underscore inside", "my_host.example.com", CLIENT, SELF, FINE},
    {"numeric label", "123.example.com", CLIENT, SELF, FINE},
    {"hyphen inside", "a-b--c.example.com", CLIENT, SELF, FINE},
    {"numeric tld", "host.123", CLIENT, SELF, FINE},
    {"63-char label", L63 ".example.com", CLIENT, SELF, FINE},
    {"255 chars", N255, CLIENT, SELF, FINE},
    {"no client, no self", "relay.example.org", NULL, NOSELF, FINE},
    {"literal is client", "[198.51.100.7]", CLIENT, SELF, FINE},
    {"loopback literal", "[127.0.0.1]", "127.0.0.1", SELF, FINE},
    {"literal, client unknown", "[203.0.113.9]", NULL, SELF, FINE},
    {"mapped literal", "[IPv6:::ffff:192.0.2.1]", "192.0.2.1", NOSELF, FINE},
    {"mapped client", "[198.51.100.7]", "::ffff:198.51.100.7", SELF, FINE},
    {"v6 literal", "[IPv6:2001:db8::7]", "2001:db8::7", SELF, FINE},
    {"v6 literal lower tag", "[ipv6:2001:db8::7]", "2001:db8::7", SELF, FINE},
    {"v6 literal upper hex", "[IPv6:2001:DB8::7]", "2001:db8::7", SELF, FINE},
    {"v6 literal untagged", "[2001:db8::7]", "2001:db8::7", SELF, FINE},
    {"not own name", "mail.example.com.evil.test", CLIENT, SELF, FINE},
    {"suffix of own name", "ail.example.com", CLIENT, SELF, FINE},
    {"prefix of own name", "mail.example.co", CLIENT, SELF, FINE},
    {"own name, no self", "mail.example.com", CLIENT, NOSELF, FINE},

    /* invalid */
    {"empty", "", CLIENT, SELF, B(INVALID)},
    {"lone dot", ".", CLIENT, SELF, B(INVALID)},
    {"two trailing dots", "foo.example..", CLIENT, SELF, B(INVALID)},
    {"leading dot", ".foo.example", CLIENT, SELF, B(INVALID)},
    {"empty label", "a..b", CLIENT, SELF, B(INVALID)},
    {"leading hyphen", "-foo.example", CLIENT, SELF, B(INVALID)},
    {"trailing hyphen", "foo-.example", CLIENT, SELF, B(INVALID)},
    {"hyphen last", "foo.example-", CLIENT, SELF, B(INVALID)},
    {"hyphen alone", "-", CLIENT, SELF, B(INVALID)},
    {"64-char label", L64 ".example.com", CLIENT, SELF, B(INVALID)},
    {"256 chars", N256, CLIENT, SELF, B(INVALID)},
    {"255 chars and a dot", N255 ".", CLIENT, SELF, B(INVALID)},
    {"space", "mail example.com", CLIENT, SELF, B(INVALID)},
    {"trailing space", "mail.example.com ", CLIENT, SELF, B(INVALID)},
    {"leading space", " mail.example.com", CLIENT, SELF, B(INVALID)},
    {"CR", "mail.example.com\r", CLIENT, SELF, B(INVALID)},
    {"CRLF inside", "mail\r\n.example.com", CLIENT, SELF, B(INVALID)},
    {"tab", "mail\t.example.com", CLIENT, SELF, B(INVALID)},
    {"8-bit utf-8", "m\xc3\xa4il.example.com", CLIENT, SELF, B(INVALID)},
    {"8-bit byte", "mail.example.com\xff", CLIENT, SELF, B(INVALID)},
    {"at sign", "user@example.com", CLIENT, SELF, B(INVALID)},
    {"wildcard", "*.example.com", CLIENT, SELF, B(INVALID)},
    {"slash", "foo/bar.example", CLIENT, SELF, B(INVALID)},
    {"empty literal", "[]", CLIENT, SELF, B(INVALID)},
    {"lone bracket", "[", CLIENT, SELF, B(INVALID)},
    {"unclosed literal", "[1.2.3.4", CLIENT, SELF, B(INVALID)},
    {"unopened literal", "1.2.3.4]", CLIENT, SELF, B(INVALID)},
    {"literal trailing dot", "[198.51.100.7].", CLIENT, SELF, B(INVALID)},
    {"literal double close", "[198.51.100.7]]", CLIENT, SELF, B(INVALID)},
    {"literal nested", "[[198.51.100.7]]", CLIENT, SELF, B(INVALID)},
    {"literal space", "[ 198.51.100.7]", CLIENT, SELF, B(INVALID)},
    {"literal name", "[mail.example.com]", CLIENT, SELF, B(INVALID)},
    {"literal bad octet", "[1.2.3.999]", CLIENT, SELF, B(INVALID)},
    {"literal short quad", "[1.2.3]", CLIENT, SELF, B(INVALID)},
    {"literal empty tag", "[IPv6:]", CLIENT, SELF, B(INVALID)},
    {"literal tag only", "[IPv6]", CLIENT, SELF, B(INVALID)},
    {"literal tag on v4", "[IPv6:198.51.100.7]", CLIENT, SELF, B(INVALID)},
    {"literal two tags", "[IPv6:IPv6:2001:db8::7]", "2001:db8::7", SELF,
     B(INVALID)},
    {"literal triple colon", "[IPv6:2001:db8:::7]", CLIENT, SELF, B(INVALID)},
    {"literal zone", "[IPv6:fe80::1%eth0]", CLIENT, SELF, B(INVALID)},
    {"bad octet", "999.1.1.1", CLIENT, SELF, B(INVALID)},
    {"short quad", "1.2.3", CLIENT, SELF, B(INVALID)},
    {"long quad", "1.2.3.4.5", CLIENT, SELF, B(INVALID)},
    {"digits only", "123", CLIENT, SELF, B(INVALID)},
    {"bad v6", "2001:db8::g", CLIENT, SELF, B(INVALID)},
    {"v6 triple colon", "2001:db8:::1", CLIENT, SELF, B(INVALID)},
    {"v6 zone", "fe80::1%eth0", CLIENT, SELF, B(INVALID)},
    {"tag without brackets", "IPv6:2001:db8::1", CLIENT, SELF, B(INVALID)},
    {"host and port", "mail.example.com:25", CLIENT, SELF, B(INVALID)},

    /* bare address */
    {"bare v4", "203.0.113.9", CLIENT, SELF, B(BARE_IP)},
    {"bare v4 is client", "198.51.100.7", CLIENT, SELF, B(BARE_IP)},
    {"bare v4 trailing dot", "203.0.113.9.", CLIENT, SELF, B(BARE_IP)},
    {"bare zero", "0.0.0.0", CLIENT, SELF, B(BARE_IP)},
    {"bare v6", "2001:db8::9", CLIENT, SELF, B(BARE_IP)},
    {"bare v6 loopback", "::1", CLIENT, SELF, B(BARE_IP)},
    {"bare mapped", "::ffff:203.0.113.9", CLIENT, SELF, B(BARE_IP)},

    /* non-FQDN */
    {"localhost", "localhost", CLIENT, SELF, B(NON_FQDN)},
    {"single label", "foo", CLIENT, SELF, B(NON_FQDN)},
    {"single label dot", "foo.", CLIENT, SELF, B(NON_FQDN)},
    {"single char", "x", CLIENT, SELF, B(NON_FQDN)},
    {"underscore label only", "_foo", CLIENT, SELF, B(NON_FQDN)},
    {"hyphenated label", "my-pc", CLIENT, SELF, B(NON_FQDN)},

    /* literal mismatch */
    {"other v4 literal", "[203.0.113.9]", CLIENT, SELF, B(LITERAL_MISMATCH)},
    {"other v6 literal", "[IPv6:2001:db8::9]", "2001:db8::7", SELF,
     B(LITERAL_MISMATCH)},
    {"other mapped literal", "[IPv6:::ffff:203.0.113.9]", CLIENT, SELF,
     B(LITERAL_MISMATCH)},
    {"v4 literal, v6 client", "[198.51.100.7]", "2001:db8::7", SELF,
     B(LITERAL_MISMATCH)},
    {"untagged v6 literal", "[2001:db8::9]", CLIENT, SELF, B(LITERAL_MISMATCH)},

    /* impersonation */
    {"own name", "mail.example.com", CLIENT, SELF, B(IMPERSONATION)},
    {"own name upper", "MAIL.EXAMPLE.COM", CLIENT, SELF, B(IMPERSONATION)},
    {"own name dot mixed", "Mail.Example.Com.", CLIENT, SELF, B(IMPERSONATION)},
    {"own name listed with dot", "mx.example.net", CLIENT, SELF,
     B(IMPERSONATION)},
    {"own short name", "GATEWAY", CLIENT, SELF, B(NON_FQDN) | B(IMPERSONATION)},
    {"own bare v4", "192.0.2.1", CLIENT, SELF, B(BARE_IP) | B(IMPERSONATION)},
    {"own bare v6", "2001:DB8::25", CLIENT, SELF,
     B(BARE_IP) | B(IMPERSONATION)},
    {"own bare mapped", "::ffff:192.0.2.1", CLIENT, SELF,
     B(BARE_IP) | B(IMPERSONATION)},
    {"own literal", "[192.0.2.1]", CLIENT, SELF,
     B(LITERAL_MISMATCH) | B(IMPERSONATION)},
    {"own literal from itself", "[192.0.2.1]", "192.0.2.1", SELF,
     B(IMPERSONATION)},
    {"own literal, client unknown", "[192.0.2.1]", NULL, SELF,
     B(IMPERSONATION)},
    {"own mapped literal", "[IPv6:::ffff:192.0.2.1]", "192.0.2.1", SELF,
     B(IMPERSONATION)},
    {"own v6 literal", "[IPv6:2001:db8::25]", CLIENT, SELF,
     B(LITERAL_MISMATCH) | B(IMPERSONATION)},
    {"invalid own-ish name", "mail.example.com\r", CLIENT, SELF, B(INVALID)},
};

static const char *const self_names[] = {"mail.example.com", "mx.example.net.",
                                         "gateway"};
static struct pcl_addr self_addrs[2];
static struct pcl_helo_self test_self;

/* bits_text - "helo_bare_ip+helo_impersonation", or "helo_fine" */
static const char *
bits_text(unsigned bits, char *buf, size_t len)
{
	buf[0] = '\0';
	if (bits == 0)
		pcl_copy(buf, len, pcl_helo_problem_name(PCL_HELO_FINE));
	for (unsigned p = 0; p < 32; p++)
		if (bits & (1u << p))
			pcl_append(buf, len, "%s%s", buf[0] ? "+" : "",
			           pcl_helo_problem_name(p));
	return buf;
}

/* parse_or_fail - parse address text a test relies on */
static void
parse_or_fail(const char *text, struct pcl_addr *out)
{
	ck_assert_msg(pcl_addr_parse(text, out) == 0, "cannot parse %s", text);
}

/* setup_self - the self the table's SELF cases use */
static void
setup_self(void)
{
	parse_or_fail("192.0.2.1", &self_addrs[0]);
	parse_or_fail("2001:db8::25", &self_addrs[1]);
	test_self.names = self_names;
	test_self.nnames = sizeof(self_names) / sizeof(self_names[0]);
	test_self.addrs = self_addrs;
	test_self.naddrs = sizeof(self_addrs) / sizeof(self_addrs[0]);
}

/* test_judge - one row of judge_cases */
START_TEST(test_judge)
{
	const struct judge_case *c = &judge_cases[_i];
	struct pcl_addr client;
	char got[256];
	char want[256];
	unsigned bits;

	setup_self();
	if (c->client != NULL)
		parse_or_fail(c->client, &client);
	bits = pcl_helo_judge(c->name, c->client ? &client : NULL,
	                      c->self ? &test_self : NULL);
	ck_assert_msg(bits == c->want, "%s: got %s, want %s", c->label,
	              bits_text(bits, got, sizeof(got)),
	              bits_text(c->want, want, sizeof(want)));
}
END_TEST

/* test_judge_null - a NULL name is invalid, not a crash */
START_TEST(test_judge_null)
{
	unsigned bits = pcl_helo_judge(NULL, NULL, NULL);

	ck_assert_msg(bits == B(INVALID), "null: got %u, want %u", bits,
	              B(INVALID));
}
END_TEST

/* test_judge_hand_built_mapped - a client not from pcl_addr_parse */
START_TEST(test_judge_hand_built_mapped)
{
	struct pcl_addr client = {.family = AF_INET6};
	unsigned bits;

	client.bytes[10] = 0xff;
	client.bytes[11] = 0xff;
	client.bytes[12] = 192;
	client.bytes[14] = 2;
	client.bytes[15] = 1;
	bits = pcl_helo_judge("[192.0.2.1]", &client, NULL);
	ck_assert_msg(bits == FINE, "hand-built mapped: got %u, want 0", bits);
}
END_TEST

struct name_case {
	const char *label;
	int problem;
	const char *want;
};

static const struct name_case name_cases[] = {
    {"fine", PCL_HELO_FINE, "helo_fine"},
    {"invalid", PCL_HELO_INVALID, "helo_invalid"},
    {"bare ip", PCL_HELO_BARE_IP, "helo_bare_ip"},
    {"non-fqdn", PCL_HELO_NON_FQDN, "helo_non_fqdn"},
    {"mismatch", PCL_HELO_LITERAL_MISMATCH, "helo_literal_mismatch"},
    {"impersonation", PCL_HELO_IMPERSONATION, "helo_impersonation"},
    {"out of range", 99, "helo_unknown"},
};

/* test_problem_name - one row of name_cases */
START_TEST(test_problem_name)
{
	const struct name_case *c = &name_cases[_i];
	const char *got =
	    pcl_helo_problem_name((enum pcl_helo_problem)c->problem);

	ck_assert_msg(strcmp(got, c->want) == 0, "%s: got %s, want %s",
	              c->label, got, c->want);
}
END_TEST

/* test_self_from_host - this host's name and usable addresses */
START_TEST(test_self_from_host)
{
	struct pcl_helo_self_store store;
	struct pcl_helo_self self;
	char err[PCL_ERR_MAX] = "";
	const char *name;
	size_t len;

	ck_assert_msg(pcl_helo_self_from_host(&store, err, sizeof(err)) == 0,
	              "self_from_host: got -1 (%s), want 0", err);
	ck_assert_msg(store.nnames >= 1, "nnames: got %zu, want >= 1",
	              store.nnames);
	name = store.names[0];
	len = strlen(name);
	ck_assert_msg(len > 0 && name[len - 1] != '.',
	              "names[0]: got \"%s\", want a name without trailing dot",
	              name);
	for (size_t i = 0; i < store.naddrs; i++) {
		enum pcl_addr_class cl = pcl_addr_classify(&store.addrs[i]);
		char text[PCL_ADDR_TEXT_MAX];

		pcl_addr_format(&store.addrs[i], text, sizeof(text));
		ck_assert_msg(cl != PCL_ADDR_LOOPBACK &&
		                  cl != PCL_ADDR_LINKLOCAL &&
		                  cl != PCL_ADDR_UNSPECIFIED,
		              "addrs[%zu]: got %s (class %d), want no "
		              "loopback/link-local/unspecified",
		              i, text, (int)cl);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(
			    !pcl_addr_equal(&store.addrs[i], &store.addrs[j]),
			    "addrs[%zu]: got duplicate %s, want "
			    "none",
			    i, text);
	}

	/* The store, viewed as a self, makes our own name impersonation. */
	pcl_helo_self_view(&store, &self);
	ck_assert_msg(pcl_helo_judge(name, NULL, &self) & B(IMPERSONATION),
	              "own host name %s: got no helo_impersonation", name);
	if (store.naddrs > 0) {
		char lit[PCL_ADDR_TEXT_MAX + 8];
		char text[PCL_ADDR_TEXT_MAX];

		pcl_addr_format(&store.addrs[0], text, sizeof(text));
		ck_assert(pcl_format(
		    lit, sizeof(lit), "[%s%s]",
		    store.addrs[0].family == AF_INET6 ? "IPv6:" : "", text));
		ck_assert_msg(pcl_helo_judge(lit, NULL, &self) ==
		                  B(IMPERSONATION),
		              "own address %s: got no helo_impersonation", lit);
	}

	pcl_helo_self_clear(&store);
	ck_assert_msg(store.names == NULL && store.nnames == 0 &&
	                  store.addrs == NULL && store.naddrs == 0,
	              "clear: got a non-empty store, want empty");
	pcl_helo_self_clear(&store);
	pcl_helo_self_clear(NULL);
}
END_TEST

/* helo_suite - every test of the helo module */
static Suite *
helo_suite(void)
{
	Suite *s = suite_create("helo");
	TCase *tc = tcase_create("judge");
	TCase *tn = tcase_create("problem_name");
	TCase *th = tcase_create("self_from_host");

	tcase_add_loop_test(
	    tc, test_judge, 0,
	    (int)(sizeof(judge_cases) / sizeof(judge_cases[0])));
	tcase_add_test(tc, test_judge_null);
	tcase_add_test(tc, test_judge_hand_built_mapped);
	tcase_add_loop_test(tn, test_problem_name, 0,
	                    (int)(sizeof(name_cases) / sizeof(name_cases[0])));
	tcase_add_test(th, test_self_from_host);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tn);
	suite_add_tcase(s, th);
	return s;
}

/* main - run the suite; exit status is the verdict */
int
main(void)
{
	SRunner *sr = srunner_create(helo_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
