/*
 * spf - check_host() of RFC 7208 over portcullis's DNS module
 *
 * pcl_spf_check reads the request once into a context, checks the
 * identity's domain (4.3) and runs check_host(), which recurses for
 * include and redirect. The context carries what RFC 7208 counts over
 * the whole evaluation: terms that query the DNS (at most 10: include,
 * a, mx, ptr, exists, redirect, counted when evaluated), void lookups
 * (at most 2) and the time spent (over 20 s is a temperror). The first
 * error decides: a temperror or permerror stops everything, with its
 * reason in problem[].
 *
 * Records come from TXT only (type 99 is never asked, 3.1); exactly one
 * "v=spf1" record may be there (4.5). A record is parsed whole before
 * it is evaluated (spf_parse.c). The explanation of exp= is looked up
 * only after a fail of the top-level record or of a redirect target,
 * never inside an include (6.2), and its problems are ignored.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "spf_int.h"

/* now_ms - the monotonic clock in milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* pcl_spf_result_name - the names of RFC 7208 section 2.6 */
const char *
pcl_spf_result_name(enum pcl_spf_result r)
{
	switch (r) {
	case PCL_SPF_NONE:
		return "none";
	case PCL_SPF_NEUTRAL:
		return "neutral";
	case PCL_SPF_PASS:
		return "pass";
	case PCL_SPF_FAIL:
		return "fail";
	case PCL_SPF_SOFTFAIL:
		return "softfail";
	case PCL_SPF_TEMPERROR:
		return "temperror";
	case PCL_SPF_PERMERROR:
		return "permerror";
	}
	return "unknown";
}

/* spf_error - keep the first error; -1 */
int
spf_error(struct spf_ctx *c, enum pcl_spf_result r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->error != PCL_SPF_NONE)
		return -1;
	c->error = r;
	/* a reason cut short still says why: no truncation check */
	va_start(ap, fmt);
	n = vsnprintf(c->problem, sizeof(c->problem), fmt, ap);
	va_end(ap);
	if (n < 0)
		c->problem[0] = '\0';
	return -1;
}

/* spf_count_void - one more void lookup (4.6.4) */
int
spf_count_void(struct spf_ctx *c, const char *name)
{
	if (++c->voids > SPF_VOID_MAX)
		return spf_error(c, PCL_SPF_PERMERROR,
		                 "more than %d void lookups (the last: %s)",
		                 SPF_VOID_MAX, name);
	return 0;
}

/* count_lookup - one more term that queries the DNS, and the time
 * spent so far (4.6.4) */
static int
count_lookup(struct spf_ctx *c, const char *term)
{
	if (++c->lookups > SPF_LOOKUP_MAX)
		return spf_error(c, PCL_SPF_PERMERROR,
		                 "more than %d DNS-querying terms (at %s)",
		                 SPF_LOOKUP_MAX, term);
	if (now_ms() - c->start_ms > SPF_TIME_MAX_MS)
		return spf_error(c, PCL_SPF_TEMPERROR,
		                 "evaluation over %d s (at %s)",
		                 SPF_TIME_MAX_MS / 1000, term);
	return 0;
}

/* spf_name_valid - labels of 1..63 bytes, 253 in all, a final dot */
bool
spf_name_valid(const char *name, size_t len)
{
	size_t label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > PCL_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '\0')
			return false;
		if (name[i] != '.')
			label++;
		else if (label == 0)
			return false;
		else
			label = 0;
		if (label > PCL_LABEL_MAX)
			return false;
	}
	return label > 0;
}

/* multi_label - a valid name with at least two labels (4.3) */
static bool
multi_label(const char *name)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	return spf_name_valid(name, len) && memchr(name, '.', len) != NULL;
}

/* identity_domain - the checked identity's domain, without a final
 * dot, when it is a host name: letters, digits, "-", "_" in two labels
 * or more; anything else (a domain literal, 8-bit bytes, an empty or
 * overlong label) gets "none" (4.3) */
static bool
identity_domain(const char *domain, char out[PCL_DOMAIN_MAX + 1])
{
	size_t len = domain ? strlen(domain) : 0;

	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len > PCL_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = domain[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		      ch == '.'))
			return false;
	}
	memcpy(out, domain, len);
	out[len] = '\0';
	return multi_label(out);
}

/* spf_sender_setup - <sender> with "postmaster" for a missing
 * local-part (4.3), cut into l and o; -1 when it does not fit */
int
spf_sender_setup(struct spf_ctx *c, const char *domain)
{
	const char *s = c->req->sender ? c->req->sender : "";
	const char *at = strrchr(s, '@');
	const char *local = "postmaster";
	size_t locallen = strlen(local);
	const char *dom = domain;

	if (at != NULL) {
		dom = at + 1;
		if (at > s) {
			local = s;
			locallen = (size_t)(at - s);
		}
	} else if (*s != '\0') {
		dom = s; /* no "@": a bare domain */
	}
	if (locallen > SPF_VALUE_MAX ||
	    !pcl_format(c->sender, sizeof(c->sender), "%.*s@%s", (int)locallen,
	                local, dom))
		return -1;
	c->locallen = locallen;
	c->odomain = c->sender + locallen + 1;
	return 0;
}

/* is_spf_record - "v=spf1" alone or followed by a space (4.5) */
static bool
is_spf_record(const char *text, size_t len)
{
	return len >= 6 && strncasecmp(text, "v=spf1", 6) == 0 &&
	       (len == 6 || text[6] == ' ');
}

/* record_fetch - the one SPF record of domain: 1 (parsed into rec),
 * 0 none, -1 error */
static int
record_fetch(struct spf_ctx *c, const char *domain, struct spf_record *rec)
{
	struct pcl_dns_answer *a = pcl_dns_lookup(c->dns, domain, PCL_DNS_TXT);
	const struct pcl_dns_rr *found = NULL;
	char err[PCL_SPF_TEXT_MAX];
	int rc = 0;

	switch (spf_answer_kind(a)) {
	case SPF_ANSWER_FOUND:
		break;
	case SPF_ANSWER_VOID:
	case SPF_ANSWER_BADNAME:
		goto out;
	case SPF_ANSWER_ERROR:
		rc = spf_error(c, PCL_SPF_TEMPERROR, "TXT lookup of %s: %s",
		               domain, spf_answer_error(a));
		goto out;
	}
	for (size_t i = 0; i < a->count; i++) {
		const struct pcl_dns_rr *rr = &a->rrs[i];

		if (!is_spf_record(rr->u.txt.text, rr->u.txt.len))
			continue;
		if (found != NULL) {
			rc =
			    spf_error(c, PCL_SPF_PERMERROR,
			              "more than one SPF record at %s", domain);
			goto out;
		}
		found = rr;
	}
	if (found == NULL)
		goto out;
	if (spf_record_parse(found->u.txt.text, found->u.txt.len, rec, err,
	                     sizeof(err)) < 0) {
		rc = spf_error(c, PCL_SPF_PERMERROR, "%s: %s", domain, err);
		goto out;
	}
	rc = 1;
out:
	pcl_dns_answer_free(a);
	return rc;
}

static enum pcl_spf_result check_host(struct spf_ctx *c, const char *domain,
                                      unsigned depth, bool want_exp, char *mech,
                                      size_t mechlen);

/* include - 5.2: match on pass; fail, softfail, neutral do not match;
 * the errors stay errors and "none" becomes a permerror */
static int
include(struct spf_ctx *c, const struct spf_term *t, const char *d,
        unsigned depth)
{
	char target[PCL_DOMAIN_MAX + 1];
	enum pcl_spf_result r;

	if (!spf_expand_name(c, d, t->spec, t->speclen, target))
		return spf_error(c, PCL_SPF_PERMERROR,
		                 "%s: the target is no domain name", t->text);
	r = check_host(c, target, depth + 1, false, NULL, 0);
	switch (r) {
	case PCL_SPF_PASS:
		return 1;
	case PCL_SPF_FAIL:
	case PCL_SPF_SOFTFAIL:
	case PCL_SPF_NEUTRAL:
		return 0;
	case PCL_SPF_NONE:
		return spf_error(c, PCL_SPF_PERMERROR,
		                 "%s: no SPF record at %s", t->text, target);
	case PCL_SPF_TEMPERROR:
	case PCL_SPF_PERMERROR:
		return -1;
	}
	return -1;
}

/* redirect - 6.1: the result of the target's record, which must exist */
static enum pcl_spf_result
redirect(struct spf_ctx *c, const struct spf_record *rec, const char *d,
         unsigned depth, bool want_exp)
{
	char target[PCL_DOMAIN_MAX + 1];
	enum pcl_spf_result r;

	if (count_lookup(c, "redirect=") < 0)
		return c->error;
	if (!spf_expand_name(c, d, rec->redirect, rec->redirectlen, target)) {
		spf_error(c, PCL_SPF_PERMERROR,
		          "redirect=%.*s: the target is no domain name",
		          (int)rec->redirectlen, rec->redirect);
		return c->error;
	}
	r = check_host(c, target, depth + 1, want_exp, NULL, 0);
	if (r == PCL_SPF_NONE) {
		spf_error(c, PCL_SPF_PERMERROR,
		          "redirect=%s: no SPF record there", target);
		return c->error;
	}
	return r;
}

/* explain - 6.2: the TXT record at the expanded exp= name, expanded in
 * turn; any problem means no explanation, silently */
static void
explain(struct spf_ctx *c, const struct spf_record *rec, const char *d)
{
	char name[PCL_DOMAIN_MAX + 1];
	struct pcl_dns_answer *a = NULL;
	const struct pcl_dns_rr *rr;

	if (!spf_expand_name(c, d, rec->exp, rec->explen, name))
		goto out;
	a = pcl_dns_lookup(c->dns, name, PCL_DNS_TXT);
	if (a == NULL || a->status != PCL_DNS_FOUND || a->count != 1)
		goto out;
	rr = &a->rrs[0];
	if (spf_macro_expand(c, d, rr->u.txt.text, rr->u.txt.len, SPF_MACRO_EXP,
	                     c->scratch, sizeof(c->scratch)) != SPF_MACRO_OK)
		goto out;
	/* text for people: one cut to the buffer still explains */
	(void)pcl_copy(c->explanation, sizeof(c->explanation), c->scratch);
out:
	pcl_dns_answer_free(a);
}

/* term_eval - one directive: 1 match, 0 no match, -1 error */
static int
term_eval(struct spf_ctx *c, const struct spf_term *t, const char *d,
          unsigned depth)
{
	switch (t->mech) {
	case SPF_MECH_INCLUDE:
		if (count_lookup(c, t->text) < 0)
			return -1;
		return include(c, t, d, depth);
	case SPF_MECH_A:
	case SPF_MECH_MX:
	case SPF_MECH_PTR:
	case SPF_MECH_EXISTS:
		if (count_lookup(c, t->text) < 0)
			return -1;
		return spf_mech_match(c, t, d);
	case SPF_MECH_ALL:
	case SPF_MECH_IP4:
	case SPF_MECH_IP6:
		return spf_mech_match(c, t, d);
	}
	return spf_error(c, PCL_SPF_PERMERROR, "%s: unknown mechanism",
	                 t->text);
}

/* check_host - RFC 7208 section 4 for domain; mech (NULL inside an
 * include or redirect) gets the term that decided */
static enum pcl_spf_result
check_host(struct spf_ctx *c, const char *domain, unsigned depth, bool want_exp,
           char *mech, size_t mechlen)
{
	struct spf_record rec;
	enum pcl_spf_result result = PCL_SPF_NONE;
	const struct spf_term *t = NULL;
	int rc = 0;

	memset(&rec, 0, sizeof(rec));
	if (depth > SPF_DEPTH_MAX) {
		spf_error(c, PCL_SPF_PERMERROR, "%s: nested over %d deep",
		          domain, SPF_DEPTH_MAX);
		result = c->error;
		goto out;
	}
	if (!multi_label(domain))
		goto out; /* 4.3: a malformed domain has no record */
	rc = record_fetch(c, domain, &rec);
	if (rc <= 0) {
		result = rc < 0 ? c->error : PCL_SPF_NONE;
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < rec.nterms && rc == 0; i++) {
		t = &rec.terms[i];
		rc = term_eval(c, t, domain, depth);
	}
	if (rc != 0) {
		if (mech != NULL)
			pcl_copy(mech, mechlen, t->text);
		result = rc > 0 ? t->qualifier : c->error;
	} else if (rec.redirect != NULL) {
		if (mech != NULL)
			pcl_copy(mech, mechlen, "redirect");
		result = redirect(c, &rec, domain, depth, want_exp);
		goto out; /* the target explained its own fail */
	} else {
		if (mech != NULL)
			pcl_copy(mech, mechlen, "default");
		result = PCL_SPF_NEUTRAL; /* 4.7 */
	}
	if (result == PCL_SPF_FAIL && want_exp && rec.exp != NULL)
		explain(c, &rec, domain);
out:
	spf_record_clear(&rec);
	return result;
}

/* pcl_spf_check - check_host() for the request into out */
void
pcl_spf_check(struct pcl_dns *dns, const struct pcl_spf_request *req,
              struct pcl_spf_response *out)
{
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
	struct spf_ctx *c = NULL;
	char domain[PCL_DOMAIN_MAX + 1];

	memset(out, 0, sizeof(*out));
	out->result = PCL_SPF_TEMPERROR;
	if (dns == NULL || req == NULL ||
	    (req->ip.family != AF_INET && req->ip.family != AF_INET6)) {
		pcl_copy(out->problem, sizeof(out->problem),
		         "no resolver, request or client address");
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		pcl_copy(out->problem, sizeof(out->problem), "out of memory");
		goto out;
	}
	c->dns = dns;
	c->req = req;
	c->start_ms = now_ms();
	c->ip = req->ip;
	if (c->ip.family == AF_INET6 &&
	    memcmp(c->ip.bytes, mapped, sizeof(mapped)) == 0) {
		/* 5: an IPv4-mapped client is an IPv4 client */
		c->ip.family = AF_INET;
		memmove(c->ip.bytes, c->ip.bytes + 12, 4);
		memset(c->ip.bytes + 4, 0, 12);
	}
	if (!identity_domain(req->domain, domain)) {
		out->result = PCL_SPF_NONE;
		goto out;
	}
	if (spf_sender_setup(c, domain) < 0) {
		out->result = PCL_SPF_PERMERROR;
		pcl_copy(out->problem, sizeof(out->problem),
		         "sender address too long");
		goto out;
	}
	out->result = check_host(c, domain, 0, true, out->mechanism,
	                         sizeof(out->mechanism));
	if (out->result == PCL_SPF_TEMPERROR ||
	    out->result == PCL_SPF_PERMERROR)
		pcl_copy(out->problem, sizeof(out->problem), c->problem);
	if (out->result == PCL_SPF_FAIL)
		pcl_copy(out->explanation, sizeof(out->explanation),
		         c->explanation);
	out->dns_lookups = c->lookups;
	out->void_lookups = c->voids;
out:
	free(c);
}
