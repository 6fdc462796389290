/*
 * helo - HELO/EHLO name checks
 *
 * The checks Postfix admins know from smtpd_helo_restrictions and
 * helo.regexp files, each reported separately so that each has its own
 * action and reply:
 *
 *   PCL_HELO_INVALID      not a valid hostname or address literal
 *                         (Postfix reject_invalid_helo_hostname, 501)
 *   PCL_HELO_BARE_IP      a dotted quad or IPv6 address without brackets
 *   PCL_HELO_NON_FQDN     a hostname without a dot
 *                         (Postfix reject_non_fqdn_helo_hostname, 504)
 *   PCL_HELO_LITERAL_MISMATCH  "[addr]" that is not the client address
 *   PCL_HELO_IMPERSONATION     one of this host's own names, or an
 *                         address (bare or literal) of this host
 *
 * A missing HELO is noticed by the session (it knows whether the HELO
 * callback ran); this module only judges a name.
 */
#ifndef PCL_HELO_H
#define PCL_HELO_H

#include <stddef.h>

#include "addr.h"

enum pcl_helo_problem {
	PCL_HELO_FINE = 0,
	PCL_HELO_INVALID,
	PCL_HELO_BARE_IP,
	PCL_HELO_NON_FQDN,
	PCL_HELO_LITERAL_MISMATCH,
	PCL_HELO_IMPERSONATION,
};

/* What this host is: names compared case-insensitively, without a
 * trailing dot; addresses compared as addresses. */
struct pcl_helo_self {
	const char *const *names;
	size_t nnames;
	const struct pcl_addr *addrs;
	size_t naddrs;
};

/* Longest HELO argument judged; longer is invalid (RFC 1035 name). */
#define PCL_HELO_MAX 255

/*
 * pcl_helo_judge - judge a HELO name, reporting every problem found,
 * in the order of the enum, as a bit set (1u << problem). client may be
 * NULL (unknown); self may be NULL (no impersonation check). A name is
 * given as received: it may contain any byte, including control
 * characters, and may be empty. A syntactically invalid name gets only
 * PCL_HELO_INVALID.
 */
unsigned pcl_helo_judge(const char *name, const struct pcl_addr *client,
                        const struct pcl_helo_self *self);

/* pcl_helo_problem_name - "helo_invalid", "helo_bare_ip", ... */
const char *pcl_helo_problem_name(enum pcl_helo_problem p);

/* pcl_helo_self_from_host - fill names with the host's name
 * (gethostname, lower-cased, trailing dot dropped; no DNS lookups) and
 * addrs with the addresses of local interfaces (getifaddrs), without
 * duplicates; loopback, link-local and unspecified addresses are left
 * out (a local "[127.0.0.1]" or a per-link fe80:: is no claim to be
 * this host). The caller frees with pcl_helo_self_clear, which takes
 * NULL. Returns 0, or -1 with err and the store left empty. */
struct pcl_helo_self_store {
	char **names;
	size_t nnames;
	struct pcl_addr *addrs;
	size_t naddrs;
};
int pcl_helo_self_from_host(struct pcl_helo_self_store *store, char *err,
                            size_t errlen);
void pcl_helo_self_clear(struct pcl_helo_self_store *store);

/* pcl_helo_self_view - borrow store as a self for pcl_helo_judge (C
 * will not convert char ** to const char *const * without a cast);
 * valid until the store is cleared. */
void pcl_helo_self_view(const struct pcl_helo_self_store *store,
                        struct pcl_helo_self *self);

#endif
