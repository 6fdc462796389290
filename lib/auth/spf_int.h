/*
 * spf_int - internals shared by the files of the SPF module; no other
 * module includes this
 *
 * spf.c          check_host(): record selection, the evaluation loop,
 *                include, redirect, exp, the limits, result names
 * spf_parse.c    record syntax (RFC 7208 section 12), done whole before
 *                anything is evaluated
 * spf_macro.c    macro syntax and expansion (section 7)
 * spf_mech.c     the mechanisms that look at addresses and the DNS: a,
 *                mx, ptr, exists, ip4, ip6; validated PTR names
 * spf_received.c the Received-SPF header (section 9.1)
 */
#ifndef PCL_SPF_INT_H
#define PCL_SPF_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "spf.h"
#include "util.h"

#define SPF_LOOKUP_MAX 10 /* 4.6.4: terms that query the DNS */
#define SPF_VOID_MAX 2    /* 4.6.4: lookups answered with nothing */
#define SPF_MX_MAX 10     /* 4.6.4: MX names per mx mechanism */
#define SPF_PTR_MAX 10    /* 4.6.4: PTR names looked at */
/* include/redirect nesting: the lookup limit stops it at 11; this is
 * a backstop */
#define SPF_DEPTH_MAX 20
/* 4.6.4: a limit on the time of the whole evaluation, "at least 20
 * seconds"; over it is a temperror */
#define SPF_TIME_MAX_MS 20000
#define SPF_VALUE_MAX 1024  /* longest macro value (s, h) expanded */
#define SPF_EXPAND_MAX 4096 /* longest macro expansion built */

enum spf_mech {
	SPF_MECH_ALL,
	SPF_MECH_INCLUDE,
	SPF_MECH_A,
	SPF_MECH_MX,
	SPF_MECH_PTR,
	SPF_MECH_IP4,
	SPF_MECH_IP6,
	SPF_MECH_EXISTS,
};

/* One directive of a record: a qualifier and a mechanism. */
struct spf_term {
	enum spf_mech mech;
	enum pcl_spf_result qualifier; /* PASS, FAIL, SOFTFAIL, NEUTRAL */
	const char *text;              /* the term as written */
	const char *spec;              /* domain-spec, NULL: the domain */
	size_t speclen;
	unsigned cidr4;      /* a, mx, ip4 */
	unsigned cidr6;      /* a, mx, ip6 */
	struct pcl_addr net; /* ip4, ip6 (never unwrapped) */
};

/* A parsed record; the strings point into text. */
struct spf_record {
	char *text; /* a copy of the record, cut into terms */
	struct spf_term *terms;
	size_t nterms;
	const char *redirect; /* domain-spec of redirect=, or NULL */
	size_t redirectlen;
	const char *exp; /* domain-spec of exp=, or NULL */
	size_t explen;
};

/* The state of one pcl_spf_check: the request, read once, and the
 * counters that span every record of the evaluation. */
struct spf_ctx {
	struct pcl_dns *dns;
	const struct pcl_spf_request *req;
	struct pcl_addr ip;             /* the client, IPv4-mapped unwrapped */
	char sender[SPF_VALUE_MAX + 1]; /* local@domain, "postmaster" for
	                                   a missing local-part */
	size_t locallen;     /* sender[0..locallen) is the local-part */
	const char *odomain; /* the sender's domain, inside sender */
	long long start_ms;  /* monotonic, when the check began */
	unsigned lookups;    /* terms that query the DNS */
	unsigned voids;      /* void lookups */
	/* validated PTR names of the client, looked up once (5.5) */
	bool ptr_done;
	bool ptr_void; /* the PTR query was answered with nothing */
	char ptr_names[SPF_PTR_MAX][PCL_DOMAIN_MAX + 1];
	size_t nptr;
	/* the first error: the result it causes and why */
	enum pcl_spf_result error;
	char problem[PCL_SPF_TEXT_MAX];
	char explanation[PCL_SPF_TEXT_MAX]; /* of the deciding fail */
	char scratch[SPF_EXPAND_MAX];       /* macro expansions */
};

/* spf.c */

/* spf_error - record the first error (TEMPERROR or PERMERROR) with a
 * formatted reason; always returns -1 */
int spf_error(struct spf_ctx *c, enum pcl_spf_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* spf_count_void - one more void lookup: 0, or -1 over the limit */
int spf_count_void(struct spf_ctx *c, const char *name);

/* spf_sender_setup - c->req->sender (or postmaster@domain) as <sender>,
 * cut into the l and o macro parts; -1 when it does not fit */
int spf_sender_setup(struct spf_ctx *c, const char *domain);

/* spf_name_valid - can name be put in a query: labels of 1..63 bytes,
 * at most 253 bytes, one trailing dot allowed */
bool spf_name_valid(const char *name, size_t len);

/* spf_parse.c */

/* spf_record_parse - parse a record whose text (len bytes, NUL bytes
 * included) starts with "v=spf1"; 0, or -1 with the reason in err */
int spf_record_parse(const char *text, size_t len, struct spf_record *rec,
                     char *err, size_t errlen);

/* spf_record_clear - free what a parsed record holds */
void spf_record_clear(struct spf_record *rec);

/* spf_spec_check - is s[0..len) a domain-spec (7.1): a macro-string
 * without c, r, t ending in a macro or in "." toplabel ["."]; NULL, or
 * the reason */
const char *spf_spec_check(const char *s, size_t len);

/* spf_macro.c */

enum spf_macro_use {
	SPF_MACRO_DOMAIN, /* domain-spec, modifier: s l o d i p v h */
	SPF_MACRO_EXP,    /* explanation: also c r t, and spaces */
};

enum spf_macro_status {
	SPF_MACRO_OK = 0,
	SPF_MACRO_SYNTAX = -1, /* not a valid macro-string */
	SPF_MACRO_LONG = -2,   /* the expansion does not fit */
};

/* spf_macro_check - syntax only; *ends_in_macro (may be NULL) says
 * whether the string ends with a macro-expand */
enum spf_macro_status spf_macro_check(const char *s, size_t len,
                                      enum spf_macro_use use,
                                      bool *ends_in_macro);

/* spf_macro_expand - expand s[0..len) with d as the current domain into
 * out (NUL-terminated) */
enum spf_macro_status spf_macro_expand(struct spf_ctx *c, const char *d,
                                       const char *s, size_t len,
                                       enum spf_macro_use use, char *out,
                                       size_t outlen);

/* spf_expand_name - expand a domain-spec into a query name (7.3: one
 * trailing dot dropped, labels cut from the left down to 253 bytes);
 * true, or false when the result is no valid name (the term then
 * matches nothing, 4.3 and 4.8) */
bool spf_expand_name(struct spf_ctx *c, const char *d, const char *spec,
                     size_t len, char name[PCL_DOMAIN_MAX + 1]);

/* spf_mech.c */

enum spf_answer {
	SPF_ANSWER_FOUND,   /* records of the type */
	SPF_ANSWER_VOID,    /* NXDOMAIN or NODATA */
	SPF_ANSWER_BADNAME, /* the DNS module refused to send the name */
	SPF_ANSWER_ERROR,   /* timeout, SERVFAIL, other RCODEs, no memory */
};

/* spf_answer_kind - what a DNS answer (NULL: out of memory) means */
enum spf_answer spf_answer_kind(const struct pcl_dns_answer *a);

/* spf_answer_error - why a lookup failed, for problem[] */
const char *spf_answer_error(const struct pcl_dns_answer *a);

/* spf_mech_match - evaluate a mechanism other than include for domain
 * d: 1 match, 0 no match, -1 error (in c) */
int spf_mech_match(struct spf_ctx *c, const struct spf_term *t, const char *d);

/* spf_ptr_names - look up and validate the client's PTR names once;
 * the names are in c->ptr_names */
void spf_ptr_names(struct spf_ctx *c);

/* spf_ip_dotted - the "i" macro: dotted quad, or 32 dotted nibbles */
void spf_ip_dotted(const struct pcl_addr *ip, char *buf, size_t len);

#endif
