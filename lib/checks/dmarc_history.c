/*
 * dmarc_history - the line of aggregate report data of a message the
 * DMARC check judged under a policy record (OpenDMARC's HistoryFile)
 *
 * From the verdict: the record's name and tags, the result and which
 * kinds of identifier aligned. From the facts: the client address, the
 * MAIL FROM domain, the SPF result of the MAIL FROM identity (the
 * HELO's for the null sender, scope helo) and every DKIM signature
 * with a d=, in the order of RFC 9990's "DKIM Signatures in Aggregate
 * Reports" (passing ones of the Author Domain, then of its parents and
 * children, then other passing ones, then the rest), at most
 * dkim_max_signatures. From the configuration:
 * what was done with it, in RFC 9990's words, and why that differs
 * from what the policy asked:
 *
 *   pass       disposition pass (the policy enforces) or none
 *   fail       the admin's action for the policy that applied:
 *              accept none, tag or quarantine quarantine, discard,
 *              tempfail or reject reject; dry-run none (override
 *              dry_run); an action other than the policy's own
 *              (reject, quarantine, accept for none) local_policy; a
 *              policy made milder by t=y policy_test_mode
 *   temperror  dmarc_on_error's action, override other
 *
 * What the session does past the check (a recipient exception, the
 * DNS allow-list, a verdict of another check) is not seen here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dkim.h"
#include "dmarc_history.h"
#include "dmarc_report.h"
#include "log.h"
#include "spf.h"

/* pcl_dmarc_history_wanted - a writer, and the daemon */
bool
pcl_dmarc_history_wanted(const struct pcl_check_ctx *x)
{
	return x->facts->log && x->facts->conf->dmarc_report != NULL;
}

/* disposition_of - what an action did with the message */
static enum pcl_dmarc_disposition
disposition_of(enum pcl_action a)
{
	switch (a) {
	case PCL_ACT_ACCEPT:
		return PCL_DMARC_DIS_NONE;
	case PCL_ACT_TAG:
	case PCL_ACT_QUARANTINE:
		return PCL_DMARC_DIS_QUARANTINE;
	case PCL_ACT_DISCARD:
	case PCL_ACT_TEMPFAIL:
	case PCL_ACT_REJECT:
		break;
	}
	return PCL_DMARC_DIS_REJECT;
}

/* natural - the action a policy asks for */
static enum pcl_action
natural(enum pcl_dmarc_policy p)
{
	return p == PCL_DMARC_P_REJECT       ? PCL_ACT_REJECT
	       : p == PCL_DMARC_P_QUARANTINE ? PCL_ACT_QUARANTINE
	                                     : PCL_ACT_ACCEPT;
}

/* handling - disposition, action and overrides of the row */
static void
handling(const struct pcl_conf *c, const struct pcl_dmarc_verdict *v,
         struct pcl_dmarc_report_row *r)
{
	struct pcl_dmarc_record untested = v->record;
	enum pcl_dmarc_policy asked;
	const char *check;
	bool dry;

	r->override = v->override & PCL_DMARC_OVR_ALL;
	if (v->result == PCL_DMARC_R_PASS) {
		asked = pcl_dmarc_policy_of(&v->record, v->author, false);
		r->action = PCL_ACT_ACCEPT;
		r->disposition = asked == PCL_DMARC_P_NONE ? PCL_DMARC_DIS_NONE
		                                           : PCL_DMARC_DIS_PASS;
		return;
	}
	if (v->result == PCL_DMARC_R_TEMPERROR) {
		r->action = pcl_on_error_action(c->dmarc_on_error);
		check = "dmarc";
		r->override |= PCL_DMARC_OVR_OTHER;
	} else {
		asked = v->disposition;
		untested.testing = false;
		if (pcl_dmarc_policy_of(&untested, v->author, v->nonexistent) !=
		    asked)
			r->override |= PCL_DMARC_OVR_TEST_MODE;
		check = asked == PCL_DMARC_P_REJECT       ? "dmarc_reject"
		        : asked == PCL_DMARC_P_QUARANTINE ? "dmarc_quarantine"
		                                          : "dmarc_none";
		r->action = asked == PCL_DMARC_P_REJECT ? c->dmarc_reject.action
		            : asked == PCL_DMARC_P_QUARANTINE
		                ? c->dmarc_quarantine.action
		                : c->dmarc_none.action;
		if (r->action != natural(asked))
			r->override |= PCL_DMARC_OVR_LOCAL_POLICY;
	}
	dry = r->action != PCL_ACT_ACCEPT && pcl_conf_is_dry_run(c, check);
	if (dry)
		r->override |= PCL_DMARC_OVR_DRY_RUN;
	/* an ARC override (trusted_forwarder) lets the message through */
	r->disposition = dry || (r->override & PCL_DMARC_OVR_TRUSTED_FORWARDER)
	                     ? PCL_DMARC_DIS_NONE
	                     : disposition_of(r->action);
}

/* related - a and b are the same name, or one is below the other */
static bool
related(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na < nb)
		return related(b, a);
	return strcasecmp(a + na - nb, b) == 0 &&
	       (na == nb || a[na - nb - 1] == '.');
}

/* rank - a signature's place in RFC 9990's order */
static int
rank(const struct pcl_dkim_sig *s, const char *from)
{
	if (s->result != PCL_DKIM_PASS)
		return 3;
	if (strcasecmp(s->domain, from) == 0)
		return 0;
	return related(s->domain, from) ? 1 : 2;
}

/* signatures - the DKIM results into r, in rank order, at most max */
static void
signatures(const struct pcl_facts *k, const char *from, size_t max,
           struct pcl_dmarc_report_row *r)
{
	if (max > PCL_DMARC_REPORT_DKIM_MAX)
		max = PCL_DMARC_REPORT_DKIM_MAX;
	for (int want = 0; want <= 3; want++)
		for (size_t i = 0; i < k->ndkim; i++) {
			const struct pcl_dkim_sig *s = &k->dkim[i];
			struct pcl_dmarc_report_sig *o;
			const char *result;

			if (*s->domain == '\0' || rank(s, from) != want)
				continue;
			result = pcl_dmarc_report_result(
			    "dkim", pcl_dkim_result_name(s->result));
			if (r->ndkim == max || result == NULL) {
				r->dkim_dropped++;
				continue;
			}
			o = &r->dkim[r->ndkim++];
			pcl_copy(o->domain, sizeof(o->domain), s->domain);
			pcl_lower(o->domain);
			pcl_copy(o->selector, sizeof(o->selector), s->selector);
			o->result = result;
		}
}

/* identifiers - the MAIL FROM domain and the SPF result into r */
static void
identifiers(const struct pcl_facts *k, struct pcl_dmarc_report_row *r)
{
	const char *at = strrchr(k->sender, '@');
	const char *id = k->spf_mailfrom_identity;

	if (at != NULL)
		pcl_copy(r->mailfrom, sizeof(r->mailfrom), at + 1);
	pcl_lower(r->mailfrom);
	if (k->spf_mailfrom == NULL || id == NULL ||
	    (at = strrchr(id, '@')) == NULL || at[1] == '\0')
		return;
	r->spf_result = pcl_dmarc_report_result(
	    "spf", pcl_spf_result_name(k->spf_mailfrom->result));
	if (r->spf_result == NULL)
		return;
	r->spf = true;
	r->spf_helo = *k->sender == '\0';
	pcl_copy(r->spf_domain, sizeof(r->spf_domain), at + 1);
	pcl_lower(r->spf_domain);
}

/* pcl_dmarc_history_record - the message's line */
void
pcl_dmarc_history_record(struct pcl_check_ctx *x,
                         const struct pcl_dmarc_verdict *v)
{
	const struct pcl_facts *k = x->facts;
	const struct pcl_conf *c = k->conf;
	struct pcl_dmarc_report_row *r;
	char line[PCL_DMARC_REPORT_LINE_MAX + 1];
	time_t now = time(NULL);
	size_t n;

	if (!pcl_dmarc_history_wanted(x) || !v->applied ||
	    (v->result != PCL_DMARC_R_PASS && v->result != PCL_DMARC_R_FAIL &&
	     v->result != PCL_DMARC_R_TEMPERROR) ||
	    k->ip == NULL)
		return;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		pcl_log(LOG_WARNING, "%s: dmarc report data: out of memory",
		        pcl_check_log_id(x));
		return;
	}
	r->time = (long long)now;
	pcl_addr_format(k->ip, r->ip, sizeof(r->ip));
	pcl_copy(r->from, sizeof(r->from), v->from);
	pcl_copy(r->domain, sizeof(r->domain), v->policy_domain);
	r->psl = c->dmarc_psl;
	r->p = v->record.p;
	r->sp = v->record.sp;
	r->np = v->record.np;
	r->adkim_strict = v->record.adkim_strict;
	r->aspf_strict = v->record.aspf_strict;
	r->testing = v->record.testing;
	r->psd = v->record.psd;
	pcl_copy(r->rua, sizeof(r->rua), v->rua);
	r->result = v->result;
	r->dkim_aligned = v->dkim_aligned;
	r->spf_aligned = v->spf_aligned;
	handling(c, v, r);
	identifiers(k, r);
	signatures(k, v->from, (size_t)c->dkim_max_signatures, r);
	n = pcl_dmarc_report_format(r, line, sizeof(line));
	if (n == 0)
		pcl_log(LOG_WARNING,
		        "%s: dmarc report data: the line cannot be written "
		        "(domain=%s)",
		        pcl_check_log_id(x), r->domain);
	else
		(void)pcl_dmarc_report_log_append(c->dmarc_report, line, n,
		                                  now);
	free(r);
}
