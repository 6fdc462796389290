/*
 * check_dkim_sign - DKIM signing: key checks, KeyTable and SigningTable
 * parsing and matching (here), and round trips (check_dkim_sign_trip.c):
 * messages signed here (RSA-2048 and Ed25519, relaxed and simple) are verified
 * by portcullis's own verifier (keys served by fakedns, on the very library
 * handle that signed) and by python3-dkim (data/dkim/verify.py; skipped, with a
 * note, when /usr/bin/python3 lacks it).
 *
 * Keys are the verification suite's fixtures, copied at mode 0600 into
 * a mkdtemp directory per test. Added for this suite: rsa2048_pkcs1.key
 * (rsa2048.key through `openssl pkey -traditional`), ed25519_enc.key
 * (ed25519.key through `openssl pkey -aes256`), ec256.key (P-256), and
 * the messages sign_*.eml (LF line ends, the test adds the CRs).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dkim.h"
#include "dkim_fixture.h"
#include "dkim_sign_suite.h"
#include "dns.h"
#include "util.h"

char tmpdir[64];
struct pcl_dns *dns;

/* data_path - a file of tests/unit/data/dkim */
void
data_path(char *buf, size_t len, const char *name)
{
	const char *srcdir = getenv("srcdir");

	ck_assert(pcl_format(buf, len, "%s/tests/unit/data/dkim/%s",
	                     srcdir ? srcdir : ".", name));
}

/* tmp_path - a file of the test's directory */
void
tmp_path(char *buf, size_t len, const char *name)
{
	ck_assert(pcl_format(buf, len, "%s/%s", tmpdir, name));
}

/* slurp - a whole file, NUL-terminated */
char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long len;

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	return buf;
}

/* write_tmp - a file of the test's directory with mode: the fixture
 * src when set, else text with "@DIR@" replaced by the directory */
void
write_tmp(const char *name, const char *src, const char *text, mode_t mode)
{
	char path[512], *copy = NULL;
	FILE *fp;

	if (src != NULL) {
		data_path(path, sizeof(path), src);
		text = copy = slurp(path);
	}
	tmp_path(path, sizeof(path), name);
	fp = fopen(path, "wb");
	ck_assert_msg(fp != NULL, "cannot create %s", path);
	for (const char *p = text; *p; p++) {
		if (strncmp(p, "@DIR@", 5) == 0) {
			fputs(tmpdir, fp);
			p += 4;
		} else {
			fputc(*p, fp);
		}
	}
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	free(copy);
}

/* setup_dir - a fresh directory with the usual keys at 0600 */
void
setup_dir(void)
{
	fixture_dir_make(tmpdir, sizeof(tmpdir), "pcl-sign");
	write_tmp("rsa.key", "rsa2048.key", NULL, 0600);
	write_tmp("ed.key", "ed25519.key", NULL, 0600);
	write_tmp("loose.key", "rsa2048.key", NULL, 0644);
}

/* teardown_dir - remove the directory */
void
teardown_dir(void)
{
	fixture_dir_remove(tmpdir);
}

/* setup_dns - the directory, fakedns serving keys.zone, a DNS module */
void
setup_dns(void)
{
	char path[512], *keys;

	setup_dir();
	data_path(path, sizeof(path), "keys.zone");
	keys = slurp(path);
	dns = fixture_dns_start(keys);
	free(keys);
}

/* teardown_dns - undo setup_dns */
void
teardown_dns(void)
{
	fixture_dns_stop(dns);
	dns = NULL;
	teardown_dir();
}

struct key_case {
	const char *label;
	const char *src;  /* fixture copied in ("/": a directory), or NULL */
	const char *text; /* else this text written, or NULL: no file */
	mode_t mode;
	const char *want_err; /* NULL: loads */
	const char *want_alg;
	unsigned want_bits;
};

static const char ed_public[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAB1FKMLC3OIFuLr86BKz5avGC1FeQ7qsiSwNT61vjcQ4=\n"
    "-----END PUBLIC KEY-----\n";

static const struct key_case key_cases[] = {
    {"RSA-2048 PKCS#8, 0600", "rsa2048.key", NULL, 0600, NULL, "rsa-sha256",
     2048},
    {"RSA-2048 PKCS#1, 0400", "rsa2048_pkcs1.key", NULL, 0400, NULL,
     "rsa-sha256", 2048},
    {"RSA-1024 is the minimum", "rsa1024.key", NULL, 0600, NULL, "rsa-sha256",
     1024},
    {"Ed25519 PKCS#8", "ed25519.key", NULL, 0600, NULL, "ed25519-sha256", 256},
    {"mode 0644", "rsa2048.key", NULL, 0644,
     "is readable by others (mode 0644)", NULL, 0},
    {"mode 0640", "ed25519.key", NULL, 0640,
     "is readable by others (mode 0640)", NULL, 0},
    {"a directory", "/", NULL, 0, "not a regular file", NULL, 0},
    {"mode 0620", "rsa2048.key", NULL, 0620,
     "is writable or executable by others (mode 0620)", NULL, 0},
    {"missing file", NULL, NULL, 0, "cannot open: No such file", NULL, 0},
    {"garbage", NULL, "this is not a key\n", 0600, "not a PEM private key",
     NULL, 0},
    {"empty file", NULL, "", 0600, "not a PEM private key", NULL, 0},
    {"cut PEM", NULL, "-----BEGIN PRIVATE KEY-----\nMIIEvg\n", 0600,
     "not a PEM private key", NULL, 0},
    {"public key only", NULL, ed_public, 0600, "not a PEM private key", NULL,
     0},
    {"RSA-512 too small", "rsa512.key", NULL, 0600,
     "RSA key of 512 bits; at least 1024 needed", NULL, 0},
    {"encrypted, no prompt", "ed25519_enc.key", NULL, 0600,
     "the key is encrypted", NULL, 0},
    {"EC P-256 not supported", "ec256.key", NULL, 0600,
     "key type not supported", NULL, 0},
};

/* test_keys - key files: what loads, what is refused and why */
START_TEST(test_keys)
{
	const struct key_case *c = &key_cases[_i];
	char path[256], err[PCL_ERR_MAX] = "";
	struct pcl_dkim_key *key;

	tmp_path(path, sizeof(path), "k.pem");
	if (c->src != NULL && strcmp(c->src, "/") == 0)
		ck_assert_int_eq(mkdir(path, 0700), 0);
	else if (c->src != NULL || c->text != NULL)
		write_tmp("k.pem", c->src, c->text, c->mode);
	key = pcl_dkim_key_load(path, err, sizeof(err));
	if (c->want_err != NULL) {
		ck_assert_msg(key == NULL, "%s: loaded, want \"%s\"", c->label,
		              c->want_err);
		ck_assert_msg(strstr(err, c->want_err) != NULL &&
		                  strstr(err, path) != NULL,
		              "%s: got \"%s\", want \"%s\" naming %s", c->label,
		              err, c->want_err, path);
		return;
	}
	ck_assert_msg(key != NULL, "%s: got \"%s\", want a key", c->label, err);
	ck_assert_msg(strcmp(pcl_dkim_key_algorithm(key), c->want_alg) == 0 &&
	                  pcl_dkim_key_bits(key) == c->want_bits,
	              "%s: got %s/%u, want %s/%u", c->label,
	              pcl_dkim_key_algorithm(key), pcl_dkim_key_bits(key),
	              c->want_alg, c->want_bits);
	pcl_dkim_key_free(key);
}
END_TEST

struct table_case {
	const char *label;
	const char *kt;                   /* KeyTable text */
	const char *st;                   /* SigningTable text; NULL: no file */
	const char *st_prefix;            /* "refile:", "db:", ... */
	const char *want_err, *want_err2; /* substrings; NULL: loads */
};

static const struct table_case table_cases[] = {
    {"both tables load", KT_MAIN, ST_REFILE, "refile:", NULL, NULL},
    {"exact table loads", KT_MAIN, ST_EXACT, "file:", NULL, NULL},
    {"no selector", "rsa example.test:./rsa.key\n", ST_EXACT, "",
     "/KeyTable:1: want \"name domain:selector:/path/to/key\"", NULL},
    {"line numbers count comments", "# c\n\nrsa example.test:s:./rsa.key\nx\n",
     ST_EXACT, "", "/KeyTable:4: want", NULL},
    {"bad domain", "rsa exa_mple.test:s:./rsa.key\n", ST_EXACT, "",
     "/KeyTable:1: bad domain \"exa_mple.test\"", NULL},
    {"bad selector", "rsa example.test:a/b:./rsa.key\n", ST_EXACT, "",
     "/KeyTable:1: bad selector \"a/b\"", NULL},
    {"% domain", "rsa %:s:./rsa.key\n", ST_EXACT, "",
     "/KeyTable:1: domain \"%\"", NULL},
    {"key inline", "rsa example.test:s:MIIEvgIBADANBg\n", ST_EXACT, "",
     "/KeyTable:1: the key must be a file path", NULL},
    {"key readable by others", "rsa example.test:s:./loose.key\n", ST_EXACT, "",
     "/KeyTable:1: key file", "is readable by others (mode 0644)"},
    {"key missing",
     "ok example.test:s:./rsa.key\nrsa example.test:s:./no.key\n", ST_EXACT, "",
     "/KeyTable:2: key file", "No such file"},
    {"duplicate key name", KT_MAIN "rsa example.test:x:./rsa.key\n", ST_EXACT,
     "", "/KeyTable:6: key name \"rsa\" already at line 2", NULL},
    {"empty KeyTable", "# nothing\n\n", ST_EXACT, "", "/KeyTable: no entries",
     NULL},
    {"unknown key name", KT_MAIN, "a@example.test rsa\nb@example.test nope\n",
     "", "/SigningTable:2: no key \"nope\" in the KeyTable", NULL},
    {"signer field", KT_MAIN, "example.test rsa @example.test\n", "",
     "/SigningTable:1: a signer identity (third field, i=)", NULL},
    {"one field", KT_MAIN, "example.test\n", "",
     "/SigningTable:1: want \"pattern keyname\"", NULL},
    {"wildcard without refile:", KT_MAIN, "x.test rsa\n*@example.test rsa\n",
     "file:",
     "/SigningTable:2: wildcard \"*@example.test\" needs the table "
     "given as refile:",
     NULL},
    {"db: dataset", KT_MAIN, ST_EXACT,
     "db:", "dataset type \"db:\" is not supported", NULL},
    {"SigningTable missing", KT_MAIN, NULL, "",
     "/SigningTable: cannot open: No such file", NULL},
};

/* load_tables - write the KeyTable and SigningTable texts, load them */
struct pcl_dkim_signing *
load_tables(const char *kt, const char *st, const char *st_prefix,
            bool multiple, char *err, size_t errlen)
{
	char ktp[256], stp[256], spec[300];

	write_tmp("KeyTable", NULL, kt, 0644);
	if (st != NULL)
		write_tmp("SigningTable", NULL, st, 0644);
	tmp_path(ktp, sizeof(ktp), "KeyTable");
	tmp_path(stp, sizeof(stp), "SigningTable");
	ck_assert(pcl_format(spec, sizeof(spec), "%s%s", st_prefix, stp));
	return pcl_dkim_signing_load(ktp, spec, multiple, err, errlen);
}

/* test_tables - table syntax and its errors, as file:line: message */
START_TEST(test_tables)
{
	const struct table_case *c = &table_cases[_i];
	char err[PCL_ERR_MAX] = "";
	struct pcl_dkim_signing *s;

	s = load_tables(c->kt, c->st, c->st_prefix, false, err, sizeof(err));
	if (c->want_err == NULL) {
		ck_assert_msg(s != NULL, "%s: got \"%s\", want loaded",
		              c->label, err);
		pcl_dkim_signing_free(s);
		return;
	}
	ck_assert_msg(s == NULL, "%s: loaded, want \"%s\"", c->label,
	              c->want_err);
	ck_assert_msg(
	    strstr(err, c->want_err) != NULL &&
	        (c->want_err2 == NULL || strstr(err, c->want_err2) != NULL),
	    "%s: got \"%s\", want \"%s\"%s%s", c->label, err, c->want_err,
	    c->want_err2 ? " and " : "", c->want_err2 ? c->want_err2 : "");
}
END_TEST

enum table_kind { T_REFILE, T_EXACT, T_SIMPLE };

struct match_case {
	enum table_kind kind;
	bool multiple;
	const char *address;
	size_t max;
	const char *want; /* signer names, comma-separated */
};

static const struct match_case match_cases[] = {
    {T_REFILE, false, "bob@example.test", 4, "rsa"},
    {T_REFILE, true, "bob@example.test", 4, "rsa,ed"},
    {T_REFILE, true, "bob@example.test", 1, "rsa"},
    {T_REFILE, false, "Bob@Example.TEST", 4, "rsa"},
    {T_REFILE, true, "x@sub.example.test", 4, "rsa"},
    {T_REFILE, false, "alice@example.org", 4, "org"},
    {T_REFILE, false, "bob@example.org", 4, ""},
    {T_REFILE, false, "bob@a.b.example.org", 4, "org"},
    {T_REFILE, false, "example.test", 4, "rsa"},
    {T_REFILE, false, "bob@example.test.", 4, "rsa"},
    {T_REFILE, false, "bob@example.test.evil.test", 4, ""},
    {T_REFILE, false, "", 4, ""},
    {T_EXACT, false, "alice@example.test", 4, "ed"},
    {T_EXACT, true, "alice@example.test", 4, "ed,rsa"},
    {T_EXACT, false, "ALICE@EXAMPLE.TEST", 4, "ed"},
    {T_EXACT, false, "bob@example.test", 4, "rsa"},
    {T_EXACT, false, "bob@sub.example.test", 4, ""},
    {T_EXACT, false, "bob@sub.example.org", 4, "org"},
    {T_EXACT, false, "bob@example.org", 4, ""},
    {T_EXACT, true, "carol@elsewhere.test", 4, "ed"},
    {T_SIMPLE, false, "a@example.test", 4, "example.test"},
    {T_SIMPLE, false, "a@sub.example.test", 4, "example.test"},
    {T_SIMPLE, false, "a@EXAMPLE.Test.", 4, "example.test"},
    {T_SIMPLE, false, "example.test", 4, "example.test"},
    {T_SIMPLE, false, "a@notexample.test", 4, ""},
    {T_SIMPLE, false, "a@example.test.evil", 4, ""},
};

/* test_match - which signers a From address gets */
START_TEST(test_match)
{
	const struct match_case *c = &match_cases[_i];
	static const char *const kinds[] = {"refile", "exact", "simple"};
	const struct pcl_dkim_signer *out[4] = {NULL};
	char err[PCL_ERR_MAX] = "", path[256], got[256] = "";
	struct pcl_dkim_signing *s;
	size_t n;

	tmp_path(path, sizeof(path), "rsa.key");
	if (c->kind == T_SIMPLE)
		s = pcl_dkim_signing_simple("Example.Test", "rsa2048", path,
		                            err, sizeof(err));
	else
		s = load_tables(KT_MAIN,
		                c->kind == T_REFILE ? ST_REFILE : ST_EXACT,
		                c->kind == T_REFILE ? "refile:" : "",
		                c->multiple, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s: %s", kinds[c->kind], err);
	n = pcl_dkim_signing_match(s, c->address, out, c->max);
	for (size_t i = 0; i < n; i++)
		ck_assert(pcl_append(got, sizeof(got), "%s%s", i ? "," : "",
		                     out[i]->name));
	ck_assert_msg(strcmp(got, c->want) == 0,
	              "%s%s \"%s\" max %zu: got \"%s\", want \"%s\"",
	              kinds[c->kind], c->multiple ? " multiple" : "",
	              c->address, c->max, got, c->want);
	if (n > 0 && strcmp(out[0]->name, "org") == 0)
		ck_assert_str_eq(out[0]->domain, "example.org");
	if (n > 0 && strcmp(out[0]->name, "ed") == 0)
		ck_assert_str_eq(pcl_dkim_key_algorithm(out[0]->key),
		                 "ed25519-sha256");
	pcl_dkim_signing_free(s);
}
END_TEST

/* dkim_sign_suite - the suite */
static Suite *
dkim_sign_suite(void)
{
	Suite *s = suite_create("dkim_sign");
	TCase *keys = tcase_create("keys");
	TCase *tables = tcase_create("tables");

	tcase_add_checked_fixture(keys, setup_dir, teardown_dir);
	tcase_add_loop_test(keys, test_keys, 0, (int)NITEMS(key_cases));
	suite_add_tcase(s, keys);
	tcase_add_checked_fixture(tables, setup_dir, teardown_dir);
	tcase_add_loop_test(tables, test_tables, 0, (int)NITEMS(table_cases));
	tcase_add_loop_test(tables, test_match, 0, (int)NITEMS(match_cases));
	suite_add_tcase(s, tables);
	suite_add_tcase(s, dkim_sign_tcase());
	suite_add_tcase(s, dkim_signer_tcase());
	return s;
}

/* main - run the suite */
int
main(void)
{
	SRunner *sr = srunner_create(dkim_sign_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
