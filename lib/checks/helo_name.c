/*
 * helo_name - the check of the HELO/EHLO name: each problem that
 * pcl_helo_judge (lib/core/helo.c) finds gets the admin's action
 * (helo_invalid, helo_non_fqdn, helo_bare_ip, helo_literal_mismatch,
 * helo_impersonation), and at MAIL a client that sent no HELO at all
 * gets helo_required
 */
#include "config.h"

#include "checks.h"
#include "helo.h"
#include "util.h"

#define HELO_BIT(p) (1u << (p))

/* problem_conf - the configured behaviour for a HELO problem */
static const struct pcl_check_conf *
problem_conf(const struct pcl_conf *c, enum pcl_helo_problem p)
{
	switch (p) {
	case PCL_HELO_INVALID:
		return &c->helo_invalid;
	case PCL_HELO_BARE_IP:
		return &c->helo_bare_ip;
	case PCL_HELO_NON_FQDN:
		return &c->helo_non_fqdn;
	case PCL_HELO_LITERAL_MISMATCH:
		return &c->helo_literal_mismatch;
	case PCL_HELO_IMPERSONATION:
		return &c->helo_impersonation;
	case PCL_HELO_FINE:
		break;
	}
	return NULL;
}

/* judge - at HELO, every problem of the name; at MAIL, no HELO at all */
static void
judge(struct pcl_check_ctx *x, enum pcl_event ev)
{
	const struct pcl_facts *k = x->facts;
	unsigned bits;

	if (ev == PCL_EV_MAIL) {
		if (!k->helo_seen)
			pcl_check_configured(
			    x, PCL_SCOPE_TXN, "helo_required", PCL_STAGE_MAIL,
			    &k->conf->helo_required, "no HELO/EHLO", NULL);
		return;
	}
	bits = pcl_helo_judge(k->helo, k->ip, &k->conf->self);
	if (bits == 0) {
		pcl_check_trace(x, PCL_STAGE_HELO, "helo", "pass", "%s",
		                k->helo);
		return;
	}
	for (int p = PCL_HELO_INVALID; p <= PCL_HELO_IMPERSONATION; p++) {
		char detail[PCL_FINDING_DETAIL_MAX];

		if (!(bits & HELO_BIT(p)))
			continue;
		/* raw: the log line and the test mode quote it */
		pcl_copy(detail, sizeof(detail), k->helo);
		pcl_check_configured(
		    x, PCL_SCOPE_HELO,
		    pcl_helo_problem_name((enum pcl_helo_problem)p),
		    PCL_STAGE_HELO,
		    problem_conf(k->conf, (enum pcl_helo_problem)p), detail,
		    NULL);
	}
}

const struct pcl_check pcl_check_helo = {
    .name = "helo",
    .kind = PCL_CHECK_INBOUND,
    .events = PCL_EV(PCL_EV_HELO) | PCL_EV(PCL_EV_MAIL),
    .start = judge,
};
