/*
 * urls - the domains a message's body points at
 *
 * Finds the host names of URLs and e-mail addresses in a message, after
 * MIME decoding (multipart, quoted-printable, base64, charsets), in
 * text/plain and text/html parts (HTML: href/src attributes and text),
 * for the domain lists (DBL) to judge. The MIME work is GMime's (the
 * only GMime user); registered domains come from libpsl (the only
 * libpsl user). Nothing here does DNS.
 *
 * For each host the list holds the full host name and, when different,
 * its registered domain ("www.shop.example.co.uk" and
 * "example.co.uk"), lowercased, IDNs as A-labels ("xn--..."), without a
 * trailing dot, each once, in order of first appearance. IP literals
 * (http://192.0.2.1/, http://[2001:db8::1]/, user@[192.0.2.1]) are never
 * listed: an address is no domain. Bare words that merely look like
 * domains ("file.txt", "e.g.") are not listed unless they carry a
 * scheme, "www." or an "@".
 */
#ifndef PCL_URLS_H
#define PCL_URLS_H

#include <stdbool.h>
#include <stddef.h>

struct pcl_url_domains {
	char **items;
	size_t count;
	bool capped;    /* max_domains was reached */
	bool truncated; /* the message was larger than scanned */
};

/* pcl_urls_init - once per process, before threads (GMime's and
 * libpsl's global setup) */
void pcl_urls_init(void);

/*
 * pcl_urls_extract - scan a whole message (headers, empty line, body;
 * CRLF or LF line ends) of len bytes. At most max_domains domains are
 * kept (then capped is set). Returns 0, or -1 with err on out of memory;
 * a message that does not parse as MIME is scanned as plain text, never
 * an error.
 */
int pcl_urls_extract(const char *msg, size_t len, size_t max_domains,
                     struct pcl_url_domains *out, char *err, size_t errlen);

void pcl_url_domains_clear(struct pcl_url_domains *d);

#endif
