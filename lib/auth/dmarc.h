/*
 * dmarc - DMARC (RFC 9989, with an RFC 7489 mode): the pieces that need
 * no DNS, so that every rule can be tested on its own
 *
 *   dmarc_from.c    the Author Domain: the domains of the From: field
 *   dmarc_record.c  a DMARC Policy Record (4.7, 4.8)
 *   dmarc_walk.c    the DNS Tree Walk (4.10): the names it asks for,
 *                   the Organizational Domain (4.10.2) and the policy
 *                   record that applies (4.10.1) from their answers;
 *                   alignment (4.4) and the policy of a failing
 *                   message (p, sp, np, t)
 *
 * The DMARC check (lib/checks/dmarc.c) sends the queries and reads the
 * SPF and DKIM results; everything it decides is decided here.
 */
#ifndef PCL_DMARC_H
#define PCL_DMARC_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* --- the Author Domain ------------------------------------------------ */

#define PCL_DMARC_FROM_MAX 50 /* addresses read from one From: field */

enum pcl_dmarc_from {
	PCL_DMARC_FROM_ONE = 0, /* exactly one domain (maybe several
	                           addresses in it) */
	PCL_DMARC_FROM_NONE,    /* no address with a domain */
	PCL_DMARC_FROM_MANY,    /* addresses in more than one domain */
	PCL_DMARC_FROM_BAD,     /* not an address list (unclosed quote,
	                           comment or angle bracket; a bad domain;
	                           over PCL_DMARC_FROM_MAX addresses) */
};

/* pcl_dmarc_from_domain - the Author Domain of one From: field value
 * (RFC 5322 3.6.2 mailbox-list, with groups, quoted strings, nested
 * comments and obsolete forms tolerated): the domain, lower case, no
 * trailing dot, in out (PCL_DOMAIN_MAX + 1 bytes) when ONE; why in err
 * otherwise. Reads the value once; no allocation. */
enum pcl_dmarc_from pcl_dmarc_from_domain(const char *value, char *out,
                                          char *err, size_t errlen);

/* --- the record ------------------------------------------------------- */

enum pcl_dmarc_policy {
	PCL_DMARC_P_UNSET = 0, /* the tag is absent */
	PCL_DMARC_P_NONE,
	PCL_DMARC_P_QUARANTINE,
	PCL_DMARC_P_REJECT,
};

struct pcl_dmarc_record {
	enum pcl_dmarc_policy p, sp, np; /* p UNSET: an unusable record */
	bool adkim_strict, aspf_strict;
	bool testing; /* t=y */
	char psd;     /* 'y', 'n' or 'u' */
	bool rua;     /* rua= with at least one valid URI */
};

enum pcl_dmarc_parse {
	PCL_DMARC_RECORD = 0, /* a record to apply */
	PCL_DMARC_NOT_DMARC,  /* v=DMARC1 is not the first tag: ignored */
	PCL_DMARC_UNUSABLE,   /* a DMARC record with a bad p=, sp= or np=
	                         and no valid rua=: no DMARC processing
	                         (4.10.1); r is filled, with p UNSET */
};

#define PCL_DMARC_RUA_MAX 1024 /* rua= text kept for the reports */

/* pcl_dmarc_record_rua - the valid URIs of the record's first rua= tag
 * (text of len bytes, a record that parses), comma-separated, into out
 * of outlen bytes: whole URIs only, those that do not fit left out;
 * how many were kept */
size_t pcl_dmarc_record_rua(const char *text, size_t len, char *out,
                            size_t outlen);

/* pcl_dmarc_record_parse - the TXT record's text (strings joined) of
 * len bytes; unknown tags and bad values of other tags are ignored
 * (their defaults apply); a bad p=, sp= or np= with a valid rua= reads
 * as p=none. At most 64 KiB and 64 tags (else NOT_DMARC). */
enum pcl_dmarc_parse pcl_dmarc_record_parse(const char *text, size_t len,
                                            struct pcl_dmarc_record *r);

const char *pcl_dmarc_policy_name(enum pcl_dmarc_policy p);

/* --- the tree walk ---------------------------------------------------- */

#define PCL_DMARC_WALK_MAX 8 /* queries of one walk (4.10) */

/* What one name of a walk answered. */
enum pcl_dmarc_answer {
	PCL_DMARC_ASK = 0, /* not answered (yet) */
	PCL_DMARC_NONE,    /* no record, several records, not DMARC */
	PCL_DMARC_FOUND,   /* one record, in rec */
	PCL_DMARC_ERROR,   /* a temporary DNS failure */
};

/* The walk from one domain: the names asked (_dmarc. in front of each
 * when queried), longest first, and their answers. */
struct pcl_dmarc_walk {
	size_t n;
	char name[PCL_DMARC_WALK_MAX][PCL_DOMAIN_MAX + 1];
	enum pcl_dmarc_answer answer[PCL_DMARC_WALK_MAX];
	struct pcl_dmarc_record rec[PCL_DMARC_WALK_MAX];
};

/* pcl_dmarc_walk_init - the names of the walk from domain (lower case,
 * no trailing dot, at most 127 labels): the domain; then, from 8
 * labels up, its 7 rightmost; then one label fewer each time, down to
 * the top-level domain; at most PCL_DMARC_WALK_MAX. Answers ASK. */
void pcl_dmarc_walk_init(struct pcl_dmarc_walk *w, const char *domain);

/* pcl_dmarc_walk_answer - the TXT strings (each joined) that name i
 * answered, count of them: exactly one DMARC record makes FOUND (an
 * unusable one too, with p UNSET); none, several, or no DMARC among
 * them NONE */
void pcl_dmarc_walk_answer(struct pcl_dmarc_walk *w, size_t i,
                           const char *const *texts, const size_t *lens,
                           size_t count);

enum pcl_dmarc_outcome {
	PCL_DMARC_DECIDED = 0,
	PCL_DMARC_UNDECIDED, /* a temporary DNS failure was in the way */
};

/* pcl_dmarc_org_domain - the Organizational Domain of the walk's first
 * name (4.10.2): from the longest name with a record, the first with
 * psd=n; else the first with psd=y gives the name one label below it
 * (the starting name itself when its own record says psd=y: the walk
 * stops there, 4.10 step 2); else the shortest name with a record;
 * with no record, the starting name. In out (PCL_DOMAIN_MAX + 1
 * bytes). */
enum pcl_dmarc_outcome pcl_dmarc_org_domain(const struct pcl_dmarc_walk *w,
                                            char *out);

/* Which record of the Author Domain's walk applies, and how. */
struct pcl_dmarc_policy_found {
	bool found;   /* a record applies (else DMARC does not apply) */
	size_t index; /* its name in the walk */
	bool author;  /* it is the Author Domain's own (p applies); else
	                 the Organizational or Public Suffix Domain's (sp,
	                 or np when the Author Domain does not exist) */
	char org[PCL_DOMAIN_MAX + 1]; /* the Author Domain's Organizational
	                                 Domain; "" when a DNS failure above
	                                 the Author Domain's own record
	                                 leaves it unknown */
};

/* pcl_dmarc_policy_discover - the record that applies to the Author
 * Domain (4.10.1): its own; else its Organizational Domain's; else a
 * Public Suffix Domain's (psd=y) above it */
enum pcl_dmarc_outcome
pcl_dmarc_policy_discover(const struct pcl_dmarc_walk *w,
                          struct pcl_dmarc_policy_found *out);

/* pcl_dmarc_policy_of - the policy a failing message gets: p for the
 * Author Domain's own record; else np when the Author Domain does not
 * exist (and np is set), else sp when set, else p; with t=y one step
 * milder (reject -> quarantine -> none) */
enum pcl_dmarc_policy pcl_dmarc_policy_of(const struct pcl_dmarc_record *r,
                                          bool author, bool nonexistent);

/* pcl_dmarc_psl_org - RFC 7489 mode: the Organizational Domain by the
 * Public Suffix List (libpsl's built-in copy): the registrable domain,
 * or domain itself when it is a public suffix; in out */
void pcl_dmarc_psl_org(const char *domain, char *out);

/* --- the verdict ------------------------------------------------------- */

enum pcl_dmarc_result {
	PCL_DMARC_R_NONE = 0, /* no policy record applies */
	PCL_DMARC_R_PASS,
	PCL_DMARC_R_FAIL,
	PCL_DMARC_R_TEMPERROR, /* a DNS failure on the way */
	PCL_DMARC_R_PERMERROR, /* no usable From: domain */
};

/* What set the policy of a failing message aside, for the aggregate
 * reports (RFC 9990 2.1.6; bits). */
#define PCL_DMARC_OVR_LOCAL_POLICY                                             \
	0x01                                 /* the admin's action is not      \
	                                        the policy's */
#define PCL_DMARC_OVR_DRY_RUN 0x02           /* dry_run: not enforced */
#define PCL_DMARC_OVR_TEST_MODE 0x04         /* t=y made the policy milder */
#define PCL_DMARC_OVR_TRUSTED_FORWARDER 0x08 /* ARC: a trusted sealer */
#define PCL_DMARC_OVR_MAILING_LIST 0x10
#define PCL_DMARC_OVR_OTHER 0x20 /* a DNS failure under on_error */
#define PCL_DMARC_OVR_ALL 0x3f

/* What the DMARC check found, for Authentication-Results and the
 * aggregate reports. */
struct pcl_dmarc_verdict {
	enum pcl_dmarc_result result;
	char from[PCL_DOMAIN_MAX + 1];     /* header.from, or "" */
	enum pcl_dmarc_policy p, sp;       /* the record's, when one applied */
	enum pcl_dmarc_policy disposition; /* fail: what the policy asks */
	char reason[128];                  /* why, for the trace */

	/* when a record applied (pass, fail, or a temperror after it was
	 * found): what an aggregate report says of the message */
	bool applied;
	char policy_domain[PCL_DOMAIN_MAX + 1]; /* the record's name */
	struct pcl_dmarc_record record;
	bool author;                     /* the Author Domain's own record */
	bool nonexistent;                /* np applied: no such Author Domain */
	bool spf_aligned, dkim_aligned;  /* which kinds aligned; past the
	                                    first only when reports are
	                                    recorded */
	unsigned override;               /* PCL_DMARC_OVR_* another check
	                                    set (ARC: trusted_forwarder) */
	char rua[PCL_DMARC_RUA_MAX + 1]; /* pcl_dmarc_record_rua; filled
	                                    when reports are recorded */
	char arc_sealer[PCL_DOMAIN_MAX + 1]; /* TRUSTED_FORWARDER: the
	                                        trusted sealer, or "" */
};

const char *pcl_dmarc_result_name(enum pcl_dmarc_result r);

/* pcl_dmarc_relaxed_possible - whether two domains can have the same
 * Organizational Domain at all: they share at least their top-level
 * label (else no walk is needed to say no) */
bool pcl_dmarc_relaxed_possible(const char *a, const char *b);

#endif
