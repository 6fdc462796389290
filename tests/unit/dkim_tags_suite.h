/*
 * dkim_tags_suite - what the two files of the dkim_tags suite
 * (check_dkim_tags) share
 *
 * check_dkim_tags.c      tag-list syntax, DKIM-Signature fields: RFC
 *                        examples, every error, bounds, folds, b=
 *                        offsets; main()
 * check_dkim_tags_key.c  key records, keys turned into EVP_PKEYs,
 *                        keys held against signatures
 */
#ifndef DKIM_TAGS_SUITE_H
#define DKIM_TAGS_SUITE_H

#include <check.h>
#include <stddef.h>

#include "dkim_tags.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* repeat - a malloc'd string: prefix, n copies of fill, suffix */
char *repeat(const char *prefix, const char *fill, size_t n,
             const char *suffix);

/* status_expect - a parser's status and error against the error
 * wanted (NULL: success) */
void status_expect(const char *label, enum pcl_dkim_tags_status st,
                   const char *err, const char *want);

/* dkim_tags_key_tcase - the key record cases */
TCase *dkim_tags_key_tcase(void);

#endif
