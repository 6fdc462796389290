/*
 * dmarc_report - the data of DMARC aggregate reports (RFC 9990): one
 * line per judged message in a file per UTC day, and the reading back
 *
 *   dmarc_report.c       a line: format and parse (no I/O), and the
 *                        reading of a day's file
 *   dmarc_report_file.c  the writer the daemon shares between its
 *                        threads: the day's file, old days removed
 *
 * A line is words separated by single spaces, "v=1" first and "end"
 * last; the others are name=value, every value percent-encoded but for
 * letters, digits and "-._@:+,!" (so no space, tab, newline, '=', '/'
 * or control byte ever reaches the file as itself, whatever a sender
 * put in a domain or a DNS record):
 *
 *   v=1 time=1767225600 ip=192.0.2.1 from=example.com
 *   domain=example.com disc=treewalk p=reject sp=- np=- adkim=r aspf=r
 *   t=n psd=u rua=mailto:d@example.com result=fail align_dkim=fail
 *   align_spf=fail disposition=reject action=reject override=-
 *   mailfrom=example.net spf=example.net/mfrom/pass
 *   dkim=example.com/sel/fail end
 *
 * (one line in the file). dkim= repeats, once per signature, in the
 * order of RFC 9990's "DKIM Signatures in Aggregate Reports" (passing
 * signatures of the Author Domain first); dkim_dropped=N says how many
 * were left out. spf= is absent when SPF was not evaluated. A reader
 * takes the words in any order, skips names it does not know, and
 * refuses a line without "end" (torn by a crash), one of another
 * version, or one whose values do not parse.
 *
 * Bounds: a line is at most PCL_DMARC_REPORT_LINE_MAX bytes with its
 * newline, below PIPE_BUF, so that one write(2) with O_APPEND puts it
 * in the file whole, between the lines of other threads and
 * processes; rua= holds whole URIs only, at most PCL_DMARC_RUA_MAX
 * bytes encoded; DKIM signatures past the line's room are dropped and
 * counted. The other fields fit whatever the sender's names hold (the
 * From: domain and the record's name are DNS names, read as such by
 * the DMARC check); a row whose fixed part would not fit is refused
 * whole, never cut.
 */
#ifndef PCL_DMARC_REPORT_H
#define PCL_DMARC_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "addr.h"
#include "dmarc.h"
#include "policy.h"
#include "util.h"

/* The packaged directory of the daily files (dmarc_report_dir). */
#define PCL_DMARC_REPORT_DIR "/var/lib/portcullis/dmarc"

#define PCL_DMARC_REPORT_LINE_MAX 4000 /* with the newline; < PIPE_BUF */
#define PCL_DMARC_REPORT_DKIM_MAX 50   /* signatures a row holds */
#define PCL_DMARC_SELECTOR_MAX 63      /* s= kept (RFC 6376: a label) */

/* What was done with a message, in RFC 9990's words. */
enum pcl_dmarc_disposition {
	PCL_DMARC_DIS_NONE = 0,   /* no action taken */
	PCL_DMARC_DIS_PASS,       /* passed, under a policy that enforces */
	PCL_DMARC_DIS_QUARANTINE, /* failed, quarantined (or tagged) */
	PCL_DMARC_DIS_REJECT,     /* failed, refused */
};

/* One DKIM signature of a row. */
struct pcl_dmarc_report_sig {
	char domain[PCL_DOMAIN_MAX + 1];
	char selector[PCL_DMARC_SELECTOR_MAX + 1];
	const char *result; /* an RFC 8601 2.7.1 keyword, static */
};

/* One line: one message whose DMARC evaluation found a policy. */
struct pcl_dmarc_report_row {
	long long time; /* seconds since the epoch */
	char ip[PCL_ADDR_TEXT_MAX];
	char from[PCL_DOMAIN_MAX + 1];   /* the Author Domain */
	char domain[PCL_DOMAIN_MAX + 1]; /* where the record was */
	bool psl;                        /* found by the PSL (RFC 7489) */
	/* the record: p UNSET never; sp, np UNSET when absent */
	enum pcl_dmarc_policy p, sp, np;
	bool adkim_strict, aspf_strict, testing;
	char psd; /* 'y', 'n', 'u' */
	char rua[PCL_DMARC_RUA_MAX + 1];
	/* the evaluation */
	enum pcl_dmarc_result result; /* PASS, FAIL or TEMPERROR */
	bool dkim_aligned, spf_aligned;
	enum pcl_dmarc_disposition disposition;
	enum pcl_action action; /* the admin's, for the policy or error */
	unsigned override;      /* PCL_DMARC_OVR_* */
	/* the identifiers and authentication results */
	char mailfrom[PCL_DOMAIN_MAX + 1]; /* "" for the null sender */
	bool spf;                          /* an SPF result follows */
	char spf_domain[PCL_DOMAIN_MAX + 1];
	bool spf_helo;          /* the HELO identity (null sender) */
	const char *spf_result; /* RFC 8601 2.7.2 keyword, static */
	size_t ndkim;
	struct pcl_dmarc_report_sig dkim[PCL_DMARC_REPORT_DKIM_MAX];
	unsigned dkim_dropped; /* signatures the line had no room for */
};

/* pcl_dmarc_disposition_name - "none", "pass", "quarantine", "reject" */
const char *pcl_dmarc_disposition_name(enum pcl_dmarc_disposition d);

/* pcl_dmarc_report_policy - "none", "quarantine", "reject"; "-" for
 * UNSET */
const char *pcl_dmarc_report_policy(enum pcl_dmarc_policy p);

/* pcl_dmarc_override_name - the word of one PCL_DMARC_OVR_* bit:
 * "local_policy", "dry_run", "policy_test_mode", "trusted_forwarder",
 * "mailing_list", "other"; NULL for another value */
const char *pcl_dmarc_override_name(unsigned bit);

/* pcl_dmarc_report_result - RFC 8601's result keyword of method
 * ("dkim" or "spf") equal to word, static; NULL when there is none */
const char *pcl_dmarc_report_result(const char *method, const char *word);

/* pcl_dmarc_report_format - the line of row (its newline included)
 * into buf of len bytes (PCL_DMARC_REPORT_LINE_MAX + 1 is enough), the
 * signatures that do not fit dropped and counted: the line's length,
 * or 0 when even the fixed part cannot be written (a value outside
 * its range) */
size_t pcl_dmarc_report_format(const struct pcl_dmarc_report_row *row,
                               char *buf, size_t len);

enum pcl_dmarc_report_parse {
	PCL_DMARC_LINE_OK = 0,
	PCL_DMARC_LINE_BAD,     /* not a line of ours, torn, or a value
	                           out of its range */
	PCL_DMARC_LINE_VERSION, /* a line of another version */
};

/* pcl_dmarc_report_parse - one line of len bytes (without its
 * newline) into row; why in err (errlen bytes) when not OK */
enum pcl_dmarc_report_parse
pcl_dmarc_report_parse(const char *line, size_t len,
                       struct pcl_dmarc_report_row *row, char *err,
                       size_t errlen);

/* What reading a file found. */
struct pcl_dmarc_report_stats {
	unsigned long lines; /* complete lines, empty ones aside */
	unsigned long rows;  /* handed to the callback */
	unsigned long bad;   /* refused (the first reason in first_bad) */
	unsigned long version;
	bool torn; /* the file ended in a line without newline (ignored) */
	unsigned long first_bad_line; /* its number in the file, from 1 */
	char first_bad[128];
};

/* pcl_dmarc_report_read - every complete line of fp, parsed, to fn
 * (stop early when it returns false); a last line without its newline
 * (a write cut short by a crash) and lines that do not parse are
 * counted in st, not passed on; empty lines are skipped. -1 on a read
 * error (errno), else 0. */
int pcl_dmarc_report_read(FILE *fp,
                          bool (*fn)(const struct pcl_dmarc_report_row *row,
                                     void *ctx),
                          void *ctx, struct pcl_dmarc_report_stats *st);

/* pcl_dmarc_report_day_name - "YYYY-MM-DD.log" of the UTC day of t
 * into buf (at least 16 bytes) */
void pcl_dmarc_report_day_name(time_t t, char *buf, size_t len);

/* pcl_dmarc_report_day_parse - "YYYY-MM-DD" (len bytes) to the day's
 * first second (UTC); false when it is not a valid date of 1970..9999 */
bool pcl_dmarc_report_day_parse(const char *text, size_t len, time_t *start);

/* --- the writer (dmarc_report_file.c) ---------------------------------- */

struct pcl_dmarc_report_log;

/* pcl_dmarc_report_log_new - a writer into dir (absolute), which keeps
 * the files of today and the keep_days days before (0: removes none). Opens
 * nothing: the day's file is opened at the first line. A directory others may
 * write to is refused now and at every opening (logged; the writer records
 * nothing); a missing one is an error at the first line. NULL on out
 * of memory. */
struct pcl_dmarc_report_log *pcl_dmarc_report_log_new(const char *dir,
                                                      unsigned keep_days);

/* pcl_dmarc_report_log_free - close the files; NULL is safe */
void pcl_dmarc_report_log_free(struct pcl_dmarc_report_log *l);

/* pcl_dmarc_report_log_append - line (len bytes, ending in a newline,
 * at most PCL_DMARC_REPORT_LINE_MAX) into the file of now's UTC day,
 * with one write(2); the first line of a day removes the files past
 * keep_days. Waits at most a second for another thread's write; a
 * line not written is counted and logged (at most once a minute).
 * Thread-safe. False when the line was not written. */
bool pcl_dmarc_report_log_append(struct pcl_dmarc_report_log *l,
                                 const char *line, size_t len, time_t now);

/* pcl_dmarc_report_log_failures - lines not written so far */
unsigned long pcl_dmarc_report_log_failures(struct pcl_dmarc_report_log *l);

#endif
