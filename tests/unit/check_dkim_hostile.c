/*
 * check_dkim_hostile - the DKIM verifier (lib/auth/dkim_verify*.c)
 * against hostile messages and key records: a thousand signatures, a
 * 64 KB z=, a 1 MB b=, a 64 KB key record and one of 200 strings, an
 * RSA-16384 key, malformed base64, two key records, x= in the past,
 * l= past the body, t=s with i= in a subdomain, an Ed25519 key under
 * a=rsa-sha256, and the choice of the From: domain's signature when
 * the cap leaves room for one
 *
 * Signatures are made by dkim_craft.c, keys made once per run; the
 * zone is built here and served by fakedns. Each case is a table row:
 * a builder for the message, the cap, and the verdicts wanted in
 * spans of signature indexes. No timing assertions: a case that does
 * not end is caught by Check's timeout.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "dkim_craft.h"
#include "dns.h"
#include "fakedns.h"
#include "util.h"

#define FIXED_TIME 1700000100L
#define BODY "Hello Bob,\r\nthis is the body.\r\n"
#define H "from:to:subject:date"
#define GOOD_KEY "good._domainkey.example.test"
#define HUGE_TEXT (64 * 1024 - 1024) /* a key record near 64 KB */

static struct craft_key *rsa, *ed;
static struct pcl_dns *dns;

/* big_rsa_p - the p= of an RSA-16384 public key (e=65537; the modulus
 * need not be a product of primes: it must be refused unread), 2086
 * bytes of DER SubjectPublicKeyInfo, base64 into out */
static void
big_rsa_p(char *out, size_t len)
{
	static const unsigned char head[] = {
	    0x30, 0x82, 0x08, 0x22,                   /* SPKI */
	    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, /* rsaEncryption */
	    0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
	    0x00, 0x03, 0x82, 0x08, 0x0f, 0x00, /* BIT STRING */
	    0x30, 0x82, 0x08, 0x0a,             /* RSAPublicKey */
	    0x02, 0x82, 0x08, 0x01, 0x00,       /* n: 2048 bytes */
	};
	static const unsigned char tail[] = {0x02, 0x03, 0x01, 0x00, 0x01};
	unsigned char der[2086];

	memcpy(der, head, sizeof(head));
	for (size_t i = sizeof(head); i < sizeof(der) - sizeof(tail); i++)
		der[i] = (unsigned char)(0xc3 ^ (i * 7));
	der[sizeof(head)] |= 0x80; /* the top bit: 16384 bits */
	der[sizeof(der) - sizeof(tail) - 1] |= 1;
	memcpy(der + sizeof(der) - sizeof(tail), tail, sizeof(tail));
	ck_assert_uint_gt(len, (sizeof(der) + 2) / 3 * 4);
	EVP_EncodeBlock((unsigned char *)out, der, (int)sizeof(der));
}

/* keys_make - the keys of every case, once per run (unchecked) */
static void
keys_make(void)
{
	rsa = craft_key_new(false);
	ed = craft_key_new(true);
}

/* keys_free - undo keys_make */
static void
keys_free(void)
{
	craft_key_free(rsa);
	craft_key_free(ed);
	rsa = ed = NULL;
}

/* setup - the zone, fakedns serving it, a DNS module asking it */
static void
setup(void)
{
	struct craft_buf zone = {0};
	struct pcl_dns_conf conf = {0};
	struct fakedns_txt huge = {"huge._domainkey.example.test.", NULL, 0};
	struct craft_buf text = {0};
	char err[PCL_ERR_MAX] = "", big[3000];
	struct fakedns *fk;

	craft_buf_printf(&zone, "$ORIGIN test.\n$TTL 300\n@ IN SOA ns.test. "
	                        "admin.test. 1 3600 600 86400 120\n");
	craft_record(&zone, GOOD_KEY ".", rsa, NULL, 0);
	craft_record(&zone, "good._domainkey.other.test.", rsa, NULL, 0);
	craft_record(&zone, "ed._domainkey.example.test.", ed, NULL, 0);
	craft_record(&zone, "strict._domainkey.example.test.", rsa, "t=s; ", 0);
	craft_record(&zone, "s200._domainkey.example.test.", rsa, NULL, 200);
	craft_record(&zone, "twice._domainkey.example.test.", rsa, NULL, 0);
	craft_record(&zone, "twice._domainkey.example.test.", rsa, "n=2; ", 0);
	big_rsa_p(big, sizeof(big));
	craft_buf_printf(&zone,
	                 "big._domainkey.example.test. IN TXT \"v=DKIM1; "
	                 "k=rsa; p=\"");
	for (size_t at = 0; at < strlen(big); at += 250)
		craft_buf_printf(&zone, " \"%.250s\"", big + at);
	craft_buf_printf(&zone, "\nbadp._domainkey.example.test. IN TXT "
	                        "\"v=DKIM1; k=rsa; p=MIIB!!!notbase64\"\n");
	/* a valid key padded by n= to near 64 KB: more than the zone text
	 * parser reads for one record */
	craft_buf_printf(&text, "v=DKIM1; k=rsa; n=");
	while (text.len < HUGE_TEXT - strlen(rsa->p) - 8)
		craft_buf_add(&text, "padding-", 8);
	craft_buf_printf(&text, "; p=%s", rsa->p);
	huge.text = text.p;
	huge.len = text.len;
	fk = fakedns_start_txt(zone.p, &huge, 1);
	craft_buf_free(&zone);
	craft_buf_free(&text);
	ck_assert_ptr_nonnull(fk);
	conf.servers = fk->servers;
	conf.timeout_ms = 10000; /* a loaded machine: generous */
	conf.cache_max_entries = 100;
	dns = pcl_dns_new(&conf, err, sizeof(err));
	ck_assert_msg(dns != NULL, "pcl_dns_new: %s", err);
}

/* teardown - the DNS module, then the server */
static void
teardown(void)
{
	pcl_dns_free(dns);
	dns = NULL;
	fakedns_stop();
}

/* base - the message every case starts from */
static void
base(struct craft_msg *m, const char *from)
{
	craft_msg_init(m, BODY);
	craft_msg_add(m, "From", from ? from : " Alice <alice@example.test>");
	craft_msg_add(m, "To", " Bob <bob@example.org>");
	craft_msg_add(m, "Subject", " hostile");
	craft_msg_add(m, "Date", " Tue, 14 Nov 2023 22:13:20 +0000");
}

/* sign - a signature by the RSA key, d=example.test unless d */
static void
sign(struct craft_msg *m, const char *d, const char *s, const char *tags)
{
	struct craft_sig sig = {rsa,  NULL, d ? d : "example.test", s, H,
	                        tags, 0};

	craft_sign(m, &sig);
}

/* copies - the top signature n - 1 times more, on top */
static void
copies(struct craft_msg *m, size_t n)
{
	char *value = strdup(m->values[0]);

	ck_assert_ptr_nonnull(value);
	for (size_t i = 1; i < n; i++)
		craft_msg_top(m, "DKIM-Signature", value);
	free(value);
}

/* long_tag - a signature with a tag of n bytes of c */
static void
long_tag(struct craft_msg *m, const char *tag, size_t n)
{
	struct craft_buf tags = {0};
	char *run = malloc(n + 1);

	ck_assert_ptr_nonnull(run);
	memset(run, 'a', n);
	run[n] = '\0';
	craft_buf_printf(&tags, "%s=%s; ", tag, run);
	sign(m, NULL, "good", tags.p);
	craft_buf_free(&tags);
	free(run);
}

static void
b_sigs_1000(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, NULL, "good", NULL);
	copies(m, 1000);
}

static void
b_sigs_900(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, NULL, "good", NULL);
	copies(m, 900);
}

static void
b_z_64k(struct craft_msg *m)
{
	base(m, NULL);
	long_tag(m, "z", 64 * 1024);
}

static void
b_z_60k(struct craft_msg *m)
{
	base(m, NULL);
	long_tag(m, "z", 60 * 1000);
}

/* b_b_1m_alone - a DKIM-Signature field of over 1 MiB, b= most of it */
static void
b_b_1m_alone(struct craft_msg *m)
{
	struct craft_buf v = {0};

	base(m, NULL);
	craft_buf_printf(&v,
	                 " v=1; a=rsa-sha256; d=example.test; s=good; "
	                 "h=from; bh=%044d; b=",
	                 0);
	while (v.len < 1024 * 1024 + 16)
		craft_buf_add(&v, "AAAAAAAAAAAAAAAA", 16);
	craft_msg_top(m, "DKIM-Signature", v.p);
	craft_buf_free(&v);
}

static void
b_b_1m(struct craft_msg *m)
{
	b_b_1m_alone(m);
	sign(m, NULL, "good", NULL); /* above it: kept, then the header ends */
}

static void
b_key_huge(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, NULL, "huge", NULL);
}

static void
b_key_s200(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, NULL, "s200", NULL);
}

static void
b_key_big(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, NULL, "big", NULL);
}

/* bad_sig - a hand-written signature field */
static void
bad_sig(struct craft_msg *m, const char *bh, const char *b)
{
	struct craft_buf v = {0};

	base(m, NULL);
	craft_buf_printf(&v,
	                 " v=1; a=rsa-sha256; c=relaxed/simple; d=example.test;"
	                 "\n\ts=good; h=from:to; bh=%s;\n\tb=%s",
	                 bh, b);
	craft_msg_top(m, "DKIM-Signature", v.p);
	craft_buf_free(&v);
}

#define GOOD_BH "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static void
b_bad_b(struct craft_msg *m)
{
	bad_sig(m, GOOD_BH, "dGhpcyBpcyBub3Q!!!gYmFzZTY0");
}

static void
b_bad_b_padding(struct craft_msg *m)
{
	bad_sig(m, GOOD_BH, "dGhpcw=x=");
}

static void
b_bad_bh(struct craft_msg *m)
{
	bad_sig(m, "47DEQpj8HBSa+/TImW+5JCeu$$$km5NMpJWZG3hSuFU=", "dGhpcw==");
}

static void
b_bad_p(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, NULL, "badp", NULL);
}

static void
b_two_records(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, NULL, "twice", NULL);
}

static void
b_expired(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, NULL, "good", "t=1700000000; x=1700000050; ");
}

static void
b_not_expired(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, NULL, "good", "t=1700000000; x=1700000200; ");
}

static void
b_l_past_body(struct craft_msg *m)
{
	char tags[64];

	base(m, NULL);
	ck_assert(
	    pcl_format(tags, sizeof(tags), "l=%zu; ", strlen(BODY) + 100));
	sign(m, NULL, "good", tags);
}

static void
b_l_whole_body(struct craft_msg *m)
{
	char tags[64];

	base(m, NULL);
	ck_assert(pcl_format(tags, sizeof(tags), "l=%zu; ", strlen(BODY)));
	sign(m, NULL, "good", tags);
}

static void
b_strict_sub(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, NULL, "strict", "i=alice@sub.example.test; ");
}

static void
b_strict_same(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, NULL, "strict", "i=alice@example.test; ");
}

static void
b_ed_key_rsa_alg(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, NULL, "ed", NULL); /* signed by the RSA key, a=rsa-sha256 */
}

static void
b_ed_good(struct craft_msg *m)
{
	struct craft_sig sig = {ed, NULL, "example.test", "ed", H, NULL, 0};

	base(m, NULL);
	craft_sign(m, &sig);
}

static void
b_aligned_second(struct craft_msg *m)
{
	base(m, NULL);
	sign(m, "example.test", "good", NULL);
	sign(m, "other.test", "good", NULL); /* on top: the first */
}

static void
b_aligned_parent(struct craft_msg *m)
{
	base(m, " Alice <alice@mail.example.test>");
	sign(m, "example.test", "good", NULL);
	sign(m, "other.test", "good", NULL);
}

static void
b_aligned_none(struct craft_msg *m)
{
	base(m, " Alice <alice@example.org>");
	sign(m, "example.test", "good", NULL);
	sign(m, "other.test", "good", NULL);
}

struct want {
	enum pcl_dkim_result result;
	const char *reason; /* a substring of the reason */
	unsigned bits;      /* key_bits; 0: not checked */
};

/* Verdicts for the indexes below upto (after the previous span). */
struct span {
	size_t upto;
	struct want want;
};

struct hostile_case {
	const char *label;
	void (*build)(struct craft_msg *m);
	unsigned max_signatures; /* 0: the default, 5 */
	size_t count, unexamined;
	struct span spans[3];
	const char *queried_once; /* a key name asked exactly once */
};

#define PASS                                                                   \
	{                                                                      \
		PCL_DKIM_PASS, "signature verified", 2048                      \
	}
#define PERM(why)                                                              \
	{                                                                      \
		PCL_DKIM_PERMERROR, why, 0                                     \
	}
#define OVER_CAP                                                               \
	{                                                                      \
		PCL_DKIM_NEUTRAL, "over the per-message limit", 0              \
	}

static const struct hostile_case cases[] = {
    {"1,000 signatures: 20 examined, the header over its field budget",
     b_sigs_1000,
     0,
     20,
     980,
     {{20, {PCL_DKIM_NEUTRAL, "header too large", 0}}},
     NULL},
    {"900 signatures: 20 examined, 5 verified with one key lookup",
     b_sigs_900,
     0,
     20,
     880,
     {{5, PASS}, {20, OVER_CAP}},
     GOOD_KEY},
    {"900 signatures, cap 50: 110 examined",
     b_sigs_900,
     50,
     110,
     790,
     {{50, PASS}, {110, OVER_CAP}},
     GOOD_KEY},
    {"z= of 64 KB: the field is over 64 KiB",
     b_z_64k,
     0,
     1,
     0,
     {{1, PERM("bad signature: ")}},
     NULL},
    {"z= of 60 KB: under the bound, verified",
     b_z_60k,
     0,
     1,
     0,
     {{1, PASS}},
     NULL},
    {"b= of 1 MB: over the header budget, the signature above neutral",
     b_b_1m,
     0,
     1,
     1,
     {{1, {PCL_DKIM_NEUTRAL, "header too large", 0}}},
     NULL},
    {"b= of 1 MB, the only signature: no verdict, counted unexamined",
     b_b_1m_alone,
     0,
     0,
     1,
     {{0, PASS}},
     NULL},
    {"key record of 64 KB (TCP), padded by n=: verified",
     b_key_huge,
     0,
     1,
     0,
     {{1, PASS}},
     NULL},
    {"key record in 200 strings: verified",
     b_key_s200,
     0,
     1,
     0,
     {{1, PASS}},
     NULL},
    {"RSA-16384 key: refused unread",
     b_key_big,
     0,
     1,
     0,
     {{1, PERM("too large")}},
     NULL},
    {"b= not base64",
     b_bad_b,
     0,
     1,
     0,
     {{1, PERM("bad signature: bad b= base64")}},
     NULL},
    {"b= with padding inside",
     b_bad_b_padding,
     0,
     1,
     0,
     {{1, PERM("bad signature: bad b= base64")}},
     NULL},
    {"bh= not base64",
     b_bad_bh,
     0,
     1,
     0,
     {{1, PERM("bad signature: bad bh= base64")}},
     NULL},
    {"p= not base64",
     b_bad_p,
     0,
     1,
     0,
     {{1, PERM("bad key: bad key p= base64")}},
     NULL},
    {"two TXT records at the key name",
     b_two_records,
     0,
     1,
     0,
     {{1, PERM("key records")}},
     NULL},
    {"x= in the past",
     b_expired,
     0,
     1,
     0,
     {{1, {PCL_DKIM_FAIL, "signature expired", 0}}},
     NULL},
    {"x= in the future", b_not_expired, 0, 1, 0, {{1, PASS}}, NULL},
    {"l= past the end of the body",
     b_l_past_body,
     0,
     1,
     0,
     {{1, {PCL_DKIM_FAIL, "body shorter than l=", 2048}}},
     NULL},
    {"l= the whole body",
     b_l_whole_body,
     0,
     1,
     0,
     {{1, {PCL_DKIM_PASS, "signature verified (l=", 2048}}},
     NULL},
    {"key t=s, i= in a subdomain",
     b_strict_sub,
     0,
     1,
     0,
     {{1, PERM("bad key: i= not d= under key t=s")}},
     NULL},
    {"key t=s, i= the domain", b_strict_same, 0, 1, 0, {{1, PASS}}, NULL},
    {"k=ed25519 key, a=rsa-sha256",
     b_ed_key_rsa_alg,
     0,
     1,
     0,
     {{1, PERM("bad key: key k= does not match a=")}},
     NULL},
    {"ed25519: 256 bits",
     b_ed_good,
     0,
     1,
     0,
     {{1, {PCL_DKIM_PASS, "signature verified", 256}}},
     NULL},
    {"cap 1: the From: domain's signature, second, is the one verified",
     b_aligned_second,
     1,
     2,
     0,
     {{1, OVER_CAP}, {2, PASS}},
     NULL},
    {"cap 1: d= a parent of the From: domain is aligned too",
     b_aligned_parent,
     1,
     2,
     0,
     {{1, OVER_CAP}, {2, PASS}},
     NULL},
    {"cap 1: no signature aligned: the first in header order",
     b_aligned_none,
     1,
     2,
     0,
     {{1, PASS}, {2, OVER_CAP}},
     NULL},
};

/* check_want - one verdict against what is wanted */
static void
check_want(const char *label, size_t i, const struct pcl_dkim_sig *s,
           const struct want *w)
{
	ck_assert_msg(s->result == w->result,
	              "%s: sig %zu: got %s (%s), want %s", label, i,
	              pcl_dkim_result_name(s->result), s->reason,
	              pcl_dkim_result_name(w->result));
	ck_assert_msg(strstr(s->reason, w->reason) != NULL,
	              "%s: sig %zu reason: got \"%s\", want \"%s\"", label, i,
	              s->reason, w->reason);
	ck_assert_msg(w->bits == 0 || s->key_bits == w->bits,
	              "%s: sig %zu key_bits: got %u, want %u", label, i,
	              s->key_bits, w->bits);
}

/* test_hostile - one row: build, verify (odd chunks), compare */
START_TEST(test_hostile)
{
	const struct hostile_case *c = &cases[_i];
	struct pcl_dkim_lib_conf conf = {0};
	struct pcl_dkim_lib *lib;
	struct pcl_dkim_verify *v;
	char err[PCL_ERR_MAX] = "";
	struct craft_msg m;
	size_t n, k = 0;

	conf.max_signatures = c->max_signatures;
	conf.fixed_time = FIXED_TIME;
	lib = pcl_dkim_lib_new(dns, &conf, err, sizeof(err));
	ck_assert_msg(lib != NULL, "pcl_dkim_lib_new: %s", err);
	c->build(&m);
	v = pcl_dkim_verify_new(lib, "4XyZ1");
	ck_assert_ptr_nonnull(v);
	craft_feed(v, &m, 7);
	n = pcl_dkim_verify_count(v);
	ck_assert_msg(n == c->count, "%s: count: got %zu, want %zu", c->label,
	              n, c->count);
	ck_assert_msg(pcl_dkim_verify_unexamined(v) == c->unexamined,
	              "%s: unexamined: got %zu, want %zu", c->label,
	              pcl_dkim_verify_unexamined(v), c->unexamined);
	for (size_t i = 0; i < n; i++) {
		while (k < 3 && i >= c->spans[k].upto)
			k++;
		ck_assert_msg(k < 3, "%s: no verdict wanted for sig %zu",
		              c->label, i);
		check_want(c->label, i, pcl_dkim_verify_sig(v, i),
		           &c->spans[k].want);
	}
	if (c->queried_once != NULL)
		ck_assert_msg(fakedns_queries(c->queried_once) == 1,
		              "%s: %s asked %u times, want once", c->label,
		              c->queried_once,
		              fakedns_queries(c->queried_once));
	pcl_dkim_verify_free(v);
	craft_msg_free(&m);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* hostile_suite - the suite */
static Suite *
hostile_suite(void)
{
	Suite *s = suite_create("dkim_hostile");
	TCase *tc = tcase_create("hostile");

	tcase_add_unchecked_fixture(tc, keys_make, keys_free);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_hostile, 0,
	                    (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	SRunner *sr = srunner_create(hostile_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
