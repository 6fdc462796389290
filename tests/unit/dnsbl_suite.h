/*
 * dnsbl_suite - what the two files of the dnsbl suite (check_dnsbl)
 * share: names at the length limits and the made-up DQS key (not
 * check_dnsbl.h: .gitignore drops tests/unit/check_* but *.c)
 *
 * check_dnsbl.c         site syntax, bad sites, the key sweep; main()
 * check_dnsbl_answers.c filters, answer classification, query names,
 *                       redaction
 */
#ifndef DNSBL_SUITE_H
#define DNSBL_SUITE_H

#include <check.h>

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define A10 "aaaaaaaaaa"
#define L63 A10 A10 A10 A10 A10 A10 "aaa"
#define L64 L63 "a"
#define NAME253 L63 "." L63 "." L63 "." A10 A10 A10 A10 A10 A10 "a"
#define KEY "Xq7Zv9Kw2Lp4Rt6" /* a made-up DQS key */
#define ZS "zen.spamhaus.org"

/* dnsbl_answers_add - add the tests of check_dnsbl_answers.c to tc */
void dnsbl_answers_add(TCase *tc);

#endif
