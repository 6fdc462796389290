/*
 * template - $variable expansion for reply texts
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "template.h"
#include "util.h"

const char *const pcl_template_vars_session[] = {
	"client_address", "client_name", "helo_name", "sender",
	"recipient",	  "myhostname",	 "check",     NULL,
};

/*
 * next_var - at p (just after a '$'), read a name into name and return
 * the position after it; NULL on a syntax error ("$" alone, "${x").
 * "$$" yields an empty name.
 */
static const char *
next_var(const char *p, char *name, size_t len)
{
	size_t n = 0;
	bool braced = *p == '{';

	if (*p == '$') {
		name[0] = '\0';
		return p + 1;
	}
	if (braced)
		p++;
	while (isalnum((unsigned char)*p) || *p == '_') {
		if (n + 1 >= len)
			return NULL;
		name[n++] = *p++;
	}
	name[n] = '\0';
	if (n == 0)
		return NULL;
	if (braced) {
		if (*p != '}')
			return NULL;
		p++;
	}
	return p;
}

/* pcl_template_check - every $variable is known */
int
pcl_template_check(const char *tpl, const char *const *vars, char *err,
		   size_t errlen)
{
	char name[PCL_TEMPLATE_NAME_MAX + 1]; /* + NUL */
	const char *p = tpl;

	while ((p = strchr(p, '$')) != NULL) {
		bool known = false;

		p = next_var(p + 1, name, sizeof(name));
		if (p == NULL) {
			pcl_format(err, errlen,
				   "bad $variable syntax in \"%s\"", tpl);
			return -1;
		}
		if (name[0] == '\0')
			continue;
		for (size_t i = 0; vars[i]; i++)
			if (strcmp(vars[i], name) == 0)
				known = true;
		if (!known) {
			pcl_format(err, errlen, "unknown variable $%s", name);
			return -1;
		}
	}
	return 0;
}

/* put - append n bytes of s, control characters as '?'; false if cut */
static bool
put(char *buf, size_t len, size_t *used, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (*used + 1 >= len)
			return false;
		buf[(*used)++] = (c < ' ' || c == 0x7f) ? '?' : (char)c;
	}
	return true;
}

/* pcl_template_expand - expand tpl */
bool
pcl_template_expand(const char *tpl, pcl_template_lookup_fn lookup, void *ctx,
		    char *buf, size_t len)
{
	char name[PCL_TEMPLATE_NAME_MAX + 1]; /* + NUL */
	const char *p = tpl, *dollar;
	size_t used = 0;
	bool ok = true;

	if (len == 0)
		return false;
	while (ok && (dollar = strchr(p, '$')) != NULL) {
		const char *next, *value;

		ok = put(buf, len, &used, p, (size_t)(dollar - p));
		next = next_var(dollar + 1, name, sizeof(name));
		if (next == NULL) { /* checked at load; copy as is */
			ok = ok && put(buf, len, &used, "$", 1);
			p = dollar + 1;
			continue;
		}
		if (name[0] == '\0')
			value = "$";
		else
			value = lookup(name, ctx);
		if (value)
			ok = ok && put(buf, len, &used, value, strlen(value));
		p = next;
	}
	if (ok)
		ok = put(buf, len, &used, p, strlen(p));
	buf[used] = '\0';
	return ok;
}
