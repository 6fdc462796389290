/*
 * dmarc_walk - the DNS Tree Walk of RFC 9989 4.10, as data: the names
 * a walk asks for, and what their answers decide (the Organizational
 * Domain, 4.10.2; the record that applies, 4.10.1; the policy of a
 * failing message, 4.7)
 *
 * A walk asks for every one of its names at once (at most 8, cached by
 * the DNS module), then the answers are read longest name first, as
 * the walk would have met them. A temporary failure on a name read
 * before the decision leaves it undecided: the caller applies its
 * on_error (RFC 9989 5.3.6). One past the decision does not matter.
 */
#include "config.h"

#include <string.h>

#include <libpsl.h>

#include "dmarc.h"

/* label_count - the labels of a domain ("" has none) */
static size_t
label_count(const char *d)
{
	size_t n = *d ? 1 : 0;

	for (; *d; d++)
		n += *d == '.';
	return n;
}

/* parent - past the leftmost label of d; NULL for a single label */
static const char *
parent(const char *d)
{
	const char *dot = strchr(d, '.');

	return dot ? dot + 1 : NULL;
}

/* pcl_dmarc_walk_init - the names of the walk from domain */
void
pcl_dmarc_walk_init(struct pcl_dmarc_walk *w, const char *domain)
{
	const char *d = domain;
	size_t labels = label_count(domain);

	memset(w, 0, sizeof(*w));
	if (labels == 0)
		return;
	pcl_copy(w->name[w->n++], sizeof(w->name[0]), d);
	/* step 4: from 8 labels up, straight to the 7 rightmost */
	for (; labels > 7; labels--)
		d = parent(d);
	if (d == domain)
		d = parent(d);
	for (; d != NULL && w->n < PCL_DMARC_WALK_MAX; d = parent(d))
		pcl_copy(w->name[w->n++], sizeof(w->name[0]), d);
}

/* pcl_dmarc_walk_answer - what name i answered */
void
pcl_dmarc_walk_answer(struct pcl_dmarc_walk *w, size_t i,
                      const char *const *texts, const size_t *lens,
                      size_t count)
{
	struct pcl_dmarc_record r;
	size_t found = 0;

	w->answer[i] = PCL_DMARC_NONE;
	for (size_t k = 0; k < count; k++) {
		enum pcl_dmarc_parse p =
		    pcl_dmarc_record_parse(texts[k], lens[k], &r);

		/* an unusable DMARC record is one (4.10 step 2 discards
		 * only other texts): it has p UNSET and applies nothing */
		if (p != PCL_DMARC_NOT_DMARC && ++found == 1)
			w->rec[i] = r;
	}
	if (found == 1)
		w->answer[i] = PCL_DMARC_FOUND;
}

/* below - the name one label below w->name[i] on the way to the start
 * (the walk's names are suffixes of the first) */
static void
below(const struct pcl_dmarc_walk *w, size_t i, char *out)
{
	const char *start = w->name[0];
	size_t keep = strlen(w->name[i]);
	size_t len = strlen(start);
	const char *p = start + len - keep;

	/* back over the dot, then to the start of the label before it */
	if (p > start)
		p--;
	while (p > start && p[-1] != '.')
		p--;
	pcl_copy(out, PCL_DOMAIN_MAX + 1, p);
}

/* pcl_dmarc_org_domain - the Organizational Domain of w->name[0] */
enum pcl_dmarc_outcome
pcl_dmarc_org_domain(const struct pcl_dmarc_walk *w, char *out)
{
	long shortest = -1;

	*out = '\0';
	if (w->n == 0)
		return PCL_DMARC_DECIDED;
	for (size_t i = 0; i < w->n; i++) {
		if (w->answer[i] == PCL_DMARC_ERROR ||
		    w->answer[i] == PCL_DMARC_ASK)
			return PCL_DMARC_UNDECIDED;
		if (w->answer[i] != PCL_DMARC_FOUND)
			continue;
		if (w->rec[i].psd == 'n') {
			pcl_copy(out, PCL_DOMAIN_MAX + 1, w->name[i]);
			return PCL_DMARC_DECIDED;
		}
		/* psd=y at the start stops the walk there (4.10 step 2):
		 * the name is its own Organizational Domain */
		if (w->rec[i].psd == 'y') {
			if (i == 0)
				pcl_copy(out, PCL_DOMAIN_MAX + 1, w->name[0]);
			else
				below(w, i, out);
			return PCL_DMARC_DECIDED;
		}
		shortest = (long)i;
	}
	pcl_copy(out, PCL_DOMAIN_MAX + 1,
	         w->name[shortest >= 0 ? (size_t)shortest : 0]);
	return PCL_DMARC_DECIDED;
}

/* pcl_dmarc_policy_discover - the record that applies to w->name[0] */
enum pcl_dmarc_outcome
pcl_dmarc_policy_discover(const struct pcl_dmarc_walk *w,
                          struct pcl_dmarc_policy_found *out)
{
	long psd = -1;

	memset(out, 0, sizeof(*out));
	if (w->n == 0)
		return PCL_DMARC_DECIDED;
	if (w->answer[0] == PCL_DMARC_ERROR || w->answer[0] == PCL_DMARC_ASK)
		return PCL_DMARC_UNDECIDED;
	if (pcl_dmarc_org_domain(w, out->org) != PCL_DMARC_DECIDED) {
		/* the Author Domain's own record applies all the same;
		 * its Organizational Domain stays unknown ("") */
		if (w->answer[0] != PCL_DMARC_FOUND)
			return PCL_DMARC_UNDECIDED;
		*out->org = '\0';
	}
	/* a record that applies but is unusable (p UNSET): no DMARC */
	if (w->answer[0] == PCL_DMARC_FOUND) {
		out->author = true;
		out->found = w->rec[0].p != PCL_DMARC_P_UNSET;
		return PCL_DMARC_DECIDED;
	}
	for (size_t i = 1; i < w->n; i++) {
		if (w->answer[i] != PCL_DMARC_FOUND)
			continue;
		if (strcmp(w->name[i], out->org) == 0) {
			out->index = i;
			out->found = w->rec[i].p != PCL_DMARC_P_UNSET;
			return PCL_DMARC_DECIDED;
		}
		if (w->rec[i].psd == 'y' && psd < 0)
			psd = (long)i;
	}
	if (psd >= 0) {
		out->index = (size_t)psd;
		out->found = w->rec[psd].p != PCL_DMARC_P_UNSET;
	}
	return PCL_DMARC_DECIDED;
}

/* milder - one step down, for t=y */
static enum pcl_dmarc_policy
milder(enum pcl_dmarc_policy p)
{
	return p == PCL_DMARC_P_REJECT       ? PCL_DMARC_P_QUARANTINE
	       : p == PCL_DMARC_P_QUARANTINE ? PCL_DMARC_P_NONE
	                                     : p;
}

/* pcl_dmarc_policy_of - the policy of a failing message */
enum pcl_dmarc_policy
pcl_dmarc_policy_of(const struct pcl_dmarc_record *r, bool author,
                    bool nonexistent)
{
	enum pcl_dmarc_policy p = r->p;

	if (!author && nonexistent && r->np != PCL_DMARC_P_UNSET)
		p = r->np;
	else if (!author && r->sp != PCL_DMARC_P_UNSET)
		p = r->sp;
	return r->testing ? milder(p) : p;
}

/* pcl_dmarc_relaxed_possible - a and b share their top-level label */
bool
pcl_dmarc_relaxed_possible(const char *a, const char *b)
{
	const char *ta = strrchr(a, '.'), *tb = strrchr(b, '.');

	ta = ta ? ta + 1 : a;
	tb = tb ? tb + 1 : b;
	return *ta != '\0' && strcmp(ta, tb) == 0;
}

/* pcl_dmarc_psl_org - the registrable domain by the Public Suffix List */
void
pcl_dmarc_psl_org(const char *domain, char *out)
{
	const psl_ctx_t *psl = psl_builtin();
	const char *reg = psl ? psl_registrable_domain(psl, domain) : NULL;

	pcl_copy(out, PCL_DOMAIN_MAX + 1, reg ? reg : domain);
}

/* pcl_dmarc_result_name - the RFC 8601 result keyword */
const char *
pcl_dmarc_result_name(enum pcl_dmarc_result r)
{
	switch (r) {
	case PCL_DMARC_R_PASS:
		return "pass";
	case PCL_DMARC_R_FAIL:
		return "fail";
	case PCL_DMARC_R_TEMPERROR:
		return "temperror";
	case PCL_DMARC_R_PERMERROR:
		return "permerror";
	case PCL_DMARC_R_NONE:
		break;
	}
	return "none";
}

/* pcl_dmarc_policy_name - "none", "quarantine", "reject" */
const char *
pcl_dmarc_policy_name(enum pcl_dmarc_policy p)
{
	switch (p) {
	case PCL_DMARC_P_NONE:
		return "none";
	case PCL_DMARC_P_QUARANTINE:
		return "quarantine";
	case PCL_DMARC_P_REJECT:
		return "reject";
	case PCL_DMARC_P_UNSET:
		break;
	}
	return "unset";
}
