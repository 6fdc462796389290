/*
 * check_dkim_canon - unit tests for lib/auth/dkim_canon.c
 *
 * Tables of {label, input, want}: the example of RFC 6376 section
 * 3.4.5, header fields as Postfix gives them (leading space kept, folds
 * as bare LF), bodies with empty lines, white space and lone CRs at the
 * end, l= limits; every body also fed in chunks of every size from 1 to
 * 7 bytes, which must give the same bytes; and the SHA-256 body hashes
 * of the empty body, which RFC 6376 and every verifier agree on.
 */
#include "config.h"

#include <check.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

#include "dkim_canon.h"

/* A growable buffer the canonical bytes go to. */
struct sink {
	char buf[4096];
	size_t n;
	size_t calls;
};

/* collect - the emit function of the tests */
static void
collect(void *ctx, const char *p, size_t n)
{
	struct sink *s = ctx;

	ck_assert_msg(s->n + n < sizeof(s->buf), "sink full");
	memcpy(s->buf + s->n, p, n);
	s->n += n;
	s->buf[s->n] = '\0';
	s->calls++;
}

#define S PCL_CANON_SIMPLE
#define R PCL_CANON_RELAXED

struct header_case {
	const char *label;
	enum pcl_canon_mode c;
	const char *name, *value;
	bool crlf;
	const char *want;
};

static const struct header_case header_cases[] = {
    /* RFC 6376 3.4.5 */
    {"3.4.5 A, relaxed", R, "A", " X", true, "a:X\r\n"},
    {"3.4.5 B, relaxed", R, "B ", " Y\t\r\n\tZ  ", true, "b:Y Z\r\n"},
    {"3.4.5 A, simple", S, "A", " X", true, "A: X\r\n"},
    {"3.4.5 B, simple", S, "B ", " Y\t\r\n\tZ  ", true, "B : Y\t\r\n\tZ  \r\n"},
    /* as Postfix's milter gives them */
    {"bare LF fold, simple", S, "Subject", " a\n b", true,
     "Subject: a\r\n b\r\n"},
    {"bare LF fold, relaxed", R, "Subject", " a\n\t b", true,
     "subject:a b\r\n"},
    {"no space after the colon, simple", S, "X", "v", true, "X:v\r\n"},
    {"empty value, relaxed", R, "X-Empty", "", true, "x-empty:\r\n"},
    {"only white space, relaxed", R, "X-Wsp", " \t \n ", true, "x-wsp:\r\n"},
    {"the signature field: no CRLF", R, "DKIM-Signature", " v=1; b=", false,
     "dkim-signature:v=1; b="},
    {"8-bit kept, relaxed", R, "Subject", " caf\xc3\xa9  \xe2\x82\xac", true,
     "subject:caf\xc3\xa9 \xe2\x82\xac\r\n"},
};

START_TEST(test_header)
{
	const struct header_case *c = &header_cases[_i];
	struct sink s = {.n = 0};

	pcl_dkim_canon_header(c->c, c->name, c->value, c->crlf, collect, &s);
	ck_assert_msg(strcmp(s.buf, c->want) == 0,
	              "%s: got \"%s\", want \"%s\"", c->label, s.buf, c->want);
}
END_TEST

struct body_case {
	const char *label;
	enum pcl_canon_mode c;
	const char *body; /* NUL-terminated: no NUL in these bodies */
	uint64_t limit;
	const char *want;
};

#define ALL UINT64_MAX

static const struct body_case body_cases[] = {
    /* RFC 6376 3.4.5 */
    {"3.4.5, relaxed", R, " C \r\nD \t E\r\n\r\n\r\n", ALL, " C\r\nD E\r\n"},
    {"3.4.5, simple", S, " C \r\nD \t E\r\n\r\n\r\n", ALL, " C \r\nD \t E\r\n"},
    {"empty, simple", S, "", ALL, "\r\n"},
    {"empty, relaxed", R, "", ALL, ""},
    {"only empty lines, simple", S, "\r\n\r\n\r\n", ALL, "\r\n"},
    {"only empty lines, relaxed", R, "\r\n\r\n", ALL, ""},
    {"white-space lines, relaxed", R, " \r\n\t\r\n", ALL, ""},
    {"white-space lines, simple", S, " \r\n\t\r\n", ALL, " \r\n\t\r\n"},
    {"no final CRLF, simple", S, "a\r\nb", ALL, "a\r\nb\r\n"},
    {"no final CRLF, relaxed", R, "a \r\nb", ALL, "a\r\nb\r\n"},
    /* white space on an unfinished last line is not at a line's end */
    {"no final CRLF, white space, relaxed", R, "a \r\nb  ", ALL, "a\r\nb \r\n"},
    {"no final CRLF, only white space, relaxed", R, "\r\n ", ALL, "\r\n \r\n"},
    {"empty lines inside kept", R, "a\r\n\r\n\r\nb\r\n\r\n", ALL,
     "a\r\n\r\n\r\nb\r\n"},
    {"bare LF is a line end", R, "a\nb\n\n", ALL, "a\r\nb\r\n"},
    {"a lone CR is content", S, "a\rb\r\n", ALL, "a\rb\r\n"},
    {"a CR at the very end", S, "a\r", ALL, "a\r\r\n"},
    {"leading white space is one SP", R, "  \tx\r\n", ALL, " x\r\n"},
    {"l= cuts", S, "hello\r\nworld\r\n", 7, "hello\r\n"},
    {"l= inside a line", R, "a  b\r\n", 2, "a "},
    {"l=0", S, "hello\r\n", 0, ""},
    {"l= beyond the body", S, "hi\r\n", 100, "hi\r\n"},
    {"l= and the empty body", S, "", 1, "\r"},
};

/* run_body - the body in chunks of size step (0: one chunk) */
static void
run_body(const struct body_case *c, size_t step, struct sink *s)
{
	struct pcl_dkim_body b;
	size_t len = strlen(c->body);

	memset(s, 0, sizeof(*s));
	pcl_dkim_body_init(&b, c->c, c->limit, collect, s);
	for (size_t i = 0; i < len; i += step ? step : len) {
		size_t n = step && len - i > step ? step : len - i;

		pcl_dkim_body_update(&b, (const unsigned char *)c->body + i, n);
	}
	pcl_dkim_body_final(&b);
}

START_TEST(test_body)
{
	const struct body_case *c = &body_cases[_i];
	struct sink s;

	for (size_t step = 0; step <= 7; step++) {
		run_body(c, step, &s);
		ck_assert_msg(s.n == strlen(c->want) &&
		                  memcmp(s.buf, c->want, s.n) == 0,
		              "%s (chunks of %zu): got \"%s\", want \"%s\"",
		              c->label, step, s.buf, c->want);
	}
}
END_TEST

/* the emit function is called per batch, not per byte */
START_TEST(test_batched)
{
	static char body[20000];
	struct pcl_dkim_body b;
	struct sink big = {.n = 0};

	memset(body, 'x', sizeof(body) - 3);
	memcpy(body + sizeof(body) - 3, "\r\n", 3);
	pcl_dkim_body_init(&b, S, 3000, collect, &big);
	pcl_dkim_body_update(&b, (const unsigned char *)body, strlen(body));
	pcl_dkim_body_final(&b);
	ck_assert_uint_eq(big.n, 3000);
	ck_assert_msg(big.calls < 20, "got %zu calls for 3000 bytes",
	              big.calls);
}
END_TEST

/* hash - base64 of the SHA-256 of what a body canonicalizes to */
static void
hash(enum pcl_canon_mode c, const char *body, char *out)
{
	struct sink s;
	const struct body_case bc = {"h", c, body, ALL, NULL};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	run_body(&bc, 3, &s);
	ck_assert(EVP_Digest(s.buf, s.n, md, &mdlen, EVP_sha256(), NULL) == 1);
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
}

/* the bh= of an empty body, as every signer writes it */
START_TEST(test_empty_body_hash)
{
	char b64[64];

	hash(S, "", b64);
	ck_assert_str_eq(b64, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
	hash(S, "\r\n\r\n", b64);
	ck_assert_str_eq(b64, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
	hash(R, "", b64);
	ck_assert_str_eq(b64, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	hash(R, " \r\n", b64);
	ck_assert_str_eq(b64, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("dkim_canon");
	TCase *tc = tcase_create("canon");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_header, 0,
	                    sizeof(header_cases) / sizeof(header_cases[0]));
	tcase_add_loop_test(tc, test_body, 0,
	                    sizeof(body_cases) / sizeof(body_cases[0]));
	tcase_add_test(tc, test_batched);
	tcase_add_test(tc, test_empty_body_hash);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
