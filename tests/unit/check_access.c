/*
 * check_access - unit tests for lib/core/access.c
 *
 * Two tables: access(5) results as admins write them, and lookups in
 * Postfix's check_*_access order against tests/unit/data/access.* and
 * clients.cidr (found through $srcdir, default ".").
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "table.h"
#include "util.h"

#define OK PCL_ACCESS_OK
#define DUNNO PCL_ACCESS_DUNNO
#define REJECT PCL_ACCESS_REJECT
#define DEFER PCL_ACCESS_DEFER
#define DISCARD PCL_ACCESS_DISCARD
#define HOLD PCL_ACCESS_HOLD
#define WARN PCL_ACCESS_WARN
#define PREPEND PCL_ACCESS_PREPEND
#define BAD (-1) /* want: parse error */

static const char *const kind_names[] = {
    "DUNNO", "OK", "REJECT", "DEFER", "DISCARD", "HOLD", "WARN", "PREPEND",
};

/* kind_name - printable access kind */
static const char *
kind_name(int kind)
{
	if (kind < 0 || kind >= (int)(sizeof(kind_names) / sizeof(*kind_names)))
		return "BAD";
	return kind_names[kind];
}

struct parse_case {
	const char *label;
	const char *value;
	int kind; /* or BAD */
	int code;
	const char *enhanced;
	const char *text; /* or the error substring when BAD */
};

static const struct parse_case parse_cases[] = {
    /* OK */
    {"OK", "OK", OK, 0, "", ""},
    {"ok lower case", "ok", OK, 0, "", ""},
    {"OK with text", "OK thanks", OK, 0, "", "thanks"},
    {"PERMIT", "PERMIT", OK, 0, "", ""},
    {"permit lower", "permit", OK, 0, "", ""},
    {"RELAY", "RELAY", OK, 0, "", ""},
    {"all digits", "20240101", OK, 0, "", ""},
    {"bare 550 is all digits", "550", OK, 0, "", ""},
    {"surrounding space", "  OK  ", OK, 0, "", ""},
    /* REJECT */
    {"REJECT", "REJECT", REJECT, 0, "", ""},
    {"REJECT text", "REJECT go away", REJECT, 0, "", "go away"},
    {"reject lower, dsn", "reject 5.7.1 Go away", REJECT, 0, "5.7.1",
     "Go away"},
    {"REJECT dsn only", "REJECT 5.7.1", REJECT, 0, "5.7.1", ""},
    {"REJECT 3-digit dsn parts", "REJECT 5.123.456 x", REJECT, 0, "5.123.456",
     "x"},
    {"REJECT tab", "REJECT\ttab separated", REJECT, 0, "", "tab separated"},
    {"REJECT not a dsn: suffix", "REJECT 5.7.1x text", REJECT, 0, "",
     "5.7.1x text"},
    {"REJECT not a dsn: short", "REJECT 5.7 text", REJECT, 0, "", "5.7 text"},
    {"REJECT not a dsn: 4 digits", "REJECT 5.1234.1 text", REJECT, 0, "",
     "5.1234.1 text"},
    {"REJECT not a dsn: class 3", "REJECT 3.7.1 text", REJECT, 0, "",
     "3.7.1 text"},
    {"REJECT dsn class 4", "REJECT 4.7.1 x", BAD, 0, "",
     "enhanced status code 4.7.1 does not match REJECT (want 5.x.x)"},
    {"REJECT dsn class 2", "REJECT 2.0.0 x", BAD, 0, "",
     "enhanced status code 2.0.0 does not match REJECT"},
    {"REJECT control char", "REJECT bad\001char", REJECT, 0, "", "bad?char"},
    /* DEFER */
    {"DEFER", "DEFER", DEFER, 0, "", ""},
    {"DEFER dsn", "DEFER 4.3.0 try later", DEFER, 0, "4.3.0", "try later"},
    {"DEFER dsn class 5", "defer 5.7.1 x", BAD, 0, "",
     "does not match defer (want 4.x.x)"},
    {"DEFER_IF_PERMIT", "DEFER_IF_PERMIT Service unavailable", DEFER, 0, "",
     "Service unavailable"},
    {"DEFER_IF_REJECT", "defer_if_reject 4.7.1 later", DEFER, 0, "4.7.1",
     "later"},
    /* reply codes */
    {"450 dsn text", "450 4.7.1 Client host rejected", DEFER, 450, "4.7.1",
     "Client host rejected"},
    {"554 dsn text", "554 5.7.1 Rejected", REJECT, 554, "5.7.1", "Rejected"},
    {"550 helo.regexp", "550 Don't use my own hostname", REJECT, 550, "",
     "Don't use my own hostname"},
    {"421", "421 closing", DEFER, 421, "", "closing"},
    {"450 dsn only", "450 4.7.1", DEFER, 450, "4.7.1", ""},
    {"550 dsn class 4", "550 4.7.1 mismatch", BAD, 0, "",
     "enhanced status code 4.7.1 does not match 550 (want 5.x.x)"},
    {"451 dsn class 5", "451 5.7.1 mismatch", BAD, 0, "",
     "does not match 451 (want 4.x.x)"},
    {"354", "354 go ahead", BAD, 0, "",
     "unsupported reply code 354 in access(5) result (want 4NN or 5NN)"},
    {"250", "250 fine", BAD, 0, "", "unsupported reply code 250"},
    {"650", "650 x", BAD, 0, "", "unsupported reply code 650"},
    {"2 digits", "55 x", BAD, 0, "", "unsupported access(5) action: 55"},
    {"4 digits", "5500 x", BAD, 0, "", "unsupported access(5) action: 5500"},
    {"digits and text", "12345abc", BAD, 0, "",
     "unsupported access(5) action: 12345abc"},
    /* other actions */
    {"DISCARD", "DISCARD", DISCARD, 0, "", ""},
    {"DISCARD text", "discard spam trap", DISCARD, 0, "", "spam trap"},
    {"HOLD", "HOLD", HOLD, 0, "", ""},
    {"HOLD keeps dsn as text", "HOLD 5.7.1 check", HOLD, 0, "", "5.7.1 check"},
    {"WARN", "WARN suspicious", WARN, 0, "", "suspicious"},
    {"PREPEND", "PREPEND X-Spam: yes", PREPEND, 0, "", "X-Spam: yes"},
    {"PREPEND empty value", "prepend X-Foo:", PREPEND, 0, "", "X-Foo:"},
    {"PREPEND no space", "PREPEND X-A:b", PREPEND, 0, "", "X-A:b"},
    {"PREPEND nothing", "PREPEND", BAD, 0, "",
     "PREPEND wants \"Header-Name: value\", got \"\""},
    {"PREPEND no colon", "PREPEND no colon", BAD, 0, "", "PREPEND wants"},
    {"PREPEND empty name", "PREPEND : value", BAD, 0, "", "PREPEND wants"},
    {"PREPEND space in name", "PREPEND Bad Name: x", BAD, 0, "",
     "PREPEND wants"},
    {"PREPEND 8-bit name", "PREPEND X-\xe9t\xe9: x", BAD, 0, "",
     "PREPEND wants"},
    {"DUNNO", "DUNNO", DUNNO, 0, "", ""},
    {"dunno text", "dunno whatever", DUNNO, 0, "", "whatever"},
    /* not access(5) actions */
    {"restriction name", "reject_unverified_sender", BAD, 0, "",
     "unsupported access(5) action: reject_unverified_sender"},
    {"FILTER", "FILTER smtp:[127.0.0.1]:10025", BAD, 0, "",
     "unsupported access(5) action: FILTER"},
    {"REDIRECT", "REDIRECT abuse@example.com", BAD, 0, "",
     "unsupported access(5) action: REDIRECT"},
    {"BCC", "BCC archive@example.com", BAD, 0, "",
     "unsupported access(5) action: BCC"},
    {"restriction list", "permit_mynetworks, reject", BAD, 0, "",
     "unsupported access(5) action: permit_mynetworks,"},
    {"nested map", "hash:/etc/postfix/x", BAD, 0, "",
     "unsupported access(5) action: hash:/etc/postfix/x"},
    {"REJECT glued", "REJECTED", BAD, 0, "",
     "unsupported access(5) action: REJECTED"},
    {"$1 not substituted", "$1", BAD, 0, "",
     "unsupported access(5) action: $1"},
    {"empty", "", BAD, 0, "", "empty access(5) result"},
    {"blank", " \t ", BAD, 0, "", "empty access(5) result"},
};

/* test_parse - pcl_access_parse and pcl_access_check_value */
START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct pcl_access_result r;
	char err[PCL_ERR_MAX] = "";
	int rc = pcl_access_parse(c->value, &r, err, sizeof(err));
	int check = pcl_access_check_value(c->value, err, sizeof(err));

	ck_assert_msg(rc == check, "%s: parse %d, check_value %d", c->label, rc,
	              check);
	if (c->kind == BAD) {
		ck_assert_msg(rc == -1, "%s: got %s, want an error", c->label,
		              kind_name((int)r.kind));
		ck_assert_msg(strstr(err, c->text) != NULL,
		              "%s: got error \"%s\", want \"%s\"", c->label,
		              err, c->text);
		return;
	}
	ck_assert_msg(rc == 0, "%s: got error \"%s\", want %s", c->label, err,
	              kind_name(c->kind));
	ck_assert_msg((int)r.kind == c->kind, "%s: got %s, want %s", c->label,
	              kind_name((int)r.kind), kind_name(c->kind));
	ck_assert_msg(r.code == c->code, "%s: got code %d, want %d", c->label,
	              r.code, c->code);
	ck_assert_msg(strcmp(r.enhanced, c->enhanced) == 0,
	              "%s: got enhanced \"%s\", want \"%s\"", c->label,
	              r.enhanced, c->enhanced);
	ck_assert_msg(strcmp(r.text, c->text) == 0,
	              "%s: got text \"%s\", want \"%s\"", c->label, r.text,
	              c->text);
}
END_TEST

/* test_parse_limits - NULL, long text, NULL out */
START_TEST(test_parse_limits)
{
	char value[PCL_ACCESS_TEXT_MAX + 16];
	char err[PCL_ERR_MAX] = "";
	struct pcl_access_result r;

	ck_assert_msg(pcl_access_parse(NULL, &r, err, sizeof(err)) == -1,
	              "NULL: got 0, want -1");
	/* "REJECT " and 511 bytes of text fit; 512 do not */
	memcpy(value, "REJECT ", 7);
	memset(value + 7, 't', PCL_ACCESS_TEXT_MAX - 1);
	value[7 + PCL_ACCESS_TEXT_MAX - 1] = '\0';
	ck_assert_msg(pcl_access_parse(value, &r, err, sizeof(err)) == 0,
	              "511 bytes: got error \"%s\", want REJECT", err);
	ck_assert_msg(strlen(r.text) == PCL_ACCESS_TEXT_MAX - 1,
	              "511 bytes: got %zu", strlen(r.text));
	value[7 + PCL_ACCESS_TEXT_MAX - 1] = 't';
	value[7 + PCL_ACCESS_TEXT_MAX] = '\0';
	ck_assert_msg(pcl_access_parse(value, &r, err, sizeof(err)) == -1,
	              "512 bytes: got 0, want -1");
	ck_assert_msg(strstr(err, "access(5) text longer than 511 bytes") !=
	                  NULL,
	              "512 bytes: got \"%s\"", err);
	ck_assert_msg(pcl_access_parse("OK", NULL, err, sizeof(err)) == 0,
	              "NULL out: got -1, want 0");
}
END_TEST

#define CLIENT PCL_ACCESS_CLIENT
#define HELO PCL_ACCESS_HELO
#define SENDER PCL_ACCESS_SENDER
#define RCPT PCL_ACCESS_RECIPIENT
#define FOUND PCL_TABLE_FOUND
#define NOTFOUND PCL_TABLE_NOTFOUND
#define ERROR PCL_TABLE_ERROR

struct lookup_case {
	const char *label;
	const char *type;
	const char *file;
	enum pcl_access_class cls;
	const char *key;
	const char *addr;
	enum pcl_table_status want;
	int kind;
	const char *text;    /* FOUND: the text; ERROR: error substring */
	const char *matched; /* FOUND: the key that matched */
};

#define HASH "texthash", "access.texthash"
#define RE "regexp", "access.regexp"
#define CIDR "cidr", "clients.cidr"

static const struct lookup_case lookup_cases[] = {
    /* client: name, parent domains (".d" before "d"), address, octets */
    {"client name", HASH, CLIENT, "example.com", "192.0.2.1", FOUND, OK,
     "example.com", "example.com"},
    {"client subdomain: dot form", HASH, CLIENT, "mail.example.com",
     "203.0.113.5", FOUND, REJECT, "subdomain of example.com", ".example.com"},
    {"client deep subdomain", HASH, CLIENT, "a.b.example.com", NULL, FOUND,
     REJECT, "subdomain of example.com", ".example.com"},
    {"client name folded", HASH, CLIENT, "Mail.Example.COM", NULL, FOUND,
     REJECT, "subdomain of example.com", ".Example.COM"},
    {"client exact host", HASH, CLIENT, "host.example.net", NULL, FOUND, DEFER,
     "exact host", "host.example.net"},
    {"client parent form matches subdomain", HASH, CLIENT, "x.host.example.net",
     NULL, FOUND, DEFER, "exact host", "host.example.net"},
    {"client parent form", HASH, CLIENT, "other.example.net", NULL, FOUND, WARN,
     "parent form", "example.net"},
    {"client dot tld", HASH, CLIENT, "foo.net", NULL, FOUND, HOLD, "dot tld",
     ".net"},
    {"client trailing dot", HASH, CLIENT, "mail.example.com.", NULL, NOTFOUND,
     0, NULL, NULL},
    {"client name before address", HASH, CLIENT, "example.com", "198.51.100.1",
     FOUND, OK, "example.com", "example.com"},
    {"client unknown: address", HASH, CLIENT, "unknown", "192.0.2.1", FOUND,
     REJECT, "full address", "192.0.2.1"},
    {"client no name: /24", HASH, CLIENT, NULL, "198.51.100.77", FOUND, REJECT,
     "a /24", "198.51.100"},
    {"client /16", HASH, CLIENT, "unknown", "203.0.113.5", FOUND, DISCARD,
     "a /16", "203.0"},
    {"client /8", HASH, CLIENT, "no.match.example", "10.9.8.7", FOUND, OK,
     "a /8", "10"},
    {"client mapped address", HASH, CLIENT, NULL, "::ffff:198.51.100.3", FOUND,
     REJECT, "a /24", "198.51.100"},
    {"client literal address", HASH, CLIENT, NULL, "[192.0.2.1]", FOUND, REJECT,
     "full address", "192.0.2.1"},
    {"client numeric name: no parents", HASH, CLIENT, "10.20.30.40",
     "203.0.113.1", FOUND, DISCARD, "a /16", "203.0"},
    {"client v6 full", HASH, CLIENT, NULL, "2001:db8:1:2::5", FOUND, REJECT,
     "v6 full", "2001:db8:1:2::5"},
    {"client v6 spelled long", HASH, CLIENT, NULL,
     "2001:0DB8:0001:0002:0000:0000:0000:0005", FOUND, REJECT, "v6 full",
     "2001:db8:1:2::5"},
    {"client v6 /48", HASH, CLIENT, NULL, "2001:db8:1:3::9", FOUND, REJECT,
     "v6 /48", "2001:db8:1"},
    {"client v6 /32", HASH, CLIENT, NULL, "2001:DB8:2::7", FOUND, DEFER,
     "v6 /32", "2001:db8"},
    {"client nothing", HASH, CLIENT, "nomatch.org", "192.0.2.99", NOTFOUND, 0,
     NULL, NULL},
    {"client bad address", HASH, CLIENT, "unknown", "not-an-ip", ERROR, 0,
     "client address \"not-an-ip\" is not an IP address", NULL},
    {"client nothing given", HASH, CLIENT, NULL, NULL, NOTFOUND, 0, NULL, NULL},
    /* helo: name and parents */
    {"helo name", HASH, HELO, "example.com", NULL, FOUND, OK, "example.com",
     "example.com"},
    {"helo subdomain", HASH, HELO, "smtp.example.com", NULL, FOUND, REJECT,
     "subdomain of example.com", ".example.com"},
    {"helo bare address", HASH, HELO, "192.0.2.1", NULL, FOUND, REJECT,
     "full address", "192.0.2.1"},
    {"helo literal: whole key only", HASH, HELO, "[10.20.30.40]", NULL,
     NOTFOUND, 0, NULL, NULL},
    {"helo empty", HASH, HELO, "", NULL, NOTFOUND, 0, NULL, NULL},
    {"helo NULL", HASH, HELO, NULL, NULL, NOTFOUND, 0, NULL, NULL},
    /* sender/recipient: user@domain, domain, parents, user@ */
    {"sender full", HASH, SENDER, "user@example.org", NULL, FOUND, OK,
     "user at domain", "user@example.org"},
    {"sender full folded", HASH, SENDER, "User@Example.ORG", NULL, FOUND, OK,
     "user at domain", "User@Example.ORG"},
    {"sender domain", HASH, SENDER, "other@example.org", NULL, FOUND, REJECT,
     "domain", "example.org"},
    {"sender dot parent", HASH, SENDER, "x@mail.sub.example.org", NULL, FOUND,
     REJECT, "below sub", ".sub.example.org"},
    {"sender domain before user@", HASH, RCPT, "postmaster@example.org", NULL,
     FOUND, REJECT, "domain", "example.org"},
    {"sender user@", HASH, SENDER, "postmaster@elsewhere.test", NULL, FOUND, OK,
     "any postmaster", "postmaster@"},
    {"sender no domain: user@", HASH, RCPT, "postmaster", NULL, FOUND, OK,
     "any postmaster", "postmaster@"},
    {"sender null", HASH, SENDER, "", NULL, FOUND, REJECT, "null sender", "<>"},
    {"recipient empty", HASH, RCPT, "", NULL, NOTFOUND, 0, NULL, NULL},
    {"sender 5NN", HASH, SENDER, "bob@spam.test", NULL, FOUND, REJECT,
     "spam domain", "spam.test"},
    {"sender parent form", HASH, SENDER, "bob@x.spam.test", NULL, FOUND, REJECT,
     "spam domain", "spam.test"},
    {"sender literal domain", HASH, SENDER, "a@[192.0.2.1]", NULL, NOTFOUND, 0,
     NULL, NULL},
    {"sender nothing", HASH, SENDER, "nobody@nowhere.test", NULL, NOTFOUND, 0,
     NULL, NULL},
    /* pattern tables: one lookup of the whole key */
    {"re client name", RE, CLIENT, "mail.example.com", "203.0.113.1", FOUND,
     REJECT, "exact name only", "mail.example.com"},
    {"re client no parents", RE, CLIENT, "x.mail.example.com", "203.0.113.1",
     NOTFOUND, 0, NULL, NULL},
    {"re client address", RE, CLIENT, "unknown", "192.0.2.1", FOUND, REJECT,
     "exact address", "192.0.2.1"},
    {"re client no octets", RE, CLIENT, NULL, "192.0.2.5", NOTFOUND, 0, NULL,
     NULL},
    {"re helo", RE, HELO, "example.com", NULL, FOUND, OK, "bare domain",
     "example.com"},
    {"re helo no parents", RE, HELO, "a.example.com", NULL, NOTFOUND, 0, NULL,
     NULL},
    {"re sender full", RE, SENDER, "user@example.org", NULL, FOUND, OK,
     "full address", "user@example.org"},
    {"re sender no domain", RE, SENDER, "other@example.org", NULL, NOTFOUND, 0,
     NULL, NULL},
    {"re sender no user@", RE, SENDER, "postmaster@x.test", NULL, NOTFOUND, 0,
     NULL, NULL},
    {"re null sender", RE, SENDER, "", NULL, FOUND, DUNNO, "null sender", "<>"},
    {"re $1 in text", RE, RCPT, "joe@bad.test", NULL, FOUND, REJECT,
     "bad user joe", "joe@bad.test"},
    {"re $1 as action", RE, SENDER, "reject@act.test", NULL, FOUND, REJECT, "",
     "reject@act.test"},
    {"re $1 bad action", RE, SENDER, "frobnicate@act.test", NULL, ERROR, 0,
     ": key \"frobnicate@act.test\": unsupported access(5) action: "
     "frobnicate",
     NULL},
    /* cidr: the address only */
    {"cidr client address", CIDR, CLIENT, "mail.example.com", "192.0.2.5",
     FOUND, REJECT, "documentation net", "192.0.2.5"},
    {"cidr ignores the name", CIDR, CLIENT, "10.1.1.1", "198.51.100.7", FOUND,
     OK, "single host", "198.51.100.7"},
    {"cidr mapped client", CIDR, CLIENT, NULL, "::ffff:10.1.0.1", FOUND, OK,
     "ten-one", "10.1.0.1"},
    {"cidr sender", CIDR, SENDER, "user@example.com", NULL, NOTFOUND, 0, NULL,
     NULL},
    {"cidr helo address", CIDR, HELO, "192.0.2.9", NULL, FOUND, REJECT,
     "documentation net", "192.0.2.9"},
};

/* open_data - open a data file from $srcdir/tests/unit/data */
static struct pcl_table *
open_data(const char *type, const char *file, pcl_table_check_fn check,
          char *err, size_t errlen)
{
	const char *srcdir = getenv("srcdir");
	char spec[1024];

	ck_assert(pcl_format(spec, sizeof(spec), "%s:%s/tests/unit/data/%s",
	                     type, srcdir ? srcdir : ".", file));
	return pcl_table_open(spec, check, err, errlen);
}

/* test_lookup - pcl_access_lookup in Postfix's order */
START_TEST(test_lookup)
{
	const struct lookup_case *c = &lookup_cases[_i];
	char err[PCL_ERR_MAX] = "";
	char matched[PCL_ADDRESS_MAX] = "";
	struct pcl_access_result r;
	struct pcl_table *t =
	    open_data(c->type, c->file, NULL, err, sizeof(err));
	enum pcl_table_status st;

	ck_assert_msg(t != NULL, "%s: open: %s", c->label, err);
	st = pcl_access_lookup(t, c->cls, c->key, c->addr, &r, matched,
	                       sizeof(matched), err, sizeof(err));
	ck_assert_msg(st == c->want, "%s: got status %d (%s), want %d",
	              c->label, st, err, c->want);
	if (st == ERROR) {
		ck_assert_msg(strstr(err, c->text) != NULL,
		              "%s: got error \"%s\", want \"%s\"", c->label,
		              err, c->text);
	} else if (st == FOUND) {
		ck_assert_msg((int)r.kind == c->kind, "%s: got %s, want %s",
		              c->label, kind_name((int)r.kind),
		              kind_name(c->kind));
		ck_assert_msg(strcmp(r.text, c->text) == 0,
		              "%s: got text \"%s\", want \"%s\"", c->label,
		              r.text, c->text);
		ck_assert_msg(strcmp(matched, c->matched) == 0,
		              "%s: got matched \"%s\", want \"%s\"", c->label,
		              matched, c->matched);
	} else {
		ck_assert_msg(matched[0] == '\0',
		              "%s: got matched \"%s\", want \"\"", c->label,
		              matched);
	}
	pcl_table_free(t);
}
END_TEST

/* test_lookup_args - NULL out/matched/table, a small matched buffer */
START_TEST(test_lookup_args)
{
	char err[PCL_ERR_MAX] = "";
	char small[5];
	struct pcl_access_result r;
	struct pcl_table *t =
	    open_data(HASH, pcl_access_check_value, err, sizeof(err));
	enum pcl_table_status st;

	ck_assert_msg(t != NULL, "open: %s", err);
	st = pcl_access_lookup(t, SENDER, "user@example.org", NULL, NULL, NULL,
	                       0, NULL, 0);
	ck_assert_msg(st == FOUND, "NULL out: got %d, want FOUND", st);
	st = pcl_access_lookup(t, SENDER, "user@example.org", NULL, &r, small,
	                       sizeof(small), err, sizeof(err));
	ck_assert_msg(st == FOUND && strcmp(small, "user") == 0,
	              "small matched: got %d \"%s\", want FOUND \"user\"", st,
	              small);
	st = pcl_access_lookup(NULL, SENDER, "user@example.org", NULL, &r,
	                       small, sizeof(small), err, sizeof(err));
	ck_assert_msg(st == NOTFOUND, "NULL table: got %d, want NOTFOUND", st);
	pcl_table_free(t);
}
END_TEST

/* test_validated_open - pcl_access_check_value rejects at open */
START_TEST(test_validated_open)
{
	char err[PCL_ERR_MAX] = "";
	struct pcl_table *t;

	t = open_data(RE, pcl_access_check_value, err, sizeof(err));
	ck_assert_msg(t == NULL, "access.regexp: got a table, want an error");
	ck_assert_msg(strstr(err, "access.regexp:11: unsupported access(5) "
	                          "action: $1") != NULL,
	              "access.regexp: got \"%s\"", err);
	t = open_data("texthash", "bad_action.texthash", NULL, err,
	              sizeof(err));
	ck_assert_msg(t != NULL, "unvalidated open: %s", err);
	ck_assert_msg(pcl_access_lookup(t, HELO, "bad.test", NULL, NULL, NULL,
	                                0, err, sizeof(err)) == ERROR,
	              "unvalidated result: got no error");
	ck_assert_msg(strstr(err, ": key \"bad.test\": unsupported access(5) "
	                          "action: reject_unverified_sender") != NULL,
	              "unvalidated result: got \"%s\"", err);
	pcl_table_free(t);
	t = open_data("cidr", "clients.cidr", pcl_access_check_value, err,
	              sizeof(err));
	ck_assert_msg(t != NULL, "clients.cidr: %s", err);
	pcl_table_free(t);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* access_suite - every access test case */
static Suite *
access_suite(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("access");

	tcase_add_loop_test(tc, test_parse, 0, N(parse_cases));
	tcase_add_test(tc, test_parse_limits);
	tcase_add_loop_test(tc, test_lookup, 0, N(lookup_cases));
	tcase_add_test(tc, test_lookup_args);
	tcase_add_test(tc, test_validated_open);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite; fails when any check fails */
int
main(void)
{
	SRunner *sr = srunner_create(access_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
