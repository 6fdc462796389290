/*
 * dkim_verify - DKIM verification of our own (RFC 6376, RFC 8463,
 * RFC 8301), one verifier per message, over OpenSSL 3
 *
 * Header: every field is kept as Postfix gives it (the value with its
 * leading space, folds as bare LF), within VERIFY_FIELDS_MAX fields and
 * VERIFY_BYTES_MAX bytes; past that nothing more is kept and every
 * signature is reported neutral (a signed field could be missing). Of
 * the DKIM-Signature fields, the first scan_max are examined; the rest
 * are only counted (pcl_dkim_verify_unexamined).
 *
 * End of header, the choice (the cap acts before the expensive work):
 *   1. each examined field's tag-list is read (offsets, no copies): a
 *      bad one is a permerror, a= rsa-sha1 a fail (RFC 8301); neither
 *      uses up the cap, so junk cannot push a real signature out;
 *   2. the others are taken in order of preference, those whose d= is
 *      the From: domain or a parent of it first (they are the ones
 *      DMARC asks about), then header order, and parsed in full until
 *      max_signatures parsed well; the rest are neutral, "over the
 *      per-message limit", never parsed;
 *   3. for each chosen one: x= in the past is a fail (no key fetched);
 *      the key name (s=._domainkey.d=) is queried, once per name, in
 *      one DNS batch sent now, so the lookups overlap the body; one
 *      body hash per distinct (body canonicalization, l=).
 * Body: every body hash takes each chunk (dkim_canon.c, streaming).
 * End of message: the body hashes end, the batch is awaited (its
 * deadline is dns_timeout from its sending), and each chosen signature
 * is judged (dkim_verify_judge.c).
 *
 * Bounds: fields and bytes above; at most 2 * max_signatures + 10
 * fields examined (max_signatures <= 50), max_signatures full parses,
 * key lookups and body hashes. Memory: the kept header (1 MiB at most)
 * and about 7 KiB per chosen signature.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim_verify_int.h"
#include "util.h"

#define VERIFY_FIELDS_MAX 1000
#define VERIFY_BYTES_MAX (1024 * 1024)
#define SIG_FIELD "DKIM-Signature"

/* pcl_dkim_verify_new - a verifier for one message */
struct pcl_dkim_verify *
pcl_dkim_verify_new(struct pcl_dkim_lib *dl, const char *id)
{
	struct pcl_dkim_verify *v;

	if (dl == NULL)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->lib = dl;
	pcl_copy(v->id, sizeof(v->id), id != NULL && *id ? id : "-");
	v->scan_max = 2 * (size_t)dl->max_signatures + 10;
	return v;
}

/* keep - append "name\0value\0" to the kept header; false over a
 * budget or out of memory */
static bool
keep(struct pcl_dkim_verify *v, const char *name, const char *value)
{
	size_t nlen = strlen(name) + 1, vlen = strlen(value) + 1;
	size_t need = v->used + nlen + vlen;

	if (v->nfields == VERIFY_FIELDS_MAX || need > VERIFY_BYTES_MAX)
		return false;
	if (v->nfields == v->fieldcap) {
		size_t cap = v->fieldcap ? 2 * v->fieldcap : 32;
		size_t *grown = realloc(v->field, cap * sizeof(*grown));

		if (grown == NULL)
			return false;
		v->field = grown;
		v->fieldcap = cap;
	}
	if (need > v->cap) {
		size_t cap = v->cap ? v->cap : 4096;
		char *grown;

		while (cap < need)
			cap *= 2;
		if ((grown = realloc(v->text, cap)) == NULL)
			return false;
		v->text = grown;
		v->cap = cap;
	}
	v->field[v->nfields++] = v->used;
	memcpy(v->text + v->used, name, nlen);
	memcpy(v->text + v->used + nlen, value, vlen);
	v->used = need;
	return true;
}

/* pcl_dkim_verify_header - one header field as Postfix gives it */
void
pcl_dkim_verify_header(struct pcl_dkim_verify *v, const char *name,
                       const char *value)
{
	bool sig;

	if (v == NULL || v->state != VERIFY_HEADERS || name == NULL)
		return;
	sig = strcasecmp(name, SIG_FIELD) == 0;
	if (v->overflow || !keep(v, name, value != NULL ? value : "")) {
		v->overflow = true;
		v->unexamined += sig;
		return;
	}
	if (!sig) {
		(void)dkim_verify_arc_header(v, name, v->nfields - 1);
		return;
	}
	if (v->nsigs == v->scan_max) {
		v->unexamined++;
		return;
	}
	if (v->nsigs == v->sigcap) {
		size_t cap = v->sigcap ? 2 * v->sigcap : 4;
		struct vsig *grown = realloc(v->sigs, cap * sizeof(*grown));

		if (grown == NULL) {
			v->unexamined++;
			return;
		}
		v->sigs = grown;
		v->sigcap = cap;
	}
	memset(&v->sigs[v->nsigs], 0, sizeof(v->sigs[0]));
	v->sigs[v->nsigs].field = v->nfields - 1;
	v->sigs[v->nsigs].query = -1;
	v->nsigs++;
}

/* dkim_verify_field_name - the name of kept field i */
const char *
dkim_verify_field_name(const struct pcl_dkim_verify *v, size_t i)
{
	return v->text + v->field[i];
}

/* dkim_verify_field_value - the value of kept field i */
const char *
dkim_verify_field_value(const struct pcl_dkim_verify *v, size_t i)
{
	const char *name = v->text + v->field[i];

	return name + strlen(name) + 1;
}

/* copy_token - a tag value for display: white space dropped, bytes
 * outside printable ASCII or that would need quoting in a header
 * (;()"\) replaced by '?'; truncated to len */
static void
copy_token(char *dst, size_t len, const char *src, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		dst[k++] =
		    (c > 0x20 && c < 0x7f && strchr(";()\"\\", c) == NULL)
		        ? (char)c
		        : '?';
	}
	dst[k] = '\0';
}

/* describe - d=, s=, a= and the start of b= for the report, read from
 * the tag-list; false when the tag-list itself is malformed (why in
 * the reason) */
static bool
describe(struct pcl_dkim_verify *v, struct vsig *s)
{
	struct pcl_dkim_sig *out = &s->out;
	const char *value = dkim_verify_field_value(v, s->field);
	struct pcl_dkim_tag_list list;
	char why[96] = "";
	static const struct {
		const char *tag;
		size_t off, len;
	} shown[] = {
	    {"d", offsetof(struct pcl_dkim_sig, domain),
	     sizeof(((struct pcl_dkim_sig *)0)->domain)},
	    {"s", offsetof(struct pcl_dkim_sig, selector),
	     sizeof(((struct pcl_dkim_sig *)0)->selector)},
	    {"a", offsetof(struct pcl_dkim_sig, algorithm),
	     sizeof(((struct pcl_dkim_sig *)0)->algorithm)},
	    {"b", offsetof(struct pcl_dkim_sig, b),
	     sizeof(((struct pcl_dkim_sig *)0)->b)},
	};

	if (pcl_dkim_tags_parse(value, strlen(value), &list, why,
	                        sizeof(why)) != PCL_DKIM_TAGS_OK) {
		dkim_verify_set(s, PCL_DKIM_PERMERROR, "bad signature: %s",
		                why);
		return false;
	}
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		const struct pcl_dkim_tag *t =
		    pcl_dkim_tags_find(&list, shown[i].tag);

		if (t != NULL)
			copy_token((char *)out + shown[i].off, shown[i].len,
			           value + t->value_off, t->value_len);
	}
	pcl_lower(out->domain);
	pcl_lower(out->algorithm);
	return true;
}

/* from_domain - the domain of the one From: address, lower case, or
 * "" (no From:, several, no address) */
static void
from_domain(const struct pcl_dkim_verify *v, char *out, size_t len)
{
	char addr[PCL_ADDRESS_MAX];
	const char *from = NULL, *at;

	*out = '\0';
	for (size_t i = 0; i < v->nfields; i++) {
		if (strcasecmp(dkim_verify_field_name(v, i), "From") != 0)
			continue;
		if (from != NULL)
			return;
		from = dkim_verify_field_value(v, i);
	}
	if (from == NULL || !pcl_header_address(from, addr, sizeof(addr)) ||
	    (at = strrchr(addr, '@')) == NULL)
		return;
	pcl_copy(out, len, at + 1);
	pcl_lower(out);
}

/* aligned - d= is the From: domain or a parent of it */
static bool
aligned(const char *d, const char *from)
{
	size_t dl = strlen(d), fl = strlen(from);

	if (*d == '\0' || dl > fl)
		return false;
	return strcmp(from + fl - dl, d) == 0 &&
	       (dl == fl || from[fl - dl - 1] == '.');
}

/* choose - parse in full, in order of preference, until the cap */
static void
choose(struct pcl_dkim_verify *v, bool first_pass, const char *from,
       unsigned *parsed)
{
	for (size_t i = 0; i < v->nsigs; i++) {
		struct vsig *s = &v->sigs[i];
		const char *value;
		char why[96] = "";

		if (s->judged || s->chosen ||
		    aligned(s->out.domain, from) != first_pass)
			continue;
		if (*parsed == v->lib->max_signatures) {
			dkim_verify_set(s, PCL_DKIM_NEUTRAL,
			                "not verified: over the per-message "
			                "limit");
			continue;
		}
		if ((s->tags = malloc(sizeof(*s->tags))) == NULL) {
			dkim_verify_set(s, PCL_DKIM_TEMPERROR,
			                "not verified: out of memory");
			continue;
		}
		value = dkim_verify_field_value(v, s->field);
		if (pcl_dkim_tags_sig_parse(value, strlen(value), s->tags, why,
		                            sizeof(why)) != PCL_DKIM_TAGS_OK) {
			dkim_verify_set(s, PCL_DKIM_PERMERROR,
			                "bad signature: %s", why);
			continue;
		}
		s->chosen = true;
		(*parsed)++;
	}
}

/* prescreen - what the tag-list alone decides */
static void
prescreen(struct pcl_dkim_verify *v)
{
	for (size_t i = 0; i < v->nsigs; i++) {
		struct vsig *s = &v->sigs[i];

		if (!describe(v, s))
			continue;
		if (v->overflow)
			dkim_verify_set(s, PCL_DKIM_NEUTRAL,
			                "not verified: header too large "
			                "(over %d fields or %d bytes)",
			                VERIFY_FIELDS_MAX, VERIFY_BYTES_MAX);
		else if (strcmp(s->out.algorithm, "rsa-sha1") == 0)
			dkim_verify_set(s, PCL_DKIM_FAIL,
			                "rsa-sha1 not allowed (RFC 8301)");
	}
}

/* pcl_dkim_verify_eoh - end of header: choose, send key lookups, set
 * up the body hashes */
void
pcl_dkim_verify_eoh(struct pcl_dkim_verify *v)
{
	char from[PCL_DOMAIN_MAX + 1];
	unsigned parsed = 0;

	if (v == NULL || v->state != VERIFY_HEADERS)
		return;
	v->state = VERIFY_BODY;
	if (v->overflow && v->arc.nfields > 0 && !v->arc.decided) {
		v->arc.decided = true;
		v->arc.result.result = PCL_ARC_FAIL;
		pcl_copy(v->arc.result.reason, sizeof(v->arc.result.reason),
		         "not verified: header too large");
	}
	prescreen(v);
	from_domain(v, from, sizeof(from));
	choose(v, true, from, &parsed);
	choose(v, false, from, &parsed);
	dkim_verify_start(v);
}

/* pcl_dkim_verify_body - one body chunk, CRLF line ends */
void
pcl_dkim_verify_body(struct pcl_dkim_verify *v, const unsigned char *p,
                     size_t len)
{
	if (v == NULL)
		return;
	if (v->state == VERIFY_HEADERS)
		pcl_dkim_verify_eoh(v);
	if (v->state != VERIFY_BODY || p == NULL || len == 0)
		return;
	for (size_t i = 0; i < v->nbodies; i++)
		pcl_dkim_body_update(&v->bodies[i].canon, p, len);
}

/* pcl_dkim_verify_eom - end of message: judge every signature */
void
pcl_dkim_verify_eom(struct pcl_dkim_verify *v)
{
	if (v == NULL || v->state == VERIFY_DONE)
		return;
	if (v->state == VERIFY_HEADERS)
		pcl_dkim_verify_eoh(v);
	dkim_verify_finish(v);
	v->state = VERIFY_DONE;
}

/* pcl_dkim_verify_count - signatures examined (0 before eom) */
size_t
pcl_dkim_verify_count(const struct pcl_dkim_verify *v)
{
	return v != NULL && v->state == VERIFY_DONE ? v->nsigs : 0;
}

/* pcl_dkim_verify_unexamined - DKIM-Signature fields past the scan
 * bound or the header budget: counted, never read */
size_t
pcl_dkim_verify_unexamined(const struct pcl_dkim_verify *v)
{
	return v != NULL ? v->unexamined : 0;
}

/* pcl_dkim_verify_sig - the verdict of signature i, in header order;
 * NULL past the end */
const struct pcl_dkim_sig *
pcl_dkim_verify_sig(const struct pcl_dkim_verify *v, size_t i)
{
	if (i >= pcl_dkim_verify_count(v))
		return NULL;
	return &v->report[i];
}

/* pcl_dkim_verify_free - everything the verifier holds; NULL is safe */
void
pcl_dkim_verify_free(struct pcl_dkim_verify *v)
{
	if (v == NULL)
		return;
	dkim_verify_release(v);
	dkim_verify_arc_free(v);
	free(v->keys);
	for (size_t i = 0; i < v->nsigs; i++)
		free(v->sigs[i].tags);
	free(v->sigs);
	free(v->report);
	free(v->field);
	free(v->text);
	free(v);
}
