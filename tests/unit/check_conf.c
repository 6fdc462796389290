/*
 * check_conf - unit tests for lib/core/conf.c and the key table
 *
 * Every test writes its config file (and any map files) to a fresh
 * mkdtemp(3) directory. In the tables, "%D" in a text stands for that
 * directory and "%F" for the config file's path, so an expected error
 * can name the file and line exactly: {"%F:3: ", "unknown key"} wants
 * an error line that starts with "<conf>:3: " and contains
 * "unknown key". Errors are compared line by line and in order, so a
 * case also says how many errors it wants: all of them, not the first.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "table.h"
#include "util.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define PATH_MAX_TEST 512
#define TEXT_MAX 4096

static char dir[PATH_MAX_TEST];
static char conf_path[PATH_MAX_TEST];

/* setup - a fresh directory for this test's files */
static void
setup(void)
{
	ck_assert(pcl_copy(dir, sizeof(dir), "/tmp/check_conf.XXXXXX"));
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: got NULL, want a dir");
	ck_assert(pcl_format(conf_path, sizeof(conf_path), "%s/portcullis.conf",
	                     dir));
}

/* teardown - remove the directory and what the test wrote there */
static void
teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX_TEST + 256];

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		pcl_format(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* subst - copy in to out with "%D" as dir and "%F" as conf_path */
static const char *
subst(const char *in, char *out, size_t len)
{
	out[0] = '\0';
	for (const char *p = in; *p; p++) {
		if (p[0] == '%' && p[1] == 'D') {
			ck_assert(pcl_append(out, len, "%s", dir));
			p++;
		} else if (p[0] == '%' && p[1] == 'F') {
			ck_assert(pcl_append(out, len, "%s", conf_path));
			p++;
		} else {
			ck_assert(pcl_append(out, len, "%c", *p));
		}
	}
	return out;
}

/* write_bytes - write len bytes of text to path */
static void
write_bytes(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "w");

	ck_assert_msg(fp != NULL, "%s: cannot create", path);
	ck_assert(fwrite(text, 1, len, fp) == len);
	ck_assert(fclose(fp) == 0);
}

/* write_file - write text (after subst) to dir/name */
static void
write_file(const char *name, const char *text)
{
	char path[PATH_MAX_TEST + 64];
	char *body = malloc(strlen(text) + TEXT_MAX);

	ck_assert(body != NULL);
	ck_assert(pcl_format(path, sizeof(path), "%s/%s", dir, name));
	subst(text, body, strlen(text) + TEXT_MAX);
	write_bytes(path, body, strlen(body));
	free(body);
}

#define MAX_OVERRIDES 4

/* load - write text as the config (NULL: no file) and load it with the
 * overrides (NULL-terminated, after subst) */
static struct pcl_conf *
load(const char *text, const char *const *overrides, char **errors)
{
	char buf[MAX_OVERRIDES][TEXT_MAX];
	const char *ov[MAX_OVERRIDES];
	size_t n = 0;

	if (text)
		write_file("portcullis.conf", text);
	for (; overrides && overrides[n]; n++) {
		ck_assert(n < MAX_OVERRIDES);
		ov[n] = subst(overrides[n], buf[n], sizeof(buf[n]));
	}
	return pcl_conf_load(text ? conf_path : NULL, ov, n, errors);
}

/* load_ok - load that must succeed */
static struct pcl_conf *
load_ok(const char *label, const char *text, const char *const *overrides)
{
	char *errors = NULL;
	struct pcl_conf *c = load(text, overrides, &errors);

	ck_assert_msg(c != NULL, "%s: got errors \"%s\", want none", label,
	              errors ? errors : "(null)");
	ck_assert_msg(errors == NULL, "%s: got errors \"%s\" with a conf",
	              label, errors);
	return c;
}

/* key_index - the row of name in pcl_conf_keys */
static size_t
key_index(const char *name)
{
	const struct pcl_conf_key *k = pcl_conf_key_find(name);

	ck_assert_msg(k != NULL, "%s: got no key, want one", name);
	return (size_t)(k - pcl_conf_keys);
}

/* text_of - the text the dump shows for name */
static const char *
text_of(const struct pcl_conf *c, const char *name)
{
	return c->text[key_index(name)];
}

/* ---- errors ---- */

struct map_file {
	const char *name;
	const char *text;
};

struct want_error {
	const char *prefix; /* the line starts with this ("%F:3: ") */
	const char *has;    /* and contains this */
};

#define MAX_ERRORS 4

struct error_case {
	const char *label;
	const char *conf; /* NULL: no config file */
	const char *overrides[MAX_OVERRIDES];
	struct map_file maps[2];
	struct want_error want[MAX_ERRORS];
};

/* Map files the cases use. */
#define GOOD_HASH                                                              \
	{                                                                      \
		"good.map", "example.com REJECT\n192.0.2 OK\n"                 \
	}
#define BROKEN_HASH                                                            \
	{                                                                      \
		"broken.map", "# spam sources\nok.example OK\n\nbad.example "  \
		              "FROBNICATE\n"                                   \
	}
#define BROKEN_REGEXP                                                          \
	{                                                                      \
		"broken.re", "/^ok\\./ OK\n# comment\n/(unclosed/ REJECT\n"    \
	}

static const struct error_case error_cases[] = {
    /* one bad line each */
    {"socket port out of range",
     "milter_socket = inet:99999@127.0.0.1\n",
     {},
     {},
     {{"%F:1: ", "milter_socket: expected inet:PORT@HOST with PORT 1..65535"}}},
    {"socket of unknown kind",
     "milter_socket = bogus:foo\n",
     {},
     {},
     {{"%F:1: ", "milter_socket: expected unix:/path"}}},
    {"relative socket path",
     "milter_socket = unix:portcullis.sock\n",
     {},
     {},
     {{"%F:1: ", "milter_socket: socket path must be absolute"}}},
    {"relative table path",
     "client_access = texthash:clients\n",
     {},
     {},
     {{"%F:1: ", "table path must be absolute"}}},
    {"unknown key",
     "milter_socket = unix:/x\nno_such_key = 1\n",
     {},
     {},
     {{"%F:2: ", "unknown key \"no_such_key\""}}},
    {"bad boolean",
     "skip_authenticated = maybe\n",
     {},
     {},
     {{"%F:1: ", "skip_authenticated: expected yes or no, not \"maybe\""}}},
    {"empty boolean",
     "skip_authenticated =\n",
     {},
     {},
     {{"%F:1: ", "skip_authenticated: expected yes or no"}}},
    {"bad number",
     "milter_timeout = ten\n",
     {},
     {},
     {{"%F:1: ", "milter_timeout: bad number \"ten\""}}},
    {"negative time",
     "milter_timeout = -5\n",
     {},
     {},
     {{"%F:1: ", "milter_timeout: bad number"}}},
    {"bad time suffix",
     "milter_timeout = 10x\n",
     {},
     {},
     {{"%F:1: ", "milter_timeout: bad number"}}},
    {"two suffixes",
     "milter_timeout = 10ms\n",
     {},
     {},
     {{"%F:1: ", "milter_timeout: bad number"}}},
    {"space before suffix",
     "milter_timeout = 10 s\n",
     {},
     {},
     {{"%F:1: ", "milter_timeout: bad number"}}},
    {"empty time",
     "milter_timeout =\n",
     {},
     {},
     {{"%F:1: ", "milter_timeout: bad number"}}},
    {"time overflow",
     "milter_timeout = 999999999999999999999d\n",
     {},
     {},
     {{"%F:1: ", "milter_timeout: bad number"}}},
    {"time below range",
     "milter_timeout = 0\n",
     {},
     {},
     {{"%F:1: ", "milter_timeout: 0 is out of range 1..86400"}}},
    {"time above range",
     "milter_timeout = 86401\n",
     {},
     {},
     {{"%F:1: ", "milter_timeout: 86401 is out of range"}}},
    {"time above range by suffix",
     "milter_timeout = 2d\n",
     {},
     {},
     {{"%F:1: ", "milter_timeout: 172800 is out of range"}}},
    {"rate without a slash",
     "worker_restart_rate = 10\n",
     {},
     {},
     {{"%F:1: ", "worker_restart_rate: expected N/time (e.g. 10/1h), "
                 "not \"10\""}}},
    {"rate without a count",
     "worker_restart_rate = /1h\n",
     {},
     {},
     {{"%F:1: ", "worker_restart_rate: expected N/time"}}},
    {"rate with a bad time",
     "worker_restart_rate = 10/1y\n",
     {},
     {},
     {{"%F:1: ", "worker_restart_rate: expected N/time"}}},
    {"rate with a bad count",
     "worker_restart_rate = ten/1h\n",
     {},
     {},
     {{"%F:1: ", "worker_restart_rate: expected N/time"}}},
    {"rate count zero",
     "worker_restart_rate = 0/1h\n",
     {},
     {},
     {{"%F:1: ", "worker_restart_rate: 0 is out of range 1..1000"}}},
    {"rate count above range",
     "worker_restart_rate = 1001/1h\n",
     {},
     {},
     {{"%F:1: ", "worker_restart_rate: 1001 is out of range 1..1000"}}},
    {"rate time zero",
     "worker_restart_rate = 10/0s\n",
     {},
     {},
     {{"%F:1: ", "worker_restart_rate: time \"0s\" is out of range "
                 "1s..7d"}}},
    {"rate time above range",
     "worker_restart_rate = 10/8d\n",
     {},
     {},
     {{"%F:1: ", "worker_restart_rate: time \"8d\" is out of range"}}},
    {"restart delay above range",
     "worker_restart_max_delay = 301\n",
     {},
     {},
     {{"%F:1: ", "worker_restart_max_delay: 301 is out of range 0..300"}}},
    {"bad action",
     "helo_invalid_action = bounce\n",
     {},
     {},
     {{"%F:1: ", "helo_invalid_action: unknown action \"bounce\""}}},
    {"empty action",
     "helo_invalid_action =\n",
     {},
     {},
     {{"%F:1: ", "helo_invalid_action: unknown action"}}},
    {"bad on_error",
     "on_error = maybe\n",
     {},
     {},
     {{"%F:1: ", "on_error: expected accept, tempfail or reject, not "
                 "\"maybe\""}}},
    {"empty on_error",
     "on_error =\n",
     {},
     {},
     {{"%F:1: ", "on_error: expected accept, tempfail or reject"}}},
    {"action word as on_error",
     "client_access_on_error = tag\n",
     {},
     {},
     {{"%F:1: ", "client_access_on_error: expected accept, tempfail or "
                 "reject"}}},
    {"bad enforce_stage",
     "enforce_stage = data\n",
     {},
     {},
     {{"%F:1: ", "enforce_stage: expected rcpt or immediate"}}},
    {"reply without code",
     "helo_invalid_reply = go away\n",
     {},
     {},
     {{"%F:1: ", "helo_invalid_reply: reply must start with a 4xx or 5xx"}}},
    {"reply with 2xx code",
     "helo_invalid_reply = 250 fine\n",
     {},
     {},
     {{"%F:1: ", "helo_invalid_reply: reply code 250 is not 4xx or 5xx"}}},
    {"reply unknown variable",
     "helo_invalid_reply = 550 5.7.1 <$helo_name> $nosuch\n",
     {},
     {},
     {{"%F:1: ", "helo_invalid_reply: unknown variable $nosuch"}}},
    {"reply bad variable syntax",
     "helo_invalid_reply = 550 ${helo_name\n",
     {},
     {},
     {{"%F:1: ", "helo_invalid_reply: bad $variable syntax"}}},
    {"reply enhanced mismatch",
     "helo_bare_ip_reply = 550 4.7.1 no\n",
     {},
     {},
     {{"%F:1: ", "helo_bare_ip_reply: enhanced status code 4.7.1 does "
                 "not match reply code 550"}}},
    {"missing map file",
     "client_access = texthash:%D/nonexistent\n",
     {},
     {},
     {{"%F:1: ", "texthash:%D/nonexistent: cannot open"}}},
    {"unknown map type",
     "client_access = hash:%D/x\n",
     {},
     {},
     {{"%F:1: ", "unsupported table type \"hash\""}}},
    {"broken texthash map",
     "\nsender_access = texthash:%D/good.map, texthash:%D/broken.map\n",
     {},
     {GOOD_HASH, BROKEN_HASH},
     {{"%F:2: ", "%D/broken.map:4: "}}},
    {"broken regexp map",
     "helo_access = regexp:%D/broken.re\n",
     {},
     {BROKEN_REGEXP},
     {{"%F:1: ", "%D/broken.re:3: "}}},
    {"bad CIDR prefix",
     "internal_networks = 127.0.0.0/8 10.0.0.0/33\n",
     {},
     {},
     {{"%F:1: ", "internal_networks: "}}},
    {"CIDR with host bits",
     "internal_networks = 192.0.2.1/24\n",
     {},
     {},
     {{"%F:1: ", "internal_networks: "}}},
    {"CIDR not an address",
     "helo_own_addresses = mail.example.com\n",
     {},
     {},
     {{"%F:1: ", "helo_own_addresses: "}}},
    {"unknown dry_run check",
     "\ndry_run = helo_invalid, helo_nosuch\n",
     {},
     {},
     {{"%F:2: ", "dry_run: unknown check \"helo_nosuch\""}}},
    {"unknown syslog facility",
     "syslog_facility = nosuch\n",
     {},
     {},
     {{"%F:1: ", "syslog_facility: unknown facility \"nosuch\""}}},

    /* syntax */
    {"continuation without a setting",
     "  recipient_exceptions = a@\n",
     {},
     {},
     {{"%F:1: ", "continuation line without a setting"}}},
    {"continuation after comments only",
     "# comment\n\n\tmore\n",
     {},
     {},
     {{"%F:3: ", "continuation line without a setting"}}},
    {"no equals sign",
     "milter_socket unix:/x\n",
     {},
     {},
     {{"%F:1: ", "expected \"name = value\""}}},
    {"upper-case key",
     "Milter_Socket = unix:/x\n",
     {},
     {},
     {{"%F:1: ", "bad key name"}}},
    {"space in key",
     "milter socket = unix:/x\n",
     {},
     {},
     {{"%F:1: ", "bad key name"}}},
    {"no key", "= unix:/x\n", {}, {}, {{"%F:1: ", "missing key name"}}},
    {"error in a continued setting names its first line",
     "milter_socket = unix:/x\nmilter_timeout =\n  10x\n",
     {},
     {},
     {{"%F:2: ", "milter_timeout: bad number \"10x\""}}},

    /* every error, not the first */
    {"two bad lines",
     "# two mistakes\nfoo = 1\nmilter_socket = unix:/x\n\n"
     "skip_authenticated = perhaps\n",
     {},
     {},
     {{"%F:2: ", "unknown key \"foo\""},
      {"%F:5: ", "skip_authenticated: expected yes or no"}}},
    {"four bad lines of four kinds",
     "milter_timeout = 0\n  \nhelo_invalid_action = nope\n"
     "client_access = texthash:%D/nonexistent\n"
     "internal_networks = 300.0.0.0/8\n",
     {},
     {},
     {{"%F:1: ", "out of range"},
      {"%F:3: ", "unknown action"},
      {"%F:4: ", "cannot open"},
      {"%F:5: ", "internal_networks: "}}},
    {"late checks reported with the others",
     "foo = 1\ndry_run = nosuch\nsyslog_facility = nosuch\n",
     {},
     {},
     {{"%F:1: ", "unknown key"},
      {"%F:2: ", "dry_run: unknown check \"nosuch\""},
      {"%F:3: ", "syslog_facility: unknown facility"}}},
    {"same key bad twice",
     "on_error = a\non_error = b\n",
     {},
     {},
     {{"%F:1: ", "not \"a\""}, {"%F:2: ", "not \"b\""}}},

    /* the command line */
    {"bad override",
     "",
     {"milter_timeout=0"},
     {},
     {{"command line: ", "milter_timeout: 0 is out of range"}}},
    {"unknown key override",
     NULL,
     {"no_such_key=1"},
     {},
     {{"command line: ", "unknown key \"no_such_key\""}}},
    {"override without =",
     NULL,
     {"milter_socket"},
     {},
     {{"command line: ", "expected \"name = value\""}}},
    {"override dry_run",
     NULL,
     {"dry_run=nosuch"},
     {},
     {{"command line: ", "dry_run: unknown check \"nosuch\""}}},
    {"file and override errors",
     "foo = 1\n",
     {"milter_socket=unix:/x", "user=", "on_error=never"},
     {},
     {{"%F:1: ", "unknown key \"foo\""},
      {"command line: ", "on_error: expected accept"}}},
};

/* count_lines - the number of '\n'-terminated lines of text */
static int
count_lines(const char *text)
{
	int n = 0;

	for (const char *p = text; p && *p; p++)
		n += *p == '\n';
	return n;
}

/* test_errors - one row of error_cases */
START_TEST(test_errors)
{
	const struct error_case *c = &error_cases[_i];
	char *errors = NULL;
	struct pcl_conf *conf;
	const char *line;
	int nwant = 0;

	for (int i = 0; i < COUNT(c->maps); i++)
		if (c->maps[i].name)
			write_file(c->maps[i].name, c->maps[i].text);
	while (nwant < MAX_ERRORS && c->want[nwant].prefix)
		nwant++;
	conf = load(c->conf, c->overrides, &errors);
	ck_assert_msg(conf == NULL, "%s: got a conf, want errors", c->label);
	ck_assert_msg(errors != NULL, "%s: got NULL errors, want text",
	              c->label);
	ck_assert_msg(count_lines(errors) == nwant &&
	                  errors[strlen(errors) - 1] == '\n',
	              "%s: got %d error lines (\"%s\"), want %d", c->label,
	              count_lines(errors), errors, nwant);
	line = errors;
	for (int i = 0; i < nwant; i++) {
		char prefix[TEXT_MAX], has[TEXT_MAX], got[TEXT_MAX];
		size_t n = strcspn(line, "\n");

		pcl_format(got, sizeof(got), "%.*s", (int)n, line);
		subst(c->want[i].prefix, prefix, sizeof(prefix));
		subst(c->want[i].has, has, sizeof(has));
		ck_assert_msg(strncmp(got, prefix, strlen(prefix)) == 0 &&
		                  strstr(got + strlen(prefix), has) != NULL,
		              "%s: got error %d \"%s\", want \"%s...%s...\"",
		              c->label, i + 1, got, prefix, has);
		line += n + 1;
	}
	free(errors);
}
END_TEST

/* test_missing_file - a config that cannot be opened is an error */
START_TEST(test_missing_file)
{
	char path[PATH_MAX_TEST + 32];
	char want[PATH_MAX_TEST + 64];
	char *errors = NULL;
	struct pcl_conf *c;

	pcl_format(path, sizeof(path), "%s/nonexistent.conf", dir);
	c = pcl_conf_load(path, NULL, 0, &errors);
	pcl_format(want, sizeof(want), "%s: cannot open: ", path);
	ck_assert_msg(c == NULL && errors != NULL, "missing: got a conf");
	ck_assert_msg(strncmp(errors, want, strlen(want)) == 0 &&
	                  count_lines(errors) == 1,
	              "missing: got \"%s\", want \"%s...\"", errors, want);
	free(errors);
}
END_TEST

/* test_directory - a directory is no config file, not an empty one */
START_TEST(test_directory)
{
	char *errors = NULL;
	struct pcl_conf *c = pcl_conf_load(dir, NULL, 0, &errors);

	ck_assert_msg(c == NULL, "directory: got a conf, want an error");
	ck_assert_msg(errors != NULL && strncmp(errors, dir, strlen(dir)) == 0,
	              "directory: got \"%s\", want \"%s: ...\"",
	              errors ? errors : "(null)", dir);
	free(errors);
	pcl_conf_free(c);
}
END_TEST

/* has_line - does some line of text start with prefix */
static bool
has_line(const char *text, const char *prefix)
{
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return true;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/* test_nul_byte - a NUL byte is an error on its line; the rest is read.
 * The order of the lines is not checked: the NUL error is reported as
 * the line is read, a setting's error when the setting is complete. */
START_TEST(test_nul_byte)
{
	static const char text[] = "foo = 1\nmilter_socket = unix:/x\0y\n"
	                           "milter_timeout = 0\n";
	char want[3][PATH_MAX_TEST + 32];
	char *errors = NULL;
	struct pcl_conf *c;

	write_bytes(conf_path, text, sizeof(text) - 1);
	c = pcl_conf_load(conf_path, NULL, 0, &errors);
	ck_assert_msg(c == NULL && errors != NULL, "NUL: got a conf");
	pcl_format(want[0], sizeof(want[0]), "%s:1: unknown key", conf_path);
	pcl_format(want[1], sizeof(want[1]), "%s:2: NUL byte", conf_path);
	pcl_format(want[2], sizeof(want[2]), "%s:3: milter_timeout", conf_path);
	ck_assert_msg(count_lines(errors) == 3, "NUL: got \"%s\", want 3 lines",
	              errors);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(has_line(errors, want[i]),
		              "NUL: got \"%s\", want a line \"%s...\"", errors,
		              want[i]);
	free(errors);
}
END_TEST

/* test_too_long - a setting over the line limit is one error */
START_TEST(test_too_long)
{
	size_t n = 70000;
	char *text = malloc(2 * n + 64);
	char want[PATH_MAX_TEST + 32];
	char *errors = NULL;
	struct pcl_conf *c;
	char *p;

	ck_assert(text != NULL);
	/* line 1: one long line; line 3: two continued lines, too long
	 * together */
	p = text + sprintf(text, "tag_header = ");
	memset(p, 'x', n);
	p += n;
	p += sprintf(p, "\nuser = a\nrecipient_exceptions = ");
	memset(p, 'y', n / 2);
	p += n / 2;
	p += sprintf(p, "\n ");
	memset(p, 'z', n / 2);
	p += n / 2;
	p += sprintf(p, "\n");
	write_bytes(conf_path, text, (size_t)(p - text));
	c = pcl_conf_load(conf_path, NULL, 0, &errors);
	ck_assert_msg(c == NULL && errors != NULL, "too long: got a conf");
	pcl_format(want, sizeof(want),
	           "%s:1: setting too long\n%s:3: setting "
	           "too long\n",
	           conf_path, conf_path);
	ck_assert_msg(strcmp(errors, want) == 0,
	              "too long: got \"%s\", want "
	              "\"%s\"",
	              errors, want);
	free(errors);
	free(text);
}
END_TEST

/* ---- values ---- */

struct value_case {
	const char *label;
	const char *conf;
	const char *overrides[MAX_OVERRIDES];
	const char *key;
	const char *want; /* the key's text */
	int want_line;    /* where it was set: 0 default, -1 command line */
};

static const struct value_case value_cases[] = {
    {"default", "", {}, "milter_socket", "inet:8894@127.0.0.1", 0},
    {"set", "milter_socket = unix:/x\n", {}, "milter_socket", "unix:/x", 1},
    {"no spaces", "milter_socket=unix:/x\n", {}, "milter_socket", "unix:/x", 1},
    {"white space trimmed",
     "milter_socket \t=   unix:/x  \t\n",
     {},
     "milter_socket",
     "unix:/x",
     1},
    {"CRLF", "milter_socket = unix:/x\r\n", {}, "milter_socket", "unix:/x", 1},
    {"no final newline",
     "milter_socket = unix:/x",
     {},
     "milter_socket",
     "unix:/x",
     1},
    {"= in value", "tag_header = X=Y\n", {}, "tag_header", "X=Y", 1},
    {"empty value",
     "pid_file = /run/p.pid\npid_file =\n",
     {},
     "pid_file",
     "",
     2},
    {"comment",
     "# milter_socket = unix:/no\nmilter_socket = unix:/x\n",
     {},
     "milter_socket",
     "unix:/x",
     2},
    {"indented comment",
     "milter_socket = unix:/x\n  # = unix:/no\n",
     {},
     "milter_socket",
     "unix:/x",
     1},
    {"# inside a value is kept",
     "tag_header = X-Tag#1\n",
     {},
     "tag_header",
     "X-Tag#1",
     1},
    {"blank lines",
     "\n\n   \nmilter_socket = unix:/x\n\n",
     {},
     "milter_socket",
     "unix:/x",
     4},
    {"last setting wins",
     "milter_socket = unix:/a\nuser = u\nmilter_socket = unix:/b\n",
     {},
     "milter_socket",
     "unix:/b",
     3},
    {"continuation joined",
     "recipient_exceptions = postmaster@\n  abuse@\n\thostmaster@\n",
     {},
     "recipient_exceptions",
     "postmaster@ abuse@ hostmaster@",
     1},
    {"continuation over a comment and a blank line",
     "recipient_exceptions = a@,\n# c\n\n  b@\nuser = u\n",
     {},
     "recipient_exceptions",
     "a@, b@",
     1},
    {"continuation of an empty value",
     "dry_run =\n  helo_invalid\n",
     {},
     "dry_run",
     "helo_invalid",
     1},
    {"override",
     "milter_socket = unix:/a\n",
     {"milter_socket=unix:/x"},
     "milter_socket",
     "unix:/x",
     -1},
    {"override with spaces",
     NULL,
     {"milter_socket = unix:/x"},
     "milter_socket",
     "unix:/x",
     -1},
    {"last override wins",
     NULL,
     {"milter_socket=unix:/x", "milter_socket=unix:/y"},
     "milter_socket",
     "unix:/y",
     -1},
    {"override to empty",
     "pid_file = /run/p.pid\n",
     {"pid_file="},
     "pid_file",
     "",
     -1},
    {"other key untouched by override",
     "user = nobody\n",
     {"milter_socket=unix:/x"},
     "user",
     "nobody",
     1},
    {"time as written", "milter_timeout = 5m\n", {}, "milter_timeout", "5m", 1},
};

/* test_values - one row of value_cases */
START_TEST(test_values)
{
	const struct value_case *c = &value_cases[_i];
	struct pcl_conf *conf = load_ok(c->label, c->conf, c->overrides);
	const char *got = text_of(conf, c->key);
	int line = conf->line[key_index(c->key)];

	ck_assert_msg(strcmp(got, c->want) == 0, "%s: got \"%s\", want \"%s\"",
	              c->label, got, c->want);
	ck_assert_msg(line == c->want_line, "%s: got line %d, want %d",
	              c->label, line, c->want_line);
	pcl_conf_free(conf);
}
END_TEST

/* test_typed_fields - the typed fields behind a few texts */
START_TEST(test_typed_fields)
{
	struct pcl_conf *c;
	char spec[PATH_MAX_TEST + 32];
	char result[PCL_TABLE_RESULT_MAX + 1];

	write_file("good.map", "example.com REJECT\n192.0.2 OK\n");
	write_file("good.re", "/^spam\\./ REJECT spammy\n");
	c = load_ok(
	    "typed",
	    "milter_socket = unix:/run/p.sock\n"
	    "skip_authenticated = No\n"
	    "enforce_stage = IMMEDIATE\n"
	    "recipient_exceptions = a@, @b.example\n  c@d.example\n"
	    "internal_networks = 10.0.0.0/8, [2001:db8::]/32 192.168.0.0/16\n"
	    "helo_invalid_action = TempFail\n"
	    "helo_invalid_reply = 450 4.7.1 <$helo_name> says $client_address\n"
	    "client_access = texthash:%D/good.map, regexp:%D/good.re\n"
	    "helo_own_names = mx.example.org mx2.example.org\n"
	    "helo_own_addresses = 192.0.2.25 [2001:db8::25]\n",
	    NULL);
	ck_assert_msg(strcmp(c->milter_socket, "unix:/run/p.sock") == 0,
	              "milter_socket: got \"%s\"", c->milter_socket);
	ck_assert_msg(!c->skip_authenticated,
	              "skip_authenticated: got true, want false");
	ck_assert_msg(c->enforce_stage == PCL_ENFORCE_IMMEDIATE,
	              "enforce_stage: got %d, want immediate",
	              (int)c->enforce_stage);
	ck_assert_msg(
	    c->recipient_exceptions.count == 3 &&
	        strcmp(c->recipient_exceptions.items[0], "a@") == 0 &&
	        strcmp(c->recipient_exceptions.items[1], "@b.example") == 0 &&
	        strcmp(c->recipient_exceptions.items[2], "c@d.example") == 0,
	    "recipient_exceptions: got %zu words, want a@ "
	    "@b.example c@d.example",
	    c->recipient_exceptions.count);
	ck_assert_msg(c->internal_networks.count == 3,
	              "internal_networks: got %zu, want 3",
	              c->internal_networks.count);
	ck_assert_msg(c->helo_invalid.action == PCL_ACT_TEMPFAIL,
	              "helo_invalid_action: got %s, want tempfail",
	              pcl_action_name(c->helo_invalid.action));
	ck_assert_msg(strcmp(c->helo_invalid.reply,
	                     "450 4.7.1 <$helo_name> says $client_address") ==
	                  0,
	              "helo_invalid_reply: got \"%s\"", c->helo_invalid.reply);
	ck_assert_msg(c->client_access.count == 2,
	              "client_access: got %zu tables, want 2",
	              c->client_access.count);
	pcl_format(spec, sizeof(spec), "texthash:%s/good.map", dir);
	ck_assert_msg(strcmp(pcl_table_spec(c->client_access.items[0]), spec) ==
	                  0,
	              "client_access[0]: got %s, want %s",
	              pcl_table_spec(c->client_access.items[0]), spec);
	ck_assert_msg(pcl_table_lookup(c->client_access.items[1],
	                               "spam.example", result,
	                               sizeof(result)) == PCL_TABLE_FOUND &&
	                  strcmp(result, "REJECT spammy") == 0,
	              "client_access[1] spam.example: got no REJECT spammy");
	ck_assert_msg(c->helo_access.count == 0,
	              "helo_access: got %zu tables, want 0",
	              c->helo_access.count);
	ck_assert_msg(c->helo_own_names.count == 2 && c->self.nnames == 2 &&
	                  strcmp(c->self.names[1], "mx2.example.org") == 0,
	              "helo_own_names: got %zu (self %zu), want 2",
	              c->helo_own_names.count, c->self.nnames);
	ck_assert_msg(c->helo_own_addresses.count == 2 && c->self.naddrs == 2,
	              "helo_own_addresses: got %zu (self %zu), want 2",
	              c->helo_own_addresses.count, c->self.naddrs);
	ck_assert_msg(c->path && strcmp(c->path, conf_path) == 0,
	              "path: got %s, want %s", c->path ? c->path : "(null)",
	              conf_path);
	pcl_conf_free(c);
}
END_TEST

struct number_case {
	const char *label;
	const char *setting;
	long want_timeout;
	bool want_skip;
};

static const struct number_case number_cases[] = {
    {"seconds", "milter_timeout = 30", 30, true},
    {"s suffix", "milter_timeout = 30s", 30, true},
    {"minutes", "milter_timeout = 5m", 300, true},
    {"hours", "milter_timeout = 2h", 7200, true},
    {"a day, the maximum", "milter_timeout = 1d", 86400, true},
    {"upper-case suffix", "milter_timeout = 1H", 3600, true},
    {"the minimum", "milter_timeout = 1", 1, true},
    {"yes", "skip_authenticated = yes", 7210, true},
    {"no", "skip_authenticated = no", 7210, false},
    {"true", "skip_authenticated = true", 7210, true},
    {"false", "skip_authenticated = false", 7210, false},
    {"upper case", "skip_authenticated = NO", 7210, false},
};

/* test_numbers - one row of number_cases */
START_TEST(test_numbers)
{
	const struct number_case *c = &number_cases[_i];
	char text[128];
	struct pcl_conf *conf;

	pcl_format(text, sizeof(text), "%s\n", c->setting);
	conf = load_ok(c->label, text, NULL);
	ck_assert_msg(conf->milter_timeout == c->want_timeout,
	              "%s: got milter_timeout %ld, want %ld", c->label,
	              conf->milter_timeout, c->want_timeout);
	ck_assert_msg(conf->skip_authenticated == c->want_skip,
	              "%s: got skip_authenticated %d, want %d", c->label,
	              conf->skip_authenticated, c->want_skip);
	pcl_conf_free(conf);
}
END_TEST

struct rate_case {
	const char *label;
	const char *setting;
	long want_count, want_seconds;
};

static const struct rate_case rate_cases[] = {
    {"the default", "", 10, 3600},
    {"OpenDKIM's example", "worker_restart_rate = 10/1h", 10, 3600},
    {"bare seconds", "worker_restart_rate = 3/60", 3, 60},
    {"minutes", "worker_restart_rate = 5/10m", 5, 600},
    {"a day", "worker_restart_rate = 100/1d", 100, 86400},
    {"the smallest", "worker_restart_rate = 1/1s", 1, 1},
    {"the largest", "worker_restart_rate = 1000/7d", 1000, 604800},
    {"upper-case suffix", "worker_restart_rate = 2/1H", 2, 3600},
};

/* test_rates - one row of rate_cases */
START_TEST(test_rates)
{
	const struct rate_case *c = &rate_cases[_i];
	char text[128];
	struct pcl_conf *conf;

	pcl_format(text, sizeof(text), "%s\n", c->setting);
	conf = load_ok(c->label, text, NULL);
	ck_assert_msg(conf->worker_restart_rate.count == c->want_count,
	              "%s: got count %ld, want %ld", c->label,
	              conf->worker_restart_rate.count, c->want_count);
	ck_assert_msg(conf->worker_restart_rate.seconds == c->want_seconds,
	              "%s: got seconds %ld, want %ld", c->label,
	              conf->worker_restart_rate.seconds, c->want_seconds);
	pcl_conf_free(conf);
}
END_TEST

/* ---- defaults and resolved values ---- */

/* test_defaults - NULL path: the key table's defaults, resolved */
START_TEST(test_defaults)
{
	char *errors = (char *)"unset";
	struct pcl_conf *c = pcl_conf_load(NULL, NULL, 0, &errors);

	ck_assert_msg(c != NULL, "defaults: got errors \"%s\", want none",
	              errors ? errors : "(null)");
	ck_assert_msg(errors == NULL, "defaults: got errors not NULL");
	ck_assert_msg(c->path == NULL, "path: got %s, want NULL", c->path);
	ck_assert_msg(c->refs == 1, "refs: got %d, want 1", c->refs);
	ck_assert_msg(strcmp(c->milter_socket, "inet:8894@127.0.0.1") == 0,
	              "milter_socket: got \"%s\"", c->milter_socket);
	ck_assert_msg(c->milter_timeout == 7210, "milter_timeout: got %ld",
	              c->milter_timeout);
	ck_assert_msg(strcmp(c->user, "portcullis") == 0, "user: got \"%s\"",
	              c->user);
	ck_assert_msg(strcmp(c->pid_file, "") == 0, "pid_file: got \"%s\"",
	              c->pid_file);
	ck_assert_msg(c->skip_authenticated, "skip_authenticated: got false");
	ck_assert_msg(c->worker_restart, "worker_restart: got false");
	ck_assert_msg(c->worker_restart_max_delay == 5,
	              "worker_restart_max_delay: got %ld, want 5",
	              c->worker_restart_max_delay);
	ck_assert_msg(c->enforce_stage == PCL_ENFORCE_RCPT,
	              "enforce_stage: got %d, want rcpt",
	              (int)c->enforce_stage);
	ck_assert_msg(c->on_error == PCL_ONERR_TEMPFAIL,
	              "on_error: got %s, want tempfail",
	              pcl_on_error_name(c->on_error));
	ck_assert_msg(c->internal_networks.count == 2,
	              "internal_networks: got %zu, want 2",
	              c->internal_networks.count);
	ck_assert_msg(c->recipient_exceptions.count == 2,
	              "recipient_exceptions: got %zu, want 2",
	              c->recipient_exceptions.count);
	ck_assert_msg(c->dry_run.count == 0, "dry_run: got %zu, want 0",
	              c->dry_run.count);
	ck_assert_msg(c->client_access.count == 0,
	              "client_access: got %zu, want 0", c->client_access.count);
	ck_assert_msg(c->helo_invalid.action == PCL_ACT_REJECT &&
	                  c->helo_non_fqdn.action == PCL_ACT_TAG,
	              "helo actions: got %s/%s, want reject/tag",
	              pcl_action_name(c->helo_invalid.action),
	              pcl_action_name(c->helo_non_fqdn.action));
	ck_assert_msg(c->helo_own_names.count == 1 &&
	                  strcmp(c->helo_own_names.items[0], c->myhostname) ==
	                      0,
	              "helo_own_names: got %zu names, want myhostname",
	              c->helo_own_names.count);
	for (size_t i = 0; i < pcl_conf_nkeys; i++)
		ck_assert_msg(c->line[i] == 0, "%s: got line %d, want 0",
		              pcl_conf_keys[i].name, c->line[i]);
	pcl_conf_free(c);
}
END_TEST

/* test_defaults_text - the dump text of a default is the default */
START_TEST(test_defaults_text)
{
	struct pcl_conf *c = load_ok("defaults", NULL, NULL);

	for (size_t i = 0; i < pcl_conf_nkeys; i++) {
		const struct pcl_conf_key *k = &pcl_conf_keys[i];

		/* resolved at load from the host or from on_error */
		if (k->type == PCL_CT_ONERR && k->def[0] == '\0') {
			ck_assert_msg(strcmp(c->text[i], "tempfail") == 0,
			              "%s: got \"%s\", want \"tempfail\"",
			              k->name, c->text[i]);
			continue;
		}
		if (strcmp(k->name, "myhostname") == 0 ||
		    strcmp(k->name, "authserv_id") == 0 ||
		    strcmp(k->name, "helo_own_names") == 0 ||
		    strcmp(k->name, "helo_own_addresses") == 0)
			continue;
		ck_assert_msg(strcmp(c->text[i], k->def) == 0,
		              "%s: got \"%s\", want the default \"%s\"",
		              k->name, c->text[i], k->def);
	}
	pcl_conf_free(c);
}
END_TEST

/* test_empty_file - an empty file is the defaults */
START_TEST(test_empty_file)
{
	struct pcl_conf *c = load_ok("empty file", "", NULL);

	ck_assert_msg(c->milter_timeout == 7210 && c->path != NULL,
	              "empty file: got timeout %ld, want 7210",
	              c->milter_timeout);
	pcl_conf_free(c);
}
END_TEST

/* The per-check on_error keys. */
static const char *const onerr_keys[] = {
    "client_access_on_error",
    "helo_access_on_error",
    "sender_access_on_error",
    "recipient_access_on_error",
};

struct onerr_case {
	const char *label;
	const char *conf;
	const char *overrides[MAX_OVERRIDES];
	const char *want[4]; /* client, helo, sender, recipient */
};

static const struct onerr_case onerr_cases[] = {
    {"default", "", {}, {"tempfail", "tempfail", "tempfail", "tempfail"}},
    {"inherits on_error",
     "on_error = reject\n",
     {},
     {"reject", "reject", "reject", "reject"}},
    {"on_error set after the check's",
     "client_access_on_error =\nhelo_access_on_error =\non_error = accept\n",
     {},
     {"accept", "accept", "accept", "accept"}},
    {"own value kept",
     "client_access_on_error = reject\non_error = accept\n",
     {},
     {"reject", "accept", "accept", "accept"}},
    {"own value emptied again",
     "client_access_on_error = reject\nclient_access_on_error =\n"
     "on_error = accept\n",
     {},
     {"accept", "accept", "accept", "accept"}},
    {"upper case",
     "recipient_access_on_error = REJECT\n",
     {},
     {"tempfail", "tempfail", "tempfail", "reject"}},
    {"on_error from the command line",
     "on_error = accept\n",
     {"on_error=reject"},
     {"reject", "reject", "reject", "reject"}},
    {"own value from the command line",
     "on_error = accept\n",
     {"helo_access_on_error=tempfail"},
     {"accept", "tempfail", "accept", "accept"}},
};

/* test_on_error - one row of onerr_cases: typed value and dump text */
START_TEST(test_on_error)
{
	const struct onerr_case *c = &onerr_cases[_i];
	struct pcl_conf *conf = load_ok(c->label, c->conf, c->overrides);
	const enum pcl_on_error got[4] = {
	    conf->client_access_on_error, conf->helo_access_on_error,
	    conf->sender_access_on_error, conf->recipient_access_on_error};

	for (int i = 0; i < 4; i++) {
		const char *text = text_of(conf, onerr_keys[i]);

		ck_assert_msg(
		    strcmp(pcl_on_error_name(got[i]), c->want[i]) == 0,
		    "%s: %s: got %s, want %s", c->label, onerr_keys[i],
		    pcl_on_error_name(got[i]), c->want[i]);
		/* the text is shown as written */
		ck_assert_msg(strcasecmp(text, c->want[i]) == 0,
		              "%s: %s text: got \"%s\", want \"%s\"", c->label,
		              onerr_keys[i], text, c->want[i]);
	}
	pcl_conf_free(conf);
}
END_TEST

/* test_myhostname - the system name when empty, else as set */
START_TEST(test_myhostname)
{
	struct pcl_conf *c =
	    load_ok("myhostname default", "myhostname =\n", NULL);

	ck_assert_msg(c->myhostname && *c->myhostname &&
	                  strpbrk(c->myhostname, " \t\r\n") == NULL,
	              "myhostname default: got \"%s\", want a host name",
	              c->myhostname ? c->myhostname : "(null)");
	ck_assert_msg(strcmp(text_of(c, "myhostname"), c->myhostname) == 0,
	              "myhostname text: got \"%s\", want \"%s\"",
	              text_of(c, "myhostname"), c->myhostname);
	pcl_conf_free(c);

	c = load_ok("myhostname set", "myhostname = mx.example.org\n", NULL);
	ck_assert_msg(strcmp(c->myhostname, "mx.example.org") == 0,
	              "myhostname set: got \"%s\", want mx.example.org",
	              c->myhostname);
	ck_assert_msg(c->self.nnames == 1 &&
	                  strcmp(c->self.names[0], "mx.example.org") == 0,
	              "helo_own_names from myhostname: got %zu names",
	              c->self.nnames);
	ck_assert_msg(strcmp(text_of(c, "helo_own_names"), "mx.example.org") ==
	                  0,
	              "helo_own_names text: got \"%s\", want mx.example.org",
	              text_of(c, "helo_own_names"));
	pcl_conf_free(c);
}
END_TEST

/* ---- dump ---- */

/* check_dump - every key exactly once, in table order, with its text */
static void
check_dump(const char *label, const struct pcl_conf *c)
{
	char *dump = pcl_conf_dump(c);
	const char *line;
	size_t i = 0;

	ck_assert_msg(dump != NULL, "%s: got NULL dump", label);
	ck_assert_msg(count_lines(dump) == (int)pcl_conf_nkeys,
	              "%s: got %d lines, want %zu", label, count_lines(dump),
	              pcl_conf_nkeys);
	for (line = dump; *line; i++) {
		const struct pcl_conf_key *k = &pcl_conf_keys[i];
		size_t n = strcspn(line, "\n");
		char want[TEXT_MAX], got[TEXT_MAX];

		if (c->text[i][0])
			pcl_format(want, sizeof(want), "%s = %s", k->name,
			           c->text[i]);
		else
			pcl_format(want, sizeof(want), "%s =", k->name);
		pcl_format(got, sizeof(got), "%.*s", (int)n, line);
		ck_assert_msg(strcmp(got, want) == 0,
		              "%s: line %zu: got \"%s\", want \"%s\"", label,
		              i + 1, got, want);
		line += n + 1;
	}
	/* exactly once: count the lines that name each key */
	for (size_t a = 0; a < pcl_conf_nkeys; a++) {
		size_t n = strlen(pcl_conf_keys[a].name);
		int seen = 0;

		for (line = dump; *line; line += strcspn(line, "\n") + 1)
			if (strncmp(line, pcl_conf_keys[a].name, n) == 0 &&
			    strncmp(line + n, " =", 2) == 0)
				seen++;
		ck_assert_msg(seen == 1, "%s: %s: got %d lines, want 1", label,
		              pcl_conf_keys[a].name, seen);
	}
	free(dump);
}

/* test_dump - built-in defaults and a file with empty values */
START_TEST(test_dump)
{
	struct pcl_conf *c = load_ok("dump defaults", NULL, NULL);

	check_dump("dump defaults", c);
	pcl_conf_free(c);
	c = load_ok("dump set",
	            "user =\ntag_header = X-Spam-Tag\n"
	            "recipient_exceptions = a@,\n  b@\n"
	            "dry_run = all\n",
	            (const char *const[]){"pid_file=/run/p.pid", NULL});
	ck_assert_msg(strcmp(text_of(c, "user"), "") == 0 &&
	                  strcmp(text_of(c, "pid_file"), "/run/p.pid") == 0,
	              "dump set: got user \"%s\" pid_file \"%s\"",
	              text_of(c, "user"), text_of(c, "pid_file"));
	check_dump("dump set", c);
	pcl_conf_free(c);
}
END_TEST

/* ---- dry run ---- */

struct dry_case {
	const char *label;
	const char *dry_run;
	const char *check;
	bool want;
};

static const struct dry_case dry_cases[] = {
    {"empty", "", "helo_invalid", false},
    {"listed", "helo_invalid", "helo_invalid", true},
    {"not listed", "helo_invalid", "helo_non_fqdn", false},
    {"comma list, first", "client_access, helo_invalid", "client_access", true},
    {"comma list, second", "client_access,helo_invalid", "helo_invalid", true},
    {"space list", "helo_bare_ip helo_impersonation", "helo_impersonation",
     true},
    {"prefix is no match", "helo_access", "helo_access_x", false},
    {"all, first check", "all", "client_access", true},
    {"all, last check", "all", "helo_impersonation", true},
    {"all among others", "helo_invalid all", "sender_access", true},
};

/* test_dry_run - one row of dry_cases */
START_TEST(test_dry_run)
{
	const struct dry_case *c = &dry_cases[_i];
	char text[256];
	struct pcl_conf *conf;
	bool got;

	pcl_format(text, sizeof(text), "dry_run = %s\n", c->dry_run);
	conf = load_ok(c->label, text, NULL);
	got = pcl_conf_is_dry_run(conf, c->check);
	ck_assert_msg(got == c->want, "%s: %s: got %s, want %s", c->label,
	              c->check, got ? "true" : "false",
	              c->want ? "true" : "false");
	pcl_conf_free(conf);
}
END_TEST

/* test_dry_run_every_name - each check name may be listed, alone */
START_TEST(test_dry_run_every_name)
{
	for (size_t i = 0; pcl_conf_check_names[i]; i++) {
		const char *name = pcl_conf_check_names[i];
		char text[128];
		struct pcl_conf *c;

		pcl_format(text, sizeof(text), "dry_run = %s\n", name);
		c = load_ok(name, text, NULL);
		for (size_t j = 0; pcl_conf_check_names[j]; j++)
			ck_assert_msg(
			    pcl_conf_is_dry_run(c, pcl_conf_check_names[j]) ==
			        (i == j),
			    "dry_run = %s: %s: got %d, want %d", name,
			    pcl_conf_check_names[j], i != j, i == j);
		pcl_conf_free(c);
	}
}
END_TEST

/* ---- the key table ---- */

/* test_keys - names, docs and defaults of every key */
START_TEST(test_keys)
{
	const char *ov[MAX_OVERRIDES + 1] = {NULL};
	char buf[TEXT_MAX];

	ck_assert_msg(pcl_conf_nkeys > 0, "nkeys: got 0");
	for (size_t i = 0; i < pcl_conf_nkeys; i++) {
		const struct pcl_conf_key *k = &pcl_conf_keys[i];
		char *errors = NULL;
		struct pcl_conf *c;

		ck_assert_msg(k->name && *k->name, "key %zu: got no name", i);
		ck_assert_msg(strspn(k->name, "abcdefghijklmnopqrstuvwxyz"
		                              "0123456789_") == strlen(k->name),
		              "%s: got a name that is not snake_case", k->name);
		ck_assert_msg(k->doc && *k->doc && !strchr(k->doc, '\n'),
		              "%s: got doc \"%s\", want one non-empty line",
		              k->name, k->doc ? k->doc : "(null)");
		ck_assert_msg(k->def != NULL, "%s: got NULL default", k->name);
		ck_assert_msg(pcl_conf_key_find(k->name) == k,
		              "%s: got another row from key_find", k->name);
		if (k->type == PCL_CT_INT || k->type == PCL_CT_TIME ||
		    k->type == PCL_CT_RATE)
			ck_assert_msg(k->min <= k->max,
			              "%s: got min %ld > max %ld", k->name,
			              k->min, k->max);
		/* the default, given explicitly on the command line */
		pcl_format(buf, sizeof(buf), "%s=%s", k->name, k->def);
		ov[0] = buf;
		c = pcl_conf_load(NULL, ov, 1, &errors);
		ck_assert_msg(c != NULL,
		              "%s: default \"%s\": got errors "
		              "\"%s\", want none",
		              k->name, k->def, errors ? errors : "(null)");
		ck_assert_msg(c->line[i] == -1, "%s: got line %d, want -1",
		              k->name, c->line[i]);
		pcl_conf_free(c);
	}
	ck_assert_msg(pcl_conf_key_find("no_such_key") == NULL,
	              "no_such_key: got a row, want NULL");
	ck_assert_msg(pcl_conf_key_find("") == NULL, "\"\": got a row");
}
END_TEST

/* test_check_names - every check dry_run may name has its keys: an
 * access map list, an action, or (a check that only acts when it
 * cannot decide, like dkim) an on_error */
START_TEST(test_check_names)
{
	for (size_t i = 0; pcl_conf_check_names[i]; i++) {
		const char *name = pcl_conf_check_names[i];
		const struct pcl_conf_key *k = pcl_conf_key_find(name);
		char key[128], onerr[128];

		pcl_format(key, sizeof(key), "%s_action", name);
		pcl_format(onerr, sizeof(onerr), "%s_on_error", name);
		ck_assert_msg((k && k->type == PCL_CT_TABLES) ||
		                  pcl_conf_key_find(key) ||
		                  pcl_conf_key_find(onerr),
		              "%s: got no table key %s, no %s, no %s", name,
		              name, key, onerr);
	}
}
END_TEST

/* conf_suite - every test of the conf module */
static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *te = tcase_create("errors");
	TCase *tv = tcase_create("values");
	TCase *td = tcase_create("dump");
	TCase *tk = tcase_create("keys");

	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_checked_fixture(tv, setup, teardown);
	tcase_add_checked_fixture(td, setup, teardown);
	tcase_add_loop_test(te, test_errors, 0, COUNT(error_cases));
	tcase_add_test(te, test_missing_file);
	tcase_add_test(te, test_directory);
	tcase_add_test(te, test_nul_byte);
	tcase_add_test(te, test_too_long);
	tcase_add_loop_test(tv, test_values, 0, COUNT(value_cases));
	tcase_add_test(tv, test_typed_fields);
	tcase_add_loop_test(tv, test_numbers, 0, COUNT(number_cases));
	tcase_add_loop_test(tv, test_rates, 0, COUNT(rate_cases));
	tcase_add_test(tv, test_defaults);
	tcase_add_test(tv, test_defaults_text);
	tcase_add_test(tv, test_empty_file);
	tcase_add_loop_test(tv, test_on_error, 0, COUNT(onerr_cases));
	tcase_add_test(tv, test_myhostname);
	tcase_add_test(td, test_dump);
	tcase_add_loop_test(td, test_dry_run, 0, COUNT(dry_cases));
	tcase_add_test(td, test_dry_run_every_name);
	tcase_add_test(tk, test_keys);
	tcase_add_test(tk, test_check_names);
	suite_add_tcase(s, te);
	suite_add_tcase(s, tv);
	suite_add_tcase(s, td);
	suite_add_tcase(s, tk);
	return s;
}

/* main - run the suite; exit status is the verdict */
int
main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
