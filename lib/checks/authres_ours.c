/*
 * authres_ours - this host's Authentication-Results (RFC 8601) from the
 * results the checks published: spf (MAIL FROM, HELO), one dkim per
 * signature, arc (RFC 8617 10.1), dmarc. Built in one place for our
 * header (authres_header.c) and this hop's ARC-Authentication-Results
 * (arc_seal.c), which must say the same.
 */
#include "config.h"

#include "authres_ours.h"
#include "dkim.h"
#include "dmarc.h"
#include "spf.h"
#include "util.h"

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
		    : *v->arc_sealer              ? "none"
		                     : pcl_dmarc_policy_name(v->disposition),
		    *v->arc_sealer ? " override=arc:" : "", v->arc_sealer);
	pcl_authres_add(ar, "dmarc", pcl_dmarc_result_name(v->result),
	                *comment ? comment : NULL, "header.from",
	                *v->from ? v->from : NULL, NULL);
}

/* pcl_authres_ours - the results into ar (initialised here); how many */
size_t
pcl_authres_ours(const struct pcl_facts *k, struct pcl_authres *ar)
{
	pcl_authres_init(ar, k->conf->authserv_id);
	if (k->spf_mailfrom && *k->sender)
		pcl_authres_add(
		    ar, "spf", pcl_spf_result_name(k->spf_mailfrom->result),
		    NULL, "smtp.mailfrom", k->spf_mailfrom_identity, NULL);
	if (k->spf_helo)
		pcl_authres_add(ar, "spf",
		                pcl_spf_result_name(k->spf_helo->result), NULL,
		                "smtp.helo", k->helo, NULL);
	for (size_t i = 0; i < k->ndkim; i++) {
		const struct pcl_dkim_sig *g = &k->dkim[i];

		pcl_authres_add(ar, "dkim", pcl_dkim_result_name(g->result),
		                g->result == PCL_DKIM_PASS ? NULL : g->reason,
		                "header.d", g->domain, "header.s", g->selector,
		                "header.a", g->algorithm, "header.b", g->b,
		                NULL);
	}
	if (k->arc && pcl_dkim_verify_arc(k->arc)->result != PCL_ARC_NONE)
		add_arc(ar, k);
	if (k->dmarc)
		add_dmarc(ar, k->dmarc);
	return ar->results;
}
