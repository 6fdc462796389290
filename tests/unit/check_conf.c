/*
 * check_conf - unit tests for lib/conf/conf.c and the key table: the
 * shared helpers, the dump, dry_run and the key table, and main();
 * bad configs are in check_conf_errors.c, values in check_conf_values.c
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
#include <unistd.h>

#include "conf.h"
#include "conf_suite.h"
#include "table.h"
#include "util.h"

char dir[PATH_MAX_TEST];
char conf_path[PATH_MAX_TEST];

/* setup - a fresh directory for this test's files */
void
setup(void)
{
	ck_assert(pcl_copy(dir, sizeof(dir), "/tmp/check_conf.XXXXXX"));
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: got NULL, want a dir");
	ck_assert(pcl_format(conf_path, sizeof(conf_path), "%s/portcullis.conf",
	                     dir));
}

/* teardown - remove the directory and what the test wrote there */
void
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
const char *
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
void
write_bytes(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "w");

	ck_assert_msg(fp != NULL, "%s: cannot create", path);
	ck_assert(fwrite(text, 1, len, fp) == len);
	ck_assert(fclose(fp) == 0);
}

/* write_file - write text (after subst) to dir/name */
void
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

/* load - write text as the config (NULL: no file) and load it with the
 * overrides (NULL-terminated, after subst) */
struct pcl_conf *
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
struct pcl_conf *
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
size_t
key_index(const char *name)
{
	const struct pcl_conf_key *k = pcl_conf_key_find(name);

	ck_assert_msg(k != NULL, "%s: got no key, want one", name);
	return (size_t)(k - pcl_conf_keys);
}

/* text_of - the text the dump shows for name */
const char *
text_of(const struct pcl_conf *c, const char *name)
{
	return c->text[key_index(name)];
}

/* count_lines - the number of '\n'-terminated lines of text */
int
count_lines(const char *text)
{
	int n = 0;

	for (const char *p = text; p && *p; p++)
		n += *p == '\n';
	return n;
}

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
	TCase *td = tcase_create("dump");
	TCase *tk = tcase_create("keys");

	tcase_add_checked_fixture(td, setup, teardown);
	tcase_add_test(td, test_dump);
	tcase_add_loop_test(td, test_dry_run, 0, COUNT(dry_cases));
	tcase_add_test(td, test_dry_run_every_name);
	tcase_add_test(tk, test_keys);
	tcase_add_test(tk, test_check_names);
	suite_add_tcase(s, conf_errors_tcase());
	suite_add_tcase(s, conf_values_tcase());
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
