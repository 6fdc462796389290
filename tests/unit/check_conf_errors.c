/*
 * check_conf_errors - bad configs (check_conf): every error line a
 * config makes, by file and line, in order; missing files, directories,
 * NUL bytes and over-long lines
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_suite.h"
#include "util.h"

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
    {"dbl_sites: unknown identity, every known one listed",
     "dbl_sites = dbl.example:from+dkim\n    rhs.example:dkim+spf\n",
     {},
     {},
     {{"%F:1: ", "dbl_sites: unknown identity \"spf\" (helo, client, "
                 "sender, from, reply_to, body, dkim)"}}},
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
    {"DMARC report data in a relative directory",
     "\ndmarc_report_dir = var/dmarc\n",
     {},
     {},
     {{"%F:2: ", "dmarc_report_dir: want an absolute path"}}},
    {"DMARC report data kept ten years and a day",
     "dmarc_report_keep = 3651\n",
     {},
     {},
     {{"%F:1: ", "dmarc_report_keep: 3651 is out of range 0..3650"}}},

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

/* conf_errors_tcase - the "errors" test case */
TCase *
conf_errors_tcase(void)
{
	TCase *te = tcase_create("errors");

	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_loop_test(te, test_errors, 0, COUNT(error_cases));
	tcase_add_test(te, test_missing_file);
	tcase_add_test(te, test_directory);
	tcase_add_test(te, test_nul_byte);
	tcase_add_test(te, test_too_long);
	return te;
}
