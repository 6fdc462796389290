/*
 * fuzz_dmarc - the DMARC parsers of untrusted text (lib/auth/dmarc*.c):
 * From: values, policy records, and what a walk's answers decide
 *
 * Fields, split at NUL bytes: a From: field value, then TXT texts, one
 * per name of the walk from the From: domain (from "example.com" when
 * it has none; a field starting with '!' stands for a DNS failure);
 * the last field takes the rest, NUL bytes included. The whole input
 * is also parsed as one record. Promises are checked: a domain that is
 * returned is a lower-case name that fits, the Organizational Domain
 * is the start or one of its parents, a policy found is a record of
 * the walk; a broken promise aborts, so the fuzzer reports it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort when a promise is broken */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* suffix_of - s is d or one of its parents */
static int
suffix_of(const char *s, const char *d)
{
	size_t ls = strlen(s), ld = strlen(d);

	return ls <= ld && strcmp(d + ld - ls, s) == 0 &&
	       (ls == ld || d[ld - ls - 1] == '.');
}

/* walk - the answers of ff's fields for the walk from domain */
static void
walk(const struct fuzz_fields *ff, const char *domain)
{
	struct pcl_dmarc_walk w;
	struct pcl_dmarc_policy_found pf;
	char org[PCL_DOMAIN_MAX + 1];

	pcl_dmarc_walk_init(&w, domain);
	check(w.n >= 1 && w.n <= PCL_DMARC_WALK_MAX);
	for (size_t i = 0; i < w.n; i++) {
		const char *t = i + 1 < ff->n ? ff->f[i + 1] : "";
		size_t len = i + 1 < ff->n ? ff->len[i + 1] : 0;

		check(suffix_of(w.name[i], domain));
		if (len > 0 && t[0] == '!')
			w.answer[i] = PCL_DMARC_ERROR;
		else
			pcl_dmarc_walk_answer(&w, i, &t, &len, len > 0);
	}
	if (pcl_dmarc_org_domain(&w, org) == PCL_DMARC_DECIDED)
		check(suffix_of(org, domain));
	if (pcl_dmarc_policy_discover(&w, &pf) == PCL_DMARC_DECIDED &&
	    pf.found) {
		check(pf.index < w.n && w.answer[pf.index] == PCL_DMARC_FOUND);
		check(pf.author == (pf.index == 0));
		check(pcl_dmarc_policy_of(&w.rec[pf.index], pf.author, true) !=
		      PCL_DMARC_P_UNSET);
	}
}

/* LLVMFuzzerTestOneInput - a From: value and a walk's answers */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_fields ff;
	struct pcl_dmarc_record r;
	char domain[PCL_DOMAIN_MAX + 1];
	char err[128];
	enum pcl_dmarc_from from;

	if (size > 262144)
		return 0;
	(void)pcl_dmarc_record_parse((const char *)data, size, &r);
	if (fuzz_fields_split(data, size, &ff) < 0)
		return 0;
	from = pcl_dmarc_from_domain(ff.f[0], domain, err, sizeof(err));
	if (from == PCL_DMARC_FROM_ONE) {
		check(*domain != '\0' && strlen(domain) <= PCL_DOMAIN_MAX);
		for (const char *p = domain; *p; p++)
			check(!(*p >= 'A' && *p <= 'Z') && *p != ' ');
	} else {
		check(*err != '\0');
		strcpy(domain, "example.com");
	}
	walk(&ff, domain);
	fuzz_fields_free(&ff);
	return 0;
}
