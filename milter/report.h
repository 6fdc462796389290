/*
 * report - what portcullis-report's parts share: the rows of a day
 * gathered per policy domain (report_agg.c) and their XML
 * (report_xml.c); the command line and the files are report.c's
 */
#ifndef PCL_REPORT_H
#define PCL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dmarc_report.h"

/* A growing piece of text; oom once memory ran out (later adds do
 * nothing). */
struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

void buf_add(struct buf *b, const char *s, size_t n);
void buf_str(struct buf *b, const char *s);
void buf_free(struct buf *b);

/* Which schema the XML follows. */
enum report_format {
	REPORT_RFC9990 = 0, /* urn:ietf:params:xml:ns:dmarc-2.0 */
	REPORT_RFC7489,     /* RFC 7489 Appendix C, no namespace */
};

/* One record of a report: the rows with the same rendering (source
 * address, policy_evaluated, identifiers, auth_results), counted. */
struct report_record {
	char *key; /* the policy domain and the three parts of
	              xml_record_key, joined by '\1' */
	unsigned long count;
	size_t next; /* the domain's next record, index + 1; 0: none */
};

/* The policy published, as a row saw it. */
struct report_policy {
	enum pcl_dmarc_policy p, sp, np;
	bool adkim_strict, aspf_strict, testing, psl;
	char rua[PCL_DMARC_RUA_MAX + 1];
};

/* One policy domain of the day, with the policy as its last row saw
 * it (RFC 9990: "the final configuration observed"). */
struct report_domain {
	char name[PCL_DOMAIN_MAX + 1];
	struct report_policy policy;
	unsigned long rows;
	size_t first, last; /* its records, indexes + 1 */
};

/* A hash of strings to indexes: slots hold index + 1, 0 when empty. */
struct report_index {
	size_t *slots;
	size_t nslots, count;
};

/* The day's rows, gathered. */
struct report_agg {
	enum report_format format;
	const char *only; /* --domain, or NULL */
	struct report_record *records;
	size_t nrecords, rcap;
	struct report_index record_index;
	struct report_domain *domains;
	size_t ndomains, dcap;
	struct report_index domain_index;
	unsigned long deferred; /* rows of deferred messages, left out */
	unsigned long other;    /* rows of other domains (--domain) */
	unsigned long unnamed;  /* rows of a policy domain that cannot
	                           name a file, left out */
	bool oom;
};

/* report_name_ok - a domain name fit for a file name: letters,
 * digits, '-', '_' and dots, not starting with a dot */
bool report_name_ok(const char *s);

/* agg_add - one row into the gathering (a pcl_dmarc_report_read
 * callback; ctx is the struct report_agg); false when out of memory */
bool agg_add(const struct pcl_dmarc_report_row *row, void *ctx);

/* agg_free - what the gathering holds */
void agg_free(struct report_agg *a);

/* The report's frame: who reports and when. */
struct report_meta {
	const char *org_name, *email, *receiver;
	const char *report_id;
	time_t begin, end;
};

/* xml_report - the whole XML document of domain d into out */
void xml_report(const struct report_agg *a, size_t d,
                const struct report_meta *m, struct buf *out);

/* xml_record_key - the key of row's record (its rendering but the
 * count) into out */
void xml_record_key(const struct pcl_dmarc_report_row *row,
                    enum report_format format, struct buf *out);

#endif
