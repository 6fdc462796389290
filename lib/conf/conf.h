/*
 * conf - the configuration: syntax, key table, typed values
 *
 * Syntax as Postfix's main.cf: "name = value"; a line that starts with
 * white space continues the previous one; '#' at the start of a line
 * (after optional white space) is a comment; lists are separated by
 * commas and/or white space. Every key is declared once in the key
 * table (conf_keys.c) with its type, default, bounds and a doc line.
 * Unknown keys, bad values and out-of-range numbers are errors reported
 * as "file:line: message"; all errors of a file are reported, not just
 * the first.
 *
 * A loaded configuration is immutable and reference counted: the
 * daemon swaps in a new one on reload while sessions in flight keep the
 * one they started with (see snapshot.h). Map files named by the
 * configuration are opened by the load, so a broken map refuses the
 * whole configuration.
 */
#ifndef PCL_CONF_H
#define PCL_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "dkim.h"
#include "dns.h"
#include "dnslist.h"
#include "helo.h"
#include "policy.h"
#include "table.h"

struct pcl_dmarc_report_log;

/* Where a config file is looked for when -c is not given. */
#define PCL_CONF_DEFAULT_PATH SYSCONFDIR "/portcullis/portcullis.conf"

enum pcl_conf_type {
	PCL_CT_BOOL, /* yes/no */
	PCL_CT_INT,  /* decimal, within min..max */
	PCL_CT_TIME, /* seconds; suffix s, m, h, d allowed */
	PCL_CT_MSEC, /* milliseconds; suffix ms, s, m, h, d */
	PCL_CT_STRING,
	PCL_CT_LIST,   /* words */
	PCL_CT_ACTION, /* accept tag quarantine discard tempfail reject */
	PCL_CT_ONERR,  /* accept tempfail reject; empty = on_error */
	PCL_CT_REPLY,  /* "NNN [X.Y.Z] template" */
	PCL_CT_TABLES, /* list of type:/path lookup tables */
	PCL_CT_CIDRS,  /* list of networks */
	PCL_CT_STAGE,  /* rcpt | immediate */
	PCL_CT_SOCKET, /* unix:/path, local:/path, inet[6]:PORT[@HOST] */
	PCL_CT_RATE,   /* "N/time": N within min..max, time 1s..7d */
};

/* Key flags */
#define PCL_CK_SECRET 0x1 /* value shown as <redacted> by the dump */
#define PCL_CK_RBL 0x2    /* a reply that may use the $rbl_* variables */
#define PCL_CK_SPF 0x4    /* a reply that may use the $spf_* variables */
#define PCL_CK_DMARC 0x8  /* a reply that may use the $dmarc_* variables */

struct pcl_conf_key {
	const char *name;
	enum pcl_conf_type type;
	const char *def; /* default value text ("" = empty) */
	long min, max;   /* for INT and TIME */
	size_t offset;   /* of the typed field in struct pcl_conf */
	unsigned flags;
	const char *doc; /* one line for the dump and the man page */
};

extern const struct pcl_conf_key pcl_conf_keys[];
extern const size_t pcl_conf_nkeys;

/* Lookup tables named by one key, in the order configured. */
struct pcl_tables {
	struct pcl_table **items;
	size_t count;
};

struct pcl_words {
	char **items;
	size_t count;
};

/* A rate: at most count events within seconds (PCL_CT_RATE). */
struct pcl_conf_rate {
	long count;
	long seconds;
};

enum pcl_enforce { PCL_ENFORCE_RCPT = 0, PCL_ENFORCE_IMMEDIATE };

/* The identities a domain list judges (bits of pcl_dbl_site). */
enum pcl_dbl_identity {
	PCL_DBL_HELO = 0, /* the HELO name */
	PCL_DBL_CLIENT,   /* the client's verified name */
	PCL_DBL_SENDER,   /* the envelope sender's domain */
	PCL_DBL_FROM,     /* From: header domains */
	PCL_DBL_REPLY_TO, /* Reply-To: header domains */
	PCL_DBL_BODY,     /* URL and address domains in the body */
	PCL_DBL_DKIM,     /* d= of the DKIM signatures that passed */
	PCL_DBL_NIDENT
};

/* A domain list: a site, and which identities it judges. */
struct pcl_dbl_site {
	struct pcl_dnsbl_site site;
	unsigned identities; /* 1u << enum pcl_dbl_identity */
};

/* pcl_dbl_identity_name - "helo", "client", ... */
const char *pcl_dbl_identity_name(enum pcl_dbl_identity id);

/* One check's configured behaviour. */
struct pcl_check_conf {
	enum pcl_action action;
	char *reply; /* template text, validated at load */
};

struct pcl_conf {
	/* The text of every key (as set, or the default), in key-table
	 * order, for the dump; and the line where it was set (0 =
	 * default, -1 = command line). */
	char **text;
	int *line;
	char *path; /* file read, or NULL for built-in */

	/* daemon */
	char *milter_socket;
	long milter_timeout;
	char *user;
	char *pid_file;
	char *syslog_facility;
	char *myhostname;
	bool worker_restart;
	struct pcl_conf_rate worker_restart_rate;
	long worker_restart_max_delay;

	/* who is trusted, what is enforced when */
	struct pcl_cidr_list internal_networks;
	bool skip_authenticated;
	enum pcl_enforce enforce_stage;
	struct pcl_words recipient_exceptions;
	enum pcl_on_error on_error;
	struct pcl_words dry_run; /* check names, or "all" */
	char *tag_header;

	/* access maps */
	struct pcl_tables client_access, helo_access, sender_access,
	    recipient_access;
	/* an empty per-check on_error takes the global one at load */
	enum pcl_on_error client_access_on_error, helo_access_on_error,
	    sender_access_on_error, recipient_access_on_error;

	/* HELO checks */
	struct pcl_check_conf helo_required, helo_invalid, helo_non_fqdn,
	    helo_bare_ip, helo_literal_mismatch, helo_impersonation;
	struct pcl_words helo_own_names;
	struct pcl_cidr_list helo_own_addresses;
	struct pcl_addr *self_addrs; /* from helo_own_addresses */
	struct pcl_helo_self self;   /* names and self_addrs */

	/* DNS */
	char *dns_servers;
	long dns_timeout; /* milliseconds */
	long dns_attempts;
	long dns_cache_min_ttl, dns_cache_max_ttl, dns_cache_size;
	long dns_cache_bytes, dns_cache_answer_max;
	long dns_list_down_after, dns_list_down_window;
	long dns_list_down_backoff, dns_list_down_backoff_max;
	struct pcl_dns *dns; /* shared with the previous
	                        snapshot when the settings agree */

	/* DNS lists on the client address */
	char *dqs_key;
	struct pcl_words dns_list_names; /* "default=shown" pairs */
	struct pcl_words dnsbl_site_text;
	struct pcl_dnsbl_site *dnsbl_sites; /* parsed from the text */
	size_t ndnsbl_sites;
	long dnsbl_threshold, dnsbl_allowlist_threshold;
	struct pcl_check_conf dnsbl;
	enum pcl_on_error dnsbl_on_error;
	struct pcl_tables dnsbl_exceptions;
	bool dnsbl_skip_local;

	/* DNS lists on domains (DBL, RHSBL, ZRD) */
	struct pcl_words dbl_site_text;
	struct pcl_dbl_site *dbl_sites; /* parsed from the text */
	size_t ndbl_sites;
	long dbl_threshold;
	struct pcl_check_conf dbl;
	enum pcl_on_error dbl_on_error;
	long dbl_body_max_domains;
	long dbl_body_max_size;

	/* what one message may cost */
	long header_count_limit, header_bytes_limit;
	struct pcl_check_conf header_limit;
	long authres_delete_limit;
	struct pcl_check_conf authres_limit;

	/* sender authentication */
	char *authserv_id; /* empty: myhostname */
	bool auth_results;
	bool dkim_verify;
	long dkim_min_key_bits, dkim_max_signatures;
	struct pcl_check_conf dkim_fail, dkim_none;
	enum pcl_on_error dkim_on_error;
	struct pcl_dkim_lib *dkim; /* when verifying or signing */
	bool dmarc_verify;
	char *dmarc_mode; /* "rfc9989" or "rfc7489" */
	bool dmarc_psl;   /* resolved: rfc7489 */
	struct pcl_check_conf dmarc_reject, dmarc_quarantine, dmarc_none,
	    dmarc_multi_from;
	enum pcl_on_error dmarc_on_error;
	struct pcl_words arc_trusted_sealers;
	bool arc_sign;
	char *arc_sign_key;                       /* a KeyTable key name */
	const struct pcl_dkim_signer *arc_signer; /* resolved, into signing */
	char *dmarc_report_dir; /* empty: no report data recorded */
	long dmarc_report_keep; /* days; 0: files never removed */
	struct pcl_dmarc_report_log *dmarc_report; /* the writer, or NULL */
	char *dkim_sign_domain, *dkim_sign_selector, *dkim_sign_key;
	char *dkim_key_table, *dkim_signing_table;
	bool dkim_sign_multiple;
	struct pcl_words dkim_sign_daemon_names;
	long dkim_sign_expire;
	struct pcl_words dkim_sign_headers;
	char *dkim_sign_address;   /* "from" or "sender" */
	bool dkim_sign_by_sender;  /* resolved from dkim_sign_address */
	const char **sign_headers; /* NULL-terminated, into dkim_sign_headers */
	struct pcl_dkim_signing *signing; /* NULL: nothing is signed */
	bool spf_verify, spf_helo, spf_received_header;
	struct pcl_check_conf spf_mailfrom_fail, spf_mailfrom_softfail,
	    spf_mailfrom_neutral, spf_mailfrom_none, spf_mailfrom_permerror,
	    spf_helo_fail, spf_helo_softfail, spf_helo_permerror;
	enum pcl_on_error spf_on_error;

	int refs; /* guarded by snapshot.c's lock */
};

/*
 * pcl_conf_load - read path (NULL: built-in defaults only), then apply
 * overrides ("name=value" strings, e.g. from -p and -u; may be NULL),
 * then open every table. On success returns a conf with one reference.
 * On failure returns NULL and *errors holds every problem, one
 * "file:line: message" per line (caller frees).
 */
struct pcl_conf *pcl_conf_load(const char *path, const char *const *overrides,
                               size_t noverrides, char **errors);

/* pcl_conf_free - release everything; use pcl_conf_release for
 * shared snapshots. NULL is safe. */
void pcl_conf_free(struct pcl_conf *c);

/* pcl_conf_dump - write "name = value" for every key, secrets as
 * <redacted>, to buf (malloc'd; caller frees) */
char *pcl_conf_dump(const struct pcl_conf *c);

/* pcl_conf_key_find - the key-table row for name, or NULL */
const struct pcl_conf_key *pcl_conf_key_find(const char *name);

/* pcl_conf_is_dry_run - is check in dry_run (or dry_run = all) */
bool pcl_conf_is_dry_run(const struct pcl_conf *c, const char *check);

/* pcl_conf_check_names - every check name dry_run may list */
extern const char *const pcl_conf_check_names[];

#endif
