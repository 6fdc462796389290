/*
 * access - access(5) results and Postfix's lookup order
 *
 * Turns a table result into an action with access(5) meaning, and
 * searches a table for a client, HELO name, sender or recipient the way
 * Postfix's check_*_access restrictions do:
 *
 *   client:    hostname, then its parent domains (".example.com" and
 *              "example.com" forms), then the IP address, then the
 *              address with trailing octets (IPv4) or colon groups
 *              (IPv6) removed: 1.2.3.4, 1.2.3, 1.2, 1
 *   helo:      the name, then parent domains
 *   sender/recipient: user@domain, domain, parent domains, user@;
 *              the null sender is looked up as "<>"
 *
 * Pattern tables (cidr, regexp, pcre) get one lookup with the full key:
 * for a client, the name and then the address (a cidr table gets only
 * the address). Parent-domain matching follows Postfix's default
 * parent_domain_matches_subdomains: "example.com" also matches
 * "a.example.com"; ".example.com" matches only subdomains.
 */
#ifndef PCL_ACCESS_H
#define PCL_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "table.h"

enum pcl_access_kind {
	PCL_ACCESS_DUNNO = 0, /* no decision: go on */
	PCL_ACCESS_OK,        /* OK, PERMIT, or all digits (as Postfix) */
	PCL_ACCESS_REJECT,    /* REJECT [text], 5NN [text] */
	PCL_ACCESS_DEFER,     /* DEFER [text], DEFER_IF_PERMIT, 4NN [text] */
	PCL_ACCESS_DISCARD,   /* DISCARD [text] */
	PCL_ACCESS_HOLD,      /* HOLD [text]: quarantine */
	PCL_ACCESS_WARN,      /* WARN [text]: log only */
	PCL_ACCESS_PREPEND,   /* PREPEND header: value */
};

#define PCL_ACCESS_TEXT_MAX 512

struct pcl_access_result {
	enum pcl_access_kind kind;
	int code;          /* 4NN/5NN when given, else 0 */
	char enhanced[16]; /* "5.7.1" when the text starts with one */
	char text[PCL_ACCESS_TEXT_MAX]; /* free text, may be empty */
};

/* pcl_access_parse - parse a result; unknown keywords (Postfix
 * restriction names, FILTER, REDIRECT, ...) are an error naming them.
 * Keywords are case-insensitive. Returns 0 or -1 with err. */
int pcl_access_parse(const char *value, struct pcl_access_result *out,
                     char *err, size_t errlen);

/* pcl_access_check_value - a pcl_table_check_fn for pcl_table_open */
int pcl_access_check_value(const char *value, char *err, size_t errlen);

enum pcl_access_class {
	PCL_ACCESS_CLIENT,
	PCL_ACCESS_HELO,
	PCL_ACCESS_SENDER,
	PCL_ACCESS_RECIPIENT,
};

/*
 * pcl_access_lookup - search t for the identity, in Postfix's order.
 * For PCL_ACCESS_CLIENT, key is the client name ("unknown" or NULL
 * when it has none) and addr the IP address text; for the others, key
 * is the HELO name or the address without angle brackets ("" for the
 * null sender) and addr is NULL. On FOUND, out holds the parsed result
 * and matched (if non-NULL) the key that matched. Returns
 * PCL_TABLE_FOUND, PCL_TABLE_NOTFOUND or PCL_TABLE_ERROR (with err).
 */
enum pcl_table_status pcl_access_lookup(const struct pcl_table *t,
                                        enum pcl_access_class cls,
                                        const char *key, const char *addr,
                                        struct pcl_access_result *out,
                                        char *matched, size_t matchedlen,
                                        char *err, size_t errlen);

#endif
