/*
 * check_table - unit tests for lib/core/table.c and lib/core/table_pattern.c
 *
 * Lookups run against the files in tests/unit/data/ (found through
 * $srcdir, default "."), written the way admins write them for Postfix.
 * Error cases are either data files (bad_*) or small texts written to a
 * temporary file; every error must name "path:line:".
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "table.h"
#include "util.h"

#define FOUND PCL_TABLE_FOUND
#define NOTFOUND PCL_TABLE_NOTFOUND
#define ERROR PCL_TABLE_ERROR

/* data_spec - "type:" + $srcdir/tests/unit/data/name */
static void
data_spec(char *buf, size_t len, const char *type, const char *name)
{
	const char *srcdir = getenv("srcdir");

	ck_assert(pcl_format(buf, len, "%s%s%s/tests/unit/data/%s",
	                     type ? type : "", type ? ":" : "",
	                     srcdir ? srcdir : ".", name));
}

/* open_data - open a data file that must load */
static struct pcl_table *
open_data(const char *type, const char *name, pcl_table_check_fn check)
{
	char spec[1024];
	char err[PCL_ERR_MAX] = "";
	struct pcl_table *t;

	data_spec(spec, sizeof(spec), type, name);
	t = pcl_table_open(spec, check, err, sizeof(err));
	ck_assert_msg(t != NULL, "open %s: got error \"%s\", want a table",
	              spec, err);
	return t;
}

/* write_temp - a temporary file with content; path gets its name */
static void
write_temp(char *path, size_t len, const char *content, size_t n)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	ck_assert(
	    pcl_format(path, len, "%s/check_table_XXXXXX", dir ? dir : "/tmp"));
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp %s failed", path);
	ck_assert((size_t)write(fd, content, n) == n);
	close(fd);
}

/* status_name - printable lookup status */
static const char *
status_name(enum pcl_table_status st)
{
	return st == FOUND ? "FOUND" : st == NOTFOUND ? "NOTFOUND" : "ERROR";
}

struct lookup_case {
	const char *label;
	const char *type;
	const char *file;
	const char *key;
	enum pcl_table_status want;
	const char *want_result;
};

static const struct lookup_case lookup_cases[] = {
    /* helo.regexp from the Postfix guide */
    {"helo own name", "regexp", "helo.regexp", "subdomain.host.com", FOUND,
     "550 Don't use my own hostname"},
    {"helo own name upper case", "regexp", "helo.regexp", "SUBDOMAIN.HOST.COM",
     FOUND, "550 Don't use my own hostname"},
    {"helo own name as suffix", "regexp", "helo.regexp", "xsubdomain.host.com",
     NOTFOUND, NULL},
    {"helo literal", "regexp", "helo.regexp", "[xxx.yyy.zzz.xxx]", FOUND,
     "550 Don't use my own IP address"},
    {"helo bare IP", "regexp", "helo.regexp", "192.0.2.1", FOUND,
     "550 Your software is not RFC 2821 compliant"},
    {"helo digits and dots", "regexp", "helo.regexp", "1.2.3", FOUND,
     "550 Your software is not RFC 2821 compliant"},
    {"helo fine", "regexp", "helo.regexp", "mail.example.com", NOTFOUND, NULL},
    {"helo empty key", "regexp", "helo.regexp", "", NOTFOUND, NULL},

    /* regexp features */
    {"re $n ${n} $$", "regexp", "features.regexp", "joe@example.net", FOUND,
     "REJECT user joe at example.net owes $5"},
    {"re $n keeps key case", "regexp", "features.regexp", "JOE@Example.NET",
     FOUND, "REJECT user JOE at Example.NET owes $5"},
    {"re $(n)", "regexp", "features.regexp", "dyn-42.isp.test", FOUND,
     "PREPEND X-Dyn: 42"},
    {"re unset group is empty", "regexp", "features.regexp", "ional.test",
     FOUND, "WARN []"},
    {"re set group", "regexp", "features.regexp", "optional.test", FOUND,
     "WARN [opt]"},
    {"re $$ alone", "regexp", "features.regexp", "price.test", FOUND,
     "REJECT costs $10"},
    {"re case folded", "regexp", "features.regexp", "UPPER.Test", FOUND,
     "OK upper"},
    {"re i flag exact", "regexp", "features.regexp", "Exact.test", FOUND,
     "REJECT exact case"},
    {"re i flag other case", "regexp", "features.regexp", "exact.test",
     NOTFOUND, NULL},
    {"re continuation", "regexp", "features.regexp", "cont.test", FOUND,
     "REJECT continued  on a second line  and a third"},
    {"re nested if", "regexp", "features.regexp", "www.corp.test", FOUND,
     "REJECT web host www in corp"},
    {"re negated if skips", "regexp", "features.regexp", "mx1.corp.test", FOUND,
     "OK corp"},
    {"re outer if only", "regexp", "features.regexp", "mail.corp.test", FOUND,
     "OK corp"},
    {"re if false skips block", "regexp", "features.regexp", "x.y.test",
     NOTFOUND, NULL},
    {"re negation", "regexp", "features.regexp", "nobody", FOUND,
     "REJECT dotless"},
    {"re /a/!/b/ first", "regexp", "features.regexp", "a.example.org", FOUND,
     "DUNNO org not b"},
    {"re /a/!/b/ second", "regexp", "features.regexp", "b.example.org",
     NOTFOUND, NULL},
    {"re | delimiter", "regexp", "features.regexp", "pipe/slash.test", FOUND,
     "OK pipe"},
    {"re escaped delimiter", "regexp", "features.regexp", "esc/slash.test",
     FOUND, "OK escaped"},
    {"re x flag basic syntax", "regexp", "features.regexp", "basicone.test",
     FOUND, "OK basic one"},
    {"re x flag literal parens", "regexp", "features.regexp", "basic(one).test",
     NOTFOUND, NULL},
    {"re m flag", "regexp", "features.regexp", "first\nsecond", FOUND,
     "OK multiline"},

    /* pcre features */
    {"pcre $n", "pcre", "features.pcre", "ann@example.net", FOUND,
     "REJECT user ann at example.net"},
    {"pcre caseless", "pcre", "features.pcre", "UPPER.TEST", FOUND, "OK upper"},
    {"pcre i flag", "pcre", "features.pcre", "exact.test", NOTFOUND, NULL},
    {"pcre i flag exact", "pcre", "features.pcre", "Exact.test", FOUND,
     "REJECT exact case"},
    {"pcre negation", "pcre", "features.pcre", "localhost", FOUND,
     "REJECT dotless"},
    {"pcre nested if, named group", "pcre", "features.pcre", "www.corp.test",
     FOUND, "REJECT web host www"},
    {"pcre negated if", "pcre", "features.pcre", "mx2.corp.test", FOUND,
     "OK corp"},
    {"pcre \\d{3}", "pcre", "features.pcre", "555-1234.test", FOUND,
     "OK digits"},
    {"pcre (?:)", "pcre", "features.pcre", "noncapture-foo.test", FOUND,
     "OK noncapture foo"},
    {"pcre s flag off", "pcre", "features.pcre", "nlax", FOUND,
     "OK dot stops at newline"},
    {"pcre dotall default", "pcre", "features.pcre", "nl\nx", FOUND,
     "OK dot takes newline"},
    {"pcre m flag", "pcre", "features.pcre", "first\nsecond", FOUND,
     "OK multiline"},
    {"pcre x flag", "pcre", "features.pcre", "extended.test", FOUND,
     "OK extended"},
    {"pcre A flag at start", "pcre", "features.pcre", "ored.test", FOUND,
     "OK anchored"},
    {"pcre A flag not inside", "pcre", "features.pcre", "anchored.test",
     NOTFOUND, NULL},
    {"pcre U flag", "pcre", "features.pcre", "greedyaaa", FOUND, "OK lazy a"},
    {"pcre greedy", "pcre", "features.pcre", "greedy2aaa", FOUND,
     "OK greedy aaa"},
    {"pcre E flag", "pcre", "features.pcre", "dollar.test", FOUND,
     "OK dollar end only"},
    {"pcre X flag ignored", "pcre", "features.pcre", "xflag.test", FOUND,
     "OK X is ignored"},
    {"pcre continuation", "pcre", "features.pcre", "cont.test", FOUND,
     "REJECT continued\there"},

    /* cidr */
    {"cidr /24", "cidr", "clients.cidr", "192.0.2.200", FOUND,
     "REJECT documentation net"},
    {"cidr first match wins", "cidr", "clients.cidr", "192.0.2.129", FOUND,
     "REJECT documentation net"},
    {"cidr bare host", "cidr", "clients.cidr", "198.51.100.7", FOUND,
     "OK single host"},
    {"cidr literal key", "cidr", "clients.cidr", "[198.51.100.7]", FOUND,
     "OK single host"},
    {"cidr v6 block", "cidr", "clients.cidr", "2001:db8:1::5", FOUND,
     "DEFER v6 doc"},
    {"cidr mapped block, v4 key", "cidr", "clients.cidr", "203.0.113.5", FOUND,
     "REJECT mapped block"},
    {"cidr mapped key", "cidr", "clients.cidr", "::ffff:192.0.2.9", FOUND,
     "REJECT documentation net"},
    {"cidr [net/len]", "cidr", "clients.cidr", "198.19.255.255", FOUND,
     "HOLD bench"},
    {"cidr 0.0.0.0/32", "cidr", "clients.cidr", "0.0.0.0", FOUND,
     "REJECT zero host"},
    {"cidr if", "cidr", "clients.cidr", "10.1.2.3", FOUND, "OK ten-one"},
    {"cidr nested if !", "cidr", "clients.cidr", "10.3.1.1", FOUND,
     "OK ten-three"},
    {"cidr negated if skips", "cidr", "clients.cidr", "10.2.3.4", FOUND,
     "HOLD ten-two-three"},
    {"cidr falls out of if", "cidr", "clients.cidr", "10.2.4.4", FOUND,
     "WARN not 172.16/12"},
    {"cidr negated rule", "cidr", "clients.cidr", "198.51.100.8", FOUND,
     "WARN not 172.16/12"},
    {"cidr negated rule, inside", "cidr", "clients.cidr", "172.16.5.5", FOUND,
     "DUNNO other v4"},
    {"cidr negated rule, v6", "cidr", "clients.cidr", "2001:db9::1", FOUND,
     "DUNNO other\tv6"},
    {"cidr name key", "cidr", "clients.cidr", "mail.example.com", NOTFOUND,
     NULL},
    {"cidr empty key", "cidr", "clients.cidr", "", NOTFOUND, NULL},
    {"cidr prefix key", "cidr", "clients.cidr", "192.0.2", NOTFOUND, NULL},

    /* texthash */
    {"hash key", "texthash", "senders.texthash", "user@example.com", FOUND,
     "OK"},
    {"hash key folded", "texthash", "senders.texthash", "USER@Example.Com",
     FOUND, "OK"},
    {"hash stored key folded", "texthash", "senders.texthash", "example.com",
     FOUND, "REJECT Mixed Case Key"},
    {"hash dot key", "texthash", "senders.texthash", ".example.com", FOUND,
     "REJECT subdomains only"},
    {"hash whole key only", "texthash", "senders.texthash", "a.example.com",
     NOTFOUND, NULL},
    {"hash user@", "texthash", "senders.texthash", "spammer@", FOUND,
     "REJECT local part"},
    {"hash <>", "texthash", "senders.texthash", "<>", FOUND,
     "DUNNO null sender"},
    {"hash v4 prefix", "texthash", "senders.texthash", "1.2.3", FOUND,
     "REJECT a /24"},
    {"hash v6 prefix", "texthash", "senders.texthash", "2001:DB8:", FOUND,
     "REJECT v6 prefix"},
    {"hash duplicate: first wins", "texthash", "senders.texthash", "dup.test",
     FOUND, "OK first wins"},
    {"hash continuation", "texthash", "senders.texthash", "cont.test", FOUND,
     "REJECT continued\ton the next line"},
    {"hash no $ magic", "texthash", "senders.texthash", "price.test", FOUND,
     "REJECT costs $5"},
    {"hash comment is no key", "texthash", "senders.texthash", "#", NOTFOUND,
     NULL},
    {"hash missing", "texthash", "senders.texthash", "nobody@example.org",
     NOTFOUND, NULL},
    {"hash empty key", "texthash", "senders.texthash", "", NOTFOUND, NULL},
};

/* test_lookup - one key against one data file */
START_TEST(test_lookup)
{
	const struct lookup_case *c = &lookup_cases[_i];
	struct pcl_table *t = open_data(c->type, c->file, NULL);
	char result[PCL_TABLE_RESULT_MAX + 1] = "";
	char err[PCL_ERR_MAX] = "";
	enum pcl_table_status st;

	st = pcl_table_lookup_err(t, c->key, result, sizeof(result), err,
	                          sizeof(err));
	ck_assert_msg(st == c->want, "%s: got %s (%s), want %s", c->label,
	              status_name(st), err, status_name(c->want));
	if (c->want == FOUND)
		ck_assert_msg(strcmp(result, c->want_result) == 0,
		              "%s: got \"%s\", want \"%s\"", c->label, result,
		              c->want_result);
	st = pcl_table_lookup(t, c->key, result, sizeof(result));
	ck_assert_msg(st == c->want, "%s: pcl_table_lookup got %s, want %s",
	              c->label, status_name(st), status_name(c->want));
	pcl_table_free(t);
}
END_TEST

struct bad_file_case {
	const char *label;
	const char *type;
	const char *file;
	bool access_check;
	const char *want; /* after the path */
};

static const struct bad_file_case bad_file_cases[] = {
    {"bad regex", "regexp", "bad_regex.regexp", false,
     ":3: bad regular expression: "},
    {"bad regex as pcre", "pcre", "bad_regex.regexp", false,
     ":3: bad regular expression at offset "},
    {"host bits", "cidr", "bad_hostbits.cidr", false,
     ":3: non-zero host bits in \"198.51.100.1/24\" (perhaps "
     "\"198.51.100.0/24\")"},
    {"NUL byte", "texthash", "bad_nul.texthash", false, ":3: NUL byte in line"},
    {"unsupported action", "texthash", "bad_action.texthash", true,
     ":2: unsupported access(5) action: reject_unverified_sender"},
    {"if without endif", "regexp", "bad_if.regexp", false,
     ":1: if without a matching endif"},
};

/* test_bad_file - data files that must not load */
START_TEST(test_bad_file)
{
	const struct bad_file_case *c = &bad_file_cases[_i];
	char spec[1024];
	char path[1024];
	char want[2048];
	char err[PCL_ERR_MAX] = "";
	struct pcl_table *t;

	data_spec(spec, sizeof(spec), c->type, c->file);
	data_spec(path, sizeof(path), NULL, c->file);
	t = pcl_table_open(spec,
	                   c->access_check ? pcl_access_check_value : NULL, err,
	                   sizeof(err));
	ck_assert_msg(t == NULL, "%s: got a table, want an error", c->label);
	pcl_format(want, sizeof(want), "%s%s", path, c->want);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	              "%s: got \"%s\", want \"%s...\"", c->label, err, want);
}
END_TEST

struct bad_text_case {
	const char *label;
	const char *type;
	const char *text;
	size_t len;       /* text may hold a NUL byte */
	const char *want; /* after the path */
};

#define T(s) s, sizeof(s) - 1

static const struct bad_text_case bad_text_cases[] = {
    {"re missing result", "regexp", T("/a/ OK\n/b/\n"), ":2: missing result"},
    {"re missing result, flags", "regexp", T("/b/i   \n"),
     ":1: missing result"},
    {"pcre missing result", "pcre", T("\n\n/b/\n"), ":3: missing result"},
    {"cidr missing result", "cidr", T("10.0.0.0/8\n"), ":1: missing result"},
    {"hash missing result", "texthash", T("# c\nkey\n"), ":2: missing result"},
    {"re bad regex text", "regexp", T("/a{2,1}/ OK\n"),
     ":1: bad regular expression: Invalid"},
    {"pcre bad regex text", "pcre", T("/(?<=a+)b/ OK\n"),
     ":1: bad regular expression at offset"},
    {"re unknown flag", "regexp", T("/a/q OK\n"),
     ":1: unknown regexp flag \"q\""},
    {"pcre unknown flag", "pcre", T("/a/z OK\n"),
     ":1: unknown pcre flag \"z\""},
    {"re s flag is pcre only", "regexp", T("/a/s OK\n"),
     ":1: unknown regexp flag \"s\""},
    {"re no closing delimiter", "regexp", T("/abc OK\n"),
     ":1: missing closing delimiter \"/\""},
    {"re escaped last delimiter", "regexp", T("/abc\\/ OK\n"),
     ":1: missing closing delimiter"},
    {"re only negation", "regexp", T("!\n"), ":1: missing pattern"},
    {"re unrecognized", "regexp", T("foo bar\n"), ":1: unrecognized line"},
    {"re $n beyond groups", "regexp", T("/(a)/ REJECT $2\n"),
     ":1: result uses $2 but the pattern has 1 (...) group"},
    {"pcre $n beyond groups", "pcre", T("/a/ REJECT ${1}\n"),
     ":1: result uses $1 but the pattern has 0 (...) groups"},
    {"re $n in negated", "regexp", T("!/(a)/ REJECT $1\n"),
     ":1: $1 in the result of a negated pattern"},
    {"re lone $", "regexp", T("/a/ REJECT costs $\n"), ":1: lone \"$\""},
    {"re $ space", "regexp", T("/a/ REJECT $ 5\n"), ":1: lone \"$\""},
    {"re $name", "regexp", T("/(a)/ REJECT $x\n"),
     ":1: non-numeric replacement \"$x\""},
    {"re $1x", "regexp", T("/(a)/ REJECT $1x\n"),
     ":1: non-numeric replacement \"$1x\""},
    {"re $0", "regexp", T("/(a)/ REJECT $0\n"), ":1: replacement \"$0\" out"},
    {"re $100", "regexp", T("/(a)/ REJECT ${100}\n"),
     ":1: replacement \"$100\" out of range"},
    {"re unclosed ${", "regexp", T("/(a)/ REJECT ${1\n"),
     ":1: unclosed \"${\""},
    {"re unclosed $(", "regexp", T("/(a)/ REJECT $(1\n"),
     ":1: unclosed \"$(\""},
    {"re endif without if", "regexp", T("/a/ OK\nendif\n"),
     ":2: endif without a matching if"},
    {"re nested if unbalanced", "regexp", T("if /a/\nif /b/\n/c/ OK\nendif\n"),
     ":1: if without a matching endif"},
    {"re inner if unbalanced", "regexp",
     T("if /a/\nendif\nif /b/\nif /c/\nendif\n"),
     ":3: if without a matching endif"},
    {"re indented rule after if", "regexp", T("if /a/\n  /b/ OK\nendif\n"),
     ":1: text after the if pattern (do not indent"},
    {"re text after endif", "regexp", T("if /a/\nendif junk\n"),
     ":2: text after endif"},
    {"re if without pattern", "regexp", T("if\n"), ":1: missing pattern"},
    {"cidr endif without if", "cidr", T("endif\n"),
     ":1: endif without a matching if"},
    {"cidr if without endif", "cidr", T("# x\nif 10.0.0.0/8\n"),
     ":2: if without a matching endif"},
    {"cidr if without network", "cidr", T("if\nendif\n"),
     ":1: missing network after if"},
    {"cidr text after if", "cidr", T("if 10.0.0.0/8 OK\nendif\n"),
     ":1: text after the if network"},
    {"cidr bad prefix", "cidr", T("192.0.2.0/33 OK\n"),
     ":1: bad CIDR \"192.0.2.0/33\": prefix length must be 0..32"},
    {"cidr not an address", "cidr", T("example.com OK\n"),
     ":1: bad CIDR \"example.com\": not an address"},
    {"cidr space after !", "cidr", T("! 10.0.0.0/8 OK\n"),
     ":1: bad CIDR: empty"},
    {"cidr v6 host bits", "cidr", T("2001:db8::1/32 OK\n"),
     ":1: non-zero host bits"},
    {"continuation first", "texthash", T("  key value\n"),
     ":1: continuation line (starting with white space) without a line"},
    {"continuation after comment", "regexp", T("# c\n\t/a/ OK\n"),
     ":2: continuation line"},
    {"NUL in regexp", "regexp", T("/a/ OK\n/b\0/ OK\n"),
     ":2: NUL byte in line"},
    {"NUL in cidr comment", "cidr", T("# \0\n"), ":1: NUL byte in line"},
};

/* test_bad_text - texts written to a temporary file must not load */
START_TEST(test_bad_text)
{
	const struct bad_text_case *c = &bad_text_cases[_i];
	char path[512];
	char spec[600];
	char want[1200];
	char err[PCL_ERR_MAX] = "";
	struct pcl_table *t;

	write_temp(path, sizeof(path), c->text, c->len);
	pcl_format(spec, sizeof(spec), "%s:%s", c->type, path);
	t = pcl_table_open(spec, NULL, err, sizeof(err));
	unlink(path);
	ck_assert_msg(t == NULL, "%s: got a table, want an error", c->label);
	pcl_format(want, sizeof(want), "%s%s", path, c->want);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	              "%s: got \"%s\", want \"%s...\"", c->label, err, want);
}
END_TEST

struct spec_case {
	const char *label;
	const char *spec;
	const char *want;
};

static const struct spec_case spec_cases[] = {
    {"hash type", "hash:/etc/postfix/access",
     "hash:/etc/postfix/access: unsupported table type \"hash\" (use cidr, "
     "regexp, pcre or texthash; for a hash/lmdb/cdb map name its source "
     "file as texthash:/etc/postfix/access)"},
    {"unknown type", "ldap:/etc/postfix/ldap.cf",
     "ldap:/etc/postfix/ldap.cf: unsupported table type \"ldap\""},
    {"no type", "/etc/postfix/access", "/etc/postfix/access: want type:/path"},
    {"empty type", ":/etc/postfix/access",
     ":/etc/postfix/access: want type:/path"},
    {"empty", "", ": want type:/path"},
    {"no file", "texthash:", "texthash:: missing file name"},
    {"missing file", "texthash:/nonexistent/portcullis.map",
     "texthash:/nonexistent/portcullis.map: cannot open: No such file or "
     "directory"},
    {"missing regexp file", "regexp:/nonexistent/helo.regexp",
     "regexp:/nonexistent/helo.regexp: cannot open: No such file"},
};

/* test_spec - bad "type:/path" */
START_TEST(test_spec)
{
	const struct spec_case *c = &spec_cases[_i];
	char err[PCL_ERR_MAX] = "";
	struct pcl_table *t = pcl_table_open(c->spec, NULL, err, sizeof(err));

	ck_assert_msg(t == NULL, "%s: got a table, want an error", c->label);
	ck_assert_msg(strncmp(err, c->want, strlen(c->want)) == 0,
	              "%s: got \"%s\", want \"%s\"", c->label, err, c->want);
}
END_TEST

/* test_directory - a directory is a read error, not an empty table */
START_TEST(test_directory)
{
	char spec[1024];
	char err[PCL_ERR_MAX] = "";
	struct pcl_table *t;

	data_spec(spec, sizeof(spec), "texthash", "");
	t = pcl_table_open(spec, NULL, err, sizeof(err));
	ck_assert_msg(t == NULL, "directory: got a table, want an error");
	ck_assert_msg(strstr(err, ":1: read error: Is a directory") != NULL,
	              "directory: got \"%s\", want read error", err);
	t = pcl_table_open(NULL, NULL, NULL, 0); /* no error buffer */
	ck_assert_msg(t == NULL, "NULL spec: got a table, want NULL");
}
END_TEST

/* test_accessors - spec, is_pattern, is_cidr, free(NULL) */
START_TEST(test_accessors)
{
	static const struct {
		const char *type;
		const char *file;
		bool pattern;
		bool cidr;
	} cases[] = {
	    {"cidr", "clients.cidr", true, true},
	    {"regexp", "helo.regexp", true, false},
	    {"pcre", "helo.regexp", true, false},
	    {"texthash", "senders.texthash", false, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char spec[1024];
		struct pcl_table *t =
		    open_data(cases[i].type, cases[i].file, NULL);

		data_spec(spec, sizeof(spec), cases[i].type, cases[i].file);
		ck_assert_msg(strcmp(pcl_table_spec(t), spec) == 0,
		              "%s: got spec %s, want %s", cases[i].type,
		              pcl_table_spec(t), spec);
		ck_assert_msg(pcl_table_is_pattern(t) == cases[i].pattern,
		              "%s: got is_pattern %d, want %d", cases[i].type,
		              pcl_table_is_pattern(t), cases[i].pattern);
		ck_assert_msg(pcl_table_is_cidr(t) == cases[i].cidr,
		              "%s: got is_cidr %d, want %d", cases[i].type,
		              pcl_table_is_cidr(t), cases[i].cidr);
		ck_assert_msg(
		    pcl_table_lookup(t, NULL, spec, sizeof(spec)) == NOTFOUND,
		    "%s: NULL key: got found, want NOTFOUND", cases[i].type);
		pcl_table_free(t);
	}
	pcl_table_free(NULL);
	ck_assert(!pcl_table_is_pattern(NULL) && !pcl_table_is_cidr(NULL));
	ck_assert_msg(strcmp(pcl_table_spec(NULL), "") == 0,
	              "NULL spec: got non-empty, want \"\"");
	ck_assert(pcl_table_lookup(NULL, "x", NULL, 0) == NOTFOUND);
}
END_TEST

/* test_empty - files with only comments and blank lines are empty tables */
START_TEST(test_empty)
{
	static const char text[] = "# nothing here\n\n   \n\t# indented\n";
	static const char *const types[] = {"cidr", "regexp", "pcre",
	                                    "texthash"};
	char path[512];

	write_temp(path, sizeof(path), text, sizeof(text) - 1);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char spec[600];
		char result[64];
		char err[PCL_ERR_MAX] = "";
		struct pcl_table *t;
		enum pcl_table_status st;

		pcl_format(spec, sizeof(spec), "%s:%s", types[i], path);
		t = pcl_table_open(spec, NULL, err, sizeof(err));
		ck_assert_msg(t != NULL, "%s: got \"%s\", want a table",
		              types[i], err);
		st = pcl_table_lookup(t, "192.0.2.1", result, sizeof(result));
		ck_assert_msg(st == NOTFOUND, "%s: got %s, want NOTFOUND",
		              types[i], status_name(st));
		pcl_table_free(t);
	}
	unlink(path);
}
END_TEST

/* reject_bad - a validator that refuses results containing "bad" */
static int
reject_bad(const char *result, char *err, size_t errlen)
{
	if (strstr(result, "bad") == NULL)
		return 0;
	pcl_format(err, errlen, "result \"%s\" is bad", result);
	return -1;
}

/* test_validator - the check function sees every result, before $n */
START_TEST(test_validator)
{
	static const struct {
		const char *label;
		const char *type;
		const char *text;
		const char *want; /* NULL: loads */
	} cases[] = {
	    {"good texthash", "texthash", "a OK\nb REJECT\n", NULL},
	    {"bad texthash", "texthash", "a OK\n# x\nb bad one\n",
	     ":3: result \"bad one\" is bad"},
	    {"bad cidr", "cidr", "10.0.0.0/8 is bad\n",
	     ":1: result \"is bad\" is bad"},
	    {"bad regexp, before $n", "regexp", "/(.*)/ REJECT $1 bad\n",
	     ":1: result \"REJECT $1 bad\" is bad"},
	    {"$n hides nothing", "pcre", "/(bad)/ REJECT $1\n", NULL},
	    {"bad continued", "texthash", "a OK\n  bad\n",
	     ":1: result \"OK  bad\" is bad"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[512];
		char spec[600];
		char want[1200];
		char err[PCL_ERR_MAX] = "";
		struct pcl_table *t;

		write_temp(path, sizeof(path), cases[i].text,
		           strlen(cases[i].text));
		pcl_format(spec, sizeof(spec), "%s:%s", cases[i].type, path);
		t = pcl_table_open(spec, reject_bad, err, sizeof(err));
		unlink(path);
		if (cases[i].want == NULL) {
			ck_assert_msg(t != NULL, "%s: got \"%s\", want a table",
			              cases[i].label, err);
			pcl_table_free(t);
			continue;
		}
		ck_assert_msg(t == NULL, "%s: got a table, want an error",
		              cases[i].label);
		pcl_format(want, sizeof(want), "%s%s", path, cases[i].want);
		ck_assert_msg(strcmp(err, want) == 0,
		              "%s: got \"%s\", want \"%s\"", cases[i].label,
		              err, want);
	}
}
END_TEST

/* test_long_lines - physical and logical line limits */
START_TEST(test_long_lines)
{
	size_t big = 5000;
	char *text = malloc(big + 64);
	char path[512];
	char spec[600];
	char err[PCL_ERR_MAX] = "";
	struct pcl_table *t;
	size_t n;

	ck_assert(text != NULL);
	/* one physical line of 5000 bytes on line 2 */
	n = (size_t)snprintf(text, 64, "a OK\nb ");
	memset(text + n, 'x', big);
	n += big;
	text[n++] = '\n';
	write_temp(path, sizeof(path), text, n);
	pcl_format(spec, sizeof(spec), "texthash:%s", path);
	t = pcl_table_open(spec, NULL, err, sizeof(err));
	unlink(path);
	ck_assert_msg(t == NULL && strstr(err, ":2: line longer than 4096 "
	                                       "bytes") != NULL,
	              "long line: got \"%s\", want :2: line longer", err);

	/* 3 lines of 2000 bytes joined by continuation */
	n = (size_t)snprintf(text, 64, "# c\nkey ");
	for (int i = 0; i < 3; i++) {
		memset(text + n, 'y', 1500);
		n += 1500;
		text[n++] = '\n';
		text[n++] = ' ';
	}
	text[n - 1] = '\0';
	n--;
	write_temp(path, sizeof(path), text, n);
	pcl_format(spec, sizeof(spec), "texthash:%s", path);
	t = pcl_table_open(spec, NULL, err, sizeof(err));
	unlink(path);
	ck_assert_msg(t == NULL && strstr(err, ":2: line longer than 4096 "
	                                       "bytes") != NULL,
	              "long logical line: got \"%s\", want :2: line longer",
	              err);
	free(text);
}
END_TEST

/* test_result_size - results never cut: ERROR instead */
START_TEST(test_result_size)
{
	static const char text[] = "/^(.*)$/ REJECT $1$1\n";
	struct pcl_table *t = open_data("texthash", "senders.texthash", NULL);
	char small[4];
	char result[PCL_TABLE_RESULT_MAX + 100];
	char key[700];
	char err[PCL_ERR_MAX] = "";
	char path[512];
	char spec[600];
	enum pcl_table_status st;
	char *big = malloc(PCL_TABLE_RESULT_MAX + 8);

	/* a result of 1025 bytes cannot load */
	ck_assert(big != NULL);
	memcpy(big, "k ", 2);
	memset(big + 2, 'R', PCL_TABLE_RESULT_MAX + 1);
	big[PCL_TABLE_RESULT_MAX + 3] = '\n';
	write_temp(path, sizeof(path), big, PCL_TABLE_RESULT_MAX + 4);
	free(big);
	pcl_format(spec, sizeof(spec), "texthash:%s", path);
	ck_assert(pcl_table_open(spec, NULL, err, sizeof(err)) == NULL);
	unlink(path);
	ck_assert_msg(strstr(err, ":1: result longer than 1024 bytes") != NULL,
	              "1025-byte result: got \"%s\"", err);

	st = pcl_table_lookup_err(t, "example.com", small, sizeof(small), err,
	                          sizeof(err));
	ck_assert_msg(st == ERROR, "texthash small: got %s, want ERROR",
	              status_name(st));
	ck_assert_msg(strstr(err, "longer than 3 bytes") != NULL,
	              "texthash small: got \"%s\"", err);
	pcl_table_free(t);

	t = open_data("regexp", "features.regexp", NULL);
	st = pcl_table_lookup(t, "joe@example.net", small, sizeof(small));
	ck_assert_msg(st == ERROR, "regexp small: got %s, want ERROR",
	              status_name(st));
	pcl_table_free(t);

	/* $1$1 of a 600-byte key: 1207 bytes, over PCL_TABLE_RESULT_MAX
	 * even though the caller's buffer would hold it */
	write_temp(path, sizeof(path), text, strlen(text));
	pcl_format(spec, sizeof(spec), "regexp:%s", path);
	t = pcl_table_open(spec, NULL, err, sizeof(err));
	unlink(path);
	ck_assert_msg(t != NULL, "open: %s", err);
	memset(key, 'k', 600);
	key[600] = '\0';
	st = pcl_table_lookup_err(t, key, result, sizeof(result), err,
	                          sizeof(err));
	ck_assert_msg(st == ERROR, "expansion: got %s, want ERROR",
	              status_name(st));
	ck_assert_msg(strstr(err, ":1: result longer than 1024 bytes") != NULL,
	              "expansion: got \"%s\"", err);
	key[400] = '\0';
	st = pcl_table_lookup(t, key, result, sizeof(result));
	ck_assert_msg(st == FOUND && strlen(result) == 7 + 800,
	              "expansion fits: got %s len %zu, want FOUND len 807",
	              status_name(st), strlen(result));
	pcl_table_free(t);
}
END_TEST

/* test_match_limit - catastrophic backtracking is an ERROR, not a hang */
START_TEST(test_match_limit)
{
	static const char text[] = "/^(a|aa)+$/ REJECT slow\n/./ OK next\n";
	char path[512];
	char spec[600];
	char key[64];
	char result[PCL_TABLE_RESULT_MAX + 1];
	char err[PCL_ERR_MAX] = "";
	struct pcl_table *t;
	enum pcl_table_status st;

	write_temp(path, sizeof(path), text, strlen(text));
	pcl_format(spec, sizeof(spec), "pcre:%s", path);
	t = pcl_table_open(spec, NULL, err, sizeof(err));
	unlink(path);
	ck_assert_msg(t != NULL, "open: %s", err);
	memset(key, 'a', 50);
	key[50] = 'b';
	key[51] = '\0';
	st = pcl_table_lookup_err(t, key, result, sizeof(result), err,
	                          sizeof(err));
	ck_assert_msg(st == ERROR, "limit: got %s (%s), want ERROR",
	              status_name(st), result);
	ck_assert_msg(strstr(err, ":1: match limit exceeded") != NULL,
	              "limit: got \"%s\", want :1: match limit exceeded", err);
	st = pcl_table_lookup(t, "aaaa", result, sizeof(result));
	ck_assert_msg(st == FOUND && strcmp(result, "REJECT slow") == 0,
	              "short key: got %s \"%s\", want REJECT slow",
	              status_name(st), result);
	pcl_table_free(t);
}
END_TEST

/* test_big_texthash - 10,000 lines, every key found */
START_TEST(test_big_texthash)
{
	enum { LINES = 10000 };
	size_t cap = (size_t)LINES * 48;
	char *text = malloc(cap);
	size_t n = 0;
	char path[512];
	char spec[600];
	char key[64];
	char want[64];
	char result[PCL_TABLE_RESULT_MAX + 1];
	char err[PCL_ERR_MAX] = "";
	struct pcl_table *t;

	ck_assert(text != NULL);
	for (int i = 0; i < LINES; i++)
		n += (size_t)snprintf(text + n, cap - n,
		                      "Host%05d.Example.COM\tREJECT n%05d\n", i,
		                      i);
	write_temp(path, sizeof(path), text, n);
	free(text);
	pcl_format(spec, sizeof(spec), "texthash:%s", path);
	t = pcl_table_open(spec, pcl_access_check_value, err, sizeof(err));
	unlink(path);
	ck_assert_msg(t != NULL, "open: %s", err);
	for (int i = 0; i < LINES; i++) {
		pcl_format(key, sizeof(key), "host%05d.example.com", i);
		pcl_format(want, sizeof(want), "REJECT n%05d", i);
		ck_assert_msg(
		    pcl_table_lookup(t, key, result, sizeof(result)) == FOUND &&
		        strcmp(result, want) == 0,
		    "%s: got \"%s\", want \"%s\"", key, result, want);
	}
	ck_assert_msg(pcl_table_lookup(t, "host10000.example.com", result,
	                               sizeof(result)) == NOTFOUND,
	              "host10000: got FOUND, want NOTFOUND");
	ck_assert_msg(pcl_table_lookup(t, "HOST09999.EXAMPLE.COM", result,
	                               sizeof(result)) == FOUND,
	              "upper-case key: got NOTFOUND, want FOUND");
	pcl_table_free(t);
}
END_TEST

/* A thread's share of the concurrent lookups. */
struct thread_job {
	const struct pcl_table *t;
	const char *key;
	const char *want;
	int failures;
};

/* thread_main - look up one key many times */
static void *
thread_main(void *arg)
{
	struct thread_job *job = arg;
	char result[PCL_TABLE_RESULT_MAX + 1];

	for (int i = 0; i < 2000; i++)
		if (pcl_table_lookup(job->t, job->key, result,
		                     sizeof(result)) != FOUND ||
		    strcmp(result, job->want) != 0)
			job->failures++;
	return NULL;
}

/* test_threads - concurrent lookups in one pcre and one regexp table */
START_TEST(test_threads)
{
	struct pcl_table *pcre = open_data("pcre", "features.pcre", NULL);
	struct pcl_table *re = open_data("regexp", "features.regexp", NULL);
	struct thread_job jobs[] = {
	    {pcre, "ann@example.net", "REJECT user ann at example.net", 0},
	    {pcre, "bob@example.net", "REJECT user bob at example.net", 0},
	    {pcre, "greedyaaaa", "OK lazy a", 0},
	    {pcre, "www.corp.test", "REJECT web host www", 0},
	    {re, "ann@example.net", "REJECT user ann at example.net owes $5",
	     0},
	    {re, "dyn-7.isp.test", "PREPEND X-Dyn: 7", 0},
	    {re, "www.corp.test", "REJECT web host www in corp", 0},
	    {re, "optional.test", "WARN [opt]", 0},
	};
	enum { NJOBS = sizeof(jobs) / sizeof(jobs[0]) };
	pthread_t tid[NJOBS];

	for (int i = 0; i < NJOBS; i++)
		ck_assert(
		    pthread_create(&tid[i], NULL, thread_main, &jobs[i]) == 0);
	for (int i = 0; i < NJOBS; i++) {
		pthread_join(tid[i], NULL);
		ck_assert_msg(jobs[i].failures == 0,
		              "thread %s: got %d failures, want 0", jobs[i].key,
		              jobs[i].failures);
	}
	pcl_table_free(pcre);
	pcl_table_free(re);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* table_suite - every table test case */
static Suite *
table_suite(void)
{
	Suite *s = suite_create("table");
	TCase *tc = tcase_create("table");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_lookup, 0, N(lookup_cases));
	tcase_add_loop_test(tc, test_bad_file, 0, N(bad_file_cases));
	tcase_add_loop_test(tc, test_bad_text, 0, N(bad_text_cases));
	tcase_add_loop_test(tc, test_spec, 0, N(spec_cases));
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_accessors);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_validator);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_result_size);
	tcase_add_test(tc, test_match_limit);
	tcase_add_test(tc, test_big_texthash);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite; fails when any check fails */
int
main(void)
{
	SRunner *sr = srunner_create(table_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
