/*
 * check_dkim_sign_rfc - the signer (dkim_signer.c) against RFC 8463's
 * Appendix A, and small messages that test one thing each: a folded
 * Subject, an 8-bit header, repeated fields, no From, a body without a
 * final CRLF; every signature is verified by portcullis's verifier and
 * by python3-dkim (data/dkim/verify.py), and its lines are checked
 *
 * RFC 8463 A: the Ed25519 and RSA keys (rfc8463_*.key) and the signed
 * message (rfc8463_signed.eml, checked by python3-dkim with the A.2
 * keys when the fixture was made). Its fields carry i= and q= and a
 * spaced h= that our signer does not write, so the exact b= values are
 * reproduced through the signer's parts: our header canonicalization of
 * the RFC's fields and field, its SHA-256, pcl_dkim_sign_digest with
 * the loaded key. The whole signer, given the message and t=, must
 * give the RFC's bh= and a signature both verifiers pass.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dkim_canon.h"
#include "dkim_int.h"
#include "dkim_sign_suite.h"
#include "util.h"

#define RFC_TIME 1528637909L
#define RFC_BH "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="

static const char *const rfc_names[] = {"From", "To", "Subject", "Date",
                                        "Message-ID"};
static const char *const rfc_values[] = {
    " Joe SixPack <joe@football.example.com>",
    " Suzie Q <suzie@shopping.example.net>",
    " Is dinner ready?",
    " Fri, 11 Jul 2003 21:00:37 -0700 (PDT)",
    " <20030712040037.46341.5F8J@football.example.com>",
};
static const char rfc_body[] = "Hi.\r\n\r\nWe lost the game.  Are you "
                               "hungry yet?\r\n\r\nJoe.\r\n";

/* The RFC's two fields with b= emptied, and the b= values (folds
 * removed), A.3. */
static const struct {
	const char *label, *key, *head, *b;
} rfc_sigs[] = {
    {"ed25519", "rfc8463_ed25519.key",
     " v=1; a=ed25519-sha256; c=relaxed/relaxed;\n"
     " d=football.example.com; i=@football.example.com;\n"
     " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\n"
     " subject : date : message-id : from : subject : date;\n"
     " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
     " b=",
     "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus"
     "Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw=="},
    {"rsa", "rfc8463_rsa.key",
     " v=1; a=rsa-sha256; c=relaxed/relaxed;\n"
     " d=football.example.com; i=@football.example.com;\n"
     " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\n"
     " date : message-id : from : subject : date;\n"
     " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
     " b=",
     "F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3"
     "DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz"
     "dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8="},
};

/* md_emit - canonical bytes into an EVP_MD_CTX */
static void
md_emit(void *arg, const char *p, size_t n)
{
	ck_assert_int_eq(EVP_DigestUpdate(arg, p, n), 1);
}

/* test_rfc8463_b - the RFC's b= values, byte for byte: h= takes the
 * five fields top-down (one each) and then three names with no field
 * left, which hash nothing */
START_TEST(test_rfc8463_b)
{
	unsigned char hash[DKIM_SHA256_LEN], sig[DKIM_SIG_MAX];
	char path[256], err[PCL_ERR_MAX] = "", b[2048];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct pcl_dkim_key *key;
	unsigned hlen = 0;
	size_t siglen;

	write_tmp("rfc.key", rfc_sigs[_i].key, NULL, 0600);
	tmp_path(path, sizeof(path), "rfc.key");
	key = pcl_dkim_key_load(path, err, sizeof(err));
	ck_assert_msg(key != NULL, "%s: %s", rfc_sigs[_i].label, err);
	ck_assert_int_eq(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	for (size_t i = 0; i < NITEMS(rfc_names); i++)
		pcl_dkim_canon_header(PCL_CANON_RELAXED, rfc_names[i],
		                      rfc_values[i], true, md_emit, md);
	pcl_dkim_canon_header(PCL_CANON_RELAXED, "DKIM-Signature",
	                      rfc_sigs[_i].head, false, md_emit, md);
	ck_assert_int_eq(EVP_DigestFinal_ex(md, hash, &hlen), 1);
	siglen = pcl_dkim_sign_digest(key, hash, sig);
	ck_assert_uint_gt(siglen, 0);
	EVP_EncodeBlock((unsigned char *)b, sig, (int)siglen);
	ck_assert_msg(strcmp(b, rfc_sigs[_i].b) == 0, "%s: b=: got %s, want %s",
	              rfc_sigs[_i].label, b, rfc_sigs[_i].b);
	EVP_MD_CTX_free(md);
	pcl_dkim_key_free(key);
}
END_TEST

/* A message for the signer: fields as Postfix gives them, a body. */
struct small {
	const char *label;
	const char *fields[12][2];
	const char *body;
	struct pcl_dkim_sign_opts opts;
	enum pcl_dkim_sign_status want;
	const char *want_h; /* h=, folds removed; NULL: not checked */
};

static const char *const rfc_list[] = {"from", "to",         "subject",
                                       "date", "message-id", NULL};

/* sign_small - sign m with the key file as d= s=; the status */
static enum pcl_dkim_sign_status
sign_small(struct pcl_dkim_lib *lib, const char *keyfile, const char *domain,
           const char *sel, const struct small *m, char *out, size_t len)
{
	char path[256], err[PCL_ERR_MAX] = "";
	const struct pcl_dkim_signer *signer;
	struct pcl_dkim_signer_ctx *ctx;
	struct pcl_dkim_signing *s;
	enum pcl_dkim_sign_status st;

	write_tmp("small.key", keyfile, NULL, 0600);
	tmp_path(path, sizeof(path), "small.key");
	s = pcl_dkim_signing_simple(domain, sel, path, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s: %s", m->label, err);
	ck_assert_uint_eq(pcl_dkim_signing_match(s, domain, &signer, 1), 1);
	ctx = pcl_dkim_sign_new(lib, signer, &m->opts);
	for (size_t i = 0; m->fields[i][0] != NULL; i++)
		pcl_dkim_sign_header(ctx, m->fields[i][0], m->fields[i][1]);
	pcl_dkim_sign_eoh(ctx);
	/* in two chunks, cut inside the first line end */
	pcl_dkim_sign_body(ctx, (const unsigned char *)m->body,
	                   strlen(m->body) / 2);
	pcl_dkim_sign_body(ctx,
	                   (const unsigned char *)m->body + strlen(m->body) / 2,
	                   strlen(m->body) - strlen(m->body) / 2);
	st = pcl_dkim_sign_eom(ctx, out, len);
	ck_assert_msg(st == PCL_DKIM_SIGN_OK || *pcl_dkim_sign_error(ctx),
	              "%s: failed without a reason", m->label);
	pcl_dkim_sign_free(ctx);
	pcl_dkim_signing_free(s);
	return st;
}

/* verify_small - our verifier passes the signature over m (with the
 * fields in order reversed when swap, which must fail) */
static void
verify_small(struct pcl_dkim_lib *lib, const struct small *m, const char *sig,
             bool swap)
{
	struct pcl_dkim_verify *v = pcl_dkim_verify_new(lib, "4XyZ1");
	const struct pcl_dkim_sig *s;
	size_t n = 0;

	while (m->fields[n][0] != NULL)
		n++;
	pcl_dkim_verify_header(v, "DKIM-Signature", sig);
	for (size_t i = 0; i < n; i++) {
		size_t k = swap ? n - 1 - i : i;

		pcl_dkim_verify_header(v, m->fields[k][0], m->fields[k][1]);
	}
	pcl_dkim_verify_eoh(v);
	pcl_dkim_verify_body(v, (const unsigned char *)m->body,
	                     strlen(m->body));
	pcl_dkim_verify_eom(v);
	ck_assert_uint_eq(pcl_dkim_verify_count(v), 1);
	s = pcl_dkim_verify_sig(v, 0);
	ck_assert_msg((s->result == PCL_DKIM_PASS) != swap, "%s%s: got %s (%s)",
	              m->label, swap ? ", swapped" : "",
	              pcl_dkim_result_name(s->result), s->reason);
	pcl_dkim_verify_free(v);
}

/* put_lf - text with each bare LF written CRLF */
static void
put_lf(FILE *fp, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '\n' && (p == text || p[-1] != '\r'))
			fputc('\r', fp);
		fputc(*p, fp);
	}
}

/* python_small - verify.py passes the signed message (77: skipped) */
static void
python_small(const struct small *m, const char *sig)
{
	char msg[256], script[512], zone[512];
	int status = 0, rc;
	FILE *fp;
	pid_t pid;

	tmp_path(msg, sizeof(msg), "small.eml");
	fp = fopen(msg, "wb");
	ck_assert_ptr_nonnull(fp);
	fputs("DKIM-Signature:", fp);
	put_lf(fp, sig);
	fputs("\r\n", fp);
	for (size_t i = 0; m->fields[i][0] != NULL; i++) {
		fprintf(fp, "%s:", m->fields[i][0]);
		put_lf(fp, m->fields[i][1]);
		fputs("\r\n", fp);
	}
	fputs("\r\n", fp);
	fputs(m->body, fp);
	ck_assert_int_eq(fclose(fp), 0);
	data_path(script, sizeof(script), "verify.py");
	data_path(zone, sizeof(zone), "keys.zone");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl(PYTHON, "python3", script, zone, msg, (char *)NULL);
		_exit(77);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	if (rc == 77)
		fprintf(stderr, "%s: no python3-dkim: skipped\n", m->label);
	else
		ck_assert_msg(rc == 0, "%s: python3-dkim: got exit %d",
		              m->label, rc);
}

/* check_lines - a leading space, LF TAB folds, no CR, lines of at most
 * 78 characters (the first after "DKIM-Signature:") */
static void
check_lines(const char *label, const char *v)
{
	size_t col = strlen("DKIM-Signature:");

	ck_assert_msg(v[0] == ' ', "%s: no leading space", label);
	for (const char *p = v; *p; p++) {
		ck_assert_msg(*p != '\r', "%s: CR", label);
		if (*p == '\n') {
			ck_assert_msg(p[1] == '\t', "%s: fold not LF TAB",
			              label);
			col = 0;
			continue;
		}
		ck_assert_msg(++col <= 78, "%s: a line longer than 78: %s",
		              label, v);
	}
}

/* h_of - h= of a value, white space removed */
static void
h_of(const char *v, char *out, size_t len)
{
	const char *p = strstr(v, " h=");
	size_t n = 0;

	if (p == NULL)
		p = strstr(v, "\th=");
	ck_assert_ptr_nonnull(p);
	for (p += 3; *p && *p != ';' && n + 1 < len; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n')
			out[n++] = *p;
	out[n] = '\0';
}

static const struct small smalls[] = {
    {"rfc8463 message",
     {{"From", " Joe SixPack <joe@football.example.com>"},
      {"To", " Suzie Q <suzie@shopping.example.net>"},
      {"Subject", " Is dinner ready?"},
      {"Date", " Fri, 11 Jul 2003 21:00:37 -0700 (PDT)"},
      {"Message-ID", " <20030712040037.46341.5F8J@football.example.com>"},
      {NULL, NULL}},
     rfc_body,
     {0, 0, rfc_list, 0},
     PCL_DKIM_SIGN_OK,
     "From:To:Subject:Date:Message-ID:From"},
    {"folded Subject, simple",
     {{"From", " a@football.example.com"},
      {"Subject", " a subject\n\tfolded  twice \n continued  "},
      {NULL, NULL}},
     "body\r\n",
     {PCL_DKIM_CANON_SIMPLE, PCL_DKIM_CANON_SIMPLE, NULL, 0},
     PCL_DKIM_SIGN_OK,
     "From:Subject:From"},
    {"8-bit header",
     {{"From", " J\xc3\xb6rg <j@football.example.com>"},
      {"Subject", " Gr\xc3\xbc\xc3\x9f\x65 \xe2\x82\xac"},
      {NULL, NULL}},
     "x\r\n",
     {0, 0, NULL, 0},
     PCL_DKIM_SIGN_OK,
     "From:Subject:From"},
    {"repeated fields",
     {{"To", " one@example.org"},
      {"From", " a@football.example.com"},
      {"X-Skip", " not listed"},
      {"To", " two@example.org"},
      {"to", " three@example.org"},
      {NULL, NULL}},
     "body\r\n",
     {PCL_DKIM_CANON_SIMPLE, PCL_DKIM_CANON_RELAXED, NULL, 0},
     PCL_DKIM_SIGN_OK,
     "To:From:To:to:From"},
    {"no final CRLF",
     {{"From", " a@football.example.com"}, {NULL, NULL}},
     "line one\r\nline two, no end",
     {PCL_DKIM_CANON_SIMPLE, PCL_DKIM_CANON_SIMPLE, NULL, 0},
     PCL_DKIM_SIGN_OK,
     "From:From"},
    {"no From",
     {{"Sender", " a@football.example.com"}, {"Subject", " hi"}, {NULL, NULL}},
     "x\r\n",
     {0, 0, NULL, 0},
     PCL_DKIM_SIGN_MESSAGE,
     NULL},
};

static const struct {
	const char *key, *sel, *alg;
} small_keys[] = {{"rfc8463_ed25519.key", "brisbane", "ed25519-sha256"},
                  {"rfc8463_rsa.key", "test", "rsa-sha256"}};

/* test_small - each message with each RFC key */
START_TEST(test_small)
{
	const struct small *m = &smalls[(size_t)_i / NITEMS(small_keys)];
	size_t k = (size_t)_i % NITEMS(small_keys);
	struct pcl_dkim_lib_conf conf = {0};
	char err[PCL_ERR_MAX] = "", v[PCL_DKIM_SIGN_VALUE_MAX], h[512];
	char want[64];
	struct pcl_dkim_lib *lib;

	conf.fixed_time = RFC_TIME;
	lib = pcl_dkim_lib_new(dns, &conf, err, sizeof(err));
	ck_assert_ptr_nonnull(lib);
	ck_assert(pcl_dkim_sign_prepare(lib, 0, err, sizeof(err)));
	ck_assert_int_eq(sign_small(lib, small_keys[k].key,
	                            "football.example.com", small_keys[k].sel,
	                            m, v, sizeof(v)),
	                 m->want);
	if (m->want != PCL_DKIM_SIGN_OK) {
		ck_assert_str_eq(v, "");
		pcl_dkim_lib_free(lib);
		return;
	}
	check_lines(m->label, v);
	ck_assert(
	    pcl_format(want, sizeof(want), " v=1; a=%s;", small_keys[k].alg));
	ck_assert_msg(strncmp(v, want, strlen(want)) == 0, "%s: got %.30s",
	              m->label, v);
	ck_assert_msg(strstr(v, " t=1528637909;") != NULL, "%s: t=", m->label);
	h_of(v, h, sizeof(h));
	ck_assert_msg(strcmp(h, m->want_h) == 0, "%s: h=: got %s, want %s",
	              m->label, h, m->want_h);
	if (m->body == rfc_body)
		ck_assert_msg(strstr(v, "bh=" RFC_BH ";") != NULL,
		              "%s: bh=: want %s in %s", m->label, RFC_BH, v);
	verify_small(lib, m, v, false);
	if (strcmp(m->label, "repeated fields") == 0)
		verify_small(lib, m, v, true); /* order counts */
	python_small(m, v);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* dkim_signer_tcase - the "signer" test case */
TCase *
dkim_signer_tcase(void)
{
	TCase *tc = tcase_create("signer");

	tcase_add_checked_fixture(tc, setup_dns, teardown_dns);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_rfc8463_b, 0, (int)NITEMS(rfc_sigs));
	tcase_add_loop_test(tc, test_small, 0,
	                    (int)(NITEMS(smalls) * NITEMS(small_keys)));
	return tc;
}
