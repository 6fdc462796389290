/*
 * check_table - unit tests for lib/core/table.c and lib/core/table_pattern.c:
 * lookups, bad files and texts, specs (limits and threads are in
 * check_table_limits.c)
 *
 * Lookups run against the files in tests/unit/data/ (found through
 * $srcdir, default "."), written the way admins write them for Postfix.
 * Error cases are either data files (bad_*) or small texts written to a
 * temporary file; every error must name "path:line:".
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "table.h"
#include "table_suite.h"
#include "util.h"

/* data_spec - "type:" + $srcdir/tests/unit/data/name */
void
data_spec(char *buf, size_t len, const char *type, const char *name)
{
	const char *srcdir = getenv("srcdir");

	ck_assert(pcl_format(buf, len, "%s%s%s/tests/unit/data/%s",
	                     type ? type : "", type ? ":" : "",
	                     srcdir ? srcdir : ".", name));
}

/* open_data - open a data file that must load */
struct pcl_table *
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
void
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
const char *
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
    {"re nullable group repeated", "regexp", "features.regexp",
     "mx.a.nullable.test", FOUND, "OK nullable"},
    {"re nullable groups", "regexp", "features.regexp", "xxybab.test", FOUND,
     "OK nullable stacked"},
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
    /* regcomp() copies a subexpression per count of a repetition:
     * these would take the process's memory (fuzz_table found the
     * first), so they are refused before it is called */
    {"re repetitions of a repetition", "regexp",
     T("/((((a))+++++++++++++++++))/ OK\n"),
     ":1: bad regular expression: too complex for regexp:"},
    {"re nested intervals", "regexp", T("/(a{200}){200}/ OK\n"),
     ":1: bad regular expression: too complex for regexp:"},
    /* copies of what may match nothing cost regcomp() the square of
     * their size: 31 s and 1.6 GB (fuzz_table found the second) */
    {"re repetitions of a star", "regexp", T("/(a*)++++++++++++/ OK\n"),
     ":1: bad regular expression: too complex for regexp:"},
    {"re repetitions of an empty group", "regexp",
     T("/^(.*)@(.*)$/ OK\n/(((((((((a(())++++++++++++)))))))))/ $1\n"),
     ":2: bad regular expression: too complex for regexp:"},
    {"re repetitions of an empty branch", "regexp", T("/(a|)+++++/ OK\n"),
     ":1: bad regular expression: too complex for regexp:"},
    {"re nullable interval", "regexp", T("/(a?b?){500}/ OK\n"),
     ":1: bad regular expression: too complex for regexp:"},
    {"re 64 nested groups", "regexp",
     T("/((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a"
       "))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))/"
       " OK\n"),
     ":1: bad regular expression: too complex for regexp:"},
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
	table_limits_add(tc);
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
