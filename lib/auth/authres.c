/*
 * authres - build and recognise Authentication-Results headers
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "util.h"

/* RFC 2045 tspecials: a value holding one (or space, controls, 8-bit)
 * is written as a quoted-string. */
static const char tspecials[] = "()<>@,;:\\\"/[]?=";

/* is_token - may s stand as an RFC 2045 token */
static bool
is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr(tspecials, *p))
			return false;
	return true;
}

/* is_dot_atom_address - local@domain with an atom-safe local part, as
 * RFC 8601 §2.3 allows for smtp.mailfrom and header.i unquoted */
static bool
is_plain_address(const char *s)
{
	const char *at = strrchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f ||
		    (p != (const unsigned char *)at && strchr(tspecials, *p)))
			return false;
	return true;
}

/* put_value - a property value, quoted unless a token or address */
static bool
put_value(char *buf, size_t len, const char *v)
{
	if (is_token(v) || is_plain_address(v))
		return pcl_append(buf, len, "%s", v);
	if (!pcl_append(buf, len, "\""))
		return false;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < ' ' || *p == 0x7f)
			continue;
		if ((*p == '"' || *p == '\\') && !pcl_append(buf, len, "\\"))
			return false;
		if (!pcl_append(buf, len, "%c", *p))
			return false;
	}
	return pcl_append(buf, len, "\"");
}

/* put_comment - "(text)" with parentheses and backslashes escaped */
static bool
put_comment(char *buf, size_t len, const char *c)
{
	if (!pcl_append(buf, len, " ("))
		return false;
	for (const unsigned char *p = (const unsigned char *)c; *p; p++) {
		if (*p < ' ' || *p == 0x7f)
			continue;
		if ((*p == '(' || *p == ')' || *p == '\\') &&
		    !pcl_append(buf, len, "\\"))
			return false;
		if (!pcl_append(buf, len, "%c", *p))
			return false;
	}
	return pcl_append(buf, len, ")");
}

/* pcl_authres_init - start a header */
void
pcl_authres_init(struct pcl_authres *ar, const char *authserv_id)
{
	memset(ar, 0, sizeof(*ar));
	pcl_append(ar->value, sizeof(ar->value), " ");
	put_value(ar->value, sizeof(ar->value), authserv_id);
}

/* pcl_authres_add - one method result */
void
pcl_authres_add(struct pcl_authres *ar, const char *method, const char *result,
                const char *comment, ...)
{
	char one[1024] = "";
	const char *name, *value;
	bool ok;
	va_list ap;

	ok = pcl_append(one, sizeof(one), ";\n\t%s=%s", method, result);
	if (ok && comment && *comment)
		ok = put_comment(one, sizeof(one), comment);
	va_start(ap, comment);
	while (ok && (name = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		if (value == NULL || *value == '\0')
			continue;
		ok = pcl_append(one, sizeof(one), " %s=", name) &&
		     put_value(one, sizeof(one), value);
	}
	va_end(ap);
	if (!ok || strlen(ar->value) + strlen(one) >= sizeof(ar->value)) {
		ar->cut = true;
		return;
	}
	pcl_append(ar->value, sizeof(ar->value), "%s", one);
	ar->results++;
}

/* pcl_authres_value - the value to insert */
const char *
pcl_authres_value(struct pcl_authres *ar)
{
	if (ar->results == 0 && strstr(ar->value, "; none") == NULL)
		pcl_append(ar->value, sizeof(ar->value), "; none");
	return ar->value;
}

/* skip_cfws - past white space and (nested) comments */
static const char *
skip_cfws(const char *p)
{
	for (;;) {
		int depth = 0;

		while (isspace((unsigned char)*p))
			p++;
		if (*p != '(')
			return p;
		do {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			p++;
		} while (*p && depth > 0);
	}
}

/* pcl_authres_is_ours - does the header name our authserv-id */
bool
pcl_authres_is_ours(const char *value, const char *authserv_id)
{
	const char *p = skip_cfws(value);
	size_t n = strlen(authserv_id);
	char id[PCL_DOMAIN_MAX + 3];
	size_t len = 0;

	if (*p == '"') { /* a quoted authserv-id */
		for (p++; *p && *p != '"' && len + 1 < sizeof(id); p++) {
			if (*p == '\\' && p[1])
				p++;
			id[len++] = *p;
		}
		id[len] = '\0';
		return len == n && strncasecmp(id, authserv_id, n) == 0;
	}
	if (strncasecmp(p, authserv_id, n) != 0)
		return false;
	p += n;
	/* the id ends at white space, a comment, ';' or the end */
	return *p == '\0' || *p == ';' || *p == '(' ||
	       isspace((unsigned char)*p);
}
