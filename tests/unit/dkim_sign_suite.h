/*
 * dkim_sign_suite - what the two files of the dkim_sign suite
 * (check_dkim_sign) share: the test's directory and its files, the
 * fixtures, the tables most cases load (not check_dkim_sign.h:
 * .gitignore drops tests/unit/check_* but *.c)
 *
 * check_dkim_sign.c      helpers, key checks, KeyTable and SigningTable
 *                        parsing and matching; main()
 * check_dkim_sign_trip.c messages signed and verified: round trips,
 *                        tampering, x=, a one-name header list, the API's edges
 * check_dkim_sign_rfc.c  RFC 8463 A's b= values; one-point messages
 */
#ifndef DKIM_SIGN_SUITE_H
#define DKIM_SIGN_SUITE_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dkim.h"
#include "dns.h"

#define FIXED_TIME 1700000000L
#define MAX_FIELDS 80
#define PYTHON "/usr/bin/python3"
#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

#define KT_MAIN                                                                \
	"# name   domain:selector:key\n"                                       \
	"rsa  example.test:rsa2048:./rsa.key\n"                                \
	"\n"                                                                   \
	"ed   example.test:ed:./ed.key   # relative to this file\n"            \
	"org  example.org:rsa2048:@DIR@/rsa.key\n"
#define ST_REFILE                                                              \
	"*@example.test   rsa\n"                                               \
	"*@example.test   ed\n"                                                \
	"*@*.example.test rsa\n"                                               \
	"alice@example.org org\n"                                              \
	"*@*.example.org  org\n"
#define ST_EXACT                                                               \
	"alice@example.test ed\n"                                              \
	"example.test rsa\n"                                                   \
	".example.org org\n"                                                   \
	"carol@* ed\n"

/* The test's directory, and the DNS module on fakedns (sign cases). */
extern char tmpdir[64];
extern struct pcl_dns *dns;

/* data_path - a file of tests/unit/data/dkim */
void data_path(char *buf, size_t len, const char *name);

/* tmp_path - a file of the test's directory */
void tmp_path(char *buf, size_t len, const char *name);

/* slurp - a whole file, NUL-terminated */
char *slurp(const char *path);

/* write_tmp - a file of the test's directory with mode: the fixture
 * src when set, else text with "@DIR@" replaced by the directory */
void write_tmp(const char *name, const char *src, const char *text,
               mode_t mode);

/* setup_dir, teardown_dir - a fresh directory with the usual keys at
 * 0600, and its removal */
void setup_dir(void);
void teardown_dir(void);

/* setup_dns, teardown_dns - the directory, fakedns serving keys.zone,
 * a DNS module; and their removal */
void setup_dns(void);
void teardown_dns(void);

/* load_tables - write the KeyTable and SigningTable texts, load them */
struct pcl_dkim_signing *load_tables(const char *kt, const char *st,
                                     const char *st_prefix, bool multiple,
                                     char *err, size_t errlen);

TCase *dkim_sign_tcase(void);
TCase *dkim_signer_tcase(void);

#endif
