/*
 * check_restart - unit tests for lib/core/restart.c
 *
 * Each case is a worker's deaths on a pinned clock, with what the
 * supervisor should do at each: restart after a given back-off, or
 * give up because the rate (N restarts within a window) is spent.
 */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>

#include "restart.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MAX_STEPS 16
#define S 1000LL     /* ms in a second */
#define H (3600 * S) /* ms in an hour */

/* One death: when, and whether a restart is allowed after how long. */
struct step {
	long long now_ms;
	bool want_ok;
	long want_delay_ms;
};

struct restart_case {
	const char *label;
	long limit, window_ms, max_delay_ms;
	struct step steps[MAX_STEPS];
	int nsteps;
};

static const struct restart_case restart_cases[] = {
    {"first restart is immediate", 10, H, 5 * S, {{0, true, 0}}, 1},
    {"back-off doubles up to the cap",
     10,
     H,
     5 * S,
     {{0, true, 0},
      {1 * S, true, 1000},
      {3 * S, true, 2000},
      {6 * S, true, 4000},
      {11 * S, true, 5000},
      {17 * S, true, 5000}},
     6},
    {"the limit: 3 within the hour, the fourth refused",
     3,
     H,
     5 * S,
     {{0, true, 0},
      {10 * S, true, 1000},
      {20 * S, true, 2000},
      {30 * S, false, 0}},
     4},
    {"a refusal records nothing: still refused, then allowed once the "
     "oldest leaves the window",
     2,
     60 * S,
     5 * S,
     {{0, true, 0},
      {10 * S, true, 1000},
      {20 * S, false, 0},
      {59 * S, false, 0},
      {60 * S, true, 1000}, /* the one at 10 s is still in */
      {70 * S, true, 1000}, /* only 60 s's left in: 1 recent */
      {75 * S, false, 0}},
     7},
    {"deaths an hour apart always restart at once",
     2,
     H,
     5 * S,
     {{0, true, 0}, {H, true, 0}, {2 * H, true, 0}, {3 * H, true, 0}},
     4},
    {"the window edge: exactly window_ms later is outside",
     1,
     10 * S,
     5 * S,
     {{0, true, 0}, {10 * S - 1, false, 0}, {10 * S, true, 0}},
     3},
    {"no back-off with max_delay 0",
     5,
     H,
     0,
     {{0, true, 0},
      {1, true, 0},
      {2, true, 0},
      {3, true, 0},
      {4, true, 0},
      {5, false, 0}},
     6},
    {"cap below the first step",
     5,
     H,
     500,
     {{0, true, 0}, {1, true, 500}, {2, true, 500}},
     3},
    {"limit 1: one restart per window",
     1,
     H,
     5 * S,
     {{0, true, 0}, {S, false, 0}, {H + S, true, 0}},
     3},
    {"many restarts: the doubling does not overflow",
     1000,
     7 * 24 * H,
     300 * S,
     {{0, true, 0},
      {1, true, 1000},
      {2, true, 2000},
      {3, true, 4000},
      {4, true, 8000},
      {5, true, 16000},
      {6, true, 32000},
      {7, true, 64000},
      {8, true, 128000},
      {9, true, 256000},
      {10, true, 300000},
      {11, true, 300000}},
     12},
};

/* test_restart - one row of restart_cases, step by step */
START_TEST(test_restart)
{
	const struct restart_case *c = &restart_cases[_i];
	struct pcl_restart *r =
	    pcl_restart_new(c->limit, c->window_ms, c->max_delay_ms);

	ck_assert_msg(r != NULL, "%s: got NULL from pcl_restart_new", c->label);
	for (int i = 0; i < c->nsteps; i++) {
		const struct step *st = &c->steps[i];
		long delay = -1;
		bool ok = pcl_restart_next(r, st->now_ms, &delay);

		ck_assert_msg(
		    ok == st->want_ok, "%s: step %d (%lld ms): got %s, want %s",
		    c->label, i, st->now_ms, ok ? "restart" : "give up",
		    st->want_ok ? "restart" : "give up");
		if (ok)
			ck_assert_msg(delay == st->want_delay_ms,
			              "%s: step %d (%lld ms): got delay %ld, "
			              "want %ld",
			              c->label, i, st->now_ms, delay,
			              st->want_delay_ms);
		else
			ck_assert_msg(delay == -1,
			              "%s: step %d: got delay %ld set on a "
			              "refusal, want it untouched",
			              c->label, i, delay);
	}
	pcl_restart_free(r);
}
END_TEST

/* test_recent - the count the log line reports */
START_TEST(test_recent)
{
	struct pcl_restart *r = pcl_restart_new(5, 60 * S, 5 * S);
	long delay;

	ck_assert(r != NULL);
	ck_assert_msg(pcl_restart_recent(r, 0) == 0, "empty: got %zu, want 0",
	              pcl_restart_recent(r, 0));
	ck_assert(pcl_restart_next(r, 0, &delay));
	ck_assert(pcl_restart_next(r, 30 * S, &delay));
	ck_assert_msg(pcl_restart_recent(r, 30 * S) == 2,
	              "two in: got %zu, want 2", pcl_restart_recent(r, 30 * S));
	ck_assert_msg(pcl_restart_recent(r, 60 * S) == 1,
	              "first left: got %zu, want 1",
	              pcl_restart_recent(r, 60 * S));
	ck_assert_msg(pcl_restart_recent(r, 90 * S) == 0,
	              "both left: got %zu, want 0",
	              pcl_restart_recent(r, 90 * S));
	pcl_restart_free(r);
}
END_TEST

struct new_case {
	const char *label;
	long limit, window_ms, max_delay_ms;
	bool want;
};

static const struct new_case new_cases[] = {
    {"good", 10, 3600000, 5000, true},
    {"limit 0", 0, 3600000, 5000, false},
    {"negative limit", -1, 3600000, 5000, false},
    {"window 0", 10, 0, 5000, false},
    {"negative delay", 10, 3600000, -1, false},
    {"delay 0", 10, 3600000, 0, true},
};

/* test_new - bad arguments give NULL */
START_TEST(test_new)
{
	const struct new_case *c = &new_cases[_i];
	struct pcl_restart *r =
	    pcl_restart_new(c->limit, c->window_ms, c->max_delay_ms);

	ck_assert_msg((r != NULL) == c->want, "%s: got %s, want %s", c->label,
	              r ? "a history" : "NULL", c->want ? "a history" : "NULL");
	pcl_restart_free(r);
	pcl_restart_free(NULL);
}
END_TEST

/* restart_suite - the suite */
static Suite *
restart_suite(void)
{
	Suite *s = suite_create("restart");
	TCase *tc = tcase_create("restart");

	tcase_add_loop_test(tc, test_restart, 0, COUNT(restart_cases));
	tcase_add_test(tc, test_recent);
	tcase_add_loop_test(tc, test_new, 0, COUNT(new_cases));
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite; exit status is the verdict */
int
main(void)
{
	SRunner *sr = srunner_create(restart_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
