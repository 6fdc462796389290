/*
 * dkim_verify_judge - the verifier's key lookups, hashes and verdicts
 * (RFC 6376 6.1, RFC 8463 3, RFC 8301)
 *
 * A chosen signature is judged in this order, the first that applies
 * giving the verdict:
 *   x= in the past                        fail "signature expired"
 *   key lookup: no reply, SERVFAIL, ...   temperror "key lookup failed"
 *               NXDOMAIN, no TXT          permerror "no key for signature"
 *               several TXT records       permerror "bad key: ..."
 *   key record: empty p=                  fail "key revoked"
 *               bad syntax, k= not a=,
 *               t=s with i= below d=      permerror "bad key: ..."
 *   RSA key under dkim_min_key_bits       fail "key too small (N bits,
 *                                         minimum M)"
 *   the signature over the header hash    fail "signature did not verify"
 *   the body hash against bh=             fail "body hash mismatch"
 *   a body shorter than l=                fail "body shorter than l="
 *   otherwise                             pass "signature verified"
 *
 * The header hash takes, for each name of h= in order, the lowest field
 * of that name not taken yet for this signature (5.4.2): the k-th time
 * a name appears in h=, the k-th field of that name from the bottom; a
 * name with no field left adds nothing (oversigning). Last comes the
 * signature's own field with the value of b= deleted (3.7), without
 * its CRLF. RSA verifies RSASSA-PKCS1-v1_5 with SHA-256 of that input;
 * Ed25519 verifies PureEdDSA over its 32-byte SHA-256 (RFC 8463 3).
 *
 * Keys: the TXT record's strings joined (the DNS module joins them and
 * bounds the reply at 64 KiB); a parsed key is kept in the library's
 * key cache under the name and the record's text, for the record's TTL.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "dkim_keycache.h"
#include "dkim_verify_int.h"
#include "dns.h"
#include "util.h"

#define KEY_NAME_MAX (2 * PCL_DKIM_TAGS_DOMAIN_MAX + 16)

/* dkim_verify_set - the verdict of s, final */
void
dkim_verify_set(struct vsig *s, enum pcl_dkim_result r, const char *fmt, ...)
{
	va_list ap;

	s->out.result = r;
	va_start(ap, fmt);
	(void)vsnprintf(s->out.reason, sizeof(s->out.reason), fmt, ap);
	va_end(ap);
	s->judged = true;
}

/* key_name - "s._domainkey.d" of a chosen signature */
static bool
key_name(const struct vsig *s, char *out, size_t len)
{
	return pcl_format(out, len, "%s._domainkey.%s", s->tags->s, s->tags->d);
}

/* now_s - the signature clock: pinned in tests, else the real time */
static uint64_t
now_s(const struct pcl_dkim_verify *v)
{
	return v->lib->fixed_time > 0 ? (uint64_t)v->lib->fixed_time
	                              : (uint64_t)time(NULL);
}

/* body_of - the body hash for a canonicalization and l=, made when
 * new; false when OpenSSL fails */
static bool
body_of(struct pcl_dkim_verify *v, enum pcl_canon_mode mode, uint64_t limit,
        size_t *out)
{
	struct vbody *b;

	for (size_t i = 0; i < v->nbodies; i++)
		if (v->bodies[i].mode == mode && v->bodies[i].limit == limit) {
			*out = i;
			return v->bodies[i].md != NULL;
		}
	if (v->nbodies == sizeof(v->bodies) / sizeof(v->bodies[0]))
		return false;
	b = &v->bodies[v->nbodies];
	memset(b, 0, sizeof(*b));
	b->mode = mode;
	b->limit = limit;
	b->md = EVP_MD_CTX_new();
	if (b->md != NULL &&
	    EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(b->md);
		b->md = NULL;
	}
	*out = v->nbodies++;
	if (b->md == NULL)
		return false;
	pcl_dkim_body_init(&b->canon, mode, limit, dkim_verify_md_emit, b->md);
	return true;
}

/* dkim_verify_md_emit - canonical bytes into a digest */
void
dkim_verify_md_emit(void *ctx, const char *p, size_t n)
{
	(void)EVP_DigestUpdate(ctx, p, n);
}

/* mode_of - the canonicalizer's mode for a c= value */
static enum pcl_canon_mode
mode_of(enum pcl_dkim_tags_canon c)
{
	return c == PCL_DKIM_TAGS_RELAXED ? PCL_CANON_RELAXED
	                                  : PCL_CANON_SIMPLE;
}

/* query_of - the key lookup of name: one already asked for, or a new
 * one in the batch (made on first use); -1 when memory is short */
static int
query_of(struct pcl_dkim_verify *v, const char *name)
{
	struct vkey *grown;

	for (size_t i = 0; i < v->nkeys; i++)
		if (strcasecmp(v->keys[i].name, name) == 0)
			return v->keys[i].query;
	if (v->batch == NULL &&
	    (v->batch = pcl_dns_batch_new(v->lib->dns)) == NULL)
		return -1;
	if ((grown = realloc(v->keys, (v->nkeys + 1) * sizeof(*grown))) == NULL)
		return -1;
	v->keys = grown;
	pcl_copy(v->keys[v->nkeys].name, sizeof(v->keys[0].name), name);
	/* -1: out of memory, answered TEMPFAIL by the batch */
	v->keys[v->nkeys].query =
	    pcl_dns_batch_add(v->batch, name, PCL_DNS_TXT);
	return v->keys[v->nkeys++].query;
}

/* dkim_verify_prepare - a chosen signature's key lookup queued and,
 * with body, its body hash ready; false with the verdict set */
bool
dkim_verify_prepare(struct pcl_dkim_verify *v, struct vsig *s, bool body)
{
	const struct pcl_dkim_tags_sig *t = s->tags;
	char name[KEY_NAME_MAX];

	if (t->x_given && t->x < now_s(v)) {
		dkim_verify_set(s, PCL_DKIM_FAIL, "signature expired");
		return false;
	}
	if (body && !body_of(v, mode_of(t->body_canon),
	                     t->l_given ? t->l : UINT64_MAX, &s->body)) {
		dkim_verify_set(s, PCL_DKIM_TEMPERROR,
		                "not verified: out of memory");
		return false;
	}
	if (!key_name(s, name, sizeof(name))) {
		dkim_verify_set(s, PCL_DKIM_PERMERROR,
		                "bad signature: key name too long");
		return false;
	}
	if ((s->query = query_of(v, name)) < 0) {
		dkim_verify_set(s, PCL_DKIM_TEMPERROR,
		                "key lookup failed (out of memory)");
		return false;
	}
	return true;
}

/* dkim_verify_start - key lookups out, body hashes ready */
void
dkim_verify_start(struct pcl_dkim_verify *v)
{
	for (size_t i = 0; i < v->nsigs; i++)
		if (v->sigs[i].chosen && !v->sigs[i].judged)
			(void)dkim_verify_prepare(v, &v->sigs[i], true);
	dkim_verify_arc_start(v);
	if (v->batch != NULL)
		pcl_dns_batch_send(v->batch);
}

/* mono_s - a clock for the key cache's expiry */
static time_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* record_key - the key a TXT record holds, from the cache or parsed
 * (and cached); NULL with the verdict set on s */
static EVP_PKEY *
record_key(struct pcl_dkim_verify *v, struct vsig *s, const char *name,
           const struct pcl_dns_rr *rr, uint32_t ttl, struct dkim_keyinfo *info)
{
	unsigned char digest[DKIM_KEYCACHE_DIGEST];
	struct pcl_dkim_tags_key *key;
	enum pcl_dkim_tags_status st;
	EVP_PKEY *pkey = NULL;
	bool named =
	    dkim_keycache_digest(name, rr->u.txt.text, rr->u.txt.len, digest);
	char why[96] = "";

	if (named &&
	    (pkey = dkim_keycache_get(v->lib->keys, digest, mono_s(), info)))
		return pkey;
	if ((key = malloc(sizeof(*key))) == NULL) {
		dkim_verify_set(s, PCL_DKIM_TEMPERROR,
		                "not verified: out of memory");
		return NULL;
	}
	st = pcl_dkim_tags_key_parse(rr->u.txt.text, rr->u.txt.len, key, why,
	                             sizeof(why));
	if (st == PCL_DKIM_TAGS_OK)
		st = pcl_dkim_tags_key_pkey(key, 0, &pkey, &info->bits, why,
		                            sizeof(why));
	if (st == PCL_DKIM_TAGS_OK) {
		info->type = key->type;
		info->testing = key->testing;
		info->strict = key->strict;
		if (named)
			dkim_keycache_put(v->lib->keys, digest,
			                  mono_s() + (time_t)ttl, pkey, info);
	} else if (st == PCL_DKIM_TAGS_TEMPERROR) {
		dkim_verify_set(s, PCL_DKIM_TEMPERROR, "not verified: %s", why);
	} else if (strcmp(why, "key revoked") == 0) {
		dkim_verify_set(s, PCL_DKIM_FAIL, "key revoked");
	} else {
		dkim_verify_set(s, PCL_DKIM_PERMERROR, "bad key: %s", why);
	}
	free(key);
	return pkey;
}

/* fetch_key - the key of a chosen signature, its lookup answered; NULL
 * with the verdict set */
static EVP_PKEY *
fetch_key(struct pcl_dkim_verify *v, struct vsig *s, struct dkim_keyinfo *info)
{
	const struct pcl_dns_answer *a =
	    pcl_dns_batch_answer(v->batch, s->query);
	char name[KEY_NAME_MAX];

	if (a == NULL || a->status == PCL_DNS_TEMPFAIL ||
	    a->status == PCL_DNS_PENDING) {
		dkim_verify_set(s, PCL_DKIM_TEMPERROR,
		                "key lookup failed (DNS)");
		return NULL;
	}
	if (a->status == PCL_DNS_NXDOMAIN || a->status == PCL_DNS_NODATA ||
	    (a->status == PCL_DNS_FOUND && a->count == 0)) {
		dkim_verify_set(s, PCL_DKIM_PERMERROR, "no key for signature");
		return NULL;
	}
	if (a->status != PCL_DNS_FOUND) {
		dkim_verify_set(s, PCL_DKIM_PERMERROR,
		                "bad key: DNS lookup failed (%s)", a->error);
		return NULL;
	}
	if (a->count > 1) {
		dkim_verify_set(s, PCL_DKIM_PERMERROR,
		                "bad key: %zu key records", a->count);
		return NULL;
	}
	(void)key_name(s, name, sizeof(name));
	pcl_lower(name);
	return record_key(v, s, name, &a->rrs[0], a->ttl, info);
}

/* taken - the field a name of h= picks: the k-th field of that name
 * from the bottom, k being how often the name came before in h=; -1
 * when there is none */
static long
taken(const struct pcl_dkim_verify *v, const struct pcl_dkim_tags_sig *t,
      size_t n)
{
	const char *name = pcl_dkim_tags_sig_header(t, n);
	size_t k = 0;

	for (size_t j = 0; j < n; j++)
		k += strcasecmp(pcl_dkim_tags_sig_header(t, j), name) == 0;
	for (size_t i = v->nfields; i-- > 0;)
		if (strcasecmp(dkim_verify_field_name(v, i), name) == 0 &&
		    k-- == 0)
			return (long)i;
	return -1;
}

/* header_hash - the SHA-256 of the signed header fields and of the
 * signature field with b= blanked; false when OpenSSL or memory fails */
static bool
header_hash(const struct pcl_dkim_verify *v, const struct vsig *s,
            unsigned char out[DKIM_SHA256_LEN])
{
	const struct pcl_dkim_tags_sig *t = s->tags;
	enum pcl_canon_mode mode = mode_of(t->header_canon);
	const char *value = dkim_verify_field_value(v, s->field);
	size_t len = strlen(value);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *blank = malloc(len + 1);
	bool ok = false;

	if (md == NULL || blank == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (size_t n = 0; n < t->h_n; n++) {
		long i = taken(v, t, n);

		if (i >= 0)
			pcl_dkim_canon_header(
			    mode, dkim_verify_field_name(v, (size_t)i),
			    dkim_verify_field_value(v, (size_t)i), true,
			    dkim_verify_md_emit, md);
	}
	memcpy(blank, value, t->b_blank_off);
	memcpy(blank + t->b_blank_off, value + t->b_blank_end,
	       len - t->b_blank_end + 1);
	pcl_dkim_canon_header(mode, dkim_verify_field_name(v, s->field), blank,
	                      false, dkim_verify_md_emit, md);
	ok = EVP_DigestFinal_ex(md, out, NULL) == 1;
out:
	EVP_MD_CTX_free(md);
	free(blank);
	return ok;
}

/* dkim_verify_signature_ok - b= over the header hash with the key: 1
 * good, 0 bad, -1 when OpenSSL fails */
int
dkim_verify_signature_ok(EVP_PKEY *pkey, const struct pcl_dkim_tags_sig *t,
                         const unsigned char hash[DKIM_SHA256_LEN])
{
	int rc = -1;

	if (t->alg == PCL_DKIM_TAGS_ED25519_SHA256) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		if (md != NULL &&
		    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1)
			rc = EVP_DigestVerify(md, t->b, t->b_len, hash,
			                      DKIM_SHA256_LEN);
		EVP_MD_CTX_free(md);
	} else {
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(pkey, NULL);

		if (pc != NULL && EVP_PKEY_verify_init(pc) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1)
			rc = EVP_PKEY_verify(pc, t->b, t->b_len, hash,
			                     DKIM_SHA256_LEN);
		EVP_PKEY_CTX_free(pc);
	}
	ERR_clear_error();
	return rc < 0 ? -1 : rc == 1;
}

/* dkim_verify_key - the key of a chosen signature, its lookup
 * answered, held against it (k=, t=s, dkim_min_key_bits); NULL with
 * the verdict set */
EVP_PKEY *
dkim_verify_key(struct pcl_dkim_verify *v, struct vsig *s)
{
	struct dkim_keyinfo info = {0};
	struct pcl_dkim_tags_key fit = {0};
	EVP_PKEY *pkey = fetch_key(v, s, &info);
	char why[96] = "";

	if (pkey == NULL)
		return NULL;
	s->out.key_bits =
	    info.type == PCL_DKIM_TAGS_KEY_ED25519 ? 256 : info.bits;
	fit.type = info.type;
	fit.strict = info.strict;
	if (pcl_dkim_tags_key_fits(&fit, s->tags, why, sizeof(why)) !=
	    PCL_DKIM_TAGS_OK)
		dkim_verify_set(s, PCL_DKIM_PERMERROR, "bad key: %s", why);
	else if (info.type == PCL_DKIM_TAGS_KEY_RSA &&
	         info.bits < v->lib->min_key_bits)
		dkim_verify_set(s, PCL_DKIM_FAIL,
		                "key too small (%u bits, minimum %u)",
		                info.bits, v->lib->min_key_bits);
	else
		return pkey;
	EVP_PKEY_free(pkey);
	return NULL;
}

/* dkim_verify_judge - the verdict of one chosen signature (a
 * DKIM-Signature or an ARC-Message-Signature) */
void
dkim_verify_judge(struct pcl_dkim_verify *v, struct vsig *s)
{
	const struct pcl_dkim_tags_sig *t = s->tags;
	const struct vbody *b = &v->bodies[s->body];
	unsigned char hash[DKIM_SHA256_LEN];
	EVP_PKEY *pkey = dkim_verify_key(v, s);
	int good = 0;

	if (pkey == NULL)
		return;
	if (!header_hash(v, s, hash) ||
	    (good = dkim_verify_signature_ok(pkey, t, hash)) < 0 || !b->ok)
		dkim_verify_set(s, PCL_DKIM_TEMPERROR,
		                "not verified: verifier error");
	else if (!good)
		dkim_verify_set(s, PCL_DKIM_FAIL, "signature did not verify");
	else if (memcmp(b->digest, t->bh, DKIM_SHA256_LEN) != 0)
		dkim_verify_set(s, PCL_DKIM_FAIL, "body hash mismatch");
	else if (t->l_given && b->canon.emitted < t->l)
		dkim_verify_set(s, PCL_DKIM_FAIL, "body shorter than l=");
	else if (t->l_given)
		dkim_verify_set(s, PCL_DKIM_PASS,
		                "signature verified (l=%llu: body after it "
		                "not signed)",
		                (unsigned long long)t->l);
	else
		dkim_verify_set(s, PCL_DKIM_PASS, "signature verified");
	EVP_PKEY_free(pkey);
}

/* dkim_verify_finish - body hashes ended, lookups awaited, verdicts */
void
dkim_verify_finish(struct pcl_dkim_verify *v)
{
	for (size_t i = 0; i < v->nbodies; i++) {
		struct vbody *b = &v->bodies[i];

		if (b->md == NULL)
			continue;
		pcl_dkim_body_final(&b->canon);
		b->ok = EVP_DigestFinal_ex(b->md, b->digest, NULL) == 1;
	}
	if (v->batch != NULL)
		pcl_dns_batch_wait(v->batch);
	for (size_t i = 0; i < v->nsigs; i++)
		if (v->sigs[i].chosen && !v->sigs[i].judged)
			dkim_verify_judge(v, &v->sigs[i]);
	dkim_verify_arc_finish(v);
	dkim_verify_release(v);
	/* the report is one array, as pcl_dkim_verify_sig promises */
	if (v->nsigs > 0 &&
	    (v->report = calloc(v->nsigs, sizeof(*v->report))) == NULL)
		v->nsigs = 0;
	for (size_t i = 0; i < v->nsigs; i++)
		v->report[i] = v->sigs[i].out;
}

/* dkim_verify_release - the batch and the body hashes */
void
dkim_verify_release(struct pcl_dkim_verify *v)
{
	pcl_dns_batch_free(v->batch);
	v->batch = NULL;
	for (size_t i = 0; i < v->nbodies; i++) {
		EVP_MD_CTX_free(v->bodies[i].md);
		v->bodies[i].md = NULL;
	}
}
