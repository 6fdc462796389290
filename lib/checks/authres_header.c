/*
 * authres_header - the Authentication-Results header (RFC 8601): the
 * forged ones removed, ours added
 *
 * A received Authentication-Results field that claims our authserv-id
 * is a forgery (RFC 8601 §5) and is deleted at the end of the message,
 * whoever sent it. Each deletion costs the MTA: Postfix's cleanup
 * handles it as a reverse jump in the queue file, and 20,000 of them
 * took it 27 s and then made it panic, so that no mail was accepted for
 * a minute. So at most authres_delete_limit are deleted; past that not
 * one deletion is asked for and the message gets authres_limit_action
 * (550 5.7.1 by default; enacted at once when it refuses).
 *
 * Inbound mail then gets one Authentication-Results header with the
 * results the other checks published (SPF, DKIM), at the top.
 */
#include "config.h"

#include <stdlib.h>
#include <strings.h>

#include "authres.h"
#include "checks.h"
#include "dkim.h"
#include "dmarc.h"
#include "spf.h"
#include "util.h"

/* The check's state: the message's Authentication-Results fields. */
struct authres {
	int seen;    /* Authentication-Results fields so far */
	int *forged; /* the occurrences that claim our authserv-id */
	size_t nforged;
	bool over; /* more than authres_delete_limit: none deleted */
};

/* too_many - one forgery more than may be deleted: the budget's action */
static void
too_many(struct pcl_check_ctx *x)
{
	const struct pcl_conf *c = x->facts->conf;
	struct authres *st = x->state;
	char detail[PCL_FINDING_DETAIL_MAX];

	st->over = true;
	pcl_format(detail, sizeof(detail),
	           "more than %ld forged Authentication-Results fields",
	           c->authres_delete_limit);
	pcl_check_configured(x, PCL_SCOPE_LIMIT, "authres_limit",
	                     PCL_STAGE_DATA, &c->authres_limit, detail, NULL);
}

/* header - count Authentication-Results fields, note the forged */
static void
header(struct pcl_check_ctx *x, const char *name, const char *value)
{
	const struct pcl_conf *c = x->facts->conf;
	struct authres *st = x->state;
	int *grown;

	if (strcasecmp(name, "Authentication-Results") != 0)
		return;
	st->seen++;
	if (st->over || !pcl_authres_is_ours(value, c->authserv_id))
		return;
	if (st->nforged >= (size_t)c->authres_delete_limit) {
		too_many(x);
		return;
	}
	grown = realloc(st->forged, (st->nforged + 1) * sizeof(int));
	if (grown == NULL) {
		pcl_check_oom(x); /* cannot keep it: cannot delete it */
		return;
	}
	st->forged = grown;
	st->forged[st->nforged++] = st->seen;
}

/* delete_forged - ask for the deletions, highest occurrence first, so
 * that one never shifts another still to come */
static void
delete_forged(struct pcl_check_ctx *x)
{
	struct authres *st = x->state;

	if (st->over) {
		pcl_check_trace(x, PCL_STAGE_DATA, "authres", "kept",
		                "more than %ld forged: none deleted",
		                x->facts->conf->authres_delete_limit);
		return;
	}
	for (size_t i = st->nforged; i > 0; i--) {
		pcl_check_delete(x, "Authentication-Results",
		                 st->forged[i - 1]);
		pcl_check_trace(x, PCL_STAGE_DATA, "authres", "delete",
		                "Authentication-Results #%d claims %s",
		                st->forged[i - 1], x->facts->conf->authserv_id);
	}
}

/* add_arc - "arc=pass (i=2) header.oldest-pass=1
 * smtp.remote-ip=192.0.2.1" (RFC 8617 10.1) */
static void
add_arc(struct pcl_authres *ar, const struct pcl_facts *k)
{
	const struct pcl_arc_result *r = pcl_dkim_verify_arc(k->arc);
	char sets[32], oldest[16] = "";

	pcl_format(sets, sizeof(sets), "i=%u", r->instances);
	if (r->result == PCL_ARC_PASS && r->oldest_pass > 0)
		pcl_format(oldest, sizeof(oldest), "%u", r->oldest_pass);
	pcl_authres_add(ar, "arc", pcl_arc_result_name(r->result),
	                r->result == PCL_ARC_PASS ? sets : r->reason,
	                "header.oldest-pass", oldest, "smtp.remote-ip", k->addr,
	                NULL);
}

/* add_dmarc - "dmarc=fail (p=reject sp=none dis=reject)
 * header.from=example.com" (the policy words when a record applied) */
static void
add_dmarc(struct pcl_authres *ar, const struct pcl_dmarc_verdict *v)
{
	char comment[96] = "";

	if (v->p != PCL_DMARC_P_UNSET)
		pcl_format(
		    comment, sizeof(comment), "p=%s sp=%s%s%s%s%s",
		    pcl_dmarc_policy_name(v->p), pcl_dmarc_policy_name(v->sp),
		    v->result == PCL_DMARC_R_FAIL ? " dis=" : "",
		    v->result != PCL_DMARC_R_FAIL ? ""
		    : *v->override                ? "none"
		                   : pcl_dmarc_policy_name(v->disposition),
		    *v->override ? " override=" : "", v->override);
	pcl_authres_add(ar, "dmarc", pcl_dmarc_result_name(v->result),
	                *comment ? comment : NULL, "header.from",
	                *v->from ? v->from : NULL, NULL);
}

/* add_ours - our header, from the published results; none when no
 * check had anything to say */
static void
add_ours(struct pcl_check_ctx *x)
{
	const struct pcl_facts *k = x->facts;
	struct pcl_authres ar;

	if (!k->conf->auth_results)
		return;
	pcl_authres_init(&ar, k->conf->authserv_id);
	if (k->spf_mailfrom && *k->sender)
		pcl_authres_add(
		    &ar, "spf", pcl_spf_result_name(k->spf_mailfrom->result),
		    NULL, "smtp.mailfrom", k->spf_mailfrom_identity, NULL);
	if (k->spf_helo)
		pcl_authres_add(&ar, "spf",
		                pcl_spf_result_name(k->spf_helo->result), NULL,
		                "smtp.helo", k->helo, NULL);
	for (size_t i = 0; i < k->ndkim; i++) {
		const struct pcl_dkim_sig *g = &k->dkim[i];

		pcl_authres_add(&ar, "dkim", pcl_dkim_result_name(g->result),
		                g->result == PCL_DKIM_PASS ? NULL : g->reason,
		                "header.d", g->domain, "header.s", g->selector,
		                "header.a", g->algorithm, "header.b", g->b,
		                NULL);
	}
	if (k->arc)
		add_arc(&ar, k);
	if (k->dmarc)
		add_dmarc(&ar, k->dmarc);
	if (ar.results > 0)
		pcl_check_header(x, PCL_SCOPE_MSG, "Authentication-Results",
		                 pcl_authres_value(&ar));
}

/* start - at the end of the message */
static void
start(struct pcl_check_ctx *x, enum pcl_event ev)
{
	(void)ev;
	delete_forged(x);
	if (!x->facts->trusted)
		add_ours(x);
}

/* reset - a transaction ends */
static void
reset(struct pcl_check_ctx *x, enum pcl_scope scope)
{
	struct authres *st = x->state;

	if (scope != PCL_SCOPE_TXN)
		return;
	free(st->forged);
	st->forged = NULL;
	st->nforged = 0;
	st->seen = 0;
	st->over = false;
}

/* release - the list of forgeries */
static void
release(struct pcl_check_ctx *x)
{
	reset(x, PCL_SCOPE_TXN);
}

const struct pcl_check pcl_check_authres = {
    .name = "authres",
    .kind = PCL_CHECK_ALL,
    .events = PCL_EV(PCL_EV_EOM),
    .state_size = sizeof(struct authres),
    .start = start,
    .header = header,
    .reset = reset,
    .free = release,
};
