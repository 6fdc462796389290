/*
 * dkim_tags_sig - a DKIM-Signature header field's value (RFC 6376 3.5)
 * into a struct pcl_dkim_tags_sig
 *
 * Required: v=1, a=, b=, bh=, d=, h= (naming From), s=. a= is
 * rsa-sha256 or ed25519-sha256 (RFC 8463); rsa-sha1 is known only to
 * be refused by name (RFC 8301 3.1). c= defaults to simple/simple, q=
 * must offer dns/txt, i= defaults to "@" d= and must be d= or below it.
 * z= is never read past the tag-list syntax, let alone copied: nothing
 * here has a buffer a long z= could overrun. Unknown tags are ignored.
 *
 * Bounds (dkim_tags.h): the field 64 KiB, refused unread; b= 2048
 * bytes and bh= 32, both counted before decoding; h= 128 names in 4096
 * bytes; domains 253; i='s local-part 64; l= 76 digits below 2^63; t=
 * and x= 12 digits. Every string kept is copied into the struct.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "dkim_tags.h"
#include "dkim_tags_int.h"
#include "util.h"

/* fail - a permerror with reason why */
static enum pcl_dkim_tags_status
fail(char *err, size_t errlen, const char *why)
{
	pcl_format(err, errlen, "%s", why);
	return PCL_DKIM_TAGS_PERMERROR;
}

/* parse_alg - a= */
static bool
parse_alg(struct pcl_dkim_span v, struct pcl_dkim_tags_sig *sig,
          const char **why)
{
	if (pcl_dkim_span_is(v, "rsa-sha256"))
		sig->alg = PCL_DKIM_TAGS_RSA_SHA256;
	else if (pcl_dkim_span_is(v, "ed25519-sha256"))
		sig->alg = PCL_DKIM_TAGS_ED25519_SHA256;
	else if (pcl_dkim_span_is(v, "rsa-sha1"))
		*why = "rsa-sha1 refused (RFC 8301)";
	else
		*why = "unknown a= algorithm";
	return *why == NULL;
}

/* canon_word - "simple" or "relaxed" at the start of v, its length in
 * *used; false for anything else */
static bool
canon_word(struct pcl_dkim_span v, enum pcl_dkim_tags_canon *c, size_t *used)
{
	if (v.len >= 6 && memcmp(v.p, "simple", 6) == 0) {
		*c = PCL_DKIM_TAGS_SIMPLE;
		*used = 6;
		return true;
	}
	if (v.len >= 7 && memcmp(v.p, "relaxed", 7) == 0) {
		*c = PCL_DKIM_TAGS_RELAXED;
		*used = 7;
		return true;
	}
	return false;
}

/* parse_canon - c=: header[/body], body simple when not given */
static bool
parse_canon(struct pcl_dkim_span v, struct pcl_dkim_tags_sig *sig)
{
	size_t used;

	if (!canon_word(v, &sig->header_canon, &used))
		return false;
	v.p += used;
	v.len -= used;
	if (v.len == 0)
		return true;
	if (v.p[0] != '/')
		return false;
	v.p++;
	v.len--;
	return canon_word(v, &sig->body_canon, &used) && used == v.len;
}

/* is_ftext - a byte of a header field name (RFC 5322 ftext) */
static bool
is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* parse_headers - h= into sig's h_text, in order, case kept */
static bool
parse_headers(struct pcl_dkim_span v, struct pcl_dkim_tags_sig *sig,
              const char **why)
{
	struct pcl_dkim_list it;
	struct pcl_dkim_span item;
	size_t used = 0;
	int r;

	sig->h_n = 0;
	pcl_dkim_list_start(&it, v);
	while ((r = pcl_dkim_list_next(&it, &item)) == 1) {
		for (size_t k = 0; k < item.len; k++)
			if (!is_ftext((unsigned char)item.p[k]))
				goto bad;
		if (sig->h_n == PCL_DKIM_TAGS_H_MAX) {
			*why = "too many h= names";
			return false;
		}
		if (item.len + 1 > sizeof(sig->h_text) - used) {
			*why = "h= too long";
			return false;
		}
		sig->h_off[sig->h_n++] = (uint16_t)used;
		memcpy(sig->h_text + used, item.p, item.len);
		used += item.len;
		sig->h_text[used++] = '\0';
	}
	if (r < 0)
		goto bad;
	if (!pcl_dkim_tags_sig_signs(sig, "from")) {
		*why = "h= does not sign From";
		return false;
	}
	return true;
bad:
	*why = "bad h= list";
	return false;
}

/* parse_identity - i= (or "@" d=): copied, domain lower-cased and held
 * to be d= or a subdomain of it (3.5) */
static bool
parse_identity(struct pcl_dkim_span v, struct pcl_dkim_tags_sig *sig,
               const char **why)
{
	struct pcl_dkim_span dom;
	size_t local, dlen, ilen;
	const char *at = NULL;

	for (size_t k = 0; k < v.len; k++) {
		if (v.p[k] == '@')
			at = v.p + k;
		else if (v.p[k] == '\r' || v.p[k] == '\n')
			goto bad;
	}
	/* The domain has no "@"; a quoted local-part may. */
	if (at == NULL)
		goto bad;
	local = (size_t)(at - v.p);
	if (local > PCL_DKIM_TAGS_LOCAL_MAX)
		goto bad;
	dom.p = at + 1;
	dom.len = v.len - local - 1;
	memcpy(sig->i, v.p, local + 1);
	sig->i_domain = local + 1;
	if (!pcl_dkim_tags_domain(dom, 1, false, true, sig->i + local + 1))
		goto bad;
	dlen = strlen(sig->d);
	ilen = dom.len;
	if (ilen < dlen ||
	    strcmp(sig->i + sig->i_domain + ilen - dlen, sig->d) != 0 ||
	    (ilen > dlen && sig->i[sig->i_domain + ilen - dlen - 1] != '.')) {
		*why = "i= not within d=";
		return false;
	}
	return true;
bad:
	*why = "bad i= identity";
	return false;
}

/* parse_methods - q=: a list that must offer dns/txt */
static bool
parse_methods(struct pcl_dkim_span v)
{
	struct pcl_dkim_list it;
	struct pcl_dkim_span item;
	bool txt = false;
	int r;

	pcl_dkim_list_start(&it, v);
	while ((r = pcl_dkim_list_next(&it, &item)) == 1)
		if (pcl_dkim_span_is(item, "dns/txt"))
			txt = true;
	return r == 0 && txt;
}

/* parse_b - b= decoded, and where its value lies in the field */
static bool
parse_b(const struct pcl_dkim_tag_list *list, struct pcl_dkim_tags_sig *sig,
        const char **why)
{
	const struct pcl_dkim_tag *g = pcl_dkim_tags_find(list, "b");
	struct pcl_dkim_span v;

	if (g == NULL) {
		*why = "missing b= tag";
		return false;
	}
	v.p = list->text + g->value_off;
	v.len = g->value_len;
	switch (pcl_dkim_tags_base64(v, sig->b, sizeof(sig->b), &sig->b_len)) {
	case PCL_DKIM_B64_OK:
		break;
	case PCL_DKIM_B64_LONG:
		*why = "b= too long";
		return false;
	default:
		*why = "bad b= base64";
		return false;
	}
	if (sig->b_len == 0) {
		*why = "empty b=";
		return false;
	}
	sig->b_value_off = g->value_off;
	sig->b_value_end = g->value_off + g->value_len;
	sig->b_blank_off = g->blank_off;
	sig->b_blank_end = g->blank_end;
	return true;
}

/* parse_bh - bh=: exactly one SHA-256 */
static bool
parse_bh(struct pcl_dkim_span v, struct pcl_dkim_tags_sig *sig,
         const char **why)
{
	size_t n = 0;

	enum pcl_dkim_b64 r;

	r = pcl_dkim_tags_base64(v, sig->bh, sizeof(sig->bh), &n);
	if (r == PCL_DKIM_B64_BAD)
		*why = "bad bh= base64";
	else if (r == PCL_DKIM_B64_LONG || n != PCL_DKIM_TAGS_BH_LEN)
		*why = "bh= not 32 bytes";
	return *why == NULL;
}

/* parse_numbers - l=, t=, x= */
static bool
parse_numbers(const struct pcl_dkim_tag_list *list,
              struct pcl_dkim_tags_sig *sig, const char **why)
{
	struct pcl_dkim_span v;

	if ((sig->l_given = pcl_dkim_tags_value(list, "l", &v)) &&
	    !pcl_dkim_tags_decimal(v, 76, &sig->l))
		*why = "bad l= length";
	else if ((sig->t_given = pcl_dkim_tags_value(list, "t", &v)) &&
	         !pcl_dkim_tags_decimal(v, 12, &sig->t))
		*why = "bad t= timestamp";
	else if ((sig->x_given = pcl_dkim_tags_value(list, "x", &v)) &&
	         !pcl_dkim_tags_decimal(v, 12, &sig->x))
		*why = "bad x= expiry";
	else if (sig->t_given && sig->x_given && sig->x < sig->t)
		*why = "x= before t=";
	return *why == NULL;
}

/* parse_instance - ARC's i=: 1 to PCL_DKIM_TAGS_ARC_MAX */
static bool
parse_instance(const struct pcl_dkim_tag_list *list,
               struct pcl_dkim_tags_sig *sig, const char **why)
{
	struct pcl_dkim_span v;
	uint64_t n = 0;

	if (!pcl_dkim_tags_value(list, "i", &v))
		*why = "missing i= instance";
	else if (!pcl_dkim_tags_decimal(v, 2, &n) || n == 0 ||
	         n > PCL_DKIM_TAGS_ARC_MAX)
		*why = "bad i= instance";
	sig->instance = (unsigned)n;
	return *why == NULL;
}

/* parse_cv - an ARC-Seal's cv= */
static bool
parse_cv(const struct pcl_dkim_tag_list *list, struct pcl_dkim_tags_sig *sig,
         const char **why)
{
	struct pcl_dkim_span v;

	if (!pcl_dkim_tags_value(list, "cv", &v))
		*why = "missing cv= tag";
	else if (pcl_dkim_span_is(v, "none"))
		sig->cv = 'n';
	else if (pcl_dkim_span_is(v, "pass"))
		sig->cv = 'p';
	else if (pcl_dkim_span_is(v, "fail"))
		sig->cv = 'f';
	else
		*why = "bad cv= value";
	return *why == NULL;
}

/* parse_seal - the rest of an ARC-Seal: d=, s=, t=; an h= is refused
 * (RFC 8617 4.1.3), the header canonicalization is relaxed */
static enum pcl_dkim_tags_status
parse_seal(const struct pcl_dkim_tag_list *list, struct pcl_dkim_tags_sig *sig,
           char *err, size_t errlen)
{
	struct pcl_dkim_span v;
	const char *why = NULL;

	if (pcl_dkim_tags_find(list, "h") != NULL)
		return fail(err, errlen, "h= in an ARC-Seal");
	if (!pcl_dkim_tags_value(list, "d", &v) ||
	    !pcl_dkim_tags_domain(v, 2, false, true, sig->d))
		return fail(err, errlen, "bad d= domain");
	if (!pcl_dkim_tags_value(list, "s", &v) ||
	    !pcl_dkim_tags_domain(v, 1, true, false, sig->s))
		return fail(err, errlen, "bad s= selector");
	sig->header_canon = PCL_DKIM_TAGS_RELAXED;
	sig->i[0] = '@';
	memcpy(sig->i + 1, sig->d, strlen(sig->d) + 1);
	sig->i_domain = 1;
	if ((sig->t_given = pcl_dkim_tags_value(list, "t", &v)) &&
	    !pcl_dkim_tags_decimal(v, 12, &sig->t))
		why = "bad t= timestamp";
	return why ? fail(err, errlen, why) : PCL_DKIM_TAGS_OK;
}

/* parse_kind - a signature field of one kind into sig */
static enum pcl_dkim_tags_status
parse_kind(const char *field, size_t len, enum pcl_dkim_tags_kind kind,
           struct pcl_dkim_tags_sig *sig, char *err, size_t errlen)
{
	struct pcl_dkim_tag_list list;
	struct pcl_dkim_span v;
	const char *why = NULL;
	enum pcl_dkim_tags_status st;

	memset(sig, 0, sizeof(*sig));
	if (len > PCL_DKIM_TAGS_TEXT_MAX)
		return fail(err, errlen, "signature field too long");
	st = pcl_dkim_tags_parse(field, len, &list, err, errlen);
	if (st != PCL_DKIM_TAGS_OK)
		return st;
	if (kind == PCL_DKIM_TAGS_DKIM) {
		if (!pcl_dkim_tags_value(&list, "v", &v))
			return fail(err, errlen, "missing v= tag");
		if (!pcl_dkim_span_is(v, "1"))
			return fail(err, errlen, "unknown v= version");
	} else if (!parse_instance(&list, sig, &why) ||
	           (kind == PCL_DKIM_TAGS_SEAL &&
	            !parse_cv(&list, sig, &why))) {
		return fail(err, errlen, why);
	}
	if (!pcl_dkim_tags_value(&list, "a", &v))
		return fail(err, errlen, "missing a= tag");
	if (!parse_alg(v, sig, &why))
		return fail(err, errlen, why);
	if (!parse_b(&list, sig, &why))
		return fail(err, errlen, why);
	if (kind == PCL_DKIM_TAGS_SEAL)
		return parse_seal(&list, sig, err, errlen);
	if (!pcl_dkim_tags_value(&list, "bh", &v))
		return fail(err, errlen, "missing bh= tag");
	if (!parse_bh(v, sig, &why))
		return fail(err, errlen, why);
	sig->header_canon = sig->body_canon = PCL_DKIM_TAGS_SIMPLE;
	if (pcl_dkim_tags_value(&list, "c", &v) && !parse_canon(v, sig))
		return fail(err, errlen, "unknown c= canonicalization");
	if (!pcl_dkim_tags_value(&list, "d", &v))
		return fail(err, errlen, "missing d= tag");
	if (!pcl_dkim_tags_domain(v, 2, false, true, sig->d))
		return fail(err, errlen, "bad d= domain");
	/* Selectors with "_" are seen in the wild; harmless in a query
	 * name, so allowed although 3.1 says sub-domain. */
	if (!pcl_dkim_tags_value(&list, "s", &v))
		return fail(err, errlen, "missing s= tag");
	if (!pcl_dkim_tags_domain(v, 1, true, false, sig->s))
		return fail(err, errlen, "bad s= selector");
	if (!pcl_dkim_tags_value(&list, "h", &v))
		return fail(err, errlen, "missing h= tag");
	if (!parse_headers(v, sig, &why))
		return fail(err, errlen, why);
	if (kind == PCL_DKIM_TAGS_ARC_SIG) {
		sig->i[0] = '@';
		memcpy(sig->i + 1, sig->d, strlen(sig->d) + 1);
		sig->i_domain = 1;
	} else if ((sig->i_given = pcl_dkim_tags_value(&list, "i", &v))) {
		if (!parse_identity(v, sig, &why))
			return fail(err, errlen, why);
	} else {
		sig->i[0] = '@';
		memcpy(sig->i + 1, sig->d, strlen(sig->d) + 1);
		sig->i_domain = 1;
	}
	if (pcl_dkim_tags_value(&list, "q", &v) && !parse_methods(v))
		return fail(err, errlen, "unsupported q= method");
	if (!parse_numbers(&list, sig, &why))
		return fail(err, errlen, why);
	return PCL_DKIM_TAGS_OK;
}

/* pcl_dkim_tags_sig_parse - a DKIM-Signature field value into sig */
enum pcl_dkim_tags_status
pcl_dkim_tags_sig_parse(const char *field, size_t len,
                        struct pcl_dkim_tags_sig *sig, char *err, size_t errlen)
{
	return parse_kind(field, len, PCL_DKIM_TAGS_DKIM, sig, err, errlen);
}

/* pcl_dkim_tags_arc_parse - an ARC-Message-Signature or ARC-Seal */
enum pcl_dkim_tags_status
pcl_dkim_tags_arc_parse(const char *field, size_t len,
                        enum pcl_dkim_tags_kind kind,
                        struct pcl_dkim_tags_sig *sig, char *err, size_t errlen)
{
	if (kind == PCL_DKIM_TAGS_DKIM)
		return fail(err, errlen, "not an ARC field");
	return parse_kind(field, len, kind, sig, err, errlen);
}

/* pcl_dkim_tags_sig_header - the n-th name of h= */
const char *
pcl_dkim_tags_sig_header(const struct pcl_dkim_tags_sig *sig, size_t n)
{
	return n < sig->h_n ? sig->h_text + sig->h_off[n] : NULL;
}

/* pcl_dkim_tags_sig_signs - h= names name, case aside */
bool
pcl_dkim_tags_sig_signs(const struct pcl_dkim_tags_sig *sig, const char *name)
{
	for (size_t k = 0; k < sig->h_n; k++)
		if (strcasecmp(sig->h_text + sig->h_off[k], name) == 0)
			return true;
	return false;
}
