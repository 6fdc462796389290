/*
 * check_table_limits - tables in use (check_table): accessors, empty
 * tables, validators on the right-hand side, long lines, result sizes,
 * the match limit, a big texthash map, and threads sharing tables
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
#include "table_suite.h"
#include "util.h"

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

/* table_limits_add - add this file's tests to the "table" test case */
void
table_limits_add(TCase *tc)
{
	tcase_add_test(tc, test_accessors);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_validator);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_result_size);
	tcase_add_test(tc, test_match_limit);
	tcase_add_test(tc, test_big_texthash);
	tcase_add_test(tc, test_threads);
}
