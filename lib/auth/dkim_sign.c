/*
 * dkim_sign - DKIM signing options: the default header list, the
 * per-library settings (pcl_dkim_sign_prepare) and the check of a
 * signer's options (pcl_dkim_sign_check)
 *
 * The signatures themselves are made by dkim_signer.c, with OpenSSL
 * and portcullis's canonicalizer. pcl_dkim_sign_prepare only records the x=
 * lifetime in the shared library handle, before threads start; From is always
 * oversigned (RFC 6376 8.15), so there is nothing else to set.
 */
#include "config.h"

#include <string.h>

#include "dkim_int.h"
#include "util.h"

#define SIGN_NAMES_MAX 64
#define SIGN_NAME_LEN_MAX 64

const char *const pcl_dkim_sign_default_headers[] = {
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "List-Id",
    "List-Unsubscribe",
    "List-Post",
    "List-Help",
    "List-Subscribe",
    "List-Owner",
    "List-Archive",
    NULL,
};

/* pcl_dkim_sign_prepare - the per-library signing settings */
bool
pcl_dkim_sign_prepare(struct pcl_dkim_lib *dl, unsigned long expire_s,
                      char *err, size_t errlen)
{
	if (dl == NULL) {
		pcl_format(err, errlen, "dkim: no library handle");
		return false;
	}
	dl->sign_expire = expire_s;
	dl->sign_ready = true;
	return true;
}

/* canon_ok - a canonicalization option we know */
static bool
canon_ok(enum pcl_dkim_canon c)
{
	switch (c) {
	case PCL_DKIM_CANON_DEFAULT:
	case PCL_DKIM_CANON_RELAXED:
	case PCL_DKIM_CANON_SIMPLE:
		return true;
	}
	return false;
}

/* name_ok - a header name for h=: letters, digits, '-' and '_' (a
 * field name may hold more, but none that a list should name) */
static bool
name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SIGN_NAME_LEN_MAX)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
	                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

/* pcl_dkim_sign_check - whether opts can sign with signer */
bool
pcl_dkim_sign_check(const struct pcl_dkim_signer *signer,
                    const struct pcl_dkim_sign_opts *opts, char *err,
                    size_t errlen)
{
	const char *const *names;
	size_t n;

	(void)signer; /* every key signs every option since our signer */
	if (opts == NULL)
		return true; /* the defaults */
	if (opts->arc_instance > 50) {
		pcl_format(err, errlen, "dkim: ARC instance over 50");
		return false;
	}
	if (!canon_ok(opts->header_canon) || !canon_ok(opts->body_canon)) {
		pcl_format(err, errlen, "dkim: bad canonicalization option");
		return false;
	}
	names = opts->headers != NULL ? opts->headers
	                              : pcl_dkim_sign_default_headers;
	for (n = 0; names[n] != NULL; n++) {
		if (n == SIGN_NAMES_MAX) {
			pcl_format(err, errlen,
			           "dkim: more than %d header names to sign",
			           SIGN_NAMES_MAX);
			return false;
		}
		if (!name_ok(names[n])) {
			pcl_format(err, errlen,
			           "dkim: bad header name \"%.*s\" to sign",
			           SIGN_NAME_LEN_MAX, names[n]);
			return false;
		}
	}
	return true;
}
