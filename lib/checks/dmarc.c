/*
 * dmarc - the DMARC check of inbound mail (RFC 9989; RFC 7489 with
 * dmarc_mode = rfc7489), over lib/auth/dmarc*.c
 *
 * End of header: the From: field gives the Author Domain; the queries
 * of its DNS Tree Walk (at most 8, all at once; in RFC 7489 mode the
 * domain and its registrable domain by the Public Suffix List) go out
 * in one batch, so they overlap the body.
 * End of message, after the SPF and DKIM checks published: the record
 * that applies (none: dmarc=none, nothing more); the Authenticated
 * Identifiers (the SPF-checked MAIL FROM domain, the HELO's for the
 * null sender, when SPF passed; the d= of every passing signature),
 * aligned strictly (the same name) or relaxed (the same Organizational
 * Domain: one more batch with the walks of the identifiers that could
 * share one with the Author Domain); pass when one aligns. A failing
 * message gets the policy of the record (p, or sp or np for a
 * subdomain, np when the Author Domain answers NXDOMAIN; t=y one
 * step milder) and the admin's action for that policy.
 *
 * Findings, all at DATA: dmarc_reject / dmarc_quarantine / dmarc_none
 * (the admin's actions for each policy), dmarc_multi_from (no From:,
 * several, or addresses in several domains: RFC 9989 5.3.1 leaves it to
 * the receiver), dmarc (on_error, a DNS failure). The verdict is
 * published for Authentication-Results.
 *
 * Bounds: one From: value kept (the header budget bounds it); at most
 * 8 queries for the Author Domain, 8 per identifier (at most
 * 1 + dkim_max_signatures identifiers) and 1 for existence, each
 * batch bounded by dns_timeout.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks.h"
#include "dkim.h"
#include "dmarc.h"
#include "dmarc_history.h"
#include "dns.h"
#include "spf.h"
#include "util.h"

#define DMARC_IDS_MAX (1 + PCL_DKIM_MAX_SIGNATURES_LIMIT)

/* The check's state: the message's From: and its walk. */
struct dmarc {
	char *from;     /* the first From: value */
	unsigned nfrom; /* From: fields seen */
	bool lost;      /* out of memory keeping it */
	bool asked;     /* the walk's queries went out */
	struct pcl_dns_batch *batch;
	int query[PCL_DMARC_WALK_MAX];
	struct pcl_dmarc_walk walk;
	struct pcl_dmarc_verdict verdict;
};

/* header - keep the From: field */
static void
header(struct pcl_check_ctx *x, const char *name, const char *value)
{
	struct dmarc *st = x->state;

	if (strcasecmp(name, "From") != 0 || ++st->nfrom > 1)
		return;
	if ((st->from = strdup(value)) == NULL)
		st->lost = true;
}

/* ask - the queries of a walk into a batch, query indexes in q */
static void
ask(struct pcl_dns_batch *b, const struct pcl_dmarc_walk *w, int *q)
{
	char name[PCL_DOMAIN_MAX + 16];

	for (size_t i = 0; i < w->n; i++) {
		q[i] = -1;
		if (pcl_format(name, sizeof(name), "_dmarc.%s", w->name[i]))
			q[i] = pcl_dns_batch_add(b, name, PCL_DNS_TXT);
	}
}

/* answer - read a walk's answers from its batch (after wait) */
static void
answer(const struct pcl_dns_batch *b, struct pcl_dmarc_walk *w, const int *q)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct pcl_dns_answer *a = pcl_dns_batch_answer(b, q[i]);
		const char *texts[16];
		size_t lens[16], n = 0;

		if (a == NULL || a->status == PCL_DNS_TEMPFAIL ||
		    a->status == PCL_DNS_PENDING) {
			w->answer[i] = PCL_DMARC_ERROR;
			continue;
		}
		for (size_t k = 0;
		     a->status == PCL_DNS_FOUND && k < a->count && n < 16;
		     k++) {
			texts[n] = a->rrs[k].u.txt.text;
			lens[n++] = a->rrs[k].u.txt.len;
		}
		/* more than 16 TXT records: several DMARC ones at most
		 * matter, and 16 can hold two */
		pcl_dmarc_walk_answer(w, i, texts, lens, n);
	}
}

/* walk_init - the names for a domain in the configured mode */
static void
walk_init(const struct pcl_conf *c, struct pcl_dmarc_walk *w,
          const char *domain)
{
	char org[PCL_DOMAIN_MAX + 1];

	if (!c->dmarc_psl) {
		pcl_dmarc_walk_init(w, domain);
		return;
	}
	/* RFC 7489: the domain, then its registrable domain */
	memset(w, 0, sizeof(*w));
	pcl_copy(w->name[w->n++], sizeof(w->name[0]), domain);
	pcl_dmarc_psl_org(domain, org);
	if (strcmp(org, domain) != 0)
		pcl_copy(w->name[w->n++], sizeof(w->name[0]), org);
}

/* eoh - the Author Domain's walk goes out */
static void
eoh(struct pcl_check_ctx *x)
{
	const struct pcl_conf *c = x->facts->conf;
	struct dmarc *st = x->state;
	char why[96];

	if (!c->dmarc_verify || c->dns == NULL || st->nfrom != 1 ||
	    st->from == NULL ||
	    pcl_dmarc_from_domain(st->from, st->verdict.from, why,
	                          sizeof(why)) != PCL_DMARC_FROM_ONE)
		return;
	walk_init(c, &st->walk, st->verdict.from);
	if ((st->batch = pcl_dns_batch_new(c->dns)) == NULL) {
		pcl_check_oom(x);
		return;
	}
	ask(st->batch, &st->walk, st->query);
	pcl_dns_batch_send(st->batch);
	st->asked = true;
}

/* org_of_walk - the Organizational Domain a finished walk gives, in
 * the configured mode */
static enum pcl_dmarc_outcome
org_of_walk(const struct pcl_conf *c, const struct pcl_dmarc_walk *w, char *out)
{
	if (!c->dmarc_psl)
		return pcl_dmarc_org_domain(w, out);
	pcl_copy(out, PCL_DOMAIN_MAX + 1, w->name[w->n > 1 ? 1 : 0]);
	return PCL_DMARC_DECIDED;
}

/* The Authenticated Identifiers of the message. */
struct ids {
	size_t n;
	char domain[DMARC_IDS_MAX][PCL_DOMAIN_MAX + 1]; /* lower case */
	bool spf[DMARC_IDS_MAX];                        /* else DKIM */
};

/* identifiers - the SPF domain when SPF passed, and the d= of every
 * passing signature */
static void
identifiers(const struct pcl_facts *k, struct ids *ids)
{
	const char *at;

	ids->n = 0;
	if (k->spf_mailfrom && k->spf_mailfrom->result == PCL_SPF_PASS &&
	    k->spf_mailfrom_identity &&
	    (at = strrchr(k->spf_mailfrom_identity, '@')) != NULL) {
		ids->spf[ids->n] = true;
		pcl_copy(ids->domain[ids->n], sizeof(ids->domain[0]), at + 1);
		pcl_lower(ids->domain[ids->n++]);
	}
	for (size_t i = 0; i < k->ndkim && ids->n < DMARC_IDS_MAX; i++)
		if (k->dkim[i].result == PCL_DKIM_PASS) {
			ids->spf[ids->n] = false;
			pcl_copy(ids->domain[ids->n], sizeof(ids->domain[0]),
			         k->dkim[i].domain);
			pcl_lower(ids->domain[ids->n++]);
		}
}

/* relaxed_orgs - the Organizational Domain of each identifier aligned
 * relaxed (relaxed[i]) into orgs ("" when it cannot be the Author
 * Domain's, or a DNS failure left it undecided: *undecided counts
 * those); RFC 7489 mode asks no DNS; one batch for all the walks; false
 * when memory is short */
static bool
relaxed_orgs(struct pcl_check_ctx *x, const struct ids *ids,
             const bool *relaxed, const char *org,
             char (*orgs)[PCL_DOMAIN_MAX + 1], size_t *undecided)
{
	const struct pcl_conf *c = x->facts->conf;
	struct dmarc *st = x->state;
	struct pcl_dmarc_walk *w = calloc(ids->n, sizeof(*w));
	int(*q)[PCL_DMARC_WALK_MAX] = calloc(ids->n, sizeof(*q));
	struct pcl_dns_batch *b = NULL;
	bool ok = true, any = false;

	if (w == NULL || q == NULL || (b = pcl_dns_batch_new(c->dns)) == NULL)
		ok = false;
	for (size_t i = 0; ok && i < ids->n; i++) {
		*orgs[i] = '\0';
		if (!relaxed[i])
			continue;
		if (strcmp(ids->domain[i], st->verdict.from) == 0)
			pcl_copy(orgs[i], sizeof(orgs[i]), org);
		else if (c->dmarc_psl)
			pcl_dmarc_psl_org(ids->domain[i], orgs[i]);
		else if (pcl_dmarc_relaxed_possible(ids->domain[i],
		                                    st->verdict.from)) {
			walk_init(c, &w[i], ids->domain[i]);
			ask(b, &w[i], q[i]);
			any = true;
		}
	}
	if (ok && any) {
		pcl_dns_batch_wait(b);
		for (size_t i = 0; i < ids->n; i++) {
			if (w[i].n == 0)
				continue;
			answer(b, &w[i], q[i]);
			if (org_of_walk(c, &w[i], orgs[i]) !=
			    PCL_DMARC_DECIDED) {
				*orgs[i] = '\0';
				(*undecided)++;
			}
		}
	}
	if (!ok)
		pcl_check_oom(x);
	pcl_dns_batch_free(b);
	free(w);
	free(q);
	return ok;
}

/* aligned - identifier i of ids aligns: its kind marked in the
 * verdict, the first kind's name in *how */
static void
aligned(struct pcl_dmarc_verdict *v, const struct ids *ids, size_t i,
        const char **how)
{
	if (ids->spf[i])
		v->spf_aligned = true;
	else
		v->dkim_aligned = true;
	if (**how == '\0')
		*how = ids->spf[i] ? "spf" : "dkim";
}

/* align - whether an identifier aligns; the name of the first that
 * does in *how ("spf" or "dkim"), every kind that does in the verdict
 * (with all, the aggregate report's need, the search goes on past the
 * first); *undecided when a walk failed */
static bool
align(struct pcl_check_ctx *x, const struct pcl_dmarc_record *r,
      const char *org, bool all, const char **how, size_t *undecided)
{
	struct dmarc *st = x->state;
	struct pcl_dmarc_verdict *v = &st->verdict;
	struct ids ids;
	char(*orgs)[PCL_DOMAIN_MAX + 1] = NULL;
	bool relaxed[DMARC_IDS_MAX] = {false};
	bool relaxed_needed = false;

	identifiers(x->facts, &ids);
	for (size_t i = 0; i < ids.n && (all || !**how); i++) {
		bool rel = !(ids.spf[i] ? r->aspf_strict : r->adkim_strict);

		if (strcmp(ids.domain[i], v->from) == 0) {
			aligned(v, &ids, i, how);
			rel = false;
		} else if (ids.spf[i] ? v->spf_aligned : v->dkim_aligned) {
			rel = false; /* its kind aligned already */
		}
		relaxed[i] = rel;
		relaxed_needed |= rel;
	}
	if ((**how && !all) || !relaxed_needed)
		return **how != '\0';
	if (*org == '\0') {
		/* the Author Domain's own Organizational Domain is not
		 * known (a DNS failure above its record) */
		(*undecided)++;
		return **how != '\0';
	}
	if ((orgs = calloc(ids.n, sizeof(*orgs))) == NULL) {
		pcl_check_oom(x);
		return false;
	}
	if (relaxed_orgs(x, &ids, relaxed, org, orgs, undecided))
		for (size_t i = 0; i < ids.n; i++)
			if (relaxed[i] && *orgs[i] && strcmp(orgs[i], org) == 0)
				aligned(v, &ids, i, how);
	free(orgs);
	return **how != '\0';
}

/* nonexistent - the Author Domain does not exist: NXDOMAIN (RFC 9989
 * 3.2.13, after RFC 8020: no record of any type below a name that
 * answers NXDOMAIN); a failure counts as existing */
static bool
nonexistent(struct pcl_check_ctx *x, const char *domain)
{
	struct pcl_dns_batch *b = pcl_dns_batch_new(x->facts->conf->dns);
	const struct pcl_dns_answer *a;
	bool none;

	if (b == NULL) {
		pcl_check_oom(x);
		return false;
	}
	(void)pcl_dns_batch_add(b, domain, PCL_DNS_A);
	pcl_dns_batch_wait(b);
	a = pcl_dns_batch_answer(b, 0);
	none = a != NULL && a->status == PCL_DNS_NXDOMAIN;
	pcl_dns_batch_free(b);
	return none;
}

/* aar_dmarc_pass - an ARC-Authentication-Results value holds the
 * result "dmarc=pass" (a whole word, any case) */
static bool
aar_dmarc_pass(const char *aar)
{
	for (const char *p = aar; (p = strcasestr(p, "dmarc=pass")) != NULL;
	     p++) {
		char before = p > aar ? p[-1] : ' ';
		char after = p[10];

		if ((before == ' ' || before == '\t' || before == ';' ||
		     before == '\n') &&
		    (after == '\0' || after == ' ' || after == '\t' ||
		     after == ';' || after == '(' || after == '\r' ||
		     after == '\n'))
			return true;
	}
	return false;
}

/* arc_override - a passing ARC chain in which a sealer of
 * arc_trusted_sealers saw dmarc=pass: the local DMARC fail is not
 * acted on (RFC 8617 7.2.1; a trusted_forwarder override in the
 * aggregate report); the sealer into the verdict */
static bool
arc_override(struct pcl_check_ctx *x)
{
	const struct pcl_facts *k = x->facts;
	const struct pcl_words *w = &k->conf->arc_trusted_sealers;
	struct dmarc *st = x->state;
	const struct pcl_arc_result *r;

	if (w->count == 0 || k->arc == NULL ||
	    (r = pcl_dkim_verify_arc(k->arc))->result != PCL_ARC_PASS)
		return false;
	for (unsigned i = r->instances; i >= 1; i--) {
		const char *sealer, *aar;

		if (!pcl_dkim_verify_arc_set(k->arc, i, &sealer, &aar) ||
		    !aar_dmarc_pass(aar))
			continue;
		for (size_t n = 0; n < w->count; n++)
			if (strcasecmp(w->items[n], sealer) == 0) {
				pcl_copy(st->verdict.arc_sealer,
				         sizeof(st->verdict.arc_sealer),
				         sealer);
				st->verdict.override |=
				    PCL_DMARC_OVR_TRUSTED_FORWARDER;
				return true;
			}
	}
	return false;
}

/* enact - the admin's action for the policy a failing message gets */
static void
enact(struct pcl_check_ctx *x, enum pcl_dmarc_policy policy)
{
	const struct pcl_conf *c = x->facts->conf;
	struct dmarc *st = x->state;
	const struct pcl_reply_var vars[] = {
	    {"dmarc_domain", st->verdict.from},
	    {"dmarc_policy", pcl_dmarc_policy_name(policy)},
	    {NULL, NULL},
	};
	const char *name = policy == PCL_DMARC_P_REJECT ? "dmarc_reject"
	                   : policy == PCL_DMARC_P_QUARANTINE
	                       ? "dmarc_quarantine"
	                       : "dmarc_none";
	const struct pcl_check_conf *cc =
	    policy == PCL_DMARC_P_REJECT       ? &c->dmarc_reject
	    : policy == PCL_DMARC_P_QUARANTINE ? &c->dmarc_quarantine
	                                       : &c->dmarc_none;

	pcl_check_configured(x, PCL_SCOPE_MSG, name, PCL_STAGE_DATA, cc,
	                     st->verdict.reason, vars);
}

/* applied - the record that applies, for the aggregate report: its
 * name and tags, and (when a line will be written) its rua= URIs from
 * the answer's text */
static void
applied(struct pcl_check_ctx *x, const struct pcl_dmarc_policy_found *pf,
        bool report)
{
	struct dmarc *st = x->state;
	struct pcl_dmarc_verdict *v = &st->verdict;
	const struct pcl_dns_answer *a =
	    pcl_dns_batch_answer(st->batch, st->query[pf->index]);
	struct pcl_dmarc_record rec;

	v->applied = true;
	v->author = pf->author;
	v->record = st->walk.rec[pf->index];
	pcl_copy(v->policy_domain, sizeof(v->policy_domain),
	         st->walk.name[pf->index]);
	for (size_t k = 0; report && a != NULL && a->status == PCL_DNS_FOUND &&
	                   k < a->count && k < 16;
	     k++) {
		const char *t = a->rrs[k].u.txt.text;
		size_t n = a->rrs[k].u.txt.len;

		/* the one DMARC record of the answer (FOUND says one) */
		if (pcl_dmarc_record_parse(t, n, &rec) != PCL_DMARC_NOT_DMARC) {
			pcl_dmarc_record_rua(t, n, v->rua, sizeof(v->rua));
			break;
		}
	}
}

/* judge - the verdict of a message whose Author Domain is known */
static void
judge(struct pcl_check_ctx *x)
{
	const struct pcl_conf *c = x->facts->conf;
	struct dmarc *st = x->state;
	struct pcl_dmarc_verdict *v = &st->verdict;
	struct pcl_dmarc_policy_found pf;
	const struct pcl_dmarc_record *r;
	const char *how = "";
	size_t undecided = 0;
	bool sub_nx = false, report = pcl_dmarc_history_wanted(x);

	pcl_dns_batch_wait(st->batch);
	answer(st->batch, &st->walk, st->query);
	if (c->dmarc_psl) {
		memset(&pf, 0, sizeof(pf));
		pcl_copy(pf.org, sizeof(pf.org),
		         st->walk.name[st->walk.n > 1 ? 1 : 0]);
		for (size_t i = 0; i < st->walk.n && !pf.found; i++) {
			if (st->walk.answer[i] == PCL_DMARC_ERROR) {
				undecided = 1;
				break;
			}
			if (st->walk.answer[i] == PCL_DMARC_FOUND) {
				pf.index = i;
				pf.author = i == 0;
				pf.found =
				    st->walk.rec[i].p != PCL_DMARC_P_UNSET;
				break;
			}
		}
	} else if (pcl_dmarc_policy_discover(&st->walk, &pf) !=
	           PCL_DMARC_DECIDED) {
		undecided = 1;
	}
	if (undecided) {
		v->result = PCL_DMARC_R_TEMPERROR;
		pcl_copy(v->reason, sizeof(v->reason),
		         "DNS failure looking up the policy");
		return;
	}
	if (!pf.found) {
		pcl_copy(v->reason, sizeof(v->reason), "no policy record");
		return;
	}
	r = &st->walk.rec[pf.index];
	v->p = r->p;
	v->sp = r->sp != PCL_DMARC_P_UNSET ? r->sp : r->p;
	applied(x, &pf, report);
	if (align(x, r, pf.org, report, &how, &undecided)) {
		v->result = PCL_DMARC_R_PASS;
		pcl_format(v->reason, sizeof(v->reason), "%s aligned with %s",
		           how, v->from);
		return;
	}
	if (undecided > 0) {
		v->result = PCL_DMARC_R_TEMPERROR;
		pcl_copy(v->reason, sizeof(v->reason),
		         "DNS failure looking up an Organizational Domain");
		return;
	}
	if (!pf.author && r->np != PCL_DMARC_P_UNSET)
		sub_nx = nonexistent(x, v->from);
	v->nonexistent = sub_nx;
	v->result = PCL_DMARC_R_FAIL;
	v->disposition = pcl_dmarc_policy_of(r, pf.author, sub_nx);
	pcl_format(v->reason, sizeof(v->reason),
	           "no aligned identifier for %s (policy of %s: %s%s%s)",
	           v->from, st->walk.name[pf.index],
	           pcl_dmarc_policy_name(v->disposition),
	           r->testing ? ", t=y" : "", sub_nx ? ", no such domain" : "");
}

/* eom - judge, trace, act, publish */
static void
eom(struct pcl_check_ctx *x)
{
	const struct pcl_conf *c = x->facts->conf;
	struct dmarc *st = x->state;
	struct pcl_dmarc_verdict *v = &st->verdict;
	char why[96] = "";

	if (!c->dmarc_verify || c->dns == NULL)
		return;
	if (st->lost) {
		pcl_check_oom(x);
		return;
	}
	if (!st->asked) {
		/* no From:, several, or no single domain in it */
		enum pcl_dmarc_from f =
		    st->nfrom == 1 && st->from
		        ? pcl_dmarc_from_domain(st->from, v->from, why,
		                                sizeof(why))
		        : PCL_DMARC_FROM_NONE;

		if (st->nfrom == 0)
			pcl_copy(why, sizeof(why), "no From: field");
		else if (st->nfrom > 1)
			pcl_format(why, sizeof(why), "%u From: fields",
			           st->nfrom);
		if (f == PCL_DMARC_FROM_ONE)
			return; /* cannot be: eoh asked then */
		v->result = PCL_DMARC_R_PERMERROR;
		*v->from = '\0';
		pcl_copy(v->reason, sizeof(v->reason), why);
		pcl_check_trace(x, PCL_STAGE_DATA, "dmarc", "permerror", "%s",
		                why);
		pcl_check_configured(x, PCL_SCOPE_MSG, "dmarc_multi_from",
		                     PCL_STAGE_DATA, &c->dmarc_multi_from, why,
		                     NULL);
		pcl_check_publish_dmarc(x, v);
		return;
	}
	judge(x);
	pcl_check_trace(x, PCL_STAGE_DATA, "dmarc",
	                pcl_dmarc_result_name(v->result), "%s: %s", v->from,
	                v->reason);
	if (v->result == PCL_DMARC_R_FAIL && arc_override(x))
		pcl_check_trace(x, PCL_STAGE_DATA, "dmarc", "override",
		                "not acted on: trusted ARC sealer %s saw "
		                "dmarc=pass",
		                v->arc_sealer);
	else if (v->result == PCL_DMARC_R_FAIL)
		enact(x, v->disposition);
	else if (v->result == PCL_DMARC_R_TEMPERROR)
		pcl_check_error(x, PCL_SCOPE_MSG, "dmarc", PCL_STAGE_DATA,
		                c->dmarc_on_error, v->reason, "7.1",
		                "DMARC policy lookup failed");
	pcl_check_publish_dmarc(x, v);
	pcl_dmarc_history_record(x, v);
}

/* start - the walk at the end of the header, the verdict at the end */
static void
start(struct pcl_check_ctx *x, enum pcl_event ev)
{
	if (ev == PCL_EV_EOH)
		eoh(x);
	else
		eom(x);
}

/* reset - the message's From: and walk go with the transaction (or
 * with the content, when the header budget is spent) */
static void
reset(struct pcl_check_ctx *x, enum pcl_scope scope)
{
	struct dmarc *st = x->state;

	if (scope != PCL_SCOPE_TXN && scope != PCL_SCOPE_MSG)
		return;
	free(st->from);
	pcl_dns_batch_free(st->batch);
	memset(st, 0, sizeof(*st));
}

/* release - what the state holds */
static void
release(struct pcl_check_ctx *x)
{
	reset(x, PCL_SCOPE_TXN);
}

const struct pcl_check pcl_check_dmarc = {
    .name = "dmarc",
    .kind = PCL_CHECK_INBOUND,
    .events = PCL_EV(PCL_EV_EOH) | PCL_EV(PCL_EV_EOM),
    .state_size = sizeof(struct dmarc),
    .start = start,
    .header = header,
    .reset = reset,
    .free = release,
};
