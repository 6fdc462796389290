/*
 * conf_suite - what the three files of the conf suite (check_conf)
 * share: the scratch directory of each test and loading a config
 * written there (not check_conf.h: .gitignore drops tests/unit/check_*
 * but *.c)
 *
 * check_conf.c        helpers, the dump, dry_run, the key table; main()
 * check_conf_errors.c bad configs and their error lines
 * check_conf_values.c values, numbers, defaults, on_error, myhostname
 */
#ifndef CONF_SUITE_H
#define CONF_SUITE_H

#include <check.h>
#include <stddef.h>

#include "conf.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define PATH_MAX_TEST 512
#define TEXT_MAX 4096
#define MAX_OVERRIDES 4

/* The directory of this test's files, and the config file in it. In
 * the tables, "%D" in a text stands for dir and "%F" for conf_path. */
extern char dir[PATH_MAX_TEST];
extern char conf_path[PATH_MAX_TEST];

/* setup - a fresh directory for this test's files */
void setup(void);

/* teardown - remove the directory and what the test wrote there */
void teardown(void);

/* subst - copy in to out with "%D" as dir and "%F" as conf_path */
const char *subst(const char *in, char *out, size_t len);

/* write_bytes - write len bytes of text to path */
void write_bytes(const char *path, const char *text, size_t len);

/* write_file - write text (after subst) to dir/name */
void write_file(const char *name, const char *text);

/* load - write text as the config (NULL: no file) and load it with the
 * overrides (NULL-terminated, after subst) */
struct pcl_conf *load(const char *text, const char *const *overrides,
                      char **errors);

/* load_ok - load that must succeed */
struct pcl_conf *load_ok(const char *label, const char *text,
                         const char *const *overrides);

/* key_index - the row of name in pcl_conf_keys */
size_t key_index(const char *name);

/* text_of - the text the dump shows for name */
const char *text_of(const struct pcl_conf *c, const char *name);

/* count_lines - the number of '\n'-terminated lines of text */
int count_lines(const char *text);

TCase *conf_errors_tcase(void);
TCase *conf_values_tcase(void);

#endif
