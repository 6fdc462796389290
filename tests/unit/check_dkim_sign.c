/*
 * check_dkim_sign - DKIM signing: key checks, KeyTable and SigningTable
 * parsing and matching, and round trips: messages signed here (RSA-2048
 * and Ed25519, relaxed and simple) are verified by portcullis's own
 * verifier (keys served by fakedns, on the very library handle that
 * signed) and by python3-dkim (data/dkim/verify.py; skipped, with a
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
#include <sys/wait.h>
#include <unistd.h>

#include "dkim.h"
#include "dns.h"
#include "dkim_fixture.h"
#include "util.h"

#define FIXED_TIME 1700000000L
#define MAX_FIELDS 80
#define PYTHON "/usr/bin/python3"
#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[64];
static struct pcl_dns *dns;

/* data_path - a file of tests/unit/data/dkim */
static void
data_path(char *buf, size_t len, const char *name)
{
	const char *srcdir = getenv("srcdir");

	ck_assert(pcl_format(buf, len, "%s/tests/unit/data/dkim/%s",
	                     srcdir ? srcdir : ".", name));
}

/* tmp_path - a file of the test's directory */
static void
tmp_path(char *buf, size_t len, const char *name)
{
	ck_assert(pcl_format(buf, len, "%s/%s", tmpdir, name));
}

/* slurp - a whole file, NUL-terminated */
static char *
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
static void
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
static void
setup_dir(void)
{
	fixture_dir_make(tmpdir, sizeof(tmpdir), "pcl-sign");
	write_tmp("rsa.key", "rsa2048.key", NULL, 0600);
	write_tmp("ed.key", "ed25519.key", NULL, 0600);
	write_tmp("loose.key", "rsa2048.key", NULL, 0644);
}

/* teardown_dir - remove the directory */
static void
teardown_dir(void)
{
	fixture_dir_remove(tmpdir);
}

/* setup_dns - the directory, fakedns serving keys.zone, a DNS module */
static void
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
static void
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
static struct pcl_dkim_signing *
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

/* A message split the way Postfix's milter hands it over. */
struct msg {
	char *text; /* the file as it is */
	char *work; /* a copy cut up for names and values */
	const char *names[MAX_FIELDS];
	const char *values[MAX_FIELDS]; /* leading space kept, LF folds */
	size_t nfields;
	char *body; /* CRLF line ends */
	size_t bodylen;
};

/* msg_load - read an .eml (LF line ends; the body may be missing or
 * lack its last newline) and split it */
static void
msg_load(struct msg *m, const char *file)
{
	char path[512], *end, *hend, *p, *b;
	size_t n = 0;

	memset(m, 0, sizeof(*m));
	data_path(path, sizeof(path), file);
	m->text = slurp(path);
	m->work = pcl_strdup(m->text);
	ck_assert_ptr_nonnull(m->work);
	end = strstr(m->work, "\n\n");
	b = end != NULL ? end + 2 : NULL;
	hend = end != NULL ? end + 1 : m->work + strlen(m->work);
	*hend = '\0';
	for (p = m->work; *p;
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		if (*p == ' ' || *p == '\t')
			continue; /* a fold: the LF before it stays */
		ck_assert_uint_lt(m->nfields, MAX_FIELDS);
		if (p != m->work)
			p[-1] = '\0';
		m->names[m->nfields] = p;
		p = strchr(p, ':');
		ck_assert_ptr_nonnull(p);
		*p++ = '\0';
		m->values[m->nfields++] = p;
	}
	if (hend > m->work && hend[-1] == '\n')
		hend[-1] = '\0';
	m->body = malloc(b != NULL ? 2 * strlen(b) + 1 : 1);
	ck_assert_ptr_nonnull(m->body);
	for (; b != NULL && *b; b++) {
		if (*b == '\n')
			m->body[n++] = '\r';
		m->body[n++] = *b;
	}
	m->bodylen = n;
}

/* msg_free - free what msg_load made */
static void
msg_free(struct msg *m)
{
	free(m->text);
	free(m->work);
	free(m->body);
}

static const size_t chunks[] = {1, 7, 64, 333, 2, 1000, 3};
static char sign_error[PCL_ERR_MAX]; /* of the last sign_msg */

/* sign_msg - sign m with signer; the status, the value in out */
static enum pcl_dkim_sign_status
sign_msg(struct pcl_dkim_lib *lib, const struct pcl_dkim_signer *signer,
         const struct pcl_dkim_sign_opts *opts, const struct msg *m, char *out,
         size_t len)
{
	struct pcl_dkim_signer_ctx *ctx = pcl_dkim_sign_new(lib, signer, opts);
	enum pcl_dkim_sign_status st;
	size_t off = 0;

	ck_assert_ptr_nonnull(ctx);
	for (size_t i = 0; i < m->nfields; i++)
		pcl_dkim_sign_header(ctx, m->names[i], m->values[i]);
	pcl_dkim_sign_eoh(ctx);
	for (size_t k = 0; off < m->bodylen; k++) {
		size_t n = chunks[k % (sizeof(chunks) / sizeof(chunks[0]))];

		n = n < m->bodylen - off ? n : m->bodylen - off;
		pcl_dkim_sign_body(ctx, (const unsigned char *)m->body + off,
		                   n);
		off += n;
	}
	st = pcl_dkim_sign_eom(ctx, out, len);
	ck_assert_msg(st == PCL_DKIM_SIGN_OK || *pcl_dkim_sign_error(ctx),
	              "failed without a reason");
	pcl_copy(sign_error, sizeof(sign_error), pcl_dkim_sign_error(ctx));
	pcl_dkim_sign_free(ctx);
	return st;
}

/* verify_msg - our verifier over sigs (top first), then m, with an
 * extra header field when extra_name is set; the caller frees */
static struct pcl_dkim_verify *
verify_msg(struct pcl_dkim_lib *lib, const char *const *sigs, size_t nsigs,
           const struct msg *m, const char *extra_name, const char *extra)
{
	struct pcl_dkim_verify *v = pcl_dkim_verify_new(lib, "4XyZ1");

	ck_assert_ptr_nonnull(v);
	for (size_t i = 0; i < nsigs; i++)
		pcl_dkim_verify_header(v, "DKIM-Signature", sigs[i]);
	for (size_t i = 0; i < m->nfields; i++)
		pcl_dkim_verify_header(v, m->names[i], m->values[i]);
	if (extra_name != NULL)
		pcl_dkim_verify_header(v, extra_name, extra);
	pcl_dkim_verify_eoh(v);
	pcl_dkim_verify_body(v, (const unsigned char *)m->body, m->bodylen);
	pcl_dkim_verify_eom(v);
	return v;
}

/* check_pass - every signature of v passes */
static void
check_pass(const char *label, const struct pcl_dkim_verify *v, size_t want)
{
	ck_assert_msg(pcl_dkim_verify_count(v) == want,
	              "%s: signatures: got %zu, want %zu", label,
	              pcl_dkim_verify_count(v), want);
	for (size_t i = 0; i < want; i++) {
		const struct pcl_dkim_sig *s = pcl_dkim_verify_sig(v, i);

		ck_assert_msg(s->result == PCL_DKIM_PASS,
		              "%s: sig %zu: got %s (%s), want pass", label, i,
		              pcl_dkim_result_name(s->result), s->reason);
	}
}

/* put_crlf - text with every LF written as CRLF */
static void
put_crlf(FILE *fp, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			fputc('\r', fp);
		fputc(*p, fp);
	}
}

/* check_python - verify.py over sigs + the message text, with CRLF,
 * passes; a note when python3-dkim is missing (exit 77) */
static void
check_python(const char *label, const char *const *sigs, size_t nsigs,
             const struct msg *m)
{
	char msgpath[256], script[512], zone[512];
	FILE *fp;
	pid_t pid;
	int status = 0, rc;

	tmp_path(msgpath, sizeof(msgpath), "signed.eml");
	fp = fopen(msgpath, "wb");
	ck_assert_ptr_nonnull(fp);
	for (size_t i = 0; i < nsigs; i++) {
		fputs("DKIM-Signature:", fp);
		put_crlf(fp, sigs[i]);
		fputs("\r\n", fp);
	}
	put_crlf(fp, m->text);
	ck_assert_int_eq(fclose(fp), 0);
	data_path(script, sizeof(script), "verify.py");
	data_path(zone, sizeof(zone), "keys.zone");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl(PYTHON, "python3", script, zone, msgpath, (char *)NULL);
		_exit(77); /* no /usr/bin/python3 */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	if (rc == 77)
		fprintf(stderr, "%s: no python3-dkim: check skipped\n", label);
	else
		ck_assert_msg(rc == 0, "%s: python3-dkim: got exit %d, want 0",
		              label, rc);
}

/* tag - the value of tag name in a signature value, white space gone;
 * false when absent */
static bool
tag(const char *value, const char *name, char *out, size_t len)
{
	char flat[PCL_DKIM_SIGN_VALUE_MAX], *save = NULL;
	size_t n = 0, nlen = strlen(name);

	for (const char *p = value; *p && n + 1 < sizeof(flat); p++)
		if (*p != ' ' && *p != '\t' && *p != '\n')
			flat[n++] = *p;
	flat[n] = '\0';
	for (char *t = strtok_r(flat, ";", &save); t != NULL;
	     t = strtok_r(NULL, ";", &save))
		if (strncmp(t, name, nlen) == 0 && t[nlen] == '=')
			return pcl_copy(out, len, t + nlen + 1);
	return false;
}

/* check_value - the form pcl_dkim_sign_eom promises, and the tags */
static void
check_value(const char *label, const char *v, const char *alg, const char *sel,
            const char *canon)
{
	const char *want[3][2] = {
	    {"d", "example.test"}, {"s", sel}, {"c", canon}};
	char h[1024], buf[512], prefix[64];
	size_t froms = 0;
	char *save = NULL;

	ck_assert(pcl_format(prefix, sizeof(prefix), " v=1; a=%s;", alg));
	ck_assert_msg(strncmp(v, prefix, strlen(prefix)) == 0,
	              "%s: got \"%.40s\", want \"%s...\"", label, v, prefix);
	ck_assert_msg(strchr(v, '\r') == NULL, "%s: CR in the value", label);
	for (const char *p = strchr(v, '\n'); p; p = strchr(p + 1, '\n'))
		ck_assert_msg(p[1] == '\t', "%s: fold not LF TAB", label);
	ck_assert_msg(tag(v, "h", h, sizeof(h)), "%s: no h=", label);
	for (char *t = strtok_r(h, ":", &save); t;
	     t = strtok_r(NULL, ":", &save))
		froms += strcasecmp(t, "from") == 0;
	ck_assert_msg(froms == 2, "%s: From in h=: got %zu, want 2", label,
	              froms);
	ck_assert_msg(!tag(v, "l", buf, sizeof(buf)), "%s: l= present", label);
	ck_assert_msg(tag(v, "t", buf, sizeof(buf)), "%s: no t=", label);
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(tag(v, want[i][0], buf, sizeof(buf)) &&
		                  strcmp(buf, want[i][1]) == 0,
		              "%s: %s=: got %s, want %s", label, want[i][0],
		              buf, want[i][1]);
}

/* lib_new - the shared library handle, prepared for signing */
static struct pcl_dkim_lib *
lib_new(long fixed_time, unsigned long expire_s)
{
	struct pcl_dkim_lib_conf conf = {0};
	char err[PCL_ERR_MAX] = "";
	struct pcl_dkim_lib *lib;

	conf.fixed_time = fixed_time;
	lib = pcl_dkim_lib_new(dns, &conf, err, sizeof(err));
	ck_assert_msg(lib != NULL, "pcl_dkim_lib_new: %s", err);
	ck_assert_msg(pcl_dkim_sign_prepare(lib, expire_s, err, sizeof(err)),
	              "prepare: %s", err);
	return lib;
}

/* simple_signing - the simple setting for example.test with a key */
static struct pcl_dkim_signing *
simple_signing(const char *selector, const char *keyname)
{
	char path[256], err[PCL_ERR_MAX] = "";
	struct pcl_dkim_signing *s;

	tmp_path(path, sizeof(path), keyname);
	s = pcl_dkim_signing_simple("example.test", selector, path, err,
	                            sizeof(err));
	ck_assert_msg(s != NULL, "signing_simple: %s", err);
	return s;
}

static const char *const trip_files[] = {
    "sign_folded.eml", "sign_8bit.eml", "sign_long.eml", "sign_empty.eml",
    "sign_nobody.eml", "sign_nonl.eml", "sign_many.eml", "sign_blank.eml",
};

/* Canonicalizations; simple header canonicalization signs with the RSA
 * key only (with Ed25519 it is refused, see pcl_dkim_sign_check). */
static const struct {
	struct pcl_dkim_sign_opts opts;
	const char *canon;
	size_t nkeys;
} trips[] = {
    {{PCL_DKIM_CANON_DEFAULT, PCL_DKIM_CANON_DEFAULT, NULL},
     "relaxed/relaxed",
     2},
    {{PCL_DKIM_CANON_RELAXED, PCL_DKIM_CANON_SIMPLE, NULL},
     "relaxed/simple",
     2},
    {{PCL_DKIM_CANON_SIMPLE, PCL_DKIM_CANON_SIMPLE, NULL}, "simple/simple", 1},
};

/* sign_keys - sign m with the first n keys the refile table (multiple)
 * gives alice@example.test, RSA then Ed25519; sigs[0] is the last one
 * signed (inserted on top), and by[i] signed sigs[i] */
static struct pcl_dkim_signing *
sign_keys(struct pcl_dkim_lib *lib, const struct pcl_dkim_sign_opts *opts,
          const struct msg *m, size_t n, char sigs[][PCL_DKIM_SIGN_VALUE_MAX],
          const struct pcl_dkim_signer **by)
{
	const struct pcl_dkim_signer *out[2];
	char err[PCL_ERR_MAX] = "";
	struct pcl_dkim_signing *s;

	s = load_tables(KT_MAIN, ST_REFILE, "refile:", true, err, sizeof(err));
	ck_assert_msg(s != NULL, "tables: %s", err);
	ck_assert_uint_eq(
	    pcl_dkim_signing_match(s, "alice@example.test", out, 2), 2);
	for (size_t i = 0; i < n; i++) {
		by[n - 1 - i] = out[i];
		ck_assert_msg(sign_msg(lib, out[i], opts, m, sigs[n - 1 - i],
		                       PCL_DKIM_SIGN_VALUE_MAX) ==
		                  PCL_DKIM_SIGN_OK,
		              "signing with %s: got \"%s\", want OK",
		              out[i]->name, sign_error);
	}
	return s;
}

/* test_round_trip - each message signed in each canonicalization with
 * RSA-2048 and Ed25519; both verifiers pass every signature */
START_TEST(test_round_trip)
{
	const char *file = trip_files[(size_t)_i / NITEMS(trips)];
	size_t k = (size_t)_i % NITEMS(trips), n = trips[k].nkeys;
	struct pcl_dkim_lib *lib = lib_new(FIXED_TIME, 0);
	char sigs[2][PCL_DKIM_SIGN_VALUE_MAX], label[128], buf[64];
	const char *sigp[2] = {sigs[0], sigs[1]};
	const struct pcl_dkim_signer *by[2];
	struct pcl_dkim_signing *s;
	struct pcl_dkim_verify *v;
	struct msg m;

	ck_assert(
	    pcl_format(label, sizeof(label), "%s, %s", file, trips[k].canon));
	msg_load(&m, file);
	s = sign_keys(lib, &trips[k].opts, &m, n, sigs, by);
	for (size_t i = 0; i < n; i++)
		check_value(label, sigs[i], pcl_dkim_key_algorithm(by[i]->key),
		            by[i]->selector, trips[k].canon);
	ck_assert_msg(tag(sigs[0], "t", buf, sizeof(buf)) &&
	                  strcmp(buf, "1700000000") == 0 &&
	                  !tag(sigs[0], "x", buf, sizeof(buf)),
	              "%s: t=/x=: want t=1700000000, no x=", label);
	v = verify_msg(lib, sigp, n, &m, NULL, NULL);
	check_pass(label, v, n);
	pcl_dkim_verify_free(v);
	check_python(label, sigp, n, &m);
	msg_free(&m);
	pcl_dkim_signing_free(s);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* test_tamper - From is oversigned: a second From below the first
 * breaks both signatures; so does a changed body byte */
START_TEST(test_tamper)
{
	struct pcl_dkim_lib *lib = lib_new(FIXED_TIME, 0);
	char sigs[2][PCL_DKIM_SIGN_VALUE_MAX];
	const char *sigp[2] = {sigs[0], sigs[1]};
	const struct pcl_dkim_signer *by[2];
	struct pcl_dkim_signing *s;
	struct pcl_dkim_verify *v;
	struct msg m;

	msg_load(&m, "sign_many.eml");
	s = sign_keys(lib, NULL, &m, 2, sigs, by);
	for (int round = 0; round < 2; round++) {
		if (round == 1)
			m.body[2] ^= 1;
		v = verify_msg(lib, sigp, 2, &m, round ? NULL : "From",
		               " Mallory <m@evil.test>");
		for (size_t i = 0; i < 2; i++) {
			const struct pcl_dkim_sig *sig =
			    pcl_dkim_verify_sig(v, i);

			ck_assert_msg(sig != NULL &&
			                  sig->result == PCL_DKIM_FAIL,
			              "%s, sig %zu: got %s, want fail",
			              round ? "body changed" : "From added", i,
			              sig ? sig->reason : "none");
		}
		pcl_dkim_verify_free(v);
	}
	msg_free(&m);
	pcl_dkim_signing_free(s);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* test_expire_and_list - x= from prepare (real clock, so python3-dkim
 * judges it too); a header list of one name still signs From */
START_TEST(test_expire_and_list)
{
	static const char *const only_subject[] = {"Subject", NULL};
	struct pcl_dkim_sign_opts opts = {0, 0, only_subject};
	struct pcl_dkim_lib *lib = lib_new(0, 3600);
	struct pcl_dkim_signing *s = simple_signing("rsa2048", "rsa.key");
	const struct pcl_dkim_signer *signer;
	char value[PCL_DKIM_SIGN_VALUE_MAX], t[32], x[32], h[256];
	const char *sigs[1] = {value};
	struct pcl_dkim_verify *v;
	struct msg m;

	msg_load(&m, "sign_folded.eml");
	ck_assert_uint_eq(pcl_dkim_signing_match(s, "example.test", &signer, 1),
	                  1);
	ck_assert_int_eq(sign_msg(lib, signer, &opts, &m, value, sizeof(value)),
	                 PCL_DKIM_SIGN_OK);
	check_value("x=", value, "rsa-sha256", "rsa2048", "relaxed/relaxed");
	ck_assert(tag(value, "t", t, sizeof(t)) &&
	          tag(value, "x", x, sizeof(x)));
	ck_assert_msg(strtoll(x, NULL, 10) - strtoll(t, NULL, 10) == 3600,
	              "x= - t=: got %s - %s, want 3600", x, t);
	ck_assert(tag(value, "h", h, sizeof(h)));
	ck_assert_msg(strcasecmp(h, "From:Subject:from") == 0,
	              "h=: got %s, want From:Subject:from", h);
	v = verify_msg(lib, sigs, 1, &m, NULL, NULL);
	check_pass("x=", v, 1);
	pcl_dkim_verify_free(v);
	check_python("x=", sigs, 1, &m);
	msg_free(&m);
	pcl_dkim_signing_free(s);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* test_api_edges - NULLs, misuse, messages that cannot be signed */
START_TEST(test_api_edges)
{
	static const char *const bad_name[] = {"Bad Name", NULL};
	const struct pcl_dkim_sign_opts bad[] = {
	    {0, 0, bad_name}, {(enum pcl_dkim_canon)99, 0, NULL}};
	struct pcl_dkim_lib *lib = lib_new(FIXED_TIME, 0), *raw;
	struct pcl_dkim_signing *s = simple_signing("rsa2048", "rsa.key");
	const struct pcl_dkim_signer *signer;
	struct pcl_dkim_signer_ctx *ctx;
	char value[PCL_DKIM_SIGN_VALUE_MAX], again[PCL_DKIM_SIGN_VALUE_MAX];
	char err[PCL_ERR_MAX] = "", small[40], path[256];
	const struct pcl_dkim_sign_opts simple = {PCL_DKIM_CANON_SIMPLE, 0,
	                                          NULL};
	const struct pcl_dkim_signer *edsg;
	struct pcl_dkim_signing *ed;
	struct msg m;

	ck_assert_uint_eq(
	    pcl_dkim_signing_match(s, "a@example.test", &signer, 1), 1);
	ck_assert_ptr_null(pcl_dkim_sign_new(NULL, signer, NULL));
	ck_assert_ptr_null(pcl_dkim_sign_new(lib, NULL, NULL));
	ck_assert_int_eq(pcl_dkim_sign_eom(NULL, value, sizeof(value)),
	                 PCL_DKIM_SIGN_ERROR);
	pcl_dkim_sign_free(NULL);
	pcl_dkim_signing_free(NULL);
	pcl_dkim_key_free(NULL);
	ck_assert_uint_eq(pcl_dkim_signing_match(NULL, "a@b", &signer, 1), 0);
	ck_assert_ptr_null(
	    pcl_dkim_signing_load(NULL, "x", false, err, sizeof(err)));
	ck_assert_ptr_null(pcl_dkim_signing_simple("bad..domain", "s", "/x",
	                                           err, sizeof(err)));
	ck_assert_msg(strstr(err, "bad domain") != NULL, "got %s", err);
	ck_assert(!pcl_dkim_sign_prepare(NULL, 0, err, sizeof(err)));

	msg_load(&m, "sign_folded.eml");
	/* a library never prepared, bad options, a buffer too small */
	raw = pcl_dkim_lib_new(dns, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(raw);
	ck_assert_int_eq(sign_msg(raw, signer, NULL, &m, value, sizeof(value)),
	                 PCL_DKIM_SIGN_ERROR);
	ck_assert_str_eq(value, "");
	pcl_dkim_lib_free(raw);
	for (size_t i = 0; i < NITEMS(bad); i++)
		ck_assert_int_eq(
		    sign_msg(lib, signer, &bad[i], &m, value, sizeof(value)),
		    PCL_DKIM_SIGN_ERROR);
	ck_assert_int_eq(sign_msg(lib, signer, NULL, &m, small, sizeof(small)),
	                 PCL_DKIM_SIGN_ERROR);
	ck_assert_str_eq(small, "");

	/* Ed25519 with simple header canonicalization is refused */
	tmp_path(path, sizeof(path), "ed.key");
	ed = pcl_dkim_signing_simple("example.test", "ed", path, err,
	                             sizeof(err));
	ck_assert_ptr_nonnull(ed);
	ck_assert_uint_eq(pcl_dkim_signing_match(ed, "example.test", &edsg, 1),
	                  1);
	ck_assert(pcl_dkim_sign_check(signer, &simple, err, sizeof(err)));
	ck_assert(!pcl_dkim_sign_check(edsg, &simple, err, sizeof(err)));
	ck_assert_int_eq(sign_msg(lib, edsg, &simple, &m, value, sizeof(value)),
	                 PCL_DKIM_SIGN_ERROR);
	ck_assert_msg(strstr(sign_error, "does not work with the Ed25519") !=
	                  NULL,
	              "ed25519 simple: got \"%s\"", sign_error);
	pcl_dkim_signing_free(ed);

	/* eom twice gives the same value; feeding after eom is ignored */
	ctx = pcl_dkim_sign_new(lib, signer, NULL);
	for (size_t i = 0; i < m.nfields; i++)
		pcl_dkim_sign_header(ctx, m.names[i], m.values[i]);
	pcl_dkim_sign_body(ctx, (const unsigned char *)m.body, m.bodylen);
	ck_assert_int_eq(pcl_dkim_sign_eom(ctx, value, sizeof(value)),
	                 PCL_DKIM_SIGN_OK);
	pcl_dkim_sign_header(ctx, "X-Late", " ignored");
	ck_assert_int_eq(pcl_dkim_sign_eom(ctx, again, sizeof(again)),
	                 PCL_DKIM_SIGN_OK);
	ck_assert_str_eq(value, again);
	ck_assert_str_eq(pcl_dkim_sign_error(ctx), "");
	pcl_dkim_sign_free(ctx);

	/* no From field: the message's fault */
	ctx = pcl_dkim_sign_new(lib, signer, NULL);
	pcl_dkim_sign_header(ctx, "To", " bob@example.org");
	pcl_dkim_sign_header(ctx, "Subject", " no From");
	ck_assert_int_eq(pcl_dkim_sign_eom(ctx, value, sizeof(value)),
	                 PCL_DKIM_SIGN_MESSAGE);
	ck_assert_msg(*pcl_dkim_sign_error(ctx) != '\0', "no reason");
	pcl_dkim_sign_free(ctx);
	msg_free(&m);
	pcl_dkim_signing_free(s);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* dkim_sign_suite - the suite */
static Suite *
dkim_sign_suite(void)
{
	Suite *s = suite_create("dkim_sign");
	TCase *keys = tcase_create("keys");
	TCase *tables = tcase_create("tables");
	TCase *sign = tcase_create("sign");

	tcase_add_checked_fixture(keys, setup_dir, teardown_dir);
	tcase_add_loop_test(keys, test_keys, 0, (int)NITEMS(key_cases));
	suite_add_tcase(s, keys);
	tcase_add_checked_fixture(tables, setup_dir, teardown_dir);
	tcase_add_loop_test(tables, test_tables, 0, (int)NITEMS(table_cases));
	tcase_add_loop_test(tables, test_match, 0, (int)NITEMS(match_cases));
	suite_add_tcase(s, tables);
	tcase_add_checked_fixture(sign, setup_dns, teardown_dns);
	tcase_set_timeout(sign, 60);
	tcase_add_loop_test(sign, test_round_trip, 0,
	                    (int)(NITEMS(trip_files) * NITEMS(trips)));
	tcase_add_test(sign, test_tamper);
	tcase_add_test(sign, test_expire_and_list);
	tcase_add_test(sign, test_api_edges);
	suite_add_tcase(s, sign);
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
