/*
 * dkim_verify_arc - ARC chain validation (RFC 8617 5.2) inside the DKIM
 * verifier: the same kept header, body hashes, key lookups (one batch)
 * and key cache
 *
 * Header: each ARC-Seal (AS), ARC-Message-Signature (AMS) and
 * ARC-Authentication-Results (AAR) field is filed under its i=; a
 * second field of one kind and instance, an i= outside 1..50 or more
 * than 150 ARC fields break the chain.
 * End of header, what the fields alone decide (the chain fails):
 * instances not 1..N each with all three fields; a seal that does not
 * parse; AS(N) cv=fail; AS(1) cv not none or a later one not pass; an
 * AMS(N) that does not parse. Otherwise the keys of every seal and of
 * AMS(N) are asked for, AMS(N)'s body hash set up, and so are older
 * AMS's while body hashes are free (for the oldest pass).
 * End of message: AMS(N) must verify (as a DKIM signature); then each
 * seal from N down to 1 over the sets 1..i in order (AAR, AMS, AS,
 * relaxed, the last seal with b= blank and no CRLF). The oldest pass
 * is the oldest AMS that verifies with every newer one.
 *
 * Bounds: 50 sets, each field parsed once at the end of the header; at
 * most 51 key lookups (one per distinct key name) and body hashes only
 * where the verifier has slots left.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim_verify_int.h"
#include "util.h"

#define ARC_FIELDS_MAX (3 * PCL_DKIM_TAGS_ARC_MAX)

/* arc_set - the chain's verdict, final */
static void
arc_set(struct varc *a, enum pcl_arc_chain r, const char *why, unsigned i)
{
	a->result.result = r;
	a->decided = true;
	if (i > 0)
		pcl_format(a->result.reason, sizeof(a->result.reason),
		           "%s (i=%u)", why, i);
	else
		pcl_copy(a->result.reason, sizeof(a->result.reason), why);
}

/* aar_instance - the i= an ARC-Authentication-Results value begins
 * with ("i=1; ..."), or 0 */
static unsigned
aar_instance(const char *value)
{
	unsigned n = 0;
	const char *p = value;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (p[0] != 'i' || p[1] != '=')
		return 0;
	for (p += 2; *p >= '0' && *p <= '9' && n <= PCL_DKIM_TAGS_ARC_MAX; p++)
		n = n * 10 + (unsigned)(*p - '0');
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == ';' ? n : 0;
}

/* sig_instance - the i= of an AS or AMS tag-list, or 0 */
static unsigned
sig_instance(const char *value)
{
	struct pcl_dkim_tag_list list;
	const struct pcl_dkim_tag *t;
	char err[64];
	unsigned n = 0;

	if (pcl_dkim_tags_parse(value, strlen(value), &list, err,
	                        sizeof(err)) != PCL_DKIM_TAGS_OK ||
	    (t = pcl_dkim_tags_find(&list, "i")) == NULL || t->value_len > 2)
		return 0;
	for (size_t k = 0; k < t->value_len; k++) {
		char c = value[t->value_off + k];

		if (c < '0' || c > '9')
			return 0;
		n = n * 10 + (unsigned)(c - '0');
	}
	return n;
}

/* dkim_verify_arc_header - file an ARC field under its instance */
bool
dkim_verify_arc_header(struct pcl_dkim_verify *v, const char *name,
                       size_t field)
{
	struct varc *a = &v->arc;
	const char *value = dkim_verify_field_value(v, field);
	size_t *slot;
	unsigned i;

	if (strcasecmp(name, "ARC-Seal") == 0)
		slot = a->as, i = sig_instance(value);
	else if (strcasecmp(name, "ARC-Message-Signature") == 0)
		slot = a->ams, i = sig_instance(value);
	else if (strcasecmp(name, "ARC-Authentication-Results") == 0)
		slot = a->aar, i = aar_instance(value);
	else
		return false;
	if (a->decided)
		return true;
	if (++a->nfields > ARC_FIELDS_MAX)
		arc_set(a, PCL_ARC_FAIL, "more than 50 ARC sets", 0);
	else if (i == 0 || i > PCL_DKIM_TAGS_ARC_MAX)
		arc_set(a, PCL_ARC_FAIL, "ARC field without a valid i=", 0);
	else if (slot[i] != 0)
		arc_set(a, PCL_ARC_FAIL, "two ARC fields of one kind", i);
	else
		slot[i] = field + 1;
	if (i > a->n && i <= PCL_DKIM_TAGS_ARC_MAX)
		a->n = i;
	return true;
}

/* parse_one - an AS or AMS field into s (field index + 1 in f) */
static bool
parse_one(struct pcl_dkim_verify *v, struct vsig *s, size_t f,
          enum pcl_dkim_tags_kind kind, char *why, size_t len)
{
	const char *value = dkim_verify_field_value(v, f - 1);

	memset(s, 0, sizeof(*s));
	s->field = f - 1;
	s->query = -1;
	if ((s->tags = malloc(sizeof(*s->tags))) == NULL) {
		pcl_copy(why, len, "out of memory");
		return false;
	}
	if (pcl_dkim_tags_arc_parse(value, strlen(value), kind, s->tags, why,
	                            len) != PCL_DKIM_TAGS_OK)
		return false;
	s->chosen = true;
	return true;
}

/* structure - the sets alone: complete, parsed, cv= right; the seals
 * and AMS(N) parsed into a->seal, a->sig */
static bool
structure(struct pcl_dkim_verify *v)
{
	struct varc *a = &v->arc;
	char why[96], what[160];

	for (unsigned i = 1; i <= a->n; i++)
		if (!a->aar[i] || !a->ams[i] || !a->as[i]) {
			arc_set(a, PCL_ARC_FAIL, "incomplete ARC set", i);
			return false;
		}
	a->seal = calloc(a->n, sizeof(*a->seal));
	a->sig = calloc(a->n, sizeof(*a->sig));
	if (a->seal == NULL || a->sig == NULL) {
		arc_set(a, PCL_ARC_TEMPERROR, "out of memory", 0);
		return false;
	}
	for (unsigned i = 1; i <= a->n; i++) {
		if (!parse_one(v, &a->seal[i - 1], a->as[i], PCL_DKIM_TAGS_SEAL,
		               why, sizeof(why))) {
			pcl_format(what, sizeof(what), "bad ARC-Seal: %s", why);
			arc_set(a, PCL_ARC_FAIL, what, i);
			return false;
		}
		if (a->seal[i - 1].tags->cv != (i == 1 ? 'n' : 'p')) {
			arc_set(a, PCL_ARC_FAIL,
			        a->seal[i - 1].tags->cv == 'f'
			            ? "the chain failed before (cv=fail)"
			            : "wrong cv=",
			        i);
			return false;
		}
	}
	if (!parse_one(v, &a->sig[a->n - 1], a->ams[a->n],
	               PCL_DKIM_TAGS_ARC_SIG, why, sizeof(why))) {
		pcl_format(what, sizeof(what), "bad ARC-Message-Signature: %s",
		           why);
		arc_set(a, PCL_ARC_FAIL, what, a->n);
		return false;
	}
	return true;
}

/* dkim_verify_arc_start - keys and body hashes for the chain */
void
dkim_verify_arc_start(struct pcl_dkim_verify *v)
{
	struct varc *a = &v->arc;
	char why[96];

	a->result.instances = a->n;
	if (a->decided || a->nfields == 0)
		return;
	if (!structure(v))
		return;
	if (!dkim_verify_prepare(v, &a->sig[a->n - 1], true)) {
		arc_set(a, PCL_ARC_FAIL, "ARC-Message-Signature not verified",
		        a->n);
		return;
	}
	for (unsigned i = 1; i <= a->n; i++)
		(void)dkim_verify_prepare(v, &a->seal[i - 1], false);
	/* older AMS's, newest first, for the oldest pass */
	for (unsigned i = a->n - 1; i >= 1; i--)
		if (!parse_one(v, &a->sig[i - 1], a->ams[i],
		               PCL_DKIM_TAGS_ARC_SIG, why, sizeof(why)) ||
		    !dkim_verify_prepare(v, &a->sig[i - 1], true))
			break;
}

/* seal_hash - the SHA-256 of the sets 1..i (RFC 8617 5.1.1) */
static bool
seal_hash(struct pcl_dkim_verify *v, unsigned i, unsigned char *out)
{
	struct varc *a = &v->arc;
	const struct vsig *s = &a->seal[i - 1];
	const char *value = dkim_verify_field_value(v, s->field);
	size_t len = strlen(value);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *blank = malloc(len + 1);
	bool ok = false;

	if (md == NULL || blank == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (unsigned j = 1; j <= i; j++) {
		const size_t f[3] = {a->aar[j] - 1, a->ams[j] - 1,
		                     a->as[j] - 1};

		for (int k = 0; k < (j == i ? 2 : 3); k++)
			pcl_dkim_canon_header(PCL_CANON_RELAXED,
			                      dkim_verify_field_name(v, f[k]),
			                      dkim_verify_field_value(v, f[k]),
			                      true, dkim_verify_md_emit, md);
	}
	memcpy(blank, value, s->tags->b_blank_off);
	memcpy(blank + s->tags->b_blank_off, value + s->tags->b_blank_end,
	       len - s->tags->b_blank_end + 1);
	pcl_dkim_canon_header(PCL_CANON_RELAXED,
	                      dkim_verify_field_name(v, s->field), blank, false,
	                      dkim_verify_md_emit, md);
	ok = EVP_DigestFinal_ex(md, out, NULL) == 1;
out:
	EVP_MD_CTX_free(md);
	free(blank);
	return ok;
}

/* seal_ok - seal i verifies; else the chain's verdict is set */
static bool
seal_ok(struct pcl_dkim_verify *v, unsigned i)
{
	struct varc *a = &v->arc;
	struct vsig *s = &a->seal[i - 1];
	unsigned char hash[DKIM_SHA256_LEN];
	EVP_PKEY *pkey = s->judged ? NULL : dkim_verify_key(v, s);
	char what[160];
	int good = -1;

	if (pkey != NULL && seal_hash(v, i, hash))
		good = dkim_verify_signature_ok(pkey, s->tags, hash);
	EVP_PKEY_free(pkey);
	if (good == 1)
		return true;
	if (s->judged) {
		pcl_format(what, sizeof(what), "ARC-Seal: %s", s->out.reason);
		arc_set(a,
		        s->out.result == PCL_DKIM_TEMPERROR ? PCL_ARC_TEMPERROR
		                                            : PCL_ARC_FAIL,
		        what, i);
	} else {
		arc_set(a, good == 0 ? PCL_ARC_FAIL : PCL_ARC_TEMPERROR,
		        good == 0 ? "ARC-Seal did not verify"
		                  : "ARC-Seal not verified: verifier error",
		        i);
	}
	return false;
}

/* dkim_verify_arc_finish - the chain judged */
void
dkim_verify_arc_finish(struct pcl_dkim_verify *v)
{
	struct varc *a = &v->arc;
	struct vsig *newest;
	char what[160];

	if (a->decided || a->nfields == 0)
		return;
	newest = &a->sig[a->n - 1];
	if (!newest->judged)
		dkim_verify_judge(v, newest);
	if (newest->out.result != PCL_DKIM_PASS) {
		pcl_format(what, sizeof(what), "ARC-Message-Signature: %s",
		           newest->out.reason);
		arc_set(a,
		        newest->out.result == PCL_DKIM_TEMPERROR
		            ? PCL_ARC_TEMPERROR
		            : PCL_ARC_FAIL,
		        what, a->n);
		return;
	}
	for (unsigned i = a->n; i >= 1; i--)
		if (!seal_ok(v, i))
			return;
	a->result.oldest_pass = a->n;
	for (unsigned i = a->n - 1; i >= 1; i--) {
		struct vsig *s = &a->sig[i - 1];

		if (!s->chosen || s->judged)
			break;
		dkim_verify_judge(v, s);
		if (s->out.result != PCL_DKIM_PASS)
			break;
		a->result.oldest_pass = i;
	}
	arc_set(a, PCL_ARC_PASS, "chain verified", 0);
}

/* dkim_verify_arc_free - the parsed seals and signatures */
void
dkim_verify_arc_free(struct pcl_dkim_verify *v)
{
	struct varc *a = &v->arc;

	for (unsigned i = 0; a->seal && i < a->n; i++)
		free(a->seal[i].tags);
	for (unsigned i = 0; a->sig && i < a->n; i++)
		free(a->sig[i].tags);
	free(a->seal);
	free(a->sig);
	a->seal = a->sig = NULL;
}

/* pcl_dkim_verify_arc - the chain's verdict */
const struct pcl_arc_result *
pcl_dkim_verify_arc(const struct pcl_dkim_verify *v)
{
	return v != NULL ? &v->arc.result : NULL;
}

/* pcl_dkim_verify_arc_set - a passing chain's set i */
bool
pcl_dkim_verify_arc_set(const struct pcl_dkim_verify *v, unsigned i,
                        const char **sealer, const char **aar)
{
	const struct varc *a;

	if (v == NULL || v->arc.result.result != PCL_ARC_PASS || i == 0 ||
	    i > v->arc.n || v->arc.seal == NULL)
		return false;
	a = &v->arc;
	*sealer = a->seal[i - 1].tags->d;
	*aar = dkim_verify_field_value(v, a->aar[i] - 1);
	return true;
}

/* pcl_dkim_verify_arc_values - the three values of set i */
bool
pcl_dkim_verify_arc_values(const struct pcl_dkim_verify *v, unsigned i,
                           const char **aar, const char **ams, const char **as)
{
	const struct varc *a;

	if (v == NULL || i == 0 || i > v->arc.n)
		return false;
	a = &v->arc;
	if (!a->aar[i] || !a->ams[i] || !a->as[i])
		return false;
	*aar = dkim_verify_field_value(v, a->aar[i] - 1);
	*ams = dkim_verify_field_value(v, a->ams[i] - 1);
	*as = dkim_verify_field_value(v, a->as[i] - 1);
	return true;
}

/* pcl_dkim_verify_arc_sealable - whether this hop may add set n + 1,
 * and its cv= */
bool
pcl_dkim_verify_arc_sealable(const struct pcl_dkim_verify *v, unsigned *next,
                             const char **cv)
{
	const struct varc *a = &v->arc;
	const char *aar, *ams, *as;

	*next = a->n + 1;
	switch (a->result.result) {
	case PCL_ARC_NONE:
		*cv = "none";
		return a->nfields == 0;
	case PCL_ARC_PASS:
		*cv = "pass";
		break;
	case PCL_ARC_FAIL:
		*cv = "fail";
		break;
	default:
		return false;
	}
	if (a->n >= PCL_DKIM_TAGS_ARC_MAX)
		return false;
	/* a seal with cv=fail covers its own set alone (5.1.2): the
	 * prior sets need not be whole */
	for (unsigned i = 1; **cv == 'p' && i <= a->n; i++)
		if (!pcl_dkim_verify_arc_values(v, i, &aar, &ams, &as))
			return false;
	/* a chain that failed before this hop ends there */
	return a->seal == NULL || a->seal[a->n - 1].tags == NULL ||
	       a->seal[a->n - 1].tags->cv != 'f';
}

/* pcl_arc_result_name - the RFC 8601 result keyword */
const char *
pcl_arc_result_name(enum pcl_arc_chain r)
{
	switch (r) {
	case PCL_ARC_PASS:
		return "pass";
	case PCL_ARC_FAIL:
		return "fail";
	case PCL_ARC_TEMPERROR:
		return "temperror";
	case PCL_ARC_NONE:
		break;
	}
	return "none";
}
