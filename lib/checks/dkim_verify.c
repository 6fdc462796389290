/*
 * dkim_verify - the DKIM check of inbound mail (RFC 6376, RFC 8463),
 * over the verifier of lib/auth/dkim_verify*.c
 *
 * The message is fed to one verifier as it streams by; at its end every
 * signature is traced and published (Authentication-Results reads
 * them, and dbl the d= of those that passed), and the message gets one
 * finding: none if any signature passed, else dkim_fail if any failed,
 * else dkim_on_error when a key lookup failed, else dkim_none when
 * there was no signature.
 */
#include "config.h"

#include "checks.h"
#include "dkim.h"
#include "util.h"

/* The check's state: this message's verifier. */
struct dkim {
	struct pcl_dkim_verify *v;
};

/* verifier - the message's verifier, made on first use; NULL when DKIM
 * is not verified, or out of memory (the message then gets on_error) */
static struct pcl_dkim_verify *
verifier(struct pcl_check_ctx *x)
{
	const struct pcl_facts *k = x->facts;
	struct dkim *st = x->state;

	if (st->v == NULL && k->conf->dkim && k->conf->dkim_verify &&
	    (st->v = pcl_dkim_verify_new(
	         k->conf->dkim, *k->qid ? k->qid : "portcullis")) == NULL)
		pcl_check_oom(x);
	return st->v;
}

/* header - a header field */
static void
header(struct pcl_check_ctx *x, const char *name, const char *value)
{
	struct pcl_dkim_verify *v = verifier(x);

	if (v)
		pcl_dkim_verify_header(v, name, value);
}

/* body - a body chunk */
static void
body(struct pcl_check_ctx *x, const unsigned char *chunk, size_t len)
{
	struct dkim *st = x->state;

	if (st->v)
		pcl_dkim_verify_body(st->v, chunk, len);
}

/* arc - trace and publish the ARC chain's verdict (RFC 8617): it is
 * information for Authentication-Results and for DMARC's trusted
 * sealers, never a finding of its own */
static void
arc(struct pcl_check_ctx *x, const struct pcl_dkim_verify *v)
{
	const struct pcl_arc_result *r = pcl_dkim_verify_arc(v);

	if (r->result != PCL_ARC_NONE)
		pcl_check_trace(x, PCL_STAGE_DATA, "arc",
		                pcl_arc_result_name(r->result), "%u sets: %s",
		                r->instances, r->reason);
	pcl_check_publish_arc(x, v);
}

/* verdict - trace and publish every signature; one finding for the
 * message */
static void
verdict(struct pcl_check_ctx *x, struct pcl_dkim_verify *v)
{
	const struct pcl_conf *c = x->facts->conf;
	bool pass = false, fail = false, temp = false;
	char detail[PCL_FINDING_DETAIL_MAX] = "";
	size_t n;

	pcl_dkim_verify_eom(v);
	n = pcl_dkim_verify_count(v);
	for (size_t i = 0; i < n; i++) {
		const struct pcl_dkim_sig *g = pcl_dkim_verify_sig(v, i);

		pcl_check_trace(x, PCL_STAGE_DATA, "dkim",
		                pcl_dkim_result_name(g->result),
		                "d=%s s=%s a=%s: %s", g->domain, g->selector,
		                g->algorithm, g->reason);
		pass |= g->result == PCL_DKIM_PASS;
		fail |= g->result == PCL_DKIM_FAIL ||
		        g->result == PCL_DKIM_PERMERROR ||
		        g->result == PCL_DKIM_POLICY;
		temp |= g->result == PCL_DKIM_TEMPERROR;
		if (g->result != PCL_DKIM_PASS && *detail == '\0')
			pcl_format(detail, sizeof(detail), "d=%s s=%s: %s",
			           g->domain, g->selector, g->reason);
	}
	if (pcl_dkim_verify_unexamined(v) > 0)
		pcl_check_trace(x, PCL_STAGE_DATA, "dkim", "neutral",
		                "%zu more DKIM-Signature fields not examined "
		                "(over the per-message limit)",
		                pcl_dkim_verify_unexamined(v));
	pcl_check_publish_dkim(x, n ? pcl_dkim_verify_sig(v, 0) : NULL, n);
	arc(x, v);
	if (pass)
		return;
	if (fail)
		pcl_check_configured(x, PCL_SCOPE_MSG, "dkim_fail",
		                     PCL_STAGE_DATA, &c->dkim_fail, detail,
		                     NULL);
	else if (temp)
		pcl_check_error(x, PCL_SCOPE_MSG, "dkim", PCL_STAGE_DATA,
		                c->dkim_on_error, detail, "7.5",
		                "DKIM key lookup failed");
	else if (n == 0)
		pcl_check_configured(x, PCL_SCOPE_MSG, "dkim_none",
		                     PCL_STAGE_DATA, &c->dkim_none,
		                     "no signature", NULL);
}

/* start - the end of the header, the end of the message */
static void
start(struct pcl_check_ctx *x, enum pcl_event ev)
{
	struct pcl_dkim_verify *v = verifier(x);

	if (v == NULL)
		return;
	if (ev == PCL_EV_EOH)
		pcl_dkim_verify_eoh(v);
	else
		verdict(x, v);
}

/* reset - the message's verifier goes with the transaction, or with
 * the content when the header budget is spent */
static void
reset(struct pcl_check_ctx *x, enum pcl_scope scope)
{
	struct dkim *st = x->state;

	if (scope != PCL_SCOPE_TXN && scope != PCL_SCOPE_MSG)
		return;
	pcl_dkim_verify_free(st->v);
	st->v = NULL;
}

/* release - the verifier, if any */
static void
release(struct pcl_check_ctx *x)
{
	reset(x, PCL_SCOPE_TXN);
}

const struct pcl_check pcl_check_dkim = {
    .name = "dkim",
    .kind = PCL_CHECK_INBOUND,
    .events = PCL_EV(PCL_EV_EOH) | PCL_EV(PCL_EV_EOM),
    .state_size = sizeof(struct dkim),
    .start = start,
    .header = header,
    .body = body,
    .reset = reset,
    .free = release,
};
