/*
 * spf_verify - the SPF check of the HELO and MAIL FROM identities
 * (RFC 7208), over the evaluator of lib/auth/spf.c
 *
 * Both are evaluated at MAIL, once it is known whether the client is
 * trusted (internal and authenticated clients are not checked, nor
 * loopback ones: SPF says nothing about them). The HELO identity is
 * checked when spf_helo is on and the HELO name is a domain; for the
 * null sender, the MAIL FROM identity is postmaster@HELO (RFC 7208
 * §2.4) and its result is the HELO's, so it is evaluated whatever the
 * HELO name: one that is not a multi-label domain (a single label, an
 * address literal) gives none (§4.3), with a Received-SPF and an spf=
 * that say so. Each identity's result maps to
 * its configured action; temperror follows spf_on_error. The results
 * are published (Authentication-Results reads them) and make a
 * Received-SPF header.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "spf.h"
#include "util.h"

/* The check's state: the results of the transaction. */
struct spf {
	struct pcl_spf_response helo, mailfrom;
	bool helo_done, mailfrom_done;
	char identity[PCL_ADDRESS_MAX + 1]; /* the MAIL FROM identity */
};

/* spf_conf - the configured behaviour for an identity's result, or
 * NULL when the result has none (pass; none and neutral for HELO) */
static const struct pcl_check_conf *
spf_conf(const struct pcl_conf *c, bool helo, enum pcl_spf_result r,
         const char **check)
{
	switch (r) {
	case PCL_SPF_FAIL:
		*check = helo ? "spf_helo_fail" : "spf_mailfrom_fail";
		return helo ? &c->spf_helo_fail : &c->spf_mailfrom_fail;
	case PCL_SPF_SOFTFAIL:
		*check = helo ? "spf_helo_softfail" : "spf_mailfrom_softfail";
		return helo ? &c->spf_helo_softfail : &c->spf_mailfrom_softfail;
	case PCL_SPF_PERMERROR:
		*check = helo ? "spf_helo_permerror" : "spf_mailfrom_permerror";
		return helo ? &c->spf_helo_permerror
		            : &c->spf_mailfrom_permerror;
	case PCL_SPF_NEUTRAL:
		*check = "spf_mailfrom_neutral";
		return helo ? NULL : &c->spf_mailfrom_neutral;
	case PCL_SPF_NONE:
		*check = "spf_mailfrom_none";
		return helo ? NULL : &c->spf_mailfrom_none;
	case PCL_SPF_PASS:
	case PCL_SPF_TEMPERROR:
		break;
	}
	return NULL;
}

/* act - the finding for one identity's result */
static void
act(struct pcl_check_ctx *x, bool helo, const struct pcl_spf_response *r)
{
	const struct pcl_conf *c = x->facts->conf;
	const struct pcl_check_conf *cc;
	const char *check = "spf";
	char detail[PCL_FINDING_DETAIL_MAX];
	const struct pcl_reply_var vars[] = {
	    {"spf_result", pcl_spf_result_name(r->result)},
	    {"spf_explanation", r->explanation},
	    {"spf_problem", r->problem},
	    {NULL, NULL},
	};

	pcl_format(detail, sizeof(detail), "%s %s: %s%s%s",
	           helo ? "helo" : "mailfrom", pcl_spf_result_name(r->result),
	           r->mechanism, *r->mechanism && *r->problem ? ": " : "",
	           r->problem);
	if (r->result == PCL_SPF_TEMPERROR) {
		pcl_check_error(x, PCL_SCOPE_TXN, "spf", PCL_STAGE_MAIL,
		                c->spf_on_error, detail, "4.3",
		                "SPF temporary error, try again later");
		return;
	}
	cc = spf_conf(c, helo, r->result, &check);
	if (cc != NULL)
		pcl_check_configured(x, PCL_SCOPE_TXN, check, PCL_STAGE_MAIL,
		                     cc, detail, vars);
}

/* check_one - evaluate one identity into out and trace it */
static void
check_one(struct pcl_check_ctx *x, const char *sender, const char *domain,
          bool helo, struct pcl_spf_response *out)
{
	const struct pcl_facts *k = x->facts;
	struct pcl_spf_request req = {
	    .ip = *k->ip,
	    .sender = sender,
	    .domain = domain,
	    .helo = k->helo,
	    .receiver = k->conf->myhostname,
	};

	pcl_spf_check(k->conf->dns, &req, out);
	pcl_check_trace(x, PCL_STAGE_MAIL, helo ? "spf_helo" : "spf_mailfrom",
	                pcl_spf_result_name(out->result), "%s: %s%s%s", domain,
	                out->mechanism,
	                *out->mechanism && *out->problem ? ": " : "",
	                out->problem);
}

/* mail - SPF at MAIL */
static void
mail(struct pcl_check_ctx *x)
{
	const struct pcl_facts *k = x->facts;
	const struct pcl_conf *c = k->conf;
	struct spf *st = x->state;
	const char *at = strrchr(k->sender, '@');
	char postmaster[PCL_ADDRESS_MAX + 1];
	bool null_sender = *k->sender == '\0';
	bool helo_domain = k->helo[0] != '[' && strchr(k->helo, '.') != NULL;

	if (!c->spf_verify || c->dns == NULL || k->ip == NULL)
		return;
	if (pcl_addr_classify(k->ip) == PCL_ADDR_LOOPBACK) {
		pcl_check_trace(x, PCL_STAGE_MAIL, "spf", "skip",
		                "loopback client");
		return;
	}
	pcl_format(postmaster, sizeof(postmaster), "postmaster@%s", k->helo);
	/* the null sender's only identity is the HELO's: the evaluator
	 * says none for a name that is not a domain */
	if (k->helo_seen && (null_sender || (c->spf_helo && helo_domain))) {
		check_one(x, postmaster, k->helo, true, &st->helo);
		st->helo_done = true;
		act(x, true, &st->helo);
	}
	if (null_sender) {
		/* the MAIL FROM identity is the HELO's */
		if (st->helo_done) {
			st->mailfrom = st->helo;
			st->mailfrom_done = true;
			pcl_copy(st->identity, sizeof(st->identity),
			         postmaster);
		}
	} else if (at != NULL && at[1] != '\0') {
		check_one(x, k->sender, at + 1, false, &st->mailfrom);
		st->mailfrom_done = true;
		pcl_copy(st->identity, sizeof(st->identity), k->sender);
		act(x, false, &st->mailfrom);
	}
	pcl_check_publish_spf(x, st->helo_done ? &st->helo : NULL,
	                      st->mailfrom_done ? &st->mailfrom : NULL,
	                      st->identity);
}

/* received_spf - a Received-SPF header for the MAIL FROM identity (the
 * HELO's for the null sender) */
static void
received_spf(struct pcl_check_ctx *x)
{
	const struct pcl_facts *k = x->facts;
	struct spf *st = x->state;
	char value[PCL_SPF_TEXT_MAX * 2];
	const char *at = strrchr(st->identity, '@');
	struct pcl_spf_request req = {
	    .sender = st->identity,
	    .domain = at ? at + 1 : k->helo,
	    .helo = k->helo,
	    .receiver = k->conf->myhostname,
	};

	if (!st->mailfrom_done || !k->conf->spf_received_header)
		return;
	req.ip = *k->ip;
	if (pcl_spf_received(&req, &st->mailfrom,
	                     *k->sender ? "mailfrom" : "helo", value,
	                     sizeof(value)))
		pcl_check_header(x, PCL_SCOPE_MSG, "Received-SPF", value);
}

/* start - the identities at MAIL, the header at the end */
static void
start(struct pcl_check_ctx *x, enum pcl_event ev)
{
	if (ev == PCL_EV_MAIL)
		mail(x);
	else
		received_spf(x);
}

/* reset - a transaction ends */
static void
reset(struct pcl_check_ctx *x, enum pcl_scope scope)
{
	struct spf *st = x->state;

	if (scope == PCL_SCOPE_TXN) {
		st->helo_done = st->mailfrom_done = false;
		*st->identity = '\0';
	}
}

const struct pcl_check pcl_check_spf = {
    .name = "spf",
    .kind = PCL_CHECK_INBOUND,
    .events = PCL_EV(PCL_EV_MAIL) | PCL_EV(PCL_EV_EOM),
    .state_size = sizeof(struct spf),
    .start = start,
    .reset = reset,
};
