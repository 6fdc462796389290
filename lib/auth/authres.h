/*
 * authres - the Authentication-Results header (RFC 8601)
 *
 * One header per message, led by this host's authserv-id, with one
 * result per method instance: spf (smtp.mailfrom or smtp.helo) and
 * dkim (one per signature, with header.d, header.s, header.a and
 * header.b). The value is built for smfi_insheader: leading space kept,
 * folds as a bare LF and a tab. Values that are not RFC 2045 tokens are
 * quoted; comments carry only text this host wrote or checked, never a
 * DNS list key.
 *
 * Incoming headers that claim this host's authserv-id are forgeries to
 * be removed (RFC 8601 §5); pcl_authres_is_ours tells them apart.
 */
#ifndef PCL_AUTHRES_H
#define PCL_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

/* Longest header value built (RFC 5322 allows more; this is ample). */
#define PCL_AUTHRES_MAX 4096

struct pcl_authres {
	char value[PCL_AUTHRES_MAX];
	size_t results; /* method results added */
	bool cut;       /* something did not fit and was left out */
};

/* pcl_authres_init - start a header for authserv_id */
void pcl_authres_init(struct pcl_authres *ar, const char *authserv_id);

/* pcl_authres_add - one result: method ("spf", "dkim"), result word,
 * an optional comment (reason), then property pairs as a NULL-ended
 * list of ptype.property, value strings, e.g. "smtp.mailfrom",
 * "a@example.net", NULL. A result that does not fit is left out whole
 * and cut is set. */
void pcl_authres_add(struct pcl_authres *ar, const char *method,
                     const char *result, const char *comment, ...)
    __attribute__((sentinel));

/* pcl_authres_value - the value to insert: " id; none" when no result
 * was added */
const char *pcl_authres_value(struct pcl_authres *ar);

/* pcl_authres_is_ours - does a received header value name authserv_id
 * as its authserv-id (case-insensitive; comments and white space
 * before it skipped) */
bool pcl_authres_is_ours(const char *value, const char *authserv_id);

#endif
