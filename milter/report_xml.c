/*
 * report_xml - the XML of DMARC aggregate reports: RFC 9990 (the
 * schema of its appendix A, namespace urn:ietf:params:xml:ns:dmarc-2.0)
 * or RFC 7489's appendix C
 *
 * Every text that comes from the day's file goes through text(): the
 * five XML specials as entities, bytes that XML 1.0 cannot carry
 * (control characters, invalid UTF-8, U+FFFE and U+FFFF) as '?', so a
 * report is well-formed whatever a sender put into a domain or a DNS
 * record.
 *
 * RFC 7489 has no "pass" disposition (none is written), no
 * policy_test_mode override (other, with a comment), and wants pct,
 * fo, an SPF scope and at least one SPF result: pct is 100, fo 0 (the
 * record's fo= is not kept), and a message without one gets
 * "none" for its MAIL FROM domain. Its namespace is left out, as the
 * reports receivers get from the large mailbox providers do.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"

/* buf_add - n bytes of s */
void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* buf_str - a string */
void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* buf_free - the memory */
void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* utf8_len - the length of the valid UTF-8 character at p (n bytes
 * left) that XML 1.0 allows, else 0 */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned long cp;
	size_t len;

	if (p[0] < 0x80)
		return p[0] >= 0x20 && p[0] != 0x7f ? 1 : 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
	    cp == 0xffff)
		return 0;
	return len;
}

/* text - s as XML character data */
static void
text(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (n > 0) {
		size_t k = utf8_len(p, n);

		if (k == 0) {
			buf_add(b, "?", 1);
			k = 1;
		} else if (*p == '&') {
			buf_str(b, "&amp;");
		} else if (*p == '<') {
			buf_str(b, "&lt;");
		} else if (*p == '>') {
			buf_str(b, "&gt;");
		} else if (*p == '"') {
			buf_str(b, "&quot;");
		} else if (*p == '\'') {
			buf_str(b, "&apos;");
		} else {
			buf_add(b, (const char *)p, k);
		}
		p += k;
		n -= k;
	}
}

/* element - indent, <name>value</name>, newline */
static void
element(struct buf *b, int indent, const char *name, const char *value)
{
	for (int i = 0; i < indent; i++)
		buf_str(b, "  ");
	buf_str(b, "<");
	buf_str(b, name);
	buf_str(b, ">");
	text(b, value);
	buf_str(b, "</");
	buf_str(b, name);
	buf_str(b, ">\n");
}

/* line - indent and a line of markup */
static void
line(struct buf *b, int indent, const char *markup)
{
	for (int i = 0; i < indent; i++)
		buf_str(b, "  ");
	buf_str(b, markup);
	buf_str(b, "\n");
}

/* reason - one <reason> */
static void
reason(struct buf *b, const char *type, const char *comment)
{
	line(b, 4, "<reason>");
	element(b, 5, "type", type);
	if (comment != NULL && *comment)
		element(b, 5, "comment", comment);
	line(b, 4, "</reason>");
}

/* reasons - the override reasons of a row */
static void
reasons(struct buf *b, const struct pcl_dmarc_report_row *r,
        enum report_format f)
{
	const char *act = pcl_action_name(r->action);
	char comment[160];

	if (r->override & PCL_DMARC_OVR_TRUSTED_FORWARDER)
		reason(b, "trusted_forwarder", "ARC chain of a trusted sealer");
	if (r->override & PCL_DMARC_OVR_MAILING_LIST)
		reason(b, "mailing_list", NULL);
	if (r->override & PCL_DMARC_OVR_TEST_MODE)
		reason(b, f == REPORT_RFC9990 ? "policy_test_mode" : "other",
		       "t=y: the policy one step milder (policy_test_mode)");
	if (r->override & PCL_DMARC_OVR_DRY_RUN) {
		(void)pcl_format(
		    comment, sizeof(comment),
		    "dry run: the action %s was logged, not enforced", act);
		reason(b, "local_policy", comment);
	} else if (r->override & PCL_DMARC_OVR_LOCAL_POLICY) {
		(void)pcl_format(comment, sizeof(comment),
		                 "the receiver's action for this policy: %s",
		                 act);
		reason(b, "local_policy", comment);
	}
	if (r->override & PCL_DMARC_OVR_OTHER) {
		(void)pcl_format(comment, sizeof(comment), "%s (action %s)",
		                 r->result == PCL_DMARC_R_TEMPERROR
		                     ? "temperror: a DNS lookup failed"
		                     : "other",
		                 act);
		reason(b, "other", comment);
	}
}

/* policy_evaluated - the row's <policy_evaluated> */
static void
policy_evaluated(struct buf *b, const struct pcl_dmarc_report_row *r,
                 enum report_format f)
{
	enum pcl_dmarc_disposition d = r->disposition;

	if (f == REPORT_RFC7489 && d == PCL_DMARC_DIS_PASS)
		d = PCL_DMARC_DIS_NONE;
	line(b, 3, "<policy_evaluated>");
	element(b, 4, "disposition", pcl_dmarc_disposition_name(d));
	element(b, 4, "dkim", r->dkim_aligned ? "pass" : "fail");
	element(b, 4, "spf", r->spf_aligned ? "pass" : "fail");
	reasons(b, r, f);
	line(b, 3, "</policy_evaluated>");
}

/* identifiers - the row's <identifiers> and <auth_results> */
static void
identifiers(struct buf *b, const struct pcl_dmarc_report_row *r,
            enum report_format f)
{
	const char *envelope = r->mailfrom;

	/* RFC 7489 wants an envelope_from: the HELO's for the null
	 * sender, as its SPF identity */
	if (f == REPORT_RFC7489 && *envelope == '\0' && r->spf)
		envelope = r->spf_domain;
	line(b, 2, "<identifiers>");
	element(b, 3, "header_from", r->from);
	element(b, 3, "envelope_from", envelope);
	line(b, 2, "</identifiers>");
	line(b, 2, "<auth_results>");
	for (size_t i = 0; i < r->ndkim; i++) {
		line(b, 3, "<dkim>");
		element(b, 4, "domain", r->dkim[i].domain);
		element(b, 4, "selector", r->dkim[i].selector);
		element(b, 4, "result", r->dkim[i].result);
		line(b, 3, "</dkim>");
	}
	if (r->spf || f == REPORT_RFC7489) {
		line(b, 3, "<spf>");
		element(b, 4, "domain",
		        r->spf      ? r->spf_domain
		        : *envelope ? envelope
		                    : r->from);
		/* RFC 9990: only mfrom, which the null sender's
		 * postmaster@HELO is (RFC 7208 2.4) */
		element(b, 4, "scope",
		        f == REPORT_RFC7489 && r->spf_helo ? "helo" : "mfrom");
		element(b, 4, "result", r->spf ? r->spf_result : "none");
		line(b, 3, "</spf>");
	}
	line(b, 2, "</auth_results>");
}

/* xml_record_key - the rendering of a row's record, but its count */
void
xml_record_key(const struct pcl_dmarc_report_row *row,
               enum report_format format, struct buf *out)
{
	text(out, row->ip);
	buf_add(out, "\1", 1);
	policy_evaluated(out, row, format);
	buf_add(out, "\1", 1);
	identifiers(out, row, format);
}

/* effective - a policy tag, or the one it defaults to */
static enum pcl_dmarc_policy
effective(enum pcl_dmarc_policy p, enum pcl_dmarc_policy dflt)
{
	return p != PCL_DMARC_P_UNSET ? p : dflt;
}

/* metadata - <version> and <report_metadata> */
static void
metadata(struct buf *b, const struct report_meta *m, enum report_format f)
{
	char num[32];

	element(b, 1, "version", "1.0");
	line(b, 1, "<report_metadata>");
	element(b, 2, "org_name", m->org_name);
	element(b, 2, "email", m->email);
	element(b, 2, "report_id", m->report_id);
	line(b, 2, "<date_range>");
	(void)pcl_format(num, sizeof(num), "%lld", (long long)m->begin);
	element(b, 3, "begin", num);
	(void)pcl_format(num, sizeof(num), "%lld", (long long)m->end);
	element(b, 3, "end", num);
	line(b, 2, "</date_range>");
	if (f == REPORT_RFC9990)
		element(b, 2, "generator",
		        "portcullis-report " PACKAGE_VERSION);
	line(b, 1, "</report_metadata>");
}

/* policy_published - the record as last seen */
static void
policy_published(struct buf *b, const struct report_domain *d,
                 enum report_format f)
{
	const struct report_policy *r = &d->policy;
	enum pcl_dmarc_policy sp = effective(r->sp, r->p);

	line(b, 1, "<policy_published>");
	element(b, 2, "domain", d->name);
	if (f == REPORT_RFC9990)
		element(b, 2, "discovery_method", r->psl ? "psl" : "treewalk");
	element(b, 2, "adkim", r->adkim_strict ? "s" : "r");
	element(b, 2, "aspf", r->aspf_strict ? "s" : "r");
	element(b, 2, "p", pcl_dmarc_report_policy(r->p));
	element(b, 2, "sp", pcl_dmarc_report_policy(sp));
	if (f == REPORT_RFC9990) {
		element(b, 2, "np",
		        pcl_dmarc_report_policy(effective(r->np, sp)));
		element(b, 2, "testing", r->testing ? "y" : "n");
	} else {
		element(b, 2, "pct", "100");
		element(b, 2, "fo", "0");
	}
	line(b, 1, "</policy_published>");
}

/* record - one <record> from its key */
static void
record(struct buf *b, const struct report_record *rec)
{
	const char *ip = strchr(rec->key, '\1') + 1, *pe = strchr(ip, '\1');
	const char *id;
	char num[32];

	id = strchr(pe + 1, '\1');
	line(b, 1, "<record>");
	line(b, 2, "<row>");
	buf_str(b, "      <source_ip>");
	buf_add(b, ip, (size_t)(pe - ip));
	buf_str(b, "</source_ip>\n");
	(void)pcl_format(num, sizeof(num), "%lu", rec->count);
	element(b, 3, "count", num);
	buf_add(b, pe + 1, (size_t)(id - pe - 1));
	line(b, 2, "</row>");
	buf_str(b, id + 1);
	line(b, 1, "</record>");
}

/* xml_report - the document of domain d */
void
xml_report(const struct report_agg *a, size_t d, const struct report_meta *m,
           struct buf *out)
{
	buf_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	line(out, 0,
	     a->format == REPORT_RFC9990
	         ? "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">"
	         : "<feedback>");
	metadata(out, m, a->format);
	policy_published(out, &a->domains[d], a->format);
	/* the records in the order their first rows came */
	for (size_t i = a->domains[d].first; i != 0; i = a->records[i - 1].next)
		record(out, &a->records[i - 1]);
	line(out, 0, "</feedback>");
}
