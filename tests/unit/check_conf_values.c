/*
 * check_conf_values - values of a config (check_conf): each key's text
 * and where it was set, typed fields, number bounds, the defaults, the
 * per-check on_error keys and myhostname
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "conf_suite.h"
#include "table.h"
#include "util.h"

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

/* conf_values_tcase - the "values" test case */
TCase *
conf_values_tcase(void)
{
	TCase *tv = tcase_create("values");

	tcase_add_checked_fixture(tv, setup, teardown);
	tcase_add_loop_test(tv, test_values, 0, COUNT(value_cases));
	tcase_add_test(tv, test_typed_fields);
		tcase_add_loop_test(tv, test_numbers, 0, COUNT(number_cases));
	tcase_add_loop_test(tv, test_rates, 0, COUNT(rate_cases));
	tcase_add_test(tv, test_defaults);
	tcase_add_test(tv, test_defaults_text);
	tcase_add_test(tv, test_empty_file);
	tcase_add_loop_test(tv, test_on_error, 0, COUNT(onerr_cases));
	tcase_add_test(tv, test_myhostname);
	return tv;
}
