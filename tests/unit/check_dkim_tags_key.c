/*
 * check_dkim_tags_key - key records (RFC 6376 3.6.1, RFC 8463 4): the
 * RFC example records, every error, the bounds at their limit and one
 * over; their keys as EVP_PKEYs (RSA sizes made as DER by hand, so
 * 8193 and 16384 bits cost nothing to make); keys held against
 * signatures (k= against a=, t=s against i=)
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dkim_tags.h"
#include "dkim_tags_suite.h"

/* RFC 6376 Appendix C, the example key (1024 bits) */
#define P6376                                                                  \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMo"    \
	"GeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/Rtd"    \
	"C2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmP"    \
	"SPDdQPNUYckcQ2QIDAQAB"
/* RFC 8463 Appendix A.2, the Ed25519 and RSA keys */
#define P8463_ED "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define P8463_RSA                                                              \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3id"       \
	"Y6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/" \
	"8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kr"   \
	"yOTIKT+l/K4w3QIDAQAB"

/* Records that parse: the type and flags wanted. */
static const struct {
	const char *label, *record;
	enum pcl_dkim_tags_keytype type;
	bool testing, strict;
} good[] = {
    {"RFC 6376", "v=DKIM1; p=" P6376, PCL_DKIM_TAGS_KEY_RSA, false, false},
    {"RFC 8463 ed25519", "v=DKIM1; k=ed25519; p=" P8463_ED,
     PCL_DKIM_TAGS_KEY_ED25519, false, false},
    {"RFC 8463 rsa", "v=DKIM1; k=rsa; p=" P8463_RSA, PCL_DKIM_TAGS_KEY_RSA,
     false, false},
    {"no v=", "p=" P6376, PCL_DKIM_TAGS_KEY_RSA, false, false},
    {"RFC 4871 g= ignored", "v=DKIM1; g=*; k=rsa; p=" P6376,
     PCL_DKIM_TAGS_KEY_RSA, false, false},
    {"folded p=",
     "k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3\r\n"
     " SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTN"
     "h5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fz "
     "fVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB",
     PCL_DKIM_TAGS_KEY_RSA, false, false},
    {"t=y", "v=DKIM1; t=y; p=" P6376, PCL_DKIM_TAGS_KEY_RSA, true, false},
    {"t=s", "v=DKIM1; t=s; p=" P6376, PCL_DKIM_TAGS_KEY_RSA, false, true},
    {"t=y:s, unknown flag", "t=y : x : s; p=" P6376, PCL_DKIM_TAGS_KEY_RSA,
     true, true},
    {"h=sha256", "h=sha256; p=" P6376, PCL_DKIM_TAGS_KEY_RSA, false, false},
    {"h=sha1:sha256", "h=sha1:sha256; p=" P6376, PCL_DKIM_TAGS_KEY_RSA, false,
     false},
    {"s=*", "s=*; p=" P6376, PCL_DKIM_TAGS_KEY_RSA, false, false},
    {"s=tlsrpt:email", "s=tlsrpt:email; p=" P6376, PCL_DKIM_TAGS_KEY_RSA, false,
     false},
    {"n= notes", "n=a note; p=" P6376, PCL_DKIM_TAGS_KEY_RSA, false, false},
};

/* Records refused: the reason wanted. */
static const struct {
	const char *label, *record, *want;
} bad[] = {
    {"v= not first", "k=rsa; v=DKIM1; p=" P6376, "key v= not first"},
    {"v=DKIM2", "v=DKIM2; p=" P6376, "unknown key v= version"},
    {"v=dkim1", "v=dkim1; p=" P6376, "unknown key v= version"},
    {"v= with ':' (python3-dkim's badversion)", "v=DKIM1: g=*; k=rsa; p=" P6376,
     "unknown key v= version"},
    {"k=dsa", "k=dsa; p=" P6376, "unknown key k= type"},
    {"k=ed25519-sha256", "k=ed25519-sha256; p=" P8463_ED,
     "unknown key k= type"},
    {"h=sha1", "h=sha1; p=" P6376, "key h= excludes sha256"},
    {"h= bad list", "h=sha256:; p=" P6376, "key h= excludes sha256"},
    {"s=tlsrpt", "s=tlsrpt; p=" P6376, "key not for email"},
    {"t= bad list", "t=y::s; p=" P6376, "bad key t= flags"},
    {"no p=", "v=DKIM1; k=rsa", "missing key p= tag"},
    {"P= is another tag", "v=DKIM1; P=" P6376, "missing key p= tag"},
    {"revoked", "v=DKIM1; p=", "key revoked"},
    {"revoked, white space", "v=DKIM1; p= ; n=gone", "key revoked"},
    {"p= bad base64", "p=MIGf*A0G", "bad key p= base64"},
    {"p= no padding", "p=MIGfMA0", "bad key p= base64"},
    {"ed25519 31 bytes",
     "k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUQ==",
     "ed25519 key not 32 bytes"},
    {"duplicate p=", "p=" P6376 "; p=" P6376, "duplicate p= tag"},
    {"empty", "", "empty tag-list"},
    {"not a tag-list", "hello world", "bad tag name or no ="},
};

/* key_expect - parse record; the error wanted (NULL: success) */
static void
key_expect(const char *label, const char *record, size_t len, const char *want,
           struct pcl_dkim_tags_key *key)
{
	char err[256] = "";

	status_expect(
	    label, pcl_dkim_tags_key_parse(record, len, key, err, sizeof(err)),
	    err, want);
}

START_TEST(test_good)
{
	struct pcl_dkim_tags_key key;

	key_expect(good[_i].label, good[_i].record, strlen(good[_i].record),
	           NULL, &key);
	ck_assert_msg(key.type == good[_i].type, "%s: got type %d, want %d",
	              good[_i].label, key.type, good[_i].type);
	ck_assert_msg(
	    key.testing == good[_i].testing && key.strict == good[_i].strict,
	    "%s: got t= y %d s %d, want y %d s %d", good[_i].label, key.testing,
	    key.strict, good[_i].testing, good[_i].strict);
}
END_TEST

START_TEST(test_bad)
{
	struct pcl_dkim_tags_key key;

	key_expect(bad[_i].label, bad[_i].record, strlen(bad[_i].record),
	           bad[_i].want, &key);
}
END_TEST

/* b64 - a malloc'd base64 of len bytes */
static char *
b64(const unsigned char *data, size_t len)
{
	char *s = malloc(4 * ((len + 2) / 3) + 1);

	ck_assert_ptr_nonnull(s);
	EVP_EncodeBlock((unsigned char *)s, data, (int)len);
	return s;
}

START_TEST(test_key_bounds)
{
	static unsigned char zeros[PCL_DKIM_TAGS_P_MAX + 1];
	struct pcl_dkim_tags_key key;
	char *p, *rec;
	size_t len;

	/* p=: 2100 bytes decoded, then 2101 (not keys: bytes) */
	p = b64(zeros, PCL_DKIM_TAGS_P_MAX);
	rec = repeat("v=DKIM1; p=", p, 1, "");
	key_expect("p= 2100 bytes", rec, strlen(rec), NULL, &key);
	ck_assert_uint_eq(key.p_len, PCL_DKIM_TAGS_P_MAX);
	free(rec);
	free(p);
	p = b64(zeros, PCL_DKIM_TAGS_P_MAX + 1);
	rec = repeat("v=DKIM1; p=", p, 1, "");
	key_expect("p= 2101 bytes", rec, strlen(rec), "key p= too long", &key);
	free(rec);
	free(p);
	/* the record: 64 KiB with notes, then one byte more */
	len = strlen("v=DKIM1; p=" P6376 "; n=");
	rec = repeat("v=DKIM1; p=" P6376 "; n=", "x",
	             PCL_DKIM_TAGS_TEXT_MAX - len, "");
	key_expect("record 64 KiB", rec, strlen(rec), NULL, &key);
	free(rec);
	rec = repeat("v=DKIM1; p=" P6376 "; n=", "x",
	             PCL_DKIM_TAGS_TEXT_MAX - len + 1, "");
	key_expect("record 64 KiB + 1", rec, strlen(rec), "key record too long",
	           &key);
	free(rec);
}
END_TEST

/* der - a DER tag, length and content at out; bytes written */
static size_t
der(unsigned char *out, unsigned char tag, const unsigned char *content,
    size_t len)
{
	size_t k = 0;

	out[k++] = tag;
	if (len < 128) {
		out[k++] = (unsigned char)len;
	} else if (len < 256) {
		out[k++] = 0x81;
		out[k++] = (unsigned char)len;
	} else {
		out[k++] = 0x82;
		out[k++] = (unsigned char)(len >> 8);
		out[k++] = (unsigned char)len;
	}
	memmove(out + k, content, len);
	return k + len;
}

/* rsa_spki - the DER SubjectPublicKeyInfo of an RSA "key" whose modulus
 * has exactly bits bits (not a product of primes: nothing here needs
 * one) and e=65537; its length */
static size_t
rsa_spki(unsigned char *out, unsigned bits)
{
	static const unsigned char alg[] = {0x30, 0x0d, 0x06, 0x09, 0x2a,
	                                    0x86, 0x48, 0x86, 0xf7, 0x0d,
	                                    0x01, 0x01, 0x01, 0x05, 0x00};
	static const unsigned char e[] = {0x02, 0x03, 0x01, 0x00, 0x01};
	unsigned char n[2100], a[2200], b[2200];
	size_t nlen = (bits + 7) / 8, k = 0, len;

	if (bits % 8 == 0)
		n[k++] = 0x00; /* the top bit set: a sign byte */
	n[k] = (unsigned char)(1u << ((bits - 1) % 8));
	memset(n + k + 1, 0xff, nlen - 1);
	len = der(a, 0x02, n, k + nlen); /* INTEGER n */
	memcpy(a + len, e, sizeof(e));
	len = der(b + 1, 0x30, a, len + sizeof(e)); /* RSAPublicKey */
	b[0] = 0x00;                                /* unused bits */
	len = der(a + sizeof(alg), 0x03, b, len + 1);
	memcpy(a, alg, sizeof(alg));
	return der(out, 0x30, a, sizeof(alg) + len);
}

/* pkey_expect - turn the record's key into an EVP_PKEY with min_bits;
 * the error wanted (NULL: success with want_bits) */
static void
pkey_expect(const char *label, const char *record, unsigned min_bits,
            const char *want, unsigned want_bits)
{
	struct pcl_dkim_tags_key key;
	EVP_PKEY *pkey = NULL;
	unsigned bits = 0;
	char err[256] = "";
	enum pcl_dkim_tags_status st;

	key_expect(label, record, strlen(record), NULL, &key);
	st = pcl_dkim_tags_key_pkey(&key, min_bits, &pkey, &bits, err,
	                            sizeof(err));
	if (want == NULL) {
		ck_assert_msg(st == PCL_DKIM_TAGS_OK && pkey != NULL,
		              "%s: got %s, want success", label, err);
		ck_assert_msg(bits == want_bits, "%s: got %u bits, want %u",
		              label, bits, want_bits);
	} else {
		ck_assert_msg(st == PCL_DKIM_TAGS_PERMERROR && pkey == NULL &&
		                  strcmp(err, want) == 0,
		              "%s: got %d \"%s\", want \"%s\"", label, (int)st,
		              err, want);
	}
	ck_assert_msg(ERR_peek_error() == 0, "%s: OpenSSL errors left", label);
	EVP_PKEY_free(pkey);
}

/* rsa_record - "p=" and the hand-made key of bits bits, then tail
 * bytes of garbage */
static char *
rsa_record(unsigned bits, size_t tail)
{
	unsigned char spki[2300];
	size_t len = rsa_spki(spki, bits);
	char *p, *rec;

	memset(spki + len, 0x00, tail);
	p = b64(spki, len + tail);
	rec = repeat("p=", p, 1, "");
	free(p);
	return rec;
}

START_TEST(test_pkey)
{
	static const struct {
		unsigned bits, min;
		const char *want;
	} sizes[] = {
	    {1024, 1024, NULL},
	    {2048, 2048, NULL},
	    {2047, 2048, "key too small"},
	    {8192, 1024, NULL},
	    {8193, 1024, "key too large"},
	    {9000, 1024, "key too large"},
	    {16384, 1024, "key too large"},
	};
	EVP_PKEY *ec = NULL;
	unsigned char *der_ec = NULL;
	char *rec, *p;
	int len;

	pkey_expect("RFC 6376 key", "v=DKIM1; p=" P6376, 1024, NULL, 1024);
	pkey_expect("RFC 6376 key, min 2048 (DER too short)",
	            "v=DKIM1; p=" P6376, 2048, "key too small", 0);
	pkey_expect("RFC 6376 key, min 1025 (read, then refused)",
	            "v=DKIM1; p=" P6376, 1025, "key too small", 0);
	pkey_expect("RFC 8463 rsa", "k=rsa; p=" P8463_RSA, 1024, NULL, 1024);
	/* min_bits is for RSA only; OpenSSL 3 says 256 bits for Ed25519 */
	pkey_expect("RFC 8463 ed25519", "k=ed25519; p=" P8463_ED, 4096, NULL,
	            256);
	pkey_expect("garbage", "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDw", 0,
	            "bad key p= data", 0);
	for (size_t k = 0; k < NITEMS(sizes); k++) {
		char label[64];

		snprintf(label, sizeof(label), "RSA %u bits, min %u",
		         sizes[k].bits, sizes[k].min);
		rec = rsa_record(sizes[k].bits, 0);
		pkey_expect(label, rec, sizes[k].min, sizes[k].want,
		            sizes[k].bits);
		free(rec);
	}
	rec = rsa_record(2048, 2);
	pkey_expect("trailing bytes", rec, 1024, "bad key p= data", 0);
	free(rec);
	/* an EC key under k=rsa: d2i_PUBKEY reads it, we refuse it */
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_ptr_nonnull(ec);
	len = i2d_PUBKEY(ec, &der_ec);
	ck_assert_int_gt(len, 0);
	p = b64(der_ec, (size_t)len);
	rec = repeat("k=rsa; p=", p, 1, "");
	pkey_expect("EC key under k=rsa", rec, 0, "key p= not an RSA key", 0);
	free(rec);
	free(p);
	OPENSSL_free(der_ec);
	EVP_PKEY_free(ec);
}
END_TEST

START_TEST(test_fits)
{
	static const char rsa_sig[] = "v=1; a=rsa-sha256; d=example.com; s=s; "
	                              "h=from; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQj"
	                              "O6Sn7XIkfJVOzv8=; b=dGVzdA==";
	struct pcl_dkim_tags_sig *sig = malloc(sizeof(*sig));
	struct pcl_dkim_tags_key key;
	char err[128], *f;

	ck_assert_ptr_nonnull(sig);
	ck_assert_int_eq(pcl_dkim_tags_sig_parse(rsa_sig, strlen(rsa_sig), sig,
	                                         err, sizeof(err)),
	                 PCL_DKIM_TAGS_OK);
	key_expect("rsa", "p=" P6376, strlen("p=" P6376), NULL, &key);
	ck_assert_int_eq(pcl_dkim_tags_key_fits(&key, sig, err, sizeof(err)),
	                 PCL_DKIM_TAGS_OK);
	key_expect("ed", "k=ed25519; p=" P8463_ED,
	           strlen("k=ed25519; p=" P8463_ED), NULL, &key);
	ck_assert_int_eq(pcl_dkim_tags_key_fits(&key, sig, err, sizeof(err)),
	                 PCL_DKIM_TAGS_PERMERROR);
	ck_assert_str_eq(err, "key k= does not match a=");
	/* t=s: i= must be d= itself */
	key_expect("strict", "t=s; p=" P6376, strlen("t=s; p=" P6376), NULL,
	           &key);
	ck_assert_int_eq(pcl_dkim_tags_key_fits(&key, sig, err, sizeof(err)),
	                 PCL_DKIM_TAGS_OK);
	f = repeat(rsa_sig, "; i=joe@sub.example.com", 1, "");
	ck_assert_int_eq(
	    pcl_dkim_tags_sig_parse(f, strlen(f), sig, err, sizeof(err)),
	    PCL_DKIM_TAGS_OK);
	ck_assert_int_eq(pcl_dkim_tags_key_fits(&key, sig, err, sizeof(err)),
	                 PCL_DKIM_TAGS_PERMERROR);
	ck_assert_str_eq(err, "i= not d= under key t=s");
	free(f);
	free(sig);
}
END_TEST

/* dkim_tags_key_tcase - the key record cases */
TCase *
dkim_tags_key_tcase(void)
{
	TCase *tc = tcase_create("key");

	tcase_add_loop_test(tc, test_good, 0, NITEMS(good));
	tcase_add_loop_test(tc, test_bad, 0, NITEMS(bad));
	tcase_add_test(tc, test_key_bounds);
	tcase_add_test(tc, test_pkey);
	tcase_add_test(tc, test_fits);
	return tc;
}
