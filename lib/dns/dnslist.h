/*
 * dnslist - DNS list sites: syntax, query names, answers, scores
 *
 * A site is written in postscreen's syntax (postscreen_dnsbl_sites):
 *
 *   zone[=filter][*weight]
 *
 *   zen.spamhaus.org=127.0.0.[2..11]*3
 *   list.dnswl.org=127.0.[0..255].[1..3]*-2
 *   b.barracudacentral.org=127.0.0.2
 *   bl.example=127.0.0.[2;3;4]
 *
 * A filter is four dot-separated octet patterns; each is a number, a
 * range [a..b], or a list [a;b;c] whose items may be numbers or ranges.
 * Without a filter any 127.0.0.0/8 answer matches (a public list's
 * answers outside 127/8 are nonsense and never match). The weight
 * defaults to 1; negative weights make allow lists (DNSWL).
 *
 * Spamhaus DQS: the access key is a secret. A site's zone may contain
 * "$dqs_key" (e.g. "$dqs_key.zen.dq.spamhaus.net"), replaced by the key
 * for queries only. Everything else — replies, headers, logs, the
 * trace, the config dump — shows the site's public name: the admin's
 * choice, or by default the zone with the key label removed
 * ("zen.dq.spamhaus.net").
 *
 * Error answers are never listings: 127.255.255.0/24 from any list
 * (Spamhaus: 252 typing error in the DNSBL name, 254 query via public
 * or open resolver, 255 excessive number of queries), and for domain
 * lists 127.0.1.255 (DBL) and 127.0.2.255 (ZRD) ("query via public
 * resolver"-class errors). They go to the list's on_error.
 */
#ifndef PCL_DNSLIST_H
#define PCL_DNSLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

/* One octet pattern: a set of ranges. */
#define PCL_DNSBL_RANGES_MAX 16
struct pcl_dnsbl_octet {
	unsigned char lo[PCL_DNSBL_RANGES_MAX];
	unsigned char hi[PCL_DNSBL_RANGES_MAX];
	size_t count;
};

struct pcl_dnsbl_site {
	char *zone;        /* for queries; holds the key when secret */
	char *public_name; /* for everything people see */
	char *text;        /* the site as written, "$dqs_key" kept */
	bool secret;       /* zone contains the DQS key */
	bool has_filter;
	struct pcl_dnsbl_octet filter[4];
	int weight;
};

/*
 * pcl_dnsbl_site_parse - parse one site. dqs_key replaces "$dqs_key"
 * (an error if the site uses it and dqs_key is NULL or empty; a key
 * must be letters and digits only). public_name, when non-NULL and
 * non-empty, is used as is. Returns 0, or -1 with err; err never holds
 * the key.
 */
int pcl_dnsbl_site_parse(const char *text, const char *dqs_key,
                         const char *public_name, struct pcl_dnsbl_site *out,
                         char *err, size_t errlen);
void pcl_dnsbl_site_clear(struct pcl_dnsbl_site *s);

/* pcl_dnsbl_filter_match - does an answer address match the site's
 * filter (or 127/8 without one) */
bool pcl_dnsbl_filter_match(const struct pcl_dnsbl_site *s,
                            const struct pcl_addr *answer);

enum pcl_dnsbl_answer_kind {
	PCL_DNSBL_NOT_LISTED = 0, /* no A record matched the filter */
	PCL_DNSBL_LISTED,
	PCL_DNSBL_ERROR, /* an error code (see above) */
};

/* pcl_dnsbl_classify - judge the A records of one answer; for an
 * error code, *meaning gets a static text like "query via public or
 * open resolver" and *code the address (first error wins); for a
 * listing, *code gets the first matching address. domain_list selects
 * the DBL/ZRD error codes as well. */
enum pcl_dnsbl_answer_kind pcl_dnsbl_classify(const struct pcl_dnsbl_site *s,
                                              const struct pcl_addr *answers,
                                              size_t n, bool domain_list,
                                              struct pcl_addr *code,
                                              const char **meaning);

/* pcl_dnsbl_ip_query - "4.3.2.1.zone" for IPv4, 32 reversed nibbles
 * for IPv6 (IPv4-mapped unwrapped first); false if it does not fit */
bool pcl_dnsbl_ip_query(const struct pcl_addr *client, const char *zone,
                        char *out, size_t len);

/* pcl_dnsbl_domain_query - "domain.zone" for a domain list; false for
 * an IP literal ("[1.2.3.4]", "1.2.3.4", IPv6), an empty or invalid
 * name, or one that does not fit. The domain is lowercased and a
 * trailing dot dropped. */
bool pcl_dnsbl_domain_query(const char *domain, const char *zone, char *out,
                            size_t len);

/* pcl_dnsbl_redact - copy text into out with every occurrence of key
 * replaced by "<redacted>", ignoring case: names go lowercased on the
 * wire, and a list may echo the name asked in its TXT answer */
void pcl_dnsbl_redact(const char *text, const char *key, char *out, size_t len);

#endif
