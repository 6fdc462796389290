/*
 * urls_host - one host, as the urls module lists it
 *
 * The scanner hands over host text as it stood in the message, with
 * %XX escapes decoded and invisible characters dropped. Here it
 * becomes a list entry: non-ASCII names are mapped to A-labels by
 * UTS #46 non-transitional processing (libidn2, as browsers do, so
 * "BÜCHER.example" and "ｂücher.example" both become
 * "xn--bcher-kva.example"); ASCII is lowercased; then the name must be
 * letters, digits and hyphens, labels 1..63 bytes not starting or
 * ending with '-', 253 bytes in all, two labels at least. A name whose
 * last label is a number ("1", "0x1", "0x") is an IPv4 address as
 * browsers read one (WHATWG URL "ends in a number"), so 3221225985,
 * 0xC0.0x00.2.1 and 0300.0250.0.1 are never listed.
 *
 * The registered domain comes from libpsl's built-in list, private
 * section included: "evil.github.io" is its own registered domain, so
 * the list does not send "github.io" to the domain lists. A host that
 * is itself a public suffix ("co.uk") is listed alone.
 *
 * libidn2 and libpsl are also used by the DMARC code (lib/auth/dmarc_from.c
 * for 8-bit From: domains, lib/auth/dmarc_walk.c for RFC 7489 mode).
 */
#include "config.h"

#include <idn2.h>
#include <libpsl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "urls_int.h"
#include "util.h"

/* Set once under pcl_urls_init's pthread_once, read-only after. */
static const psl_ctx_t *urls_psl;

/* urls_host_init - pick the public suffix list */
void
urls_host_init(void)
{
	/* psl_latest() would read a newer file from disk, but may fail at
	 * run time; the built-in list cannot, and is read-only data. */
	urls_psl = psl_builtin();
}

/* host_ldh - ASCII letter, digit or hyphen */
static bool
host_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

/* host_hex - ASCII hexadecimal digit */
static bool
host_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* host_number - label s[0..n) is a number as an IPv4 parser reads one:
 * decimal or octal digits, or "0x" and hexadecimal digits */
static bool
host_number(const char *s, size_t n)
{
	size_t i = 0;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < n; i++)
			if (!host_hex((unsigned char)s[i]))
				return false;
		return true;
	}
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* host_valid - LDH labels of 1..63, at most 253 bytes, two labels at
 * least, and a last label that is no number */
static bool
host_valid(const char *name)
{
	size_t len = strlen(name);
	size_t start = 0;
	size_t labels = 0;

	if (len == 0 || len > PCL_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		size_t n;

		if (i < len && name[i] != '.') {
			if (!host_ldh((unsigned char)name[i]))
				return false;
			continue;
		}
		n = i - start;
		if (n == 0 || n > PCL_LABEL_MAX || name[start] == '-' ||
		    name[i - 1] == '-')
			return false;
		labels++;
		if (i == len && host_number(name + start, n))
			return false;
		start = i + 1;
	}
	return labels >= 2;
}

/* host_trim - length of text without trailing dots and hyphens: no
 * label ends in '-', so "www.example.com-" can only be a sentence */
static size_t
host_trim(const char *text, size_t len)
{
	while (len > 0 && (text[len - 1] == '.' || text[len - 1] == '-'))
		len--;
	return len;
}

/* urls_host_note - check host text and add it and its registered
 * domain; -1 on out of memory */
int
urls_host_note(struct urls_ctx *ctx, const char *text, size_t len)
{
	char raw[URLS_HOST_TEXT_MAX + 1];
	char *alabel = NULL;
	const char *name = raw;
	const char *registered;
	bool ascii = true;
	int rc = 0;

	len = host_trim(text, len);
	if (len == 0 || len > URLS_HOST_TEXT_MAX)
		goto out;
	memcpy(raw, text, len);
	raw[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)raw[i] >= 0x80)
			ascii = false;
	if (!ascii) {
		/* Non-transitional: "ß" stays "ß" (xn--), as in browsers. */
		if (idn2_to_ascii_8z(raw, &alabel, IDN2_NONTRANSITIONAL) !=
		    IDN2_OK)
			goto out;
		name = pcl_lower(alabel);
	} else {
		pcl_lower(raw);
	}
	if (!host_valid(name))
		goto out;
	if ((rc = urls_list_add(ctx, name)) != 0)
		goto out;
	registered = urls_psl ? psl_registrable_domain(urls_psl, name) : NULL;
	if (registered != NULL && strcmp(registered, name) != 0)
		rc = urls_list_add(ctx, registered);
out:
	idn2_free(alabel);
	return rc;
}
