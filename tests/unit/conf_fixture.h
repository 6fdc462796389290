/*
 * conf_fixture - what the session suites set up alike: a configuration
 * from text, and a scratch directory around the run of the suite
 */
#ifndef CONF_FIXTURE_H
#define CONF_FIXTURE_H

#include <check.h>

#include "conf.h"

/* conf_fixture_load - write text to a file in dir, load it, remove the
 * file; a load that fails fails the test with the errors */
struct pcl_conf *conf_fixture_load(const char *dir, const char *text);

/* conf_fixture_errors - text that must not load: its errors (caller
 * frees); a load that succeeds fails the test */
char *conf_fixture_errors(const char *dir, const char *text);

/* conf_fixture_run - make dir (a mkdtemp template), run su, remove dir
 * and all in it; the exit status: 0, 1 when a check failed, 99 when
 * dir cannot be made */
int conf_fixture_run(Suite *su, char *dir);

#endif
