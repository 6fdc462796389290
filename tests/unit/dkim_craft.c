/*
 * dkim_craft - a DKIM signer for the tests that may write any tag (see
 * dkim_craft.h)
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkim_craft.h"

/* craft_buf_add - n bytes of data at the end */
void
craft_buf_add(struct craft_buf *b, const char *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		ck_assert_ptr_nonnull(b->p);
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* craft_buf_printf - formatted text at the end */
void
craft_buf_printf(struct craft_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *tmp;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	tmp = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(tmp);
	va_start(ap, fmt);
	ck_assert_int_eq(vsnprintf(tmp, (size_t)n + 1, fmt, ap), n);
	va_end(ap);
	craft_buf_add(b, tmp, (size_t)n);
	free(tmp);
}

/* craft_buf_free - the text; the buffer may be used again */
void
craft_buf_free(struct craft_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* b64 - base64 of n bytes, into out (room for 4 * ceil(n / 3) + 1) */
static void
b64(char *out, const unsigned char *in, size_t n)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* craft_key_new - a new RSA-2048 or Ed25519 key and its p= */
struct craft_key *
craft_key_new(bool ed)
{
	struct craft_key *k = calloc(1, sizeof(*k));
	unsigned char raw[32], *der = NULL;
	size_t rawlen = sizeof(raw);
	int n;

	ck_assert_ptr_nonnull(k);
	k->ed = ed;
	k->pkey = ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
	             : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ck_assert_ptr_nonnull(k->pkey);
	if (ed) {
		ck_assert_int_eq(
		    EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen), 1);
		b64(k->p, raw, rawlen);
	} else {
		n = i2d_PUBKEY(k->pkey, &der);
		ck_assert_int_gt(n, 0);
		ck_assert_uint_lt(((size_t)n + 2) / 3 * 4, sizeof(k->p));
		b64(k->p, der, (size_t)n);
		OPENSSL_free(der);
	}
	return k;
}

/* craft_key_free - NULL is safe */
void
craft_key_free(struct craft_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* craft_record - the key's record as zone text, in nstrings strings */
void
craft_record(struct craft_buf *zone, const char *owner,
             const struct craft_key *k, const char *tags, size_t nstrings)
{
	struct craft_buf rec = {0};
	size_t at = 0;

	craft_buf_printf(&rec, "v=DKIM1; k=%s; %sp=%s",
	                 k->ed ? "ed25519" : "rsa", tags ? tags : "", k->p);
	if (nstrings == 0)
		nstrings = (rec.len + 249) / 250;
	ck_assert_uint_le(nstrings, rec.len);
	craft_buf_printf(zone, "%s IN TXT", owner);
	for (size_t i = 0; i < nstrings; i++) {
		/* string i ends where (i + 1) / nstrings of the text does */
		size_t end = rec.len * (i + 1) / nstrings;

		craft_buf_printf(zone, " \"%.*s\"", (int)(end - at),
		                 rec.p + at);
		at = end;
	}
	craft_buf_add(zone, "\n", 1);
	craft_buf_free(&rec);
}

/* craft_msg_init - a message with no fields yet */
void
craft_msg_init(struct craft_msg *m, const char *body)
{
	memset(m, 0, sizeof(*m));
	m->body = strdup(body);
	ck_assert_ptr_nonnull(m->body);
	m->bodylen = strlen(body);
}

/* insert - a field at position at */
static void
insert(struct craft_msg *m, size_t at, const char *name, const char *value)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 16;
		m->names = realloc(m->names, m->cap * sizeof(*m->names));
		m->values = realloc(m->values, m->cap * sizeof(*m->values));
		ck_assert(m->names != NULL && m->values != NULL);
	}
	memmove(m->names + at + 1, m->names + at,
	        (m->n - at) * sizeof(*m->names));
	memmove(m->values + at + 1, m->values + at,
	        (m->n - at) * sizeof(*m->values));
	m->names[at] = strdup(name);
	m->values[at] = strdup(value);
	ck_assert(m->names[at] != NULL && m->values[at] != NULL);
	m->n++;
}

/* craft_msg_add - a field at the bottom */
void
craft_msg_add(struct craft_msg *m, const char *name, const char *value)
{
	insert(m, m->n, name, value);
}

/* craft_msg_top - a field on top */
void
craft_msg_top(struct craft_msg *m, const char *name, const char *value)
{
	insert(m, 0, name, value);
}

/* craft_msg_free - everything the message holds */
void
craft_msg_free(struct craft_msg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->names[i]);
		free(m->values[i]);
	}
	free(m->names);
	free(m->values);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

/* relaxed - RFC 6376 3.4.2 of one field, into out: the name in lower
 * case, folds removed, runs of white space one space, none at the
 * start or end of the value; with the final CRLF when crlf */
static void
relaxed(struct craft_buf *out, const char *name, const char *value, bool crlf)
{
	bool space = false;

	for (const char *p = name; *p; p++) {
		char c = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);

		craft_buf_add(out, &c, 1);
	}
	craft_buf_add(out, ":", 1);
	while (*value == ' ' || *value == '\t' || *value == '\n' ||
	       *value == '\r')
		value++;
	for (const char *p = value; *p; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		if (*p == ' ' || *p == '\t') {
			space = true;
			continue;
		}
		if (space)
			craft_buf_add(out, " ", 1);
		space = false;
		craft_buf_add(out, p, 1);
	}
	if (crlf)
		craft_buf_add(out, "\r\n", 2);
}

/* signed_input - the header hash input: the fields h= names, each the
 * lowest of its name not taken yet, then the signature field */
static void
signed_input(struct craft_buf *in, const struct craft_msg *m, const char *h,
             const char *sigvalue)
{
	bool *taken = calloc(m->n + 1, sizeof(*taken));
	char *names = strdup(h), *save = NULL;

	ck_assert(taken != NULL && names != NULL);
	for (char *n = strtok_r(names, ":", &save); n != NULL;
	     n = strtok_r(NULL, ":", &save)) {
		for (size_t i = m->n; i-- > 0;) {
			if (taken[i] || strcasecmp(m->names[i], n) != 0)
				continue;
			taken[i] = true;
			relaxed(in, m->names[i], m->values[i], true);
			break;
		}
	}
	relaxed(in, "DKIM-Signature", sigvalue, false);
	free(names);
	free(taken);
}

/* sign_hash - the signature of a SHA-256 hash: RSASSA-PKCS1-v1_5 or
 * PureEdDSA over the 32 bytes (RFC 8463 3); its length */
static size_t
sign_hash(const struct craft_key *k, const unsigned char hash[32],
          unsigned char *sig, size_t siglen)
{
	if (k->ed) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		ck_assert_ptr_nonnull(md);
		ck_assert_int_eq(
		    EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey), 1);
		ck_assert_int_eq(EVP_DigestSign(md, sig, &siglen, hash, 32), 1);
		EVP_MD_CTX_free(md);
	} else {
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k->pkey, NULL);

		ck_assert_ptr_nonnull(pc);
		ck_assert_int_eq(EVP_PKEY_sign_init(pc), 1);
		ck_assert_int_eq(
		    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING), 1);
		ck_assert_int_eq(
		    EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()), 1);
		ck_assert_int_eq(EVP_PKEY_sign(pc, sig, &siglen, hash, 32), 1);
		EVP_PKEY_CTX_free(pc);
	}
	return siglen;
}

/* craft_sign - sign m as sig says; the field goes on top of m */
void
craft_sign(struct craft_msg *m, const struct craft_sig *sig)
{
	struct craft_buf value = {0}, in = {0};
	unsigned char bh[32], hash[32], b[512];
	char bh64[64], b64sig[700];
	size_t blen, hashed = m->bodylen;

	if (sig->body_limit != 0 && sig->body_limit < hashed)
		hashed = (size_t)sig->body_limit;
	ck_assert_int_eq(
	    EVP_Digest(m->body, hashed, bh, NULL, EVP_sha256(), NULL), 1);
	b64(bh64, bh, sizeof(bh));
	craft_buf_printf(&value,
	                 " v=1; a=%s; c=relaxed/simple; d=%s; s=%s;\n\th=%s; "
	                 "%sbh=%s;\n\tb=",
	                 sig->alg       ? sig->alg
	                 : sig->key->ed ? "ed25519-sha256"
	                                : "rsa-sha256",
	                 sig->d, sig->s, sig->h, sig->tags ? sig->tags : "",
	                 bh64);
	signed_input(&in, m, sig->h, value.p);
	ck_assert_int_eq(
	    EVP_Digest(in.p, in.len, hash, NULL, EVP_sha256(), NULL), 1);
	blen = sign_hash(sig->key, hash, b, sizeof(b));
	b64(b64sig, b, blen);
	craft_buf_printf(&value, "%s", b64sig);
	craft_msg_top(m, "DKIM-Signature", value.p);
	craft_buf_free(&value);
	craft_buf_free(&in);
}

/* craft_feed - m through the verifier */
void
craft_feed(struct pcl_dkim_verify *v, const struct craft_msg *m, size_t chunk)
{
	if (chunk == 0)
		chunk = m->bodylen ? m->bodylen : 1;
	for (size_t i = 0; i < m->n; i++)
		pcl_dkim_verify_header(v, m->names[i], m->values[i]);
	pcl_dkim_verify_eoh(v);
	for (size_t off = 0; off < m->bodylen; off += chunk)
		pcl_dkim_verify_body(v, (const unsigned char *)m->body + off,
		                     m->bodylen - off < chunk ? m->bodylen - off
		                                              : chunk);
	pcl_dkim_verify_eom(v);
}
