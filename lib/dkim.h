/*
 * dkim - DKIM verification (and, later, signing) with libopendkim
 *
 * The only libopendkim user. Keys are looked up through portcullis's
 * DNS module via libopendkim's DNS hooks, so dns_servers, the deadline
 * and the cache apply, and the tests can serve keys from a test DNS.
 * The traps of LIBRARIES.md §2 are handled here: dkim_close() must not
 * free our DNS service; Postfix sends header folds as bare LF and they
 * are restored to CRLF; a signature passes only by DKIM_SIG_CHECK
 * (signature and body hash), never by the PASSED flag alone.
 */
#ifndef PCL_DKIM_H
#define PCL_DKIM_H

#include <stdbool.h>
#include <stddef.h>

#include "dns.h"

struct pcl_dkim_lib_conf {
	unsigned min_key_bits;   /* default 1024 (RSA) */
	unsigned max_signatures; /* verified per message, default 5 */
	unsigned timeout_s;      /* key lookup, default 5 */
	long fixed_time;         /* tests: pin the clock; 0 = real */
};

struct pcl_dkim_lib;

/* pcl_dkim_lib_new - one per configuration, shared by threads; NULL
 * with err */
struct pcl_dkim_lib *pcl_dkim_lib_new(struct pcl_dns *dns,
                                      const struct pcl_dkim_lib_conf *conf,
                                      char *err, size_t errlen);
void pcl_dkim_lib_free(struct pcl_dkim_lib *lib);

enum pcl_dkim_result {
	PCL_DKIM_PASS = 0,
	PCL_DKIM_FAIL,      /* bad signature or body hash, weak key,
	                       rsa-sha1 (RFC 8301), revoked key */
	PCL_DKIM_NEUTRAL,   /* e.g. a signature not processed (cap) */
	PCL_DKIM_POLICY,    /* acceptable by syntax, refused by policy */
	PCL_DKIM_TEMPERROR, /* key lookup failed temporarily */
	PCL_DKIM_PERMERROR, /* missing key, bad syntax, bad key */
};

/* One signature's verdict, for Authentication-Results and the trace. */
struct pcl_dkim_sig {
	enum pcl_dkim_result result;
	char domain[256];   /* d= */
	char selector[64];  /* s= */
	char algorithm[32]; /* "rsa-sha256", "ed25519-sha256" */
	char b[16];         /* first characters of b=, for header.b */
	unsigned key_bits;
	char reason[128]; /* "signature verified", "body hash
	                     mismatch", "no key for signature", ... */
};

struct pcl_dkim_verify;

/* pcl_dkim_verify_new - a verifier for one message; NULL on error */
struct pcl_dkim_verify *pcl_dkim_verify_new(struct pcl_dkim_lib *lib,
                                            const char *id);

/* Feed the message as Postfix's milter gives it: header values with
 * the leading space kept and folds as bare LF; body chunks as they
 * come (CRLF line ends). */
void pcl_dkim_verify_header(struct pcl_dkim_verify *v, const char *name,
                            const char *value);
void pcl_dkim_verify_eoh(struct pcl_dkim_verify *v);
void pcl_dkim_verify_body(struct pcl_dkim_verify *v, const unsigned char *p,
                          size_t len);
void pcl_dkim_verify_eom(struct pcl_dkim_verify *v);

/* After eom: every signature found (up to max_signatures judged; the
 * rest neutral), in header order. */
size_t pcl_dkim_verify_count(const struct pcl_dkim_verify *v);
const struct pcl_dkim_sig *pcl_dkim_verify_sig(const struct pcl_dkim_verify *v,
                                               size_t i);
void pcl_dkim_verify_free(struct pcl_dkim_verify *v);

const char *pcl_dkim_result_name(enum pcl_dkim_result r);

#endif
