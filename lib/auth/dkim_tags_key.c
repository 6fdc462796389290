/*
 * dkim_tags_key - a DKIM key record (RFC 6376 3.6.1) into a struct
 * pcl_dkim_tags_key, and its public key into an OpenSSL EVP_PKEY
 *
 * The record is the TXT answer's strings concatenated. v=DKIM1, when
 * present, must be the first tag; k= is rsa (the default) or ed25519
 * (RFC 8463); h=, when present, must list sha256 (the only hash a=
 * may name); s=, when present, must list * or email; t= flags y
 * (testing) and s (strict i=) are kept, unknown flags ignored; p= is
 * required and an empty p= means the key was revoked (3.6.1, 6.1.2).
 *
 * Bounds: the record 64 KiB, refused unread; p= PCL_DKIM_TAGS_P_MAX
 * (2100) bytes, counted before decoding; an Ed25519 p= exactly 32
 * bytes. Before OpenSSL reads an RSA key its DER length is held
 * against what the bit limits allow (RSA_DER_MAX, RSA_DER_OVERHEAD),
 * and after it the modulus size is: PCL_DKIM_TAGS_RSA_BITS_MAX (8192)
 * at most, the caller's minimum at least. The key must be RSA
 * (rsaEncryption): d2i_PUBKEY reads any SubjectPublicKeyInfo, so an
 * EC, DSA or RSA-PSS key under k=rsa is refused here.
 *
 * OpenSSL's error queue is left empty; no error text quotes the key.
 */
#include "config.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dkim_tags.h"
#include "dkim_tags_int.h"
#include "util.h"

/* The DER SubjectPublicKeyInfo of an RSA key with e=65537 is the
 * modulus bytes plus 38 from 2048 bits up (294 bytes at 2048, 1062 at
 * 8192, 2086 at 16384); 16 more leave room for a longer exponent. */
#define RSA_DER_MAX (PCL_DKIM_TAGS_RSA_BITS_MAX / 8 + 38 + 16)
/* The least a DER RSA key adds to its modulus: the headers in short
 * form, the algorithm without parameters, a one-byte exponent. */
#define RSA_DER_OVERHEAD 25

/* fail - a permerror with reason why */
static enum pcl_dkim_tags_status
fail(char *err, size_t errlen, const char *why)
{
	pcl_format(err, errlen, "%s", why);
	return PCL_DKIM_TAGS_PERMERROR;
}

/* list_has - the colon-separated list v is well formed and has one of
 * the items a or b (b may be NULL) */
static bool
list_has(struct pcl_dkim_span v, const char *a, const char *b)
{
	struct pcl_dkim_list it;
	struct pcl_dkim_span item;
	bool found = false;
	int r;

	pcl_dkim_list_start(&it, v);
	while ((r = pcl_dkim_list_next(&it, &item)) == 1)
		if (pcl_dkim_span_is(item, a) ||
		    (b != NULL && pcl_dkim_span_is(item, b)))
			found = true;
	return r == 0 && found;
}

/* parse_p - p= decoded; an empty one is a revoked key */
static enum pcl_dkim_tags_status
parse_p(struct pcl_dkim_span v, struct pcl_dkim_tags_key *key, char *err,
        size_t errlen)
{
	switch (pcl_dkim_tags_base64(v, key->p, sizeof(key->p), &key->p_len)) {
	case PCL_DKIM_B64_OK:
		break;
	case PCL_DKIM_B64_LONG:
		return fail(err, errlen, "key p= too long");
	default:
		return fail(err, errlen, "bad key p= base64");
	}
	if (key->p_len == 0)
		return fail(err, errlen, "key revoked");
	if (key->type == PCL_DKIM_TAGS_KEY_ED25519 &&
	    key->p_len != PCL_DKIM_TAGS_ED25519_LEN)
		return fail(err, errlen, "ed25519 key not 32 bytes");
	return PCL_DKIM_TAGS_OK;
}

/* pcl_dkim_tags_key_parse - a key record into key */
enum pcl_dkim_tags_status
pcl_dkim_tags_key_parse(const char *record, size_t len,
                        struct pcl_dkim_tags_key *key, char *err, size_t errlen)
{
	struct pcl_dkim_tag_list list;
	struct pcl_dkim_span v;
	enum pcl_dkim_tags_status st;

	memset(key, 0, sizeof(*key));
	if (len > PCL_DKIM_TAGS_TEXT_MAX)
		return fail(err, errlen, "key record too long");
	st = pcl_dkim_tags_parse(record, len, &list, err, errlen);
	if (st != PCL_DKIM_TAGS_OK)
		return st;
	if (pcl_dkim_tags_value(&list, "v", &v)) {
		if (pcl_dkim_tags_find(&list, "v") != &list.tag[0])
			return fail(err, errlen, "key v= not first");
		if (!pcl_dkim_span_is(v, "DKIM1"))
			return fail(err, errlen, "unknown key v= version");
	}
	key->type = PCL_DKIM_TAGS_KEY_RSA;
	if (pcl_dkim_tags_value(&list, "k", &v)) {
		if (pcl_dkim_span_is(v, "ed25519"))
			key->type = PCL_DKIM_TAGS_KEY_ED25519;
		else if (!pcl_dkim_span_is(v, "rsa"))
			return fail(err, errlen, "unknown key k= type");
	}
	if (pcl_dkim_tags_value(&list, "h", &v) && !list_has(v, "sha256", NULL))
		return fail(err, errlen, "key h= excludes sha256");
	if (pcl_dkim_tags_value(&list, "s", &v) && !list_has(v, "*", "email"))
		return fail(err, errlen, "key not for email");
	if (pcl_dkim_tags_value(&list, "t", &v)) {
		struct pcl_dkim_list it;
		struct pcl_dkim_span flag;
		int r;

		pcl_dkim_list_start(&it, v);
		while ((r = pcl_dkim_list_next(&it, &flag)) == 1) {
			if (pcl_dkim_span_is(flag, "y"))
				key->testing = true;
			else if (pcl_dkim_span_is(flag, "s"))
				key->strict = true;
		}
		if (r < 0)
			return fail(err, errlen, "bad key t= flags");
	}
	if (!pcl_dkim_tags_value(&list, "p", &v))
		return fail(err, errlen, "missing key p= tag");
	return parse_p(v, key, err, errlen);
}

/* pcl_dkim_tags_key_fits - the key may verify sig */
enum pcl_dkim_tags_status
pcl_dkim_tags_key_fits(const struct pcl_dkim_tags_key *key,
                       const struct pcl_dkim_tags_sig *sig, char *err,
                       size_t errlen)
{
	bool ed = sig->alg == PCL_DKIM_TAGS_ED25519_SHA256;

	if (ed != (key->type == PCL_DKIM_TAGS_KEY_ED25519))
		return fail(err, errlen, "key k= does not match a=");
	if (key->strict && strcmp(sig->i + sig->i_domain, sig->d) != 0)
		return fail(err, errlen, "i= not d= under key t=s");
	return PCL_DKIM_TAGS_OK;
}

/* ssl_fail - a failure of OpenSSL: a temperror when it ran out of
 * memory, else a permerror with why; the error queue emptied */
static enum pcl_dkim_tags_status
ssl_fail(char *err, size_t errlen, const char *why)
{
	unsigned long e = ERR_peek_last_error();

	ERR_clear_error();
	if (e != 0 && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE) {
		pcl_format(err, errlen, "out of memory reading key");
		return PCL_DKIM_TAGS_TEMPERROR;
	}
	return fail(err, errlen, why);
}

/* rsa_pkey - the RSA key of p=, its size held against the bounds */
static enum pcl_dkim_tags_status
rsa_pkey(const struct pcl_dkim_tags_key *key, unsigned min_bits, EVP_PKEY **out,
         unsigned *bits, char *err, size_t errlen)
{
	const unsigned char *q = key->p;
	EVP_PKEY *pkey;
	int n;

	/* Before OpenSSL: the DER length alone rules these out. */
	if (key->p_len > RSA_DER_MAX)
		return fail(err, errlen, "key too large");
	if (key->p_len < (min_bits + 7) / 8 + RSA_DER_OVERHEAD)
		return fail(err, errlen, "key too small");
	pkey = d2i_PUBKEY(NULL, &q, (long)key->p_len);
	if (pkey == NULL)
		return ssl_fail(err, errlen, "bad key p= data");
	if (q != key->p + key->p_len) {
		EVP_PKEY_free(pkey);
		return fail(err, errlen, "bad key p= data");
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		return fail(err, errlen, "key p= not an RSA key");
	}
	n = EVP_PKEY_get_bits(pkey);
	if (n <= 0 || (unsigned)n > PCL_DKIM_TAGS_RSA_BITS_MAX ||
	    (unsigned)n < min_bits) {
		EVP_PKEY_free(pkey);
		return fail(err, errlen,
		            n > 0 && (unsigned)n < min_bits ? "key too small"
		                                            : "key too large");
	}
	*out = pkey;
	*bits = (unsigned)n;
	return PCL_DKIM_TAGS_OK;
}

/* pcl_dkim_tags_key_pkey - the key's EVP_PKEY and size in bits */
enum pcl_dkim_tags_status
pcl_dkim_tags_key_pkey(const struct pcl_dkim_tags_key *key, unsigned min_bits,
                       EVP_PKEY **out, unsigned *bits, char *err, size_t errlen)
{
	EVP_PKEY *pkey;

	*out = NULL;
	*bits = 0;
	if (key->type == PCL_DKIM_TAGS_KEY_RSA)
		return rsa_pkey(key, min_bits, out, bits, err, errlen);
	if (key->p_len != PCL_DKIM_TAGS_ED25519_LEN)
		return fail(err, errlen, "ed25519 key not 32 bytes");
	/* RFC 8463 4: p= is the raw key, not a SubjectPublicKeyInfo. */
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key->p,
	                                   key->p_len);
	if (pkey == NULL)
		return ssl_fail(err, errlen, "bad ed25519 key");
	*out = pkey;
	*bits = (unsigned)EVP_PKEY_get_bits(pkey);
	return PCL_DKIM_TAGS_OK;
}
