/*
 * table_suite - what the two files of the table suite (check_table)
 * share: data files and temporary files, status names (not
 * check_table.h: .gitignore drops tests/unit/check_* but *.c)
 *
 * check_table.c        helpers, lookups, bad files and texts, specs;
 *                      main()
 * check_table_limits.c accessors, empty tables, validators, long lines,
 *                      result sizes, match limits, a big map, threads
 */
#ifndef TABLE_SUITE_H
#define TABLE_SUITE_H

#include <check.h>
#include <stddef.h>

#include "table.h"

#define FOUND PCL_TABLE_FOUND
#define NOTFOUND PCL_TABLE_NOTFOUND
#define ERROR PCL_TABLE_ERROR
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* data_spec - "type:" + $srcdir/tests/unit/data/name */
void data_spec(char *buf, size_t len, const char *type, const char *name);

/* open_data - open a data file that must load */
struct pcl_table *open_data(const char *type, const char *name,
                            pcl_table_check_fn check);

/* write_temp - a temporary file with content; path gets its name */
void write_temp(char *path, size_t len, const char *content, size_t n);

/* status_name - printable lookup status */
const char *status_name(enum pcl_table_status st);

/* table_limits_add - add the tests of check_table_limits.c to tc */
void table_limits_add(TCase *tc);

#endif
