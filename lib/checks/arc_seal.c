/*
 * arc_seal - this hop's ARC set (RFC 8617 5.1) on inbound mail, with
 * arc_sign = yes: ARC-Authentication-Results, ARC-Message-Signature and
 * ARC-Seal, so that a receiver after a forward can still see what
 * this host saw
 *
 * The message streams into an ARC-Message-Signature context (our own
 * signer: relaxed/relaxed, dkim_sign_headers, From oversigned, no
 * ARC or Authentication-Results field signed) from its first header
 * field. At the end of the message, after the DKIM check judged the
 * chain the message came with and the other checks published their
 * results: the set goes on as instance N + 1 with cv=none (no chain),
 * pass or fail (the chain's verdict), unless the chain already holds 50
 * sets, ended with cv=fail, or could not be judged (a key lookup
 * failed): then nothing is added, and the trace says why. The AAR
 * carries the very results of our Authentication-Results header
 * (authres_ours.c). The three fields are added in the order
 * ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "authres_ours.h"
#include "checks.h"
#include "dkim.h"
#include "log.h"
#include "util.h"

/* The check's state: this message's AMS. */
struct arc_seal {
	struct pcl_dkim_signer_ctx *ams;
};

/* signer - the message's AMS context, made on first use; NULL when
 * not sealing (or out of memory: on_error) */
static struct pcl_dkim_signer_ctx *
signer(struct pcl_check_ctx *x)
{
	const struct pcl_conf *c = x->facts->conf;
	struct arc_seal *st = x->state;
	struct pcl_dkim_sign_opts opts = {
	    .header_canon = PCL_DKIM_CANON_RELAXED,
	    .body_canon = PCL_DKIM_CANON_RELAXED,
	    .headers = c->sign_headers,
	    .arc_instance = 1, /* the real one at the end */
	};

	if (st->ams == NULL && c->arc_sign && c->arc_signer != NULL &&
	    (st->ams = pcl_dkim_sign_new(c->dkim, c->arc_signer, &opts)) ==
	        NULL)
		pcl_check_oom(x);
	return st->ams;
}

/* header - a header field for the AMS */
static void
header(struct pcl_check_ctx *x, const char *name, const char *value)
{
	struct pcl_dkim_signer_ctx *ams = signer(x);

	if (ams != NULL)
		pcl_dkim_sign_header(ams, name, value);
}

/* body - a body chunk for the AMS */
static void
body(struct pcl_check_ctx *x, const unsigned char *chunk, size_t len)
{
	struct arc_seal *st = x->state;

	if (st->ams != NULL)
		pcl_dkim_sign_body(st->ams, chunk, len);
}

/* seal - the set's three values, added; false with why */
static bool
seal(struct pcl_check_ctx *x, unsigned next, const char *cv, char *why,
     size_t len)
{
	const struct pcl_facts *k = x->facts;
	const struct pcl_conf *c = k->conf;
	struct arc_seal *st = x->state;
	const char *prior[3 * PCL_ARC_SETS_MAX];
	struct pcl_authres ar;
	char *ams = malloc(PCL_DKIM_SIGN_VALUE_MAX);
	char *as = malloc(PCL_DKIM_SIGN_VALUE_MAX);
	char *aar = malloc(PCL_AUTHRES_MAX + 16);
	bool ok = false;

	if (ams == NULL || as == NULL || aar == NULL) {
		pcl_check_oom(x);
		goto out;
	}
	for (unsigned i = 1; strcmp(cv, "fail") != 0 && i < next; i++)
		if (!pcl_dkim_verify_arc_values(k->arc, i, &prior[3 * i - 3],
		                                &prior[3 * i - 2],
		                                &prior[3 * i - 1])) {
			pcl_copy(why, len, "an incomplete ARC set");
			goto out;
		}
	(void)pcl_authres_ours(k, &ar);
	pcl_format(aar, PCL_AUTHRES_MAX + 16, " i=%u;%s", next,
	           pcl_authres_value(&ar));
	pcl_dkim_sign_arc_instance(st->ams, next);
	if (pcl_dkim_sign_eom(st->ams, ams, PCL_DKIM_SIGN_VALUE_MAX) !=
	    PCL_DKIM_SIGN_OK) {
		pcl_copy(why, len, pcl_dkim_sign_error(st->ams));
		goto out;
	}
	if (pcl_arc_seal(c->dkim, c->arc_signer, next, cv, prior, aar, ams, as,
	                 PCL_DKIM_SIGN_VALUE_MAX) != PCL_DKIM_SIGN_OK) {
		pcl_copy(why, len, "the seal could not be made");
		goto out;
	}
	ok = pcl_check_header(x, PCL_SCOPE_MSG, "ARC-Seal", as) &&
	     pcl_check_header(x, PCL_SCOPE_MSG, "ARC-Message-Signature", ams) &&
	     pcl_check_header(x, PCL_SCOPE_MSG, "ARC-Authentication-Results",
	                      aar);
	if (!ok)
		pcl_check_oom(x);
out:
	free(ams);
	free(as);
	free(aar);
	return ok;
}

/* eom - the set, when the chain allows one */
static void
eom(struct pcl_check_ctx *x)
{
	const struct pcl_facts *k = x->facts;
	const char *cv = "none";
	char why[PCL_ERR_MAX] = "";
	unsigned next = 0;

	if (signer(x) == NULL)
		return;
	if (k->arc == NULL ||
	    !pcl_dkim_verify_arc_sealable(k->arc, &next, &cv)) {
		pcl_check_trace(x, PCL_STAGE_DATA, "arc_seal", "skip",
		                "the chain cannot be continued (%s)",
		                k->arc ? pcl_dkim_verify_arc(k->arc)->reason
		                       : "not verified");
		return;
	}
	if (seal(x, next, cv, why, sizeof(why))) {
		pcl_check_trace(x, PCL_STAGE_DATA, "arc_seal", "sealed",
		                "i=%u cv=%s d=%s", next, cv,
		                k->conf->arc_signer->domain);
		return;
	}
	pcl_check_trace(x, PCL_STAGE_DATA, "arc_seal", "error", "%s", why);
	pcl_log(LOG_WARNING, "%s: arc_seal error=\"%s\": not sealed",
	        pcl_check_log_id(x), why);
}

/* start - the end of the message */
static void
start(struct pcl_check_ctx *x, enum pcl_event ev)
{
	(void)ev;
	eom(x);
}

/* reset - the AMS goes with the transaction or the content */
static void
reset(struct pcl_check_ctx *x, enum pcl_scope scope)
{
	struct arc_seal *st = x->state;

	if (scope != PCL_SCOPE_TXN && scope != PCL_SCOPE_MSG)
		return;
	pcl_dkim_sign_free(st->ams);
	st->ams = NULL;
}

/* release - what the state holds */
static void
release(struct pcl_check_ctx *x)
{
	reset(x, PCL_SCOPE_TXN);
}

const struct pcl_check pcl_check_arc_seal = {
    .name = "arc_seal",
    .kind = PCL_CHECK_INBOUND,
    .events = PCL_EV(PCL_EV_EOM),
    .state_size = sizeof(struct arc_seal),
    .start = start,
    .header = header,
    .body = body,
    .reset = reset,
    .free = release,
};
