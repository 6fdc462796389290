/*
 * check_dkim_sign_trip - messages signed and verified (check_dkim_sign):
 * the sign_*.eml set signed with RSA-2048 and Ed25519, relaxed and
 * simple, fed in odd chunks, verified by portcullis's own verifier and
 * by python3-dkim; tampering, x= and a header list of one name, and the
 * API's edges
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
#include "dkim_sign_suite.h"
#include "dns.h"
#include "util.h"

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

/* Canonicalizations, each with RSA-2048 and Ed25519 (simple header
 * canonicalization with Ed25519 was refused while libopendkim signed:
 * it folded the field differently from what it had hashed). */
static const struct {
	struct pcl_dkim_sign_opts opts;
	const char *canon;
	size_t nkeys;
} trips[] = {
    {{PCL_DKIM_CANON_DEFAULT, PCL_DKIM_CANON_DEFAULT, NULL, 0},
     "relaxed/relaxed",
     2},
    {{PCL_DKIM_CANON_RELAXED, PCL_DKIM_CANON_SIMPLE, NULL, 0},
     "relaxed/simple",
     2},
    {{PCL_DKIM_CANON_SIMPLE, PCL_DKIM_CANON_SIMPLE, NULL, 0},
     "simple/simple",
     2},
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
	struct pcl_dkim_sign_opts opts = {0, 0, only_subject, 0};
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
	    {0, 0, bad_name, 0}, {(enum pcl_dkim_canon)99, 0, NULL, 0}};
	struct pcl_dkim_lib *lib = lib_new(FIXED_TIME, 0), *raw;
	struct pcl_dkim_signing *s = simple_signing("rsa2048", "rsa.key");
	const struct pcl_dkim_signer *signer;
	struct pcl_dkim_signer_ctx *ctx;
	char value[PCL_DKIM_SIGN_VALUE_MAX], again[PCL_DKIM_SIGN_VALUE_MAX];
	char err[PCL_ERR_MAX] = "", small[40], path[256];
	const struct pcl_dkim_sign_opts simple = {PCL_DKIM_CANON_SIMPLE, 0,
	                                          NULL, 0};
	const struct pcl_dkim_signer *edsg;
	struct pcl_dkim_signing *ed;
	const char *sigs[1] = {value};
	struct pcl_dkim_verify *v;
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

	/* Ed25519 with simple header canonicalization signs, and both
	 * verifiers pass it (refused while libopendkim signed) */
	tmp_path(path, sizeof(path), "ed.key");
	ed = pcl_dkim_signing_simple("example.test", "ed", path, err,
	                             sizeof(err));
	ck_assert_ptr_nonnull(ed);
	ck_assert_uint_eq(pcl_dkim_signing_match(ed, "example.test", &edsg, 1),
	                  1);
	ck_assert(pcl_dkim_sign_check(signer, &simple, err, sizeof(err)));
	ck_assert(pcl_dkim_sign_check(edsg, &simple, err, sizeof(err)));
	ck_assert_int_eq(sign_msg(lib, edsg, &simple, &m, value, sizeof(value)),
	                 PCL_DKIM_SIGN_OK);
	v = verify_msg(lib, sigs, 1, &m, NULL, NULL);
	check_pass("ed25519 simple", v, 1);
	pcl_dkim_verify_free(v);
	check_python("ed25519 simple", sigs, 1, &m);
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

/* dkim_sign_tcase - the "sign" test case */
TCase *
dkim_sign_tcase(void)
{
	TCase *sign = tcase_create("sign");

	tcase_add_checked_fixture(sign, setup_dns, teardown_dns);
	tcase_set_timeout(sign, 60);
	tcase_add_loop_test(sign, test_round_trip, 0,
	                    (int)(NITEMS(trip_files) * NITEMS(trips)));
	tcase_add_test(sign, test_tamper);
	tcase_add_test(sign, test_expire_and_list);
	tcase_add_test(sign, test_api_edges);
	return sign;
}
