/*
 * report_tool - rows of DMARC report data written by the daemon's own
 * code (pcl_dmarc_report_format, then pcl_dmarc_report_log_append at
 * the row's time), for dmarc_report_judge.py
 *
 *   report_tool DIR    one row per line of standard input
 *
 * A row is tab-separated fields, each in hex (so that a test can put
 * any byte in any of them): time, ip, from, domain, disc, p, sp, np,
 * adkim, aspf, t, psd, rua, result, align_dkim, align_spf,
 * disposition, action, override, mailfrom, spf domain ("" for none),
 * spf scope, spf result, then domain, selector, result of each DKIM
 * signature. The words are those of a line (dmarc_report.h). Exit 0
 * when every row was written; 1 with the row's number otherwise.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc_report.h"

#define FIELDS_MAX (23 + 3 * PCL_DMARC_REPORT_DKIM_MAX)

/* unhex - a hex field into out (NUL-terminated); false when bad */
static bool
unhex(const char *p, size_t n, char *out, size_t len)
{
	if (n % 2 != 0 || n / 2 >= len)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;

		if (sscanf(p + i, "%2x", &v) != 1)
			return false;
		out[i / 2] = (char)v;
	}
	out[n / 2] = '\0';
	return true;
}

/* word - the index of w in list (count entries), -1 if none */
static int
word(const char *w, const char *(*name)(int), int count)
{
	for (int i = 0; i < count; i++)
		if (strcmp(w, name(i)) == 0)
			return i;
	return -1;
}

static const char *
policy(int i)
{
	return pcl_dmarc_report_policy((enum pcl_dmarc_policy)i);
}

static const char *
disposition(int i)
{
	return pcl_dmarc_disposition_name((enum pcl_dmarc_disposition)i);
}

static const char *
result(int i)
{
	static const char *const r[] = {"none", "pass", "fail", "temperror",
	                                "permerror"};
	return r[i];
}

/* overrides - comma-separated words to bits */
static bool
overrides(const char *v, unsigned *bits)
{
	*bits = 0;
	if (strcmp(v, "-") == 0)
		return true;
	while (*v) {
		size_t n = strcspn(v, ",");
		bool found = false;

		for (unsigned b = 1; b <= PCL_DMARC_OVR_ALL; b <<= 1)
			if (strlen(pcl_dmarc_override_name(b)) == n &&
			    strncmp(v, pcl_dmarc_override_name(b), n) == 0) {
				*bits |= b;
				found = true;
			}
		if (!found)
			return false;
		v += n + (v[n] == ',');
	}
	return true;
}

/* row_of - the fields f (n of them) into r */
static bool
row_of(char f[][PCL_DMARC_RUA_MAX + 1], size_t n,
       struct pcl_dmarc_report_row *r)
{
	enum pcl_action act;
	int i;

	if (n < 23 || (n - 23) % 3 != 0)
		return false;
	memset(r, 0, sizeof(*r));
	r->time = atoll(f[0]);
	pcl_copy(r->ip, sizeof(r->ip), f[1]);
	pcl_copy(r->from, sizeof(r->from), f[2]);
	pcl_copy(r->domain, sizeof(r->domain), f[3]);
	r->psl = strcmp(f[4], "psl") == 0;
	if ((i = word(f[5], policy, 4)) < 0)
		return false;
	r->p = (enum pcl_dmarc_policy)i;
	if ((i = word(f[6], policy, 4)) < 0)
		return false;
	r->sp = (enum pcl_dmarc_policy)i;
	if ((i = word(f[7], policy, 4)) < 0)
		return false;
	r->np = (enum pcl_dmarc_policy)i;
	r->adkim_strict = strcmp(f[8], "s") == 0;
	r->aspf_strict = strcmp(f[9], "s") == 0;
	r->testing = strcmp(f[10], "y") == 0;
	r->psd = f[11][0];
	pcl_copy(r->rua, sizeof(r->rua), f[12]);
	if ((i = word(f[13], result, 5)) < 0)
		return false;
	r->result = (enum pcl_dmarc_result)i;
	r->dkim_aligned = strcmp(f[14], "pass") == 0;
	r->spf_aligned = strcmp(f[15], "pass") == 0;
	if ((i = word(f[16], disposition, 4)) < 0 ||
	    pcl_action_parse(f[17], &act) != 0 ||
	    !overrides(f[18], &r->override))
		return false;
	r->disposition = (enum pcl_dmarc_disposition)i;
	r->action = act;
	pcl_copy(r->mailfrom, sizeof(r->mailfrom), f[19]);
	if (*f[20]) {
		r->spf = true;
		pcl_copy(r->spf_domain, sizeof(r->spf_domain), f[20]);
		r->spf_helo = strcmp(f[21], "helo") == 0;
		r->spf_result = pcl_dmarc_report_result("spf", f[22]);
	}
	for (size_t k = 23; k < n; k += 3) {
		struct pcl_dmarc_report_sig *s = &r->dkim[r->ndkim++];

		pcl_copy(s->domain, sizeof(s->domain), f[k]);
		pcl_copy(s->selector, sizeof(s->selector), f[k + 1]);
		s->result = pcl_dmarc_report_result("dkim", f[k + 2]);
	}
	return true;
}

int
main(int argc, char **argv)
{
	static char f[FIELDS_MAX][PCL_DMARC_RUA_MAX + 1];
	struct pcl_dmarc_report_row *r = malloc(sizeof(*r));
	struct pcl_dmarc_report_log *l;
	char *in = NULL, line[PCL_DMARC_REPORT_LINE_MAX + 1];
	size_t cap = 0, nrow = 0;
	ssize_t got;

	if (argc != 2 || r == NULL ||
	    (l = pcl_dmarc_report_log_new(argv[1], 0)) == NULL)
		return 2;
	while ((got = getline(&in, &cap, stdin)) > 0) {
		char *p = in;
		size_t n = 0, len;

		nrow++;
		in[strcspn(in, "\n")] = '\0';
		for (;;) {
			size_t k = strcspn(p, "\t");

			if (n == FIELDS_MAX ||
			    !unhex(p, k, f[n++], sizeof(f[0])))
				goto bad;
			if (p[k] == '\0')
				break;
			p += k + 1;
		}
		if (!row_of(f, n, r) ||
		    (len = pcl_dmarc_report_format(r, line, sizeof(line))) ==
		        0 ||
		    !pcl_dmarc_report_log_append(l, line, len, (time_t)r->time))
			goto bad;
	}
	free(in);
	free(r);
	pcl_dmarc_report_log_free(l);
	return 0;
bad:
	fprintf(stderr, "report_tool: row %zu not written\n", nrow);
	return 1;
}
